/**
 * Output formats of `observatory query`: fixed-width tables (so rows can be printed as they arrive with
 * --watch), RFC 4180 CSV, and JSON lines.
 */

import {
  displayTime,
  eventName,
  type HookEvent,
  oneLine,
  summarize,
  text,
  truncate,
} from './records.ts'
import { ago, type SessionRow, type TrackedSession } from './sessions.ts'

export type OutputFormat = 'table' | 'jsonl' | 'csv'

/** Quotes a CSV field when it holds a comma, a double quote, CR or LF (RFC 4180), doubling inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`
}

export const EVENT_CSV_HEADER = ['ts', 'event', 'session_id', 'tool_name', 'summary'] as const

export function eventCsv(event: HookEvent): string {
  return csvRecord([
    text(event, '_ts'),
    eventName(event),
    text(event, 'session_id'),
    text(event, 'tool_name'),
    summarize(event),
  ])
}

const RESET = '\u001b[0m'
const DIM = '\u001b[2m'
const BOLD = '\u001b[1m'

function eventColor(name: string): string {
  if (name.endsWith('Failure')) return '\u001b[31m'
  if (name === 'PermissionRequest' || name === 'Notification') return '\u001b[33m'
  if (name.startsWith('Pre')) return '\u001b[36m'
  if (name.startsWith('Post')) return '\u001b[32m'
  if (name.startsWith('Session')) return '\u001b[35m'
  if (name === 'UserPromptSubmit') return '\u001b[34m'
  return ''
}

function paint(value: string, color: string, enabled: boolean): string {
  return enabled && color !== '' ? `${color}${value}${RESET}` : value
}

/** Pads (or cuts, with '…') a cell to exactly `width` characters. */
function cell(value: string, width: number): string {
  const cut = truncate(oneLine(value), width)
  return cut + ' '.repeat(Math.max(0, width - Array.from(cut).length))
}

const TIME_W = 19
const EVENT_W = 18
const SESSION_W = 8
const TOOL_W = 12
const GAP = '  '
const FIXED_W = TIME_W + EVENT_W + SESSION_W + TOOL_W + GAP.length * 4

/** Fixed-width event table: header and rows line up without knowing the rows in advance. */
export class EventTable {
  private readonly color: boolean
  private readonly summaryWidth: number

  /** `width`: total line width to fit (the terminal's), `color`: use ANSI colours. */
  constructor(width: number, color: boolean) {
    this.color = color
    this.summaryWidth = Math.max(20, width - FIXED_W)
  }

  header(): string {
    const line = [
      cell('TIME', TIME_W),
      cell('EVENT', EVENT_W),
      cell('SESSION', SESSION_W),
      cell('TOOL', TOOL_W),
      'SUMMARY',
    ].join(GAP)
    return `${paint(line, BOLD, this.color)}\n`
  }

  row(event: HookEvent): string {
    const name = eventName(event)
    return `${[
      paint(cell(displayTime(event), TIME_W), DIM, this.color),
      paint(cell(name, EVENT_W), eventColor(name), this.color),
      cell(text(event, 'session_id').slice(0, SESSION_W), SESSION_W),
      cell(text(event, 'tool_name'), TOOL_W),
      truncate(summarize(event), this.summaryWidth),
    ]
      .join(GAP)
      .trimEnd()}\n`
  }
}

export const SESSION_CSV_HEADER = [
  'session_id',
  'state',
  'last_event',
  'last_tool',
  'events',
  'last_activity',
  'cwd',
] as const

export function sessionCsv(row: SessionRow): string {
  return csvRecord([
    row.session_id,
    row.state,
    row.last_event,
    row.last_tool,
    String(row.events),
    row.last_activity,
    row.cwd,
  ])
}

export function sessionJson(row: SessionRow): string {
  return `${JSON.stringify(row)}\n`
}

function stateColor(state: SessionRow['state']): string {
  switch (state) {
    case 'waiting for permission':
      return '\u001b[33m'
    case 'waiting for input':
      return '\u001b[32m'
    case 'running tool':
    case 'thinking':
      return '\u001b[36m'
    case 'ended':
      return DIM
    default:
      return ''
  }
}

/** The sessions table: aligned to its widest cells (all rows are known). */
export function sessionTable(
  sessions: readonly TrackedSession[],
  now: number,
  width: number,
  color: boolean,
): string {
  const headers = ['SESSION', 'STATE', 'LAST TOOL', 'EVENTS', 'LAST ACTIVITY', 'AGO', 'CWD']
  const cells = sessions.map(({ row, time }) => [
    row.session_id.slice(0, SESSION_W),
    row.state,
    oneLine(row.last_tool),
    String(row.events),
    displayTime({ _ts: row.last_activity }),
    ago(time, now),
    oneLine(row.cwd),
  ])
  const widths = headers.map((h, i) =>
    Math.min(
      i === 2 ? 16 : 40,
      Math.max(h.length, ...cells.map((c) => Array.from(c[i] ?? '').length)),
    ),
  )
  const fixed = widths.slice(0, -1).reduce((sum, w) => sum + w + GAP.length, 0)
  widths[widths.length - 1] = Math.max(10, width - fixed)
  const render = (values: string[], header: boolean): string => {
    const parts = values.map((value, i) => {
      const w = widths[i]!
      if (i === values.length - 1) {
        // Long paths keep their end, which names the project.
        const chars = Array.from(value)
        return chars.length > w ? `…${chars.slice(chars.length - w + 1).join('')}` : value
      }
      const padded = i === 3 || i === 5 ? cell(value, w).trimEnd().padStart(w) : cell(value, w)
      if (header) return padded
      if (i === 1) return paint(padded, stateColor(values[1] as SessionRow['state']), color)
      return padded
    })
    const line = parts.join(GAP).trimEnd()
    return `${header ? paint(line, BOLD, color) : line}\n`
  }
  return [render(headers, true), ...cells.map((c) => render(c, false))].join('')
}

/**
 * Output formats of `observatory query`: fixed-width tables (so rows can be printed as they arrive with
 * --watch), RFC 4180 CSV, and JSON lines.
 */

import type { SessionState, SessionSummary } from '../sessions/index.ts'
import {
  displayTime,
  eventName,
  type HookEvent,
  oneLine,
  summarize,
  text,
  truncate,
} from './records.ts'
import { ago } from './sessions.ts'

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
    // The tool name is never cut (an MCP tool's full name, mcp__server__tool, is what tells it apart): a longer
    // one takes its room from the summary on that row.
    const tool = oneLine(text(event, 'tool_name'))
    const toolLength = Array.from(tool).length
    const toolCell = toolLength > TOOL_W ? tool : cell(tool, TOOL_W)
    const summaryWidth = Math.max(20, this.summaryWidth - Math.max(0, toolLength - TOOL_W))
    return `${[
      paint(cell(displayTime(event), TIME_W), DIM, this.color),
      paint(cell(name, EVENT_W), eventColor(name), this.color),
      cell(text(event, 'session_id').slice(0, SESSION_W), SESSION_W),
      toolCell,
      truncate(summarize(event), summaryWidth),
    ]
      .join(GAP)
      .trimEnd()}\n`
  }
}

/** A time in epoch ms as ISO 8601 (UTC), or '' when unknown. */
function isoTime(time: number | null): string {
  return time === null || !Number.isFinite(time) ? '' : new Date(time).toISOString()
}

/** The tool a session's state is about: the one waiting for permission, else the running call's. */
function sessionTool(summary: SessionSummary): string {
  return summary.state_tool ?? summary.current_tool?.tool_name ?? ''
}

export const SESSION_CSV_HEADER = [
  'session_id',
  'state',
  'state_since',
  'tool',
  'last_event',
  'events',
  'last_activity',
  'project',
  'cwd',
] as const

/** The CSV columns added when a session listed has usage (Claude Code's telemetry, from the store). */
export const SESSION_USAGE_CSV_HEADER = [
  'cost_usd',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
] as const

/** Whether any session has usage: then the table and CSV have cost and token columns. */
export function anyUsage(sessions: readonly SessionSummary[]): boolean {
  return sessions.some((summary) => summary.usage !== undefined && summary.usage !== null)
}

/** `$0.0123` (four decimals), or `-` without usage. */
export function costText(summary: SessionSummary): string {
  const usage = summary.usage
  return usage === undefined || usage === null ? '-' : `$${usage.cost_usd.toFixed(4)}`
}

/** Input + output tokens, or `-` without usage. */
export function tokensText(summary: SessionSummary): string {
  const usage = summary.usage
  return usage === undefined || usage === null
    ? '-'
    : String(usage.input_tokens + usage.output_tokens)
}

/** `withUsage`: the usage columns too (see {@link SESSION_USAGE_CSV_HEADER}); empty fields without usage. */
export function sessionCsv(summary: SessionSummary, withUsage = false): string {
  const u = summary.usage ?? null
  const usage = !withUsage
    ? []
    : u === null
      ? ['', '', '', '', '']
      : [
          String(u.cost_usd),
          String(u.input_tokens),
          String(u.output_tokens),
          String(u.cache_read_tokens),
          String(u.cache_creation_tokens),
        ]
  return csvRecord([
    summary.session_id,
    summary.state,
    isoTime(summary.state_since),
    sessionTool(summary),
    summary.last_event,
    String(summary.counts.events),
    isoTime(summary.last_event_time),
    summary.project ?? '',
    summary.cwd ?? '',
    ...usage,
  ])
}

/** The summary as the API gives it (src/observatory/sessions/types.ts), one JSON object per line. */
export function sessionJson(summary: SessionSummary): string {
  return `${JSON.stringify(summary)}\n`
}

function stateColor(state: SessionState): string {
  switch (state) {
    case 'waiting for permission':
      return '\u001b[33m'
    case 'waiting for input':
      return '\u001b[32m'
    case 'running tool':
    case 'thinking':
    case 'compacting':
    case 'starting':
      return '\u001b[36m'
    case 'stale':
      return '\u001b[31m'
    case 'ended':
      return DIM
    default:
      return ''
  }
}

/** `2026-02-09 10:30:00` (UTC, as the log's `_ts`), or '' when unknown. */
function tableTime(time: number | null): string {
  const iso = isoTime(time)
  return iso === '' ? '' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

const SESSION_HEADERS = [
  'SESSION',
  'STATE',
  'FOR',
  'TOOL',
  'EVENTS',
  'LAST ACTIVITY',
  'AGO',
  'PROJECT',
] as const
/** With usage: COST and TOKENS go before PROJECT (the last column, which takes the rest of the width). */
const SESSION_USAGE_HEADERS = [
  ...SESSION_HEADERS.slice(0, -1),
  'COST',
  'TOKENS',
  'PROJECT',
] as const
/** Columns aligned to the right (durations, counts, cost and tokens). */
const RIGHT = new Set([2, 4, 6, 7, 8])
const TOOL_COLUMN = 3

/**
 * The sessions table, aligned to its widest cells (all rows are known): the state and how long it has held, the
 * tool it is about (never cut), the event count, the last activity and the project (the last part of the cwd).
 * When a session has usage (Claude Code's telemetry, from the store), COST (`$0.0123`) and TOKENS (input +
 * output) come before the project, `-` for the sessions without.
 */
export function sessionTable(
  sessions: readonly SessionSummary[],
  now: number,
  width: number,
  color: boolean,
): string {
  const usage = anyUsage(sessions)
  const headers: readonly string[] = usage ? SESSION_USAGE_HEADERS : SESSION_HEADERS
  const cells = sessions.map((summary) => [
    summary.session_id.slice(0, SESSION_W),
    summary.state,
    ago(summary.state_since, now),
    oneLine(sessionTool(summary)),
    String(summary.counts.events),
    tableTime(summary.last_event_time),
    ago(summary.last_event_time, now),
    ...(usage ? [costText(summary), tokensText(summary)] : []),
    oneLine(summary.project ?? ''),
  ])
  const widths = headers.map((h, i) =>
    Math.min(
      i === TOOL_COLUMN ? Number.POSITIVE_INFINITY : 40,
      Math.max(h.length, ...cells.map((c) => Array.from(c[i] ?? '').length)),
    ),
  )
  const fixed = widths.slice(0, -1).reduce((sum, w) => sum + w + GAP.length, 0)
  widths[widths.length - 1] = Math.max(10, width - fixed)
  const render = (values: readonly string[], header: boolean): string => {
    const parts = values.map((value, i) => {
      const w = widths[i]!
      if (i === values.length - 1) {
        // A long name keeps its end.
        const chars = Array.from(value)
        return chars.length > w ? `…${chars.slice(chars.length - w + 1).join('')}` : value
      }
      const padded = RIGHT.has(i) ? cell(value, w).trimEnd().padStart(w) : cell(value, w)
      if (header || i !== 1) return padded
      return paint(padded, stateColor(values[1] as SessionState), color)
    })
    const line = parts.join(GAP).trimEnd()
    return `${header ? paint(line, BOLD, color) : line}\n`
  }
  return [render(headers, true), ...cells.map((c) => render(c, false))].join('')
}

/**
 * What `observatory query` prints to (buffered output; events and sessions in the chosen format), and how a
 * `--watch` stops.
 */
import { type CommandIO, terminalColumns, writeText } from '../install/command-io.ts'
import type { SessionSummary } from '../sessions/index.ts'
import {
  csvRecord,
  EVENT_CSV_HEADER,
  EventTable,
  eventCsv,
  type OutputFormat,
  SESSION_CSV_HEADER,
  SESSION_USAGE_CSV_HEADER,
  sessionCsv,
  sessionJson,
  sessionTable,
} from './format.ts'
import type { HookEvent } from './records.ts'

/** Buffers output and writes it in large pieces, waiting for the stream to drain. */
export class Output {
  private readonly stream: NodeJS.WritableStream
  private parts: string[] = []
  private size = 0

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream
  }

  async push(chunk: string): Promise<void> {
    this.parts.push(chunk)
    this.size += chunk.length
    if (this.size >= 64 * 1024) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const chunk = this.parts.join('')
    this.parts = []
    this.size = 0
    await writeText(this.stream, chunk)
  }
}

/** Whether to colour: a table, on a terminal, without NO_COLOR. */
export function useColor(io: CommandIO, format: OutputFormat): boolean {
  return format === 'table' && io.stdout.isTTY === true && (io.env.NO_COLOR ?? '') === ''
}

/** Renders events: the header (table, CSV), then one row per event; JSON lines print the line as it is. */
export class EventRenderer {
  private readonly format: OutputFormat
  private readonly table: EventTable

  constructor(io: CommandIO, format: OutputFormat) {
    this.format = format
    this.table = new EventTable(terminalColumns(io.stdout) ?? 120, useColor(io, format))
  }

  header(): string {
    if (this.format === 'csv') return csvRecord(EVENT_CSV_HEADER)
    if (this.format === 'table') return this.table.header()
    return ''
  }

  /** `line`: the event's line as read or stored (without its newline); `event`: that line parsed. */
  row(line: string, event: HookEvent): string {
    if (this.format === 'jsonl') return `${line}\n`
    if (this.format === 'csv') return eventCsv(event)
    return this.table.row(event)
  }

  /** Whether rows need the parsed event (JSON lines do not). */
  get parses(): boolean {
    return this.format !== 'jsonl'
  }
}

/** `--sessions` output: a table, CSV, or one summary per JSON line. */
export async function writeSessions(
  output: Output,
  io: CommandIO,
  format: OutputFormat,
  sessions: readonly SessionSummary[],
  now: number,
): Promise<void> {
  if (format === 'table') {
    const width = terminalColumns(io.stdout) ?? 120
    await output.push(sessionTable(sessions, now, width, useColor(io, format)))
  } else if (format === 'csv') {
    // The same columns whatever the data (a program reads them by position): usage's are empty without it.
    await output.push(csvRecord([...SESSION_CSV_HEADER, ...SESSION_USAGE_CSV_HEADER]))
    for (const summary of sessions) await output.push(sessionCsv(summary, true))
  } else {
    for (const summary of sessions) await output.push(sessionJson(summary))
  }
  await output.flush()
}

/** Runs `body` with the signal that stops following: the caller's, else one that SIGINT (Ctrl-C) aborts. */
export async function untilStopped(
  given: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  if (given !== undefined) {
    await body(given)
    return
  }
  const controller = new AbortController()
  const onSigint = (): void => controller.abort()
  process.once('SIGINT', onSigint)
  try {
    await body(controller.signal)
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}

/** Waits `ms`, or less when `signal` aborts first (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve()
      return
    }
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

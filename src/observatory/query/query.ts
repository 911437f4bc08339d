/**
 * `observatory query`: filter the observatory's JSON-lines logs, show them as a table, CSV or the original lines,
 * summarize sessions, and follow logs as they grow. See docs/install-and-query.md.
 */
import { type CommandIO, terminalColumns, usageError, writeText } from '../install/command-io.ts'
import { followLogs } from './follow.ts'
import {
  csvRecord,
  EVENT_CSV_HEADER,
  EventTable,
  eventCsv,
  type OutputFormat,
  SESSION_CSV_HEADER,
  sessionCsv,
  sessionJson,
  sessionTable,
} from './format.ts'
import { FileCursor, logFiles, streamLines } from './log-files.ts'
import { eventName, type HookEvent, type LogRecord, parseLine, text } from './records.ts'
import { SessionTracker } from './sessions.ts'

const NAME = 'observatory query'

/** What `observatory query` was asked to do (parsed by the CLI: src/cli/query.ts). */
export interface QueryOptions {
  logs: string[]
  events: Set<string> | undefined
  tool: string | undefined
  session: string | undefined
  since: number | undefined
  last: number | undefined
  format: OutputFormat
  watch: boolean
  sessions: boolean
}

/** Knobs for tests and embedding; `runQuery` uses the defaults. */
export interface QueryRunOptions {
  /** Stops `--watch` (default: SIGINT). */
  signal?: AbortSignal
  /** The current time, for `--since 10m` and the sessions' AGO column (default: Date.now). */
  now?: () => number
  /** Period of the stat fallback while watching (default 500 ms). */
  pollIntervalMs?: number
}

function matches(event: HookEvent, time: number, options: QueryOptions): boolean {
  if (options.events !== undefined && !options.events.has(eventName(event))) return false
  if (options.tool !== undefined && text(event, 'tool_name') !== options.tool) return false
  if (options.session !== undefined && !text(event, 'session_id').startsWith(options.session)) {
    return false
  }
  if (options.since !== undefined && !(time >= options.since)) return false
  return true
}

/** Records of one --log: its rotated siblings, then the file itself. */
async function* logRecords(
  files: readonly string[],
  path: string,
  keepOpen: Map<string, FileCursor | undefined>,
  opened: Set<FileCursor>,
): AsyncGenerator<LogRecord> {
  for (const file of files) {
    const cursor = await FileCursor.open(file)
    opened.add(cursor)
    for await (const lines of cursor.read()) {
      for (const line of lines) {
        const record = parseLine(line)
        if (record !== undefined) yield record
      }
    }
    if (file === path && keepOpen.has(path)) {
      // Followed next: an incomplete last line stays buffered until its newline arrives.
      keepOpen.set(path, cursor)
      continue
    }
    const tail = cursor.takePartial()
    if (tail !== undefined) {
      const record = parseLine(tail)
      if (record !== undefined) yield record
    }
    opened.delete(cursor)
    await cursor.close()
  }
}

async function* stdinRecords(stream: NodeJS.ReadableStream): AsyncGenerator<LogRecord> {
  for await (const line of streamLines(stream)) {
    const record = parseLine(line)
    if (record !== undefined) yield record
  }
}

/**
 * Interleaves several logs by `_ts` (stable: on equal times the earlier --log goes first, and each log's own
 * order is kept; a line without a time sorts with the line before it).
 */
async function* mergeByTime(sources: AsyncGenerator<LogRecord>[]): AsyncGenerator<LogRecord> {
  if (sources.length === 1) {
    yield* sources[0]!
    return
  }
  const heads: Array<LogRecord | undefined> = []
  const keys: number[] = []
  const advance = async (i: number): Promise<void> => {
    const next = await sources[i]!.next()
    if (next.done === true) {
      heads[i] = undefined
      return
    }
    heads[i] = next.value
    if (!Number.isNaN(next.value.time)) keys[i] = next.value.time
  }
  for (let i = 0; i < sources.length; i++) {
    keys[i] = -Infinity
    await advance(i)
  }
  while (true) {
    let best = -1
    for (let i = 0; i < sources.length; i++) {
      if (heads[i] !== undefined && (best < 0 || keys[i]! < keys[best]!)) best = i
    }
    if (best < 0) return
    yield heads[best]!
    await advance(best)
  }
}

/** Buffers output and writes it in large pieces, waiting for the stream to drain. */
class Output {
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

async function query(options: QueryOptions, io: CommandIO, run: QueryRunOptions): Promise<number> {
  const now = run.now ?? Date.now

  // No --log and a terminal on stdin: reading would wait silently for typed JSON lines. There is no default log
  // (serve writes one only when given --log), so say what is expected instead, as a usage error.
  if (options.logs.length === 0 && io.stdin.isTTY === true) {
    throw usageError(
      'no --log given and stdin is a terminal; pipe a log in (… | observatory query) or give --log FILE (see --help)',
    )
  }

  // Find every file before printing anything, so a missing log fails cleanly.
  const plans: Array<{ path: string; files: string[] }> = []
  for (const path of options.logs) plans.push({ path, files: await logFiles(path) })

  const following = options.watch && plans.length > 0
  const keepOpen = new Map<string, FileCursor | undefined>()
  if (following) for (const plan of plans) keepOpen.set(plan.path, undefined)
  const opened = new Set<FileCursor>()
  const output = new Output(io.stdout)
  let skipped = 0

  try {
    const sources =
      plans.length > 0
        ? plans.map((plan) => logRecords(plan.files, plan.path, keepOpen, opened))
        : [stdinRecords(io.stdin)]
    const records = mergeByTime(sources)

    if (options.sessions) {
      const tracker = new SessionTracker()
      for await (const record of records) {
        if (record.event === undefined) skipped++
        else if (matches(record.event, record.time, options)) tracker.add(record.event, record.time)
      }
      let sessions = tracker.sessions()
      if (options.last !== undefined) sessions = sessions.slice(0, options.last)
      if (options.format === 'table') {
        const color = io.stdout.isTTY === true && (io.env.NO_COLOR ?? '') === ''
        await output.push(sessionTable(sessions, now(), terminalColumns(io.stdout) ?? 120, color))
      } else if (options.format === 'csv') {
        await output.push(csvRecord(SESSION_CSV_HEADER))
        for (const { row } of sessions) await output.push(sessionCsv(row))
      } else {
        for (const { row } of sessions) await output.push(sessionJson(row))
      }
      await output.flush()
      return 0
    }

    const color =
      options.format === 'table' && io.stdout.isTTY === true && (io.env.NO_COLOR ?? '') === ''
    const table = new EventTable(terminalColumns(io.stdout) ?? 120, color)
    const render = (record: LogRecord & { event: HookEvent }): string => {
      if (options.format === 'jsonl') return `${record.line}\n`
      if (options.format === 'csv') return eventCsv(record.event)
      return table.row(record.event)
    }
    if (options.format === 'csv') await output.push(csvRecord(EVENT_CSV_HEADER))
    else if (options.format === 'table') await output.push(table.header())

    // -n: a ring of the last N matching records.
    const ring: string[] = []
    let ringNext = 0
    for await (const record of records) {
      if (record.event === undefined) {
        skipped++
        continue
      }
      if (!matches(record.event, record.time, options)) continue
      const rendered = render({ ...record, event: record.event })
      if (options.last === undefined) await output.push(rendered)
      else if (options.last > 0) {
        ring[ringNext] = rendered
        ringNext = (ringNext + 1) % options.last
      }
    }
    if (ring.length > 0) {
      const start = ring.length < (options.last ?? 0) ? 0 : ringNext
      for (let i = 0; i < ring.length; i++) await output.push(ring[(start + i) % ring.length]!)
    }
    await output.flush()

    if (following) {
      const controller = run.signal === undefined ? new AbortController() : undefined
      const signal = run.signal ?? controller!.signal
      const onSigint = (): void => controller?.abort()
      if (controller !== undefined) process.once('SIGINT', onSigint)
      try {
        for (const cursor of keepOpen.values()) if (cursor !== undefined) opened.delete(cursor)
        await followLogs(keepOpen, {
          signal,
          pollIntervalMs: run.pollIntervalMs,
          onLine: async (line) => {
            const record = parseLine(line)
            if (record === undefined) return
            if (record.event === undefined) {
              skipped++
              return
            }
            if (!matches(record.event, record.time, options)) return
            await output.push(render({ ...record, event: record.event }))
            await output.flush()
          },
        })
      } finally {
        if (controller !== undefined) process.removeListener('SIGINT', onSigint)
      }
    }
    return 0
  } finally {
    for (const cursor of opened) await cursor.close()
    if (skipped > 0) {
      io.stderr.write(`${NAME}: skipped ${skipped} unreadable line${skipped === 1 ? '' : 's'}\n`)
    }
  }
}

/**
 * `observatory query` with its options parsed: resolves to 0 when done. Throws a `UserError` for what the user
 * can act on (a log that cannot be read); the CLI prints it.
 */
export function runQueryWith(
  options: QueryOptions,
  io: CommandIO,
  run: QueryRunOptions = {},
): Promise<number> {
  return query(options, io, run)
}

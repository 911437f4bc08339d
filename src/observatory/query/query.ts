/**
 * `observatory query`: filter the observatory's events (from the store, or from JSON-lines logs), show them as a
 * table, CSV or the original lines, summarize sessions, and follow new events. See docs/install-and-query.md.
 *
 * Where the events come from: `--log FILE` (repeatable) → those logs; else `--db PATH` → that store; else stdin
 * when it is a pipe or a regular file (something was piped or redirected in); else the store at `$OBSERVATORY_DB`
 * or the default path (store/paths.ts), and a usage error when there is none. The store is read in
 * store-source.ts, which loads the store room (SQLite) only then.
 */
import { existsSync, fstatSync } from 'node:fs'
import { resolve } from 'node:path'
import { DB_ENV } from '../defaults.ts'
import { type CommandIO, usageError } from '../install/command-io.ts'
import type { SessionState } from '../sessions/index.ts'
// The default path only (no SQLite): the store room itself is loaded by store-source.ts when it is used.
import { defaultStorePath } from '../store/paths.ts'
import { followLogs } from './follow.ts'
import type { OutputFormat } from './format.ts'
import { FileCursor, logFiles, streamLines } from './log-files.ts'
import { EventRenderer, Output, untilStopped, writeSessions } from './output.ts'
import { eventName, type HookEvent, type LogRecord, parseLine, text } from './records.ts'
import { keepSessions, SessionReplay } from './sessions.ts'
import { queryStore } from './store-source.ts'

const NAME = 'observatory query'

/** What `observatory query` was asked to do (parsed by the CLI: src/cli/query.ts). */
export interface QueryOptions {
  logs: string[]
  /** `--db PATH`: read this store. */
  db: string | undefined
  events: Set<string> | undefined
  /** Exact `tool_name`, ASCII case-insensitive (as the store compares it). */
  tool: string | undefined
  session: string | undefined
  since: number | undefined
  last: number | undefined
  /** Full-text search (the store only). */
  search: string | undefined
  format: OutputFormat
  watch: boolean
  sessions: boolean
  /** With `--sessions`: only these states. */
  states: Set<SessionState> | undefined
}

/** Knobs for tests and embedding; `runQuery` uses the defaults. */
export interface QueryRunOptions {
  /** Stops `--watch` (default: SIGINT). */
  signal?: AbortSignal
  /** The current time, for `--since 10m`, `stale` and the AGO columns (default: Date.now). */
  now?: () => number
  /** While watching: the period of the logs' stat fallback (default 500 ms) or of the store's poll (250 ms). */
  pollIntervalMs?: number
}

/** ASCII letters in lower case (SQLite's NOCASE, which the store's `tool_name` column uses). */
function fold(value: string): string {
  return value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())
}

function matches(
  event: HookEvent,
  time: number,
  options: QueryOptions,
  tool: string | undefined,
): boolean {
  if (options.events !== undefined && !options.events.has(eventName(event))) return false
  if (tool !== undefined && fold(text(event, 'tool_name')) !== tool) return false
  if (options.session !== undefined && !text(event, 'session_id').startsWith(options.session)) {
    return false
  }
  if (options.since !== undefined && !(time >= options.since)) return false
  return true
}

/**
 * Whether stdin holds input to read: a pipe or a regular file (`… | observatory query`, `< hooks.log`). A
 * terminal, /dev/null, a socket or a closed stdin do not. A stream without a file descriptor (handed in by a
 * program or a test) is read.
 */
function stdinHasInput(stdin: CommandIO['stdin']): boolean {
  if (stdin.isTTY === true) return false
  const fd = (stdin as { fd?: unknown }).fd
  if (typeof fd !== 'number') return true
  try {
    const info = fstatSync(fd)
    return info.isFIFO() || info.isFile()
  } catch {
    return false
  }
}

type Source = { kind: 'logs' } | { kind: 'stdin' } | { kind: 'store'; path: string }

/** Where the events come from (see the top of this file). */
function chooseSource(options: QueryOptions, io: CommandIO): Source {
  if (options.logs.length > 0) return { kind: 'logs' }
  if (options.db !== undefined) {
    const path = resolve(io.cwd, options.db)
    if (!existsSync(path)) {
      throw usageError(`no store at ${path} (--db); check the path, or give --log FILE`)
    }
    return { kind: 'store', path }
  }
  if (stdinHasInput(io.stdin)) return { kind: 'stdin' }
  const fromEnv = io.env[DB_ENV] ?? ''
  const path = fromEnv !== '' ? resolve(io.cwd, fromEnv) : defaultStorePath(io.env, io.homedir)
  if (!existsSync(path)) {
    const where = fromEnv !== '' ? `$${DB_ENV}` : `the default; $${DB_ENV} is not set`
    throw usageError(
      `nothing piped in and no store at ${path} (${where}); give --log FILE, --db PATH, or pipe a log in (… | observatory query)`,
    )
  }
  return { kind: 'store', path }
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

async function query(options: QueryOptions, io: CommandIO, run: QueryRunOptions): Promise<number> {
  const now = run.now ?? Date.now
  const source = chooseSource(options, io)
  const skipped = { count: 0 }
  try {
    if (source.kind === 'store') return await queryStore(source.path, options, io, run, skipped)
    if (options.search !== undefined) {
      throw usageError(
        '--search needs the store (full-text search); with a log, drop --search or use grep',
      )
    }
    return await queryLogs(options, io, run, now, skipped)
  } finally {
    const count = skipped.count
    if (count > 0) {
      io.stderr.write(`${NAME}: skipped ${count} unreadable line${count === 1 ? '' : 's'}\n`)
    }
  }
}

/** The query on `--log` files, or on stdin when none is given. */
async function queryLogs(
  options: QueryOptions,
  io: CommandIO,
  run: QueryRunOptions,
  now: () => number,
  skipped: { count: number },
): Promise<number> {
  // Find every file before printing anything, so a missing log fails cleanly.
  const plans: Array<{ path: string; files: string[] }> = []
  for (const path of options.logs) plans.push({ path, files: await logFiles(path) })

  const following = options.watch && plans.length > 0
  const keepOpen = new Map<string, FileCursor | undefined>()
  if (following) for (const plan of plans) keepOpen.set(plan.path, undefined)
  const opened = new Set<FileCursor>()
  const output = new Output(io.stdout)
  const tool = options.tool !== undefined ? fold(options.tool) : undefined

  try {
    const sources =
      plans.length > 0
        ? plans.map((plan) => logRecords(plan.files, plan.path, keepOpen, opened))
        : [stdinRecords(io.stdin)]
    const records = mergeByTime(sources)

    if (options.sessions) {
      // Every event of a session counts towards its state; --since then keeps the sessions active since then.
      const replay = new SessionReplay(options.session)
      for await (const record of records) {
        if (record.event === undefined) skipped.count++
        else replay.add(record.event)
      }
      const at = now()
      const sessions = keepSessions(replay.summaries(at), {
        session: options.session,
        since: options.since,
        states: options.states,
        last: options.last,
      })
      await writeSessions(output, io, options.format, sessions, at)
      return 0
    }

    const renderer = new EventRenderer(io, options.format)
    await output.push(renderer.header())

    // -n: a ring of the last N matching records.
    const ring: string[] = []
    let ringNext = 0
    for await (const record of records) {
      if (record.event === undefined) {
        skipped.count++
        continue
      }
      if (!matches(record.event, record.time, options, tool)) continue
      const rendered = renderer.row(record.line, record.event)
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
      await untilStopped(run.signal, async (signal) => {
        for (const cursor of keepOpen.values()) if (cursor !== undefined) opened.delete(cursor)
        await followLogs(keepOpen, {
          signal,
          pollIntervalMs: run.pollIntervalMs,
          onLine: async (line) => {
            const record = parseLine(line)
            if (record === undefined) return
            if (record.event === undefined) {
              skipped.count++
              return
            }
            if (!matches(record.event, record.time, options, tool)) return
            await output.push(renderer.row(record.line, record.event))
            await output.flush()
          },
        })
      })
    }
    return 0
  } finally {
    for (const cursor of opened) await cursor.close()
  }
}

/**
 * `observatory query` with its options parsed: resolves to 0 when done. Throws a `UserError` for what the user
 * can act on (a log or a store that cannot be read, no source at all); the CLI prints it.
 */
export function runQueryWith(
  options: QueryOptions,
  io: CommandIO,
  run: QueryRunOptions = {},
): Promise<number> {
  return query(options, io, run)
}

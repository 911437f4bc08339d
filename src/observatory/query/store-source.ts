/**
 * `observatory query` on the store (SQLite, ../store/): the same filters and formats as on logs, with the store's
 * indexes doing the work. The store is opened read-only, so a running server may keep writing (WAL); the store
 * room (a native module) is loaded only here, when the store is used.
 *
 * - events: oldest first, up to the last id at the start; `-n N` reads the newest N (newest first, by pages) and
 *   prints them oldest first; `--session PREFIX` is matched here (the store knows whole ids only);
 * - `--watch`: then, every 250 ms, the events after the last id seen (a page of at most 1,000 at a time), until
 *   the signal aborts;
 * - `--sessions`: the summaries the server keeps (as of each session's last event), `stale` derived at `now`, with
 *   each one's `usage` from Claude Code's telemetry (cost and tokens; null without any).
 */
import { type CommandIO, errnoCode, UserError } from '../install/command-io.ts'
import { parseHookEvent, withTelemetryUsage } from '../sessions/index.ts'
import type { EventQuery, Store, StoredEvent } from '../store/index.ts'
import { EventRenderer, Output, pause, untilStopped, writeSessions } from './output.ts'
import type { QueryOptions, QueryRunOptions } from './query.ts'
import type { HookEvent } from './records.ts'
import { keepSessions, summariesAt } from './sessions.ts'

/** Events per read (the store's largest page). */
const PAGE = 1000
/** How often `--watch` asks the store for new events. */
const DEFAULT_POLL_MS = 250

/** A failure of SQLite while reading, as one line naming the file; anything else unchanged. */
function readError(error: unknown, path: string): unknown {
  if (error instanceof UserError) return error
  const code = errnoCode(error)
  if (code === undefined || !code.startsWith('SQLITE_')) return error
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new UserError(`${path} is not a valid database (${message}); use --db PATH`)
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(`${path} is locked by another process (${message}); try again`)
  }
  return new UserError(`cannot read ${path} (${code}: ${message})`)
}

/** The event filters the store applies itself. */
function storeQuery(options: QueryOptions): EventQuery {
  return {
    events: options.events !== undefined ? [...options.events] : undefined,
    tool: options.tool,
    search: options.search,
    since: options.since,
  }
}

/** Events after `after` up to `upTo` (ids), oldest first, a page at a time (no cursor is held between pages). */
function* ascending(
  store: Store,
  query: EventQuery,
  after: number,
  upTo: number,
): Generator<StoredEvent> {
  let cursor = after
  while (cursor < upTo) {
    const page = store.events({ ...query, after: cursor, limit: PAGE })
    for (const event of page.events) {
      if (event.id > upTo) return
      yield event
    }
    if (page.next === null) return
    cursor = page.next
  }
}

/** The newest `n` events up to `upTo` that `keep` accepts, oldest first. */
function newest(
  store: Store,
  query: EventQuery,
  upTo: number,
  n: number,
  keep: (event: StoredEvent) => boolean,
): StoredEvent[] {
  const found: StoredEvent[] = []
  let before = upTo + 1
  while (found.length < n) {
    const page = store.events({ ...query, before, limit: PAGE })
    for (const event of page.events) {
      if (!keep(event)) continue
      found.push(event)
      if (found.length >= n) break
    }
    if (page.next === null) break
    before = page.next
  }
  return found.reverse()
}

/**
 * Runs the query on the store at `path`. Resolves to the exit code; throws a `UserError` when the store cannot be
 * opened or read (not a database, locked, unreadable). `skipped` counts unreadable lines, for the caller's notice.
 */
export async function queryStore(
  path: string,
  options: QueryOptions,
  io: CommandIO,
  run: QueryRunOptions,
  skipped: { count: number },
): Promise<number> {
  const now = run.now ?? Date.now
  const { Store } = await import('../store/index.ts')
  let store: Store
  try {
    store = Store.open({
      path,
      readonly: true,
      log: (message) => io.stderr.write(`observatory query: ${message}\n`),
    })
  } catch (error) {
    throw readError(error, path)
  }
  const output = new Output(io.stdout)
  try {
    if (options.sessions) {
      const prefix = options.session
      const stored = store
        .sessions({ since: options.since })
        .filter((summary) => prefix === undefined || summary.session_id.startsWith(prefix))
      // With the sessions known only from Claude Code's telemetry, as the API lists them.
      const usage = new Map(
        [...store.usageBySession()].filter(([id]) => prefix === undefined || id.startsWith(prefix)),
      )
      const sessions = keepSessions(withTelemetryUsage(summariesAt(stored, now()), usage), {
        session: undefined,
        since: options.since,
        states: options.states,
        last: options.last,
      })
      await writeSessions(output, io, options.format, sessions, now())
      return 0
    }

    const query = storeQuery(options)
    const prefix = options.session
    const keep = (event: StoredEvent): boolean =>
      prefix === undefined || (event.session_id ?? '').startsWith(prefix)
    const renderer = new EventRenderer(io, options.format)
    const print = async (event: StoredEvent): Promise<void> => {
      if (!keep(event)) return
      let parsed: HookEvent = {}
      if (renderer.parses) {
        const value = parseHookEvent(event.line)
        if (value === undefined) {
          skipped.count++
          return
        }
        parsed = value
      }
      await output.push(renderer.row(event.line, parsed))
    }

    // Everything up to the last id now; what arrives meanwhile is for --watch.
    let seen = store.lastId()
    await output.push(renderer.header())
    if (options.last !== undefined) {
      if (options.last > 0) {
        for (const event of newest(store, query, seen, options.last, keep)) await print(event)
      }
    } else {
      for (const event of ascending(store, query, 0, seen)) await print(event)
    }
    await output.flush()

    if (options.watch) {
      const interval = run.pollIntervalMs ?? DEFAULT_POLL_MS
      await untilStopped(run.signal, async (signal) => {
        while (!signal.aborted) {
          await pause(interval, signal)
          if (signal.aborted) break
          const top = store.lastId()
          if (top <= seen) continue
          for (const event of ascending(store, query, seen, top)) {
            await print(event)
            if (signal.aborted) break
          }
          seen = top
          await output.flush()
        }
      })
    }
    return 0
  } catch (error) {
    throw readError(error, path)
  } finally {
    await store.close()
  }
}

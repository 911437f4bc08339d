/**
 * The embedded store: every event, the sessions' summaries and the tool calls, in one SQLite file (better-sqlite3,
 * WAL mode). The server appends to it on the hot path; the API, `observatory query` and `observatory db` read it.
 *
 * Writing
 * - `append` assigns the id at once (the largest id ever given + 1, kept in memory) and queues the row. Every row,
 *   session and tool call queued in one event-loop turn is written by ONE transaction at the end of the turn
 *   (`setImmediate`): a group commit. Each append's `committed` settles with that transaction, so "committed"
 *   means "in the WAL": a crash of the process (kill -9) loses nothing acknowledged. With `fsync`
 *   (`synchronous=FULL`) the WAL is also fsynced at each commit, so nothing acknowledged is lost on a power cut
 *   either; without it (`synchronous=NORMAL`), the last commits before a power cut may be lost, never corrupted.
 * - One writer per file: the id counter lives in memory, so two writers would hand out the same ids. `open` records
 *   the writer's pid in `meta` and refuses a second writer while that process is alive (a stale entry left by a
 *   killed process is taken over). Any number of `readonly` stores may read while the writer writes (WAL).
 * - Ids are never reused: before retention deletes events, the largest id given is kept in `meta` (`id_floor`).
 *
 * Full-text search
 * - `events_fts` is an FTS5 index over each line's text, built off the hot path: a timer (every 250 ms, and on
 *   flush/close) indexes the rows after the last indexed id, 2,000 per step with a turn yielded between steps. The
 *   last indexed id is kept in `meta` (`fts_indexed`), so a restart resumes. A search first indexes, synchronously,
 *   whatever is committed and not indexed yet: it never misses a committed event. A `readonly` store cannot write
 *   the index; it matches the writer's not-yet-indexed tail (normally under 250 ms of events) in JavaScript, with
 *   the same rules approximated (letters and digits, case and accents folded).
 * - In memory (`:memory:`, `serve --no-db`) no other process can read the database: the index is built by a
 *   search's catch-up, and by the timer only once 20,000 events wait (so no search pays for more than those).
 * - What is indexed is not the raw line but its text with JSON's escapes decoded (`\n`, `\t` → space, `\uXXXX` →
 *   the character). The server writes lines as Python's `json.dumps` does, with every non-ASCII character escaped:
 *   indexed raw, "café" would be the tokens `caf` and `u00e9`, and the word after a newline in a command would be
 *   glued to an `n`. Because that text is not a column of `events`, the index is a contentless FTS5 table
 *   (`content=''`) with `contentless_delete=1`: it stores only the index (no second copy of the lines), and rows
 *   are deleted by rowid. Search results are read from `events` by rowid.
 * - Tokenizer: `unicode61 remove_diacritics 2`, without extra `tokenchars`. Every word the user types is searched
 *   as a quoted phrase, so `mcp__github__create_issue` is the phrase "mcp github create issue" (it finds that tool
 *   and not `mcp__github__create_pull_request`), `src/store.ts` the phrase "src store ts", and a part of a name
 *   (`github`, `store.ts`) still finds it. With `_`, `/`, `.` as token characters, a name or path would be one
 *   token, found only whole or by its beginning.
 * - Search syntax: words and "quoted phrases", all of which must match; `word*` is a prefix. Nothing else is an
 *   operator (AND, OR, NOT, parentheses, `-`, `:` are words or ignored), so no input can make the query fail.
 *
 * Retention: `prune` deletes in chunks of 5,000 rows and yields a turn between chunks, so ingest waits at most one
 * chunk. A timer prunes by `retainMs` one second after open and then hourly.
 *
 * Errors a user can act on (a file that is not a database, a locked or unwritable file, a newer schema, a file in
 * use by another writer) are thrown by `open` as a one-line {@link UserError} naming the file.
 */
import { closeSync, existsSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { DEFAULT_RETAIN_MS } from '../defaults.ts'
import { UserError } from '../errors.ts'
import type { SessionSummary, SessionUsage, ToolCall, TurnUsage, Usage } from '../sessions/types.ts'
import { type Checkpointer, startCheckpointer } from './checkpointer.ts'
import {
  type MetricPointRow,
  migrateTelemetryTables,
  parsed,
  prepareTelemetry,
  type SpanRow,
  type StoredMetricPoint,
  type StoredSpan,
  type StoredTelemetryEvent,
  type TelemetryCounts,
  type TelemetryEventRow,
  type TelemetryStatements,
  writeTelemetry,
} from './telemetry.ts'
import type {
  Appended,
  EventFields,
  EventPage,
  EventQuery,
  SessionQuery,
  StoredEvent,
  StoreInfo,
  StoreReader,
  StoreWriter,
  ToolStats,
} from './types.ts'
import {
  type ApiLatency,
  type DayUsage,
  type DayWindow,
  dayOf,
  type ModelUsage,
  nearestRank,
  noUsage,
  percentiles,
  sumsOf,
  USAGE_SUMS_SQL,
  type UsageSums,
  type UsageWindow,
} from './usage.ts'

export interface StoreOptions {
  /** The database file, or ':memory:'. */
  path: string
  /** Events older than this are pruned (hourly). Default 30 days; 0 keeps everything. */
  retainMs?: number
  /** `synchronous=FULL`: each commit is fsynced (survives a power cut). Default NORMAL (survives a crash). */
  fsync?: boolean
  /** Read only (for `observatory query` while a server writes): no writes, no timers, no writer check. */
  readonly?: boolean
  /** Where the store reports what it did on its own (pruning, upgrades, failed background steps). Default stderr. */
  log?: (message: string) => void
  /** How long to wait for another connection's lock before giving up. Default 5,000 ms. */
  busyTimeoutMs?: number
}

/** Counters, for tests and `/stats`. */
export interface StoreStats {
  /** Group commits that succeeded. */
  commits: number
  /** Events written by group commits. */
  events: number
  /** Group commits that failed (their appends were rejected). */
  failures: number
  /** The largest id in the full-text index. */
  indexed: number
  /** Events deleted by retention. */
  pruned: number
  /** Chunks (transactions) those deletions took. */
  pruneChunks: number
}

type Value = string | number | null
type DB = Database.Database

/** The schema this program writes: the number of migrations. */
export const SCHEMA_VERSION = 6

/**
 * Migration n takes the schema from version n to n + 1 (`PRAGMA user_version`). Each runs in its own immediate
 * transaction together with the version bump. Append only: never edit a migration that has shipped.
 */
export const MIGRATIONS: readonly ((db: DB) => void)[] = [
  // v1: the tables and the indexes the API's filters need.
  (db) => {
    db.exec(`
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        event TEXT NOT NULL,
        session_id TEXT,
        tool_name TEXT COLLATE NOCASE,
        tool_use_id TEXT,
        agent_id TEXT,
        line TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events(ts);
      CREATE INDEX events_session ON events(session_id, id);
      CREATE INDEX events_tool ON events(tool_name, id);
      CREATE INDEX events_event ON events(event, id);
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        last_event_time INTEGER,
        state TEXT,
        cwd TEXT,
        summary TEXT NOT NULL
      );
      CREATE TABLE tool_calls (
        session_id TEXT NOT NULL,
        tool_use_id TEXT NOT NULL,
        tool_name TEXT COLLATE NOCASE,
        started INTEGER,
        ended INTEGER,
        duration_ms INTEGER,
        outcome TEXT,
        call TEXT NOT NULL,
        PRIMARY KEY (session_id, tool_use_id)
      );
      CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
    `)
  },
  // v2: full-text search (indexed from the first row by the background step), and the indexes retention and the
  // session list use.
  (db) => {
    db.exec(`
      CREATE VIRTUAL TABLE events_fts USING fts5(
        line, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
      );
      CREATE INDEX tool_calls_ended ON tool_calls(ended);
      CREATE INDEX sessions_last_event ON sessions(last_event_time);
      INSERT INTO meta(key, value) VALUES ('fts_indexed', 0)
        ON CONFLICT(key) DO UPDATE SET value = excluded.value;
    `)
  },
  // v3: the policy's and the page's decisions on PreToolUse and PermissionRequest (the audit log has them too).
  (db) => {
    db.exec(`
      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        session_id TEXT,
        tool_use_id TEXT,
        tool_name TEXT,
        event TEXT NOT NULL,
        decided_by TEXT NOT NULL,
        action TEXT NOT NULL,
        mode TEXT NOT NULL,
        reason TEXT NOT NULL,
        latency_ms REAL,
        event_id INTEGER
      );
      CREATE INDEX decisions_session ON decisions(session_id, id);
      CREATE INDEX decisions_ts ON decisions(ts);
    `)
  },
  // v4: /api/tools reads its window from two covering indexes (finished calls by when they ended, running ones by
  // when they started) instead of scanning every call's row with its JSON: 750 ms → a few ms over 370,000 calls.
  // The first replaces tool_calls_ended (same leading column, which retention also uses).
  (db) => {
    db.exec(`
      CREATE INDEX tool_calls_window ON tool_calls(ended, tool_name, outcome, duration_ms);
      CREATE INDEX tool_calls_open ON tool_calls(started, tool_name, outcome, duration_ms) WHERE ended IS NULL;
      DROP INDEX IF EXISTS tool_calls_ended;
    `)
  },
  // v5: Claude Code's own telemetry (OTLP log events `claude_code.api_request`): one row per API request, joined
  // with the hook sessions by `session_id` and with their turns by `prompt_id`.
  (db) => {
    db.exec(`
      CREATE TABLE api_requests (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        session_id TEXT NOT NULL,
        prompt_id TEXT,
        model TEXT,
        cost_usd REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL,
        duration_ms REAL
      );
      CREATE INDEX api_requests_session ON api_requests(session_id, prompt_id);
      CREATE INDEX api_requests_ts ON api_requests(ts);
    `)
  },
  // v6: the rest of Claude Code's telemetry: every other log event (`tool_result`…, joined with the tool calls by
  // `tool_use_id`), metric data points and spans (telemetry.ts).
  migrateTelemetryTables,
]

/** One API request from Claude Code's telemetry (`api_requests` table). */
export interface ApiRequestRow {
  /** Epoch ms of the log record (its `timeUnixNano`, else when it was received). */
  ts: number
  session_id: string
  /** The turn (`prompt.id`), or null. */
  prompt_id: string | null
  model: string | null
  cost_usd: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  duration_ms: number | null
}

/** One decision as the store keeps it (`decisions` table; `id` is the store's). */
export interface DecisionRow {
  /** Epoch ms of the decision. */
  ts: number
  session_id: string | null
  /** The call: PreToolUse's own, or the call the session model linked a PermissionRequest to. */
  tool_use_id: string | null
  tool_name: string | null
  /** `PreToolUse` or `PermissionRequest`. */
  event: string
  /** A rule's name, `person`, `person (session)`, `timeout`, `withdrawn`… */
  decided_by: string
  /** allow | deny | ask | defer, or `none` (no decision sent). */
  action: string
  /** enforce | shadow. */
  mode: string
  reason: string
  latency_ms: number | null
  /** The store id of the hook event. */
  event_id: number | null
}

/** A stored decision. */
export interface StoredDecision extends DecisionRow {
  id: number
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000
const INDEX_INTERVAL_MS = 250
const INDEX_BATCH = 2000
/**
 * In memory, the timer indexes only once this many committed events wait (a search catches up the rest): a
 * search then never indexes more than about this many (~0.2 s at ~9.5 µs each).
 */
const MEMORY_INDEX_BACKLOG = 20_000
const PRUNE_CHUNK = 5000
const PRUNE_FIRST_MS = 1000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const IMPORT_BATCH = 10_000
/** Rows per query while streaming a session's events. */
const SESSION_PAGE = 1000
/** Values per queued event in `Batch.rows`: id, ts, event, session_id, tool_name, tool_use_id, agent_id, line. */
const STRIDE = 8

const EVENT_COLUMNS =
  'e.id, e.ts, e.event, e.session_id, e.tool_name, e.tool_use_id, e.agent_id, e.line'

/** Files open for writing by a Store of this process (the pid check cannot tell two of them apart). */
const writers = new Set<string>()

/** What one event-loop turn queued: one transaction, one promise for all its appends. */
interface Batch {
  /** Flat, `STRIDE` values per event: no object per event. */
  rows: Value[]
  sessions: Map<string, SessionSummary>
  calls: Map<string, ToolCall>
  decisions: DecisionRow[]
  apiRequests: ApiRequestRow[]
  telemetryEvents: TelemetryEventRow[]
  metricPoints: MetricPointRow[]
  spans: SpanRow[]
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

export interface SearchTerm {
  text: string
  prefix: boolean
}

export class Store implements StoreWriter, StoreReader {
  readonly path: string
  readonly readonly: boolean
  readonly #db: DB
  readonly #log: (message: string) => void
  readonly #busyTimeoutMs: number
  readonly #writerKey: string | undefined
  /** The next id to hand out. */
  #nextId: number
  /** The largest id committed. */
  #lastCommitted: number
  /** The largest id in the full-text index (writer; a reader reads `meta`). */
  #indexed: number
  /**
   * In memory: the full-text index is built by a search, and by the timer only past a backlog (never by `flush` or
   * at close). No other process reads an in-memory database, so nothing needs the index current between searches.
   */
  readonly #indexOnSearch: boolean
  #batch: Batch | undefined
  #immediate: NodeJS.Immediate | undefined
  readonly #timers: NodeJS.Timeout[] = []
  #indexing = false
  #lastIndexError = ''
  #pruning: Promise<number> | undefined
  #closed = false
  #closing: Promise<void> | undefined
  #checkpointer: Checkpointer | undefined
  readonly #stats: StoreStats = {
    commits: 0,
    events: 0,
    failures: 0,
    indexed: 0,
    pruned: 0,
    pruneChunks: 0,
  }
  readonly #cache = new Map<string, Database.Statement<Value[]>>()
  readonly #s: ReturnType<typeof prepareStatements>
  readonly #t: TelemetryStatements
  readonly #writeBatch: (batch: Batch) => void
  readonly #indexRows: (rows: { id: number; line: string }[]) => void
  readonly #importRows: (
    lines: string[],
    fields: EventFields[],
    result: { imported: number; duplicates: number },
  ) => void

  /** Open (creating, upgrading) the store at `options.path`. Throws a {@link UserError} the user can act on. */
  static open(options: StoreOptions): Store {
    const path = options.path
    const memory = path === ':memory:'
    const readonly = options.readonly === true && !memory
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS
    const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`))
    if (readonly && !existsSync(path)) {
      throw new UserError(`no store at ${path} yet (the server creates it); use --db PATH`)
    }
    if (!memory && !readonly) createFile(path)
    const writerKey = memory || readonly ? undefined : realpathSync(path)
    if (writerKey !== undefined && writers.has(writerKey)) {
      throw new UserError(`${path} is already open for writing in this process`)
    }
    let db: DB | undefined
    try {
      db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs })
      if (readonly) checkReadable(db, path)
      else setUp(db, path, options.fsync === true, log)
      const store = new Store(db, options, { readonly, log, busyTimeoutMs, writerKey })
      if (writerKey !== undefined) writers.add(writerKey)
      // A file written to: its WAL checkpoints move to a thread of their own (checkpointer.ts).
      if (!readonly && !memory) {
        const opened = db
        opened.pragma('wal_autocheckpoint = 0')
        store.#checkpointer = startCheckpointer(path, busyTimeoutMs, (reason) => {
          log(`Store ${path}: checkpoints back on the main thread (${reason})`)
          if (opened.open) opened.pragma('wal_autocheckpoint = 1000')
        })
      }
      return store
    } catch (error) {
      try {
        db?.close()
      } catch {
        // The error that got us here is the one to report.
      }
      throw storeError(error, path, busyTimeoutMs)
    }
  }

  private constructor(
    db: DB,
    options: StoreOptions,
    how: {
      readonly: boolean
      log: (message: string) => void
      busyTimeoutMs: number
      writerKey: string | undefined
    },
  ) {
    this.#db = db
    this.path = options.path
    this.readonly = how.readonly
    this.#log = how.log
    this.#busyTimeoutMs = how.busyTimeoutMs
    this.#writerKey = how.writerKey
    this.#indexOnSearch = options.path === ':memory:'
    const s = prepareStatements(db)
    this.#s = s
    const t = prepareTelemetry(db)
    this.#t = t
    const maxId = s.maxId.get() ?? 0
    const floor = Number(s.getMeta.get('id_floor') ?? 0)
    this.#nextId = Math.max(maxId, floor) + 1
    this.#lastCommitted = maxId
    this.#indexed = Number(s.getMeta.get('fts_indexed') ?? 0)
    this.#stats.indexed = this.#indexed

    this.#writeBatch = db.transaction((batch: Batch) => {
      const rows = batch.rows
      const insert = s.insert
      for (let i = 0; i < rows.length; i += STRIDE) {
        insert.run(
          rows[i],
          rows[i + 1],
          rows[i + 2],
          rows[i + 3],
          rows[i + 4],
          rows[i + 5],
          rows[i + 6],
          rows[i + 7],
        )
      }
      for (const summary of batch.sessions.values()) {
        s.upsertSession.run(
          summary.session_id,
          summary.last_event_time,
          summary.state,
          summary.cwd,
          JSON.stringify(summary),
        )
      }
      for (const call of batch.calls.values()) {
        s.upsertCall.run(
          call.session_id,
          call.tool_use_id,
          call.tool_name,
          call.started,
          call.ended,
          call.duration_ms,
          call.outcome,
          JSON.stringify(call),
        )
      }
      for (const d of batch.decisions) {
        s.insertDecision.run(
          d.ts,
          d.session_id,
          d.tool_use_id,
          d.tool_name,
          d.event,
          d.decided_by,
          d.action,
          d.mode,
          d.reason,
          d.latency_ms,
          d.event_id,
        )
      }
      for (const r of batch.apiRequests) {
        s.insertApiRequest.run(
          r.ts,
          r.session_id,
          r.prompt_id,
          r.model,
          r.cost_usd,
          r.input_tokens,
          r.output_tokens,
          r.cache_read_tokens,
          r.cache_creation_tokens,
          r.duration_ms,
        )
      }
      writeTelemetry(t, batch)
    }).immediate

    this.#indexRows = db.transaction((rows: { id: number; line: string }[]) => {
      for (const row of rows) s.ftsInsert.run(row.id, searchText(row.line))
      s.setMeta.run('fts_indexed', rows[rows.length - 1]!.id)
    }).immediate

    this.#importRows = db.transaction(
      (
        lines: string[],
        fields: EventFields[],
        result: { imported: number; duplicates: number },
      ) => {
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!
          const f = fields[i]!
          // `_ts` on a line is to the second, the server's ts to the millisecond: the same line stored by the
          // server has its ts somewhere in the second the line names.
          const second = Math.floor(f.ts / 1000) * 1000
          if (s.duplicate.get(second, second + 1000, line) !== undefined) {
            result.duplicates++
            continue
          }
          s.insert.run(
            this.#nextId++,
            f.ts,
            f.event,
            f.session_id,
            f.tool_name,
            f.tool_use_id,
            f.agent_id,
            line,
          )
          result.imported++
        }
      },
    ).immediate

    if (!this.readonly) {
      // why: in memory the timer's indexing cost ~9-11 µs CPU per event, searched or not (measured, interleaved
      // medians: 35.5 → 24.2 µs/event at one event per turn, 25.4 → 16.8 at 16); a search catches up first. The
      // timer still runs there, and indexes only a backlog past MEMORY_INDEX_BACKLOG: a first search after a
      // million events would otherwise block for ~10 s (~9.5 µs per event indexed).
      this.#timers.push(setInterval(this.#indexTick, INDEX_INTERVAL_MS).unref())
      const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS
      if (retainMs > 0) {
        const prune = (): void => this.#pruneTick(retainMs)
        this.#timers.push(setTimeout(prune, PRUNE_FIRST_MS).unref())
        this.#timers.push(setInterval(prune, PRUNE_EVERY_MS).unref())
      }
    }
  }

  /** A copy of the counters. */
  get stats(): StoreStats {
    return { ...this.#stats }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Writing

  /**
   * Queue one event. Its id is returned at once; `committed` resolves once the group commit of this turn is in the
   * database, and rejects if that transaction failed (with a {@link UserError} for a full disk or a lock).
   */
  append(line: string, fields: EventFields): Appended {
    this.#writable()
    const batch = this.#batch ?? this.#newBatch()
    const id = this.#nextId++
    const text = line.charCodeAt(line.length - 1) === 0x0a ? line.slice(0, -1) : line
    batch.rows.push(
      id,
      fields.ts,
      fields.event,
      fields.session_id,
      fields.tool_name,
      fields.tool_use_id,
      fields.agent_id,
      text,
    )
    return { id, committed: batch.promise }
  }

  /** Queue a session's summary (upsert; only the latest per session is written by the group commit). */
  putSession(summary: SessionSummary): void {
    this.#writable()
    ;(this.#batch ?? this.#newBatch()).sessions.set(summary.session_id, summary)
  }

  /** Queue a tool call (upsert by session and `tool_use_id`; only the latest is written). */
  putToolCall(call: ToolCall): void {
    this.#writable()
    ;(this.#batch ?? this.#newBatch()).calls.set(
      `${call.session_id}\u0000${call.tool_use_id}`,
      call,
    )
  }

  /** Queue a decision (written by the next group commit, with the events of that turn). */
  putDecision(decision: DecisionRow): Promise<void> {
    this.#writable()
    const batch = this.#batch ?? this.#newBatch()
    batch.decisions.push(decision)
    return batch.promise
  }

  /** Queue API requests from Claude Code's telemetry (written by the next group commit). */
  putApiRequests(rows: readonly ApiRequestRow[]): Promise<void> {
    this.#writable()
    const batch = this.#batch ?? this.#newBatch()
    for (const row of rows) batch.apiRequests.push(row)
    return batch.promise
  }

  /**
   * Queue Claude Code's other telemetry (log events, metric data points, spans), written by the next group
   * commit; spans are upserted by trace and span id.
   */
  putTelemetry(rows: {
    events?: readonly TelemetryEventRow[]
    metricPoints?: readonly MetricPointRow[]
    spans?: readonly SpanRow[]
  }): Promise<void> {
    this.#writable()
    const batch = this.#batch ?? this.#newBatch()
    for (const row of rows.events ?? []) batch.telemetryEvents.push(row)
    for (const row of rows.metricPoints ?? []) batch.metricPoints.push(row)
    for (const row of rows.spans ?? []) batch.spans.push(row)
    return batch.promise
  }

  /** Commit what is queued now, and bring the full-text index up to date (in memory: left to the next search). */
  flush(): Promise<void> {
    if (this.#closed) return this.#closing ?? Promise.resolve()
    const batch = this.#batch
    this.#commit()
    // why: the API flushes before its timeline and usage reads; in memory that would index per request (see above).
    if (!this.readonly && !this.#indexOnSearch) this.#indexTick()
    return batch?.promise ?? Promise.resolve()
  }

  /** Flush, finish indexing (not in memory), stop the timers and close the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    if (this.#pruning !== undefined) await this.#pruning.catch(() => 0)
    this.#commit()
    if (!this.readonly) {
      try {
        // why: an in-memory database is discarded by the close below; indexing it first is pure waste.
        if (!this.#indexOnSearch) this.#catchUpIndex()
      } catch (error) {
        this.#log(`Store ${this.path}: indexing before close failed: ${messageOf(error)}`)
      }
      try {
        this.#s.releaseWriter.run(writerIdentity())
        this.#db.pragma('optimize')
      } catch {
        // Best effort: a stale writer entry is taken over at the next open.
      }
    }
    if (this.#checkpointer !== undefined) {
      await this.#checkpointer.stop()
      try {
        this.#db.pragma('wal_checkpoint(TRUNCATE)')
      } catch {
        // Best effort: SQLite checkpoints the WAL when it next opens the file.
      }
    }
    this.#db.close()
    if (this.#writerKey !== undefined) writers.delete(this.#writerKey)
  }

  #writable(): void {
    if (this.#closed) throw new Error(`store ${this.path} is closed`)
    if (this.readonly) throw new Error(`store ${this.path} is open read-only`)
  }

  #newBatch(): Batch {
    let resolve!: () => void
    let reject!: (error: unknown) => void
    const promise = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    // why: one promise is shared by every append of the turn; a caller that ignores its `committed` must not turn
    // a failed commit into an unhandled rejection (which ends the process). Callers that await it still see it.
    promise.catch(() => {})
    const batch: Batch = {
      rows: [],
      sessions: new Map(),
      calls: new Map(),
      decisions: [],
      apiRequests: [],
      telemetryEvents: [],
      metricPoints: [],
      spans: [],
      promise,
      resolve,
      reject,
    }
    this.#batch = batch
    this.#immediate = setImmediate(this.#commitNow)
    return batch
  }

  readonly #commitNow = (): void => {
    this.#immediate = undefined
    this.#commit()
  }

  /** The group commit: everything queued, one transaction. */
  #commit(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate)
      this.#immediate = undefined
    }
    const batch = this.#batch
    if (batch === undefined) return
    this.#batch = undefined
    const rows = batch.rows
    try {
      this.#writeBatch(batch)
    } catch (error) {
      this.#stats.failures++
      const reported = storeError(error, this.path, this.#busyTimeoutMs)
      this.#log(
        `Store ${this.path}: a commit of ${rows.length / STRIDE} events failed: ${messageOf(reported)}`,
      )
      batch.reject(reported)
      return
    }
    this.#stats.commits++
    this.#stats.events += rows.length / STRIDE
    if (rows.length > 0) this.#lastCommitted = rows[rows.length - STRIDE] as number
    batch.resolve()
  }

  // ---------------------------------------------------------------------------------------------------------
  // Full-text index

  /** The background step: index the unindexed rows, a batch per turn, until caught up. */
  readonly #indexTick = (): void => {
    if (this.#indexing || this.#closed || this.#indexed >= this.#lastCommitted) return
    if (this.#indexOnSearch && this.#lastCommitted - this.#indexed < MEMORY_INDEX_BACKLOG) return
    this.#indexing = true
    const step = (): void => {
      let more = false
      if (!this.#closed) {
        try {
          more = this.#indexStep(INDEX_BATCH) === INDEX_BATCH
          this.#lastIndexError = ''
        } catch (error) {
          const message = messageOf(storeError(error, this.path, this.#busyTimeoutMs))
          // Retried at the next tick; said once, not four times a second.
          if (message !== this.#lastIndexError) {
            this.#log(`Store ${this.path}: full-text indexing failed: ${message}`)
          }
          this.#lastIndexError = message
        }
      }
      if (more) setImmediate(step)
      else this.#indexing = false
    }
    step()
  }

  /** Index up to `max` rows after the last indexed one; returns how many. */
  #indexStep(max: number): number {
    const rows = this.#s.unindexed.all(this.#indexed, max)
    if (rows.length === 0) return 0
    this.#indexRows(rows)
    this.#indexed = rows[rows.length - 1]!.id
    this.#stats.indexed = this.#indexed
    return rows.length
  }

  /** Index everything committed, now (before a search, and at close). */
  #catchUpIndex(): void {
    while (this.#indexed < this.#lastCommitted) {
      if (this.#indexStep(INDEX_BATCH * 5) === 0) break
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reading

  /**
   * The largest id handed out: for a writer, including events queued and not committed yet (call `flush` first to
   * read them); for a reader, the largest id in the file.
   */
  lastId(): number {
    this.#readable()
    if (!this.readonly) return this.#nextId - 1
    return Math.max(this.#s.maxId.get() ?? 0, Number(this.#s.getMeta.get('id_floor') ?? 0))
  }

  event(id: number): StoredEvent | undefined {
    this.#readable()
    return this.#s.event.get(id)
  }

  /**
   * A page of events. Newest first (by id), or oldest first when `after` is given. Filters combine with AND; `since`
   * and `until` are inclusive (`since <= ts <= until`), `before`/`after` exclusive. `next` continues in the same
   * direction: pass it as `before` (newest first) or as `after` (oldest first); null when no event is left.
   */
  events(q: EventQuery = {}): EventPage {
    this.#readable()
    const limit = clampLimit(q.limit)
    const ascending = q.after !== undefined
    const search = q.search?.trim() ?? ''
    const terms = search === '' ? undefined : searchTerms(search)
    if (terms !== undefined && terms.length === 0) return { events: [], next: null }
    // With a search, the id bounds are put on the FTS table's rowid, which FTS5 uses to seek; within one session
    // (few rows, found by its index) each row is tested against the index instead, so a common word's thousands
    // of matches in other sessions are never walked (350 ms → 15 ms over a million events).
    const bySession = terms !== undefined && q.session !== undefined && !this.readonly
    const idColumn = terms === undefined || bySession ? 'e.id' : 'events_fts.rowid'
    const where: string[] = []
    const params: Value[] = []
    if (q.session !== undefined) {
      where.push('e.session_id = ?')
      params.push(q.session)
    }
    if (q.events !== undefined && q.events.length > 0) {
      where.push('e.event IN (SELECT value FROM json_each(?))')
      params.push(JSON.stringify(q.events))
    }
    if (q.tool !== undefined) {
      where.push('e.tool_name = ?') // the column's collation: case-insensitive
      params.push(q.tool)
    }
    if (q.since !== undefined) {
      where.push('e.ts >= ?')
      params.push(q.since)
    }
    if (q.until !== undefined) {
      where.push('e.ts <= ?')
      params.push(q.until)
    }
    if (q.before !== undefined) {
      where.push(`${idColumn} < ?`)
      params.push(q.before)
    }
    if (q.after !== undefined) {
      where.push(`${idColumn} > ?`)
      params.push(q.after)
    }
    const order = ascending ? 'ASC' : 'DESC'
    let rows: StoredEvent[]
    if (bySession && terms !== undefined) {
      this.#catchUpIndex()
      rows = this.#all(
        `SELECT ${EVENT_COLUMNS} FROM events e${whereClause(where)}` +
          ` AND EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH ? AND events_fts.rowid = e.id)` +
          ` ORDER BY e.id ${order} LIMIT ?`,
        [...params, ftsQuery(terms), limit + 1],
      )
    } else if (terms === undefined) {
      rows = this.#all(
        `SELECT ${EVENT_COLUMNS} FROM events e${whereClause(where)} ORDER BY e.id ${order} LIMIT ?`,
        [...params, limit + 1],
      )
    } else {
      const fts = ftsQuery(terms)
      const ftsSql = (extra: string[]): string =>
        `SELECT ${EVENT_COLUMNS} FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid` +
        ` WHERE events_fts MATCH ?${where
          .concat(extra)
          .map((w) => ` AND ${w}`)
          .join('')}` +
        ` ORDER BY events_fts.rowid ${order} LIMIT ?`
      if (!this.readonly) {
        this.#catchUpIndex()
        rows = this.#all(ftsSql([]), [fts, ...params, limit + 1])
      } else {
        rows = this.#searchAsReader(terms, fts, ftsSql, where, params, ascending, limit + 1)
      }
    }
    let next: number | null = null
    if (rows.length > limit) {
      rows.length = limit
      next = rows[limit - 1]!.id
    }
    return { events: rows, next }
  }

  /** A reader's search: the index up to the writer's last indexed id, the tail after it matched here. */
  #searchAsReader(
    terms: SearchTerm[],
    fts: string,
    ftsSql: (extra: string[]) => string,
    where: string[],
    params: Value[],
    ascending: boolean,
    want: number,
  ): StoredEvent[] {
    const indexed = Number(this.#s.getMeta.get('fts_indexed') ?? 0)
    const indexedRows = this.#all(ftsSql(['events_fts.rowid <= ?']), [
      fts,
      ...params,
      indexed,
      want,
    ])
    const matches = lineMatcher(terms)
    const tail: StoredEvent[] = []
    const tailSql = `SELECT ${EVENT_COLUMNS} FROM events e${whereClause(where.map((w) => w.replace('events_fts.rowid', 'e.id')).concat('e.id > ?'))} ORDER BY e.id ${ascending ? 'ASC' : 'DESC'}`
    for (const row of this.#statement(tailSql).iterate(
      ...params,
      indexed,
    ) as IterableIterator<StoredEvent>) {
      if (!matches(row.line)) continue
      tail.push(row)
      if (tail.length >= want) break
    }
    // Every tail id is above every indexed id.
    const rows = ascending ? indexedRows.concat(tail) : tail.concat(indexedRows)
    return rows.slice(0, want)
  }

  /**
   * A session's events, oldest first, streamed: read a page of 1,000 at a time, so the caller may await between
   * events (an open SQLite cursor would block the group commit meanwhile: better-sqlite3 allows no other statement
   * on a connection while an `.iterate()` is open).
   */
  *sessionEvents(sessionId: string): Generator<StoredEvent, void, undefined> {
    let after = Number.MIN_SAFE_INTEGER
    for (;;) {
      this.#readable()
      const page = this.#s.sessionPage.all(sessionId, after, SESSION_PAGE)
      yield* page
      if (page.length < SESSION_PAGE) return
      after = page[page.length - 1]!.id
    }
  }

  /**
   * Sessions, most recent event first. `states` filters on the state as stored (the caller derives `stale` at read
   * time and filters again; an empty list is no filter); `project` is a substring (ASCII case-insensitive) of `cwd` or of the project name;
   * `since` keeps sessions with an event at or after it; no `limit`: all.
   */
  sessions(q: SessionQuery = {}): SessionSummary[] {
    this.#readable()
    const where: string[] = []
    const params: Value[] = []
    if (q.states !== undefined && q.states.length > 0) {
      where.push('state IN (SELECT value FROM json_each(?))')
      params.push(JSON.stringify(q.states))
    }
    if (q.project !== undefined && q.project !== '') {
      const pattern = `%${escapeLike(q.project)}%`
      where.push(
        "(cwd LIKE ? ESCAPE '\\' OR json_extract(summary, '$.project') LIKE ? ESCAPE '\\')",
      )
      params.push(pattern, pattern)
    }
    if (q.since !== undefined) {
      where.push('last_event_time >= ?')
      params.push(q.since)
    }
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit))
    const sql = `SELECT summary FROM sessions${whereClause(where)} ORDER BY last_event_time DESC, session_id LIMIT ?`
    return this.#statement(sql)
      .pluck()
      .all(...params, limit)
      .map((summary) => JSON.parse(summary as string) as SessionSummary)
  }

  session(id: string): SessionSummary | undefined {
    this.#readable()
    const summary = this.#s.session.get(id)
    return summary === undefined ? undefined : (JSON.parse(summary) as SessionSummary)
  }

  /**
   * Events counted per `step` milliseconds from `since` (inclusive) to `until` (exclusive), with the tool calls
   * (PreToolUse) and failures (PostToolUseFailure) among them: one `GROUP BY` over the `ts` index. Buckets with
   * no event are absent; `bucket` is the step's index from `since`.
   */
  timeline(
    since: number,
    until: number,
    step: number,
  ): { bucket: number; events: number; tool_calls: number; failures: number }[] {
    this.#readable()
    return this.#statement(
      // better-sqlite3 binds numbers as REAL: the division is made whole here.
      `SELECT CAST((ts - ?) / ? AS INTEGER) AS bucket, count(*) AS events,
         sum(event = 'PreToolUse') AS tool_calls, sum(event = 'PostToolUseFailure') AS failures
       FROM events WHERE ts >= ? AND ts < ? GROUP BY bucket`,
    ).all(since, step, since, until) as {
      bucket: number
      events: number
      tool_calls: number
      failures: number
    }[]
  }

  /** A session's decisions, oldest first. */
  decisions(sessionId: string): StoredDecision[] {
    this.#readable()
    return this.#s.sessionDecisions.all(sessionId)
  }

  /**
   * A session's usage from Claude Code's telemetry: the total and one entry per turn (`prompt_id`; null for
   * requests without one), in the order of their first request. `total` is null when the session has none.
   */
  usage(sessionId: string): { total: Usage | null; turns: TurnUsage[] } {
    this.#readable()
    const rows = this.#s.usageByTurn.all(sessionId)
    const turns = rows.map((row) => ({ prompt_id: row.prompt_id, ...usageOf(row) }))
    return { total: sumUsage(turns), turns }
  }

  /** Every session's usage total, by session id (sessions without telemetry are absent). */
  usageBySession(): Map<string, SessionUsage> {
    this.#readable()
    const result = new Map<string, SessionUsage>()
    for (const row of this.#s.usageBySession.all()) {
      result.set(row.session_id, { ...usageOf(row), first_ts: row.first_ts, last_ts: row.last_ts })
    }
    return result
  }

  /**
   * Usage per calendar day of the window (`since` inclusive, `until` exclusive), a day starting at midnight
   * `tzOffsetMinutes` from UTC; oldest first, days without a request absent. One `GROUP BY` over `api_requests_ts`.
   */
  usageByDay(window: DayWindow): DayUsage[] {
    this.#readable()
    return this.#s.usageByDay
      .all({ since: window.since, until: window.until, offset: window.tzOffsetMinutes * 60_000 })
      .map((row) => ({ day: dayOf(row.day * 86_400_000, 0), ...sumsOf(row) }))
  }

  /**
   * Usage per model over the window, with the nearest-rank p50/p95 of the requests' `duration_ms` (read in one
   * pass, in model order, and sorted per model: see usage.ts); most expensive first, then most requests.
   */
  usageByModel(window: UsageWindow): ModelUsage[] {
    this.#readable()
    // Both in model order (no write can come between two synchronous reads): each model's durations are the
    // next `timed` of the list.
    const rows = this.#s.usageByModel.all(window)
    const durations = Float64Array.from(this.#s.durationsByModel.pluck().all(window))
    let offset = 0
    return rows
      .map((row) => {
        const p = percentiles(durations.subarray(offset, offset + row.timed))
        offset += row.timed
        return { model: row.model, ...sumsOf(row), p50_ms: p.p50, p95_ms: p.p95 }
      })
      .sort(
        (a, b) =>
          b.cost_usd - a.cost_usd ||
          b.api_requests - a.api_requests ||
          String(a.model).localeCompare(String(b.model)),
      )
  }

  /** API requests over the window and the nearest-rank p50/p95/p99 and maximum of their `duration_ms`. */
  apiLatency(window: UsageWindow): ApiLatency {
    this.#readable()
    const p = percentiles(Float64Array.from(this.#s.durations.pluck().all(window)))
    return {
      api_requests: this.#s.usageIn.get(window)?.api_requests ?? 0,
      timed_requests: p.timed,
      p50_ms: p.p50,
      p95_ms: p.p95,
      p99_ms: p.p99,
      max_ms: p.max,
    }
  }

  /** The usage summed over the window. */
  usageTotal(window: UsageWindow): UsageSums {
    this.#readable()
    return sumsOf(this.#s.usageIn.get(window) ?? noUsage())
  }

  /**
   * A session's telemetry events (not `api_request`s), oldest first: up to `limit` (default 100, at most 1,000)
   * after the id `after`; `next` is the last id when more may follow, else null.
   */
  telemetryEvents(
    sessionId: string,
    page: { after?: number; limit?: number } = {},
  ): { events: StoredTelemetryEvent[]; next: number | null } {
    this.#readable()
    const limit = clampLimit(page.limit)
    const rows = this.#t.sessionEvents.all(sessionId, page.after ?? -1, limit + 1).map(parsed)
    let next: number | null = null
    if (rows.length > limit) {
      rows.length = limit
      next = rows[limit - 1]!.id
    }
    return { events: rows, next }
  }

  /** The attributes of a session's `tool_result` events by `tool_use_id` (the last one wins). */
  toolResults(sessionId: string): Map<string, Record<string, unknown>> {
    this.#readable()
    const result = new Map<string, Record<string, unknown>>()
    for (const row of this.#t.toolResults.all(sessionId)) {
      result.set(row.tool_use_id, parsed(row).attributes)
    }
    return result
  }

  /** A session's spans by start time (at most `limit`, default 1,000). */
  spans(sessionId: string, limit = MAX_LIMIT): StoredSpan[] {
    this.#readable()
    return this.#t.sessionSpans.all(sessionId, limit).map(parsed)
  }

  /**
   * Metric data points, oldest first (at most `limit`, default 1,000): a session's (points naming its
   * `session.id`), or those of one metric from `since` on.
   */
  metricPoints(
    q: { session: string } | { name: string; since?: number },
    limit = MAX_LIMIT,
  ): StoredMetricPoint[] {
    this.#readable()
    const rows =
      'session' in q
        ? this.#t.sessionMetrics.all(q.session, limit)
        : this.#t.metricsByName.all(q.name, q.since ?? Number.MIN_SAFE_INTEGER, limit)
    return rows.map(parsed)
  }

  /** How many telemetry events, spans and metric points name a session (and its events' first and last time). */
  telemetryCounts(sessionId: string): TelemetryCounts {
    this.#readable()
    return this.#t.counts.get({ session: sessionId })!
  }

  /** A session's stored tool calls, in start order. */
  toolCalls(sessionId: string): ToolCall[] {
    this.#readable()
    return this.#s.sessionCalls.all(sessionId).map((call) => JSON.parse(call) as ToolCall)
  }

  /**
   * Per tool, the calls in the window: a finished call counts where it ended, an unfinished one where it started
   * (`since <= time <= until`, both optional). `failures`: outcome failed; `other`: denied or interrupted. p50/p95
   * are nearest-rank percentiles (the value at rank ⌈p·n⌉ of the n sorted durations) over the calls with a
   * `duration_ms` that are not running; null when there is none. Most called first.
   */
  toolStats(window: { since?: number; until?: number } = {}): ToolStats[] {
    this.#readable()
    const rows =
      window.since === undefined && window.until === undefined
        ? this.#s.allCalls.all()
        : this.#s.callsIn.all({
            since: window.since ?? Number.MIN_SAFE_INTEGER,
            until: window.until ?? Number.MAX_SAFE_INTEGER,
          })
    const byTool = new Map<string, { stats: ToolStats; durations: number[]; first: number }>()
    // The same grouping as the column's NOCASE collation: ASCII letters folded (once per distinct name).
    const keys = new Map<string, string>()
    for (const row of rows) {
      const name = row.tool_name ?? ''
      let key = keys.get(name)
      if (key === undefined) {
        key = name.replace(/[A-Z]/g, (c) => c.toLowerCase())
        keys.set(name, key)
      }
      let entry = byTool.get(key)
      if (entry === undefined) {
        entry = {
          stats: { tool_name: name, calls: 0, failures: 0, other: 0, p50_ms: null, p95_ms: null },
          durations: [],
          first: row.row,
        }
        byTool.set(key, entry)
      } else if (row.row < entry.first) {
        // Rows come in index order: the spelling shown is the one written first, whatever the order.
        entry.first = row.row
        entry.stats.tool_name = name
      }
      entry.stats.calls++
      if (row.outcome === 'failed') entry.stats.failures++
      else if (row.outcome === 'denied' || row.outcome === 'interrupted') entry.stats.other++
      if (row.duration_ms !== null && row.outcome !== 'running')
        entry.durations.push(row.duration_ms)
    }
    const result: ToolStats[] = []
    for (const { stats, durations } of byTool.values()) {
      durations.sort((a, b) => a - b)
      stats.p50_ms = rankValue(durations, 50)
      stats.p95_ms = rankValue(durations, 95)
      result.push(stats)
    }
    return result.sort(
      (a, b) =>
        b.calls - a.calls || (a.tool_name < b.tool_name ? -1 : a.tool_name > b.tool_name ? 1 : 0),
    )
  }

  /** Counts, time span and size on disk (database pages + WAL). */
  info(): StoreInfo {
    this.#readable()
    const s = this.#s
    const span = s.span.get() ?? { oldest: null, newest: null }
    const pageCount = Number(this.#db.pragma('page_count', { simple: true }))
    const pageSize = Number(this.#db.pragma('page_size', { simple: true }))
    let wal = 0
    if (this.path !== ':memory:') {
      try {
        wal = statSync(`${this.path}-wal`).size
      } catch {
        // No WAL file (closed cleanly, or never written).
      }
    }
    return {
      path: this.path,
      events: s.countEvents.get() ?? 0,
      sessions: s.countSessions.get() ?? 0,
      oldest: span.oldest,
      newest: span.newest,
      bytes: pageCount * pageSize + wal,
      schema_version: Number(this.#db.pragma('user_version', { simple: true })),
    }
  }

  #readable(): void {
    if (this.#closed) throw new Error(`store ${this.path} is closed`)
  }

  #statement(sql: string): Database.Statement<Value[]> {
    let statement = this.#cache.get(sql)
    if (statement === undefined) {
      // The filters make a bounded number of shapes; the cap is only a guard.
      if (this.#cache.size >= 256) this.#cache.clear()
      statement = this.#db.prepare<Value[]>(sql)
      this.#cache.set(sql, statement)
    }
    return statement
  }

  #all(sql: string, params: Value[]): StoredEvent[] {
    return this.#statement(sql).all(...params) as StoredEvent[]
  }

  // ---------------------------------------------------------------------------------------------------------
  // Retention

  /**
   * Delete the events with `ts < beforeMs` (and their index entries), the tool calls that ended (or, unfinished,
   * started) before it and the sessions whose last event is before it. 5,000 rows per transaction, a turn yielded
   * between them. Returns the number of events deleted. Prunes run one after another.
   */
  prune(beforeMs: number): Promise<number> {
    if (this.readonly) return Promise.reject(new Error(`store ${this.path} is open read-only`))
    const previous = this.#pruning ?? Promise.resolve(0)
    const run = previous.catch(() => 0).then(() => this.#prune(beforeMs))
    this.#pruning = run
    run
      .finally(() => {
        if (this.#pruning === run) this.#pruning = undefined
      })
      .catch(() => {})
    return run
  }

  async #prune(before: number): Promise<number> {
    if (this.#closed) return 0
    const s = this.#s
    // Ids must never be reused, even when the newest events go: keep the largest one given.
    s.raiseFloor.run(this.#nextId - 1)
    let total = 0
    const chunk = (): number => {
      const ids = s.doomedEvents.all(before, PRUNE_CHUNK)
      const indexed = this.#indexed
      for (const id of ids) {
        if (id <= indexed) s.ftsDelete.run(id)
        s.deleteEvent.run(id)
      }
      return ids.length
    }
    const pruneChunk = this.#db.transaction(chunk).immediate
    for (;;) {
      const n = pruneChunk()
      this.#stats.pruneChunks++
      this.#stats.pruned += n
      total += n
      if (n < PRUNE_CHUNK) break
      await nextTurn()
      if (this.#closed) return total
    }
    for (const statement of [
      s.pruneCalls,
      s.pruneSessions,
      s.pruneDecisions,
      s.pruneApiRequests,
      ...this.#t.prune,
    ]) {
      while (statement.run({ before, limit: PRUNE_CHUNK }).changes === PRUNE_CHUNK) {
        await nextTurn()
        if (this.#closed) return total
      }
    }
    return total
  }

  #pruneTick(retainMs: number): void {
    if (this.#closed) return
    const before = Date.now() - retainMs
    this.prune(before).then(
      (n) => {
        if (n > 0) {
          this.#log(
            `Store ${this.path}: pruned ${n} events older than ${new Date(before).toISOString()}`,
          )
        }
      },
      (error: unknown) => this.#log(`Store ${this.path}: pruning failed: ${messageOf(error)}`),
    )
  }

  // ---------------------------------------------------------------------------------------------------------
  // Import

  /**
   * Insert lines read from a log (rotated files oldest first, say), 10,000 per transaction with a turn yielded
   * between them. A line identical to a stored event with the same ts is a duplicate and skipped (importing the
   * same log twice adds nothing). "The same ts" is the same second: the line's `_ts` has whole seconds, while the
   * server stores the millisecond it received the event, so a log line and the same event recorded live by the
   * server differ there. A line `fieldsOf` rejects is counted as unreadable; blank lines are ignored.
   * Imported events keep their ts and get new ids, ascending in input order.
   */
  async importLines(
    lines: AsyncIterable<string> | Iterable<string>,
    fieldsOf: (line: string) => EventFields | undefined,
  ): Promise<{ imported: number; duplicates: number; unreadable: number }> {
    this.#writable()
    const result = { imported: 0, duplicates: 0, unreadable: 0 }
    let texts: string[] = []
    let fields: EventFields[] = []
    const write = (): void => {
      this.#writable()
      // What appends queued goes first: ids stay in commit order (a reader following `after` misses nothing).
      this.#commit()
      try {
        this.#importRows(texts, fields, result)
      } catch (error) {
        throw storeError(error, this.path, this.#busyTimeoutMs)
      }
      this.#lastCommitted = this.#nextId - 1
      texts = []
      fields = []
    }
    for await (const raw of lines) {
      let end = raw.length
      if (end > 0 && raw.charCodeAt(end - 1) === 0x0a) end--
      if (end > 0 && raw.charCodeAt(end - 1) === 0x0d) end--
      const line = end === raw.length ? raw : raw.slice(0, end)
      if (line.trim() === '') continue
      const f = fieldsOf(line)
      if (f === undefined) {
        result.unreadable++
        continue
      }
      texts.push(line)
      fields.push(f)
      if (texts.length >= IMPORT_BATCH) {
        write()
        await nextTurn()
      }
    }
    if (texts.length > 0) write()
    return result
  }
}

// -------------------------------------------------------------------------------------------------------------
// Opening

/** The parent directory (0700) and the file (0600): hook payloads hold prompts, commands and secrets. */
function createFile(path: string): void {
  const dir = dirname(resolve(path))
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new UserError(
      `cannot create the directory ${dir} for the store (${errnoText(error)}); use --db PATH`,
    )
  }
  try {
    closeSync(openSync(path, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return
    throw new UserError(`cannot create ${path} (${errnoText(error)}); use --db PATH`)
  }
}

/** Pragmas, the schema check, the migrations and the writer's entry, for a store opened for writing. */
function setUp(db: DB, path: string, fsync: boolean, log: (message: string) => void): void {
  // Reading the header first: a file that is not a database fails here (SQLITE_NOTADB).
  const version = userVersion(db)
  if (version > SCHEMA_VERSION) throw newerSchema(path, version)
  if (version === 0 && db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() !== 0) {
    throw new UserError(
      `${path} is a database of another program (it has tables but no hooks-observatory schema); use --db PATH`,
    )
  }
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${fsync ? 'FULL' : 'NORMAL'}`)
  db.pragma('cache_size = -16384') // 16 MiB: five b-trees take each insert
  db.pragma('temp_store = MEMORY')
  db.pragma('journal_size_limit = 67108864') // the WAL is cut back to 64 MiB after a checkpoint
  for (let from = version; from < SCHEMA_VERSION; from++) {
    db.transaction(() => {
      // Another process may have migrated meanwhile: the version is read again under the write lock.
      const now = userVersion(db)
      if (now > SCHEMA_VERSION) throw newerSchema(path, now)
      if (now !== from) return
      MIGRATIONS[from]!(db)
      db.pragma(`user_version = ${from + 1}`)
    }).immediate()
  }
  if (version > 0 && version < SCHEMA_VERSION) {
    log(`Store ${path}: schema upgraded from version ${version} to ${SCHEMA_VERSION}`)
  }
  db.transaction(() => {
    const entry = db.prepare("SELECT value FROM meta WHERE key = 'writer'").pluck().get()
    const other = parseWriter(entry)
    const me = writerIdentity()
    if (
      other !== undefined &&
      other.host === hostname() &&
      other.pid !== process.pid &&
      processAlive(other.pid)
    ) {
      throw new UserError(
        `${path} is in use by another observatory process (pid ${other.pid}); stop it or use --db PATH`,
      )
    }
    db.prepare(
      "INSERT INTO meta(key, value) VALUES ('writer', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(me)
  }).immediate()
}

/** A read-only store needs the current schema: it cannot migrate. */
function checkReadable(db: DB, path: string): void {
  const version = userVersion(db)
  if (version > SCHEMA_VERSION) throw newerSchema(path, version)
  if (version === 0) {
    throw new UserError(`${path} is not a hooks-observatory store (no schema); use --db PATH`)
  }
  if (version < SCHEMA_VERSION) {
    throw new UserError(
      `${path} has schema version ${version}, older than this program's ${SCHEMA_VERSION}; start the server on it once to upgrade it`,
    )
  }
}

function userVersion(db: DB): number {
  return Number(db.pragma('user_version', { simple: true }))
}

function newerSchema(path: string, version: number): UserError {
  return new UserError(
    `${path} has schema version ${version}, newer than this program knows (${SCHEMA_VERSION}); upgrade hooks-observatory or use --db PATH`,
  )
}

function writerIdentity(): string {
  return JSON.stringify({ pid: process.pid, host: hostname() })
}

function parseWriter(value: unknown): { pid: number; host: string } | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const parsed: unknown = JSON.parse(value)
    if (typeof parsed !== 'object' || parsed === null) return undefined
    const { pid, host } = parsed as { pid?: unknown; host?: unknown }
    return typeof pid === 'number' && typeof host === 'string' ? { pid, host } : undefined
  } catch {
    return undefined
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** SQLite's failures a user can act on, as one line naming the file; anything else unchanged. */
function storeError(error: unknown, path: string, busyTimeoutMs: number): unknown {
  if (error instanceof UserError || !(error instanceof Database.SqliteError)) return error
  const code = error.code
  const options = { cause: error }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new UserError(
      `${path} is not a valid database (${error.message}); move it away or use --db PATH`,
      'RUNTIME',
      options,
    )
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(
      `${path} is locked by another process (still busy after ${busyTimeoutMs} ms); stop it or use --db PATH`,
      'RUNTIME',
      options,
    )
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new UserError(
      `cannot open ${path} for writing (${error.message}); check its permissions or use --db PATH`,
      'RUNTIME',
      options,
    )
  }
  if (code === 'SQLITE_FULL') {
    return new UserError(`cannot write to ${path}: the disk is full`, 'RUNTIME', options)
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new UserError(`cannot read or write ${path} (${code})`, 'RUNTIME', options)
  }
  return error
}

function errnoText(error: unknown): string {
  // "EACCES: permission denied, mkdir '/x'": the path is said by the caller.
  return messageOf(error).split(', ')[0]!
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Every statement the store runs more than once with a fixed shape, prepared once (the writing ones too on a
 * read-only connection: preparing does not write, and they are never run there).
 */
/** The sums `usageOf` reads, over a group of `api_requests` rows. */
const USAGE_COLUMNS = `sum(cost_usd) AS cost_usd, sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
  sum(cache_creation_tokens) AS cache_creation_tokens, count(*) AS api_requests,
  sum(duration_ms) AS api_duration_ms, json_group_array(DISTINCT model) AS models,
  min(ts) AS first_ts, max(ts) AS last_ts`

interface UsageRow {
  cost_usd: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  api_requests: number
  api_duration_ms: number | null
  models: string
  first_ts: number
  last_ts: number
}

function usageOf(row: UsageRow): Usage {
  const models = (JSON.parse(row.models) as (string | null)[]).filter(
    (m): m is string => typeof m === 'string',
  )
  return {
    cost_usd: row.cost_usd,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cache_read_tokens: row.cache_read_tokens,
    cache_creation_tokens: row.cache_creation_tokens,
    api_requests: row.api_requests,
    api_duration_ms: row.api_duration_ms ?? 0,
    models: models.sort(),
  }
}

/** The sum of several usages (null for none). */
export function sumUsage(parts: readonly Usage[]): Usage | null {
  if (parts.length === 0) return null
  const models = new Set<string>()
  const total: Usage = {
    cost_usd: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_creation_tokens: 0,
    api_requests: 0,
    api_duration_ms: 0,
    models: [],
  }
  for (const u of parts) {
    total.cost_usd += u.cost_usd
    total.input_tokens += u.input_tokens
    total.output_tokens += u.output_tokens
    total.cache_read_tokens += u.cache_read_tokens
    total.cache_creation_tokens += u.cache_creation_tokens
    total.api_requests += u.api_requests
    total.api_duration_ms += u.api_duration_ms
    for (const m of u.models) models.add(m)
  }
  total.models = [...models].sort()
  return total
}

function prepareStatements(db: DB) {
  return {
    insert: db.prepare<Value[]>(
      'INSERT INTO events(id, ts, event, session_id, tool_name, tool_use_id, agent_id, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    upsertSession: db.prepare<Value[]>(
      `INSERT INTO sessions(session_id, last_event_time, state, cwd, summary) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET last_event_time = excluded.last_event_time, state = excluded.state,
         cwd = excluded.cwd, summary = excluded.summary`,
    ),
    upsertCall: db.prepare<Value[]>(
      `INSERT INTO tool_calls(session_id, tool_use_id, tool_name, started, ended, duration_ms, outcome, call)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(session_id, tool_use_id) DO UPDATE SET tool_name = excluded.tool_name,
         started = excluded.started, ended = excluded.ended, duration_ms = excluded.duration_ms,
         outcome = excluded.outcome, call = excluded.call`,
    ),
    insertDecision: db.prepare<Value[]>(
      `INSERT INTO decisions(ts, session_id, tool_use_id, tool_name, event, decided_by, action, mode, reason,
         latency_ms, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    sessionDecisions: db.prepare<[string], StoredDecision>(
      `SELECT id, ts, session_id, tool_use_id, tool_name, event, decided_by, action, mode, reason, latency_ms,
         event_id FROM decisions WHERE session_id = ? ORDER BY id`,
    ),
    pruneDecisions: db.prepare<{ before: number; limit: number }>(
      `DELETE FROM decisions WHERE rowid IN (SELECT rowid FROM decisions WHERE ts < @before LIMIT @limit)`,
    ),
    insertApiRequest: db.prepare<Value[]>(
      `INSERT INTO api_requests(ts, session_id, prompt_id, model, cost_usd, input_tokens, output_tokens,
         cache_read_tokens, cache_creation_tokens, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    usageByTurn: db.prepare<[string], UsageRow & { prompt_id: string | null }>(
      `SELECT prompt_id, ${USAGE_COLUMNS} FROM api_requests WHERE session_id = ?
       GROUP BY prompt_id ORDER BY min(ts), min(id)`,
    ),
    usageBySession: db.prepare<[], UsageRow & { session_id: string }>(
      `SELECT session_id, ${USAGE_COLUMNS} FROM api_requests GROUP BY session_id`,
    ),
    usageByDay: db.prepare<UsageWindow & { offset: number }, UsageSums & { day: number }>(
      // The day's number since 1970 at the offset (better-sqlite3 binds numbers as REAL: made whole here).
      `SELECT CAST((ts + @offset) / 86400000 AS INTEGER) AS day, ${USAGE_SUMS_SQL}
       FROM api_requests WHERE ts >= @since AND ts < @until GROUP BY day ORDER BY day`,
    ),
    usageByModel: db.prepare<UsageWindow, UsageSums & { model: string | null; timed: number }>(
      `SELECT model, ${USAGE_SUMS_SQL}, count(duration_ms) AS timed FROM api_requests
       WHERE ts >= @since AND ts < @until GROUP BY model ORDER BY model`,
    ),
    usageIn: db.prepare<UsageWindow, UsageSums>(
      `SELECT ${USAGE_SUMS_SQL} FROM api_requests WHERE ts >= @since AND ts < @until`,
    ),
    durationsByModel: db.prepare<UsageWindow, number>(
      `SELECT duration_ms FROM api_requests WHERE ts >= @since AND ts < @until AND duration_ms IS NOT NULL
       ORDER BY model`,
    ),
    durations: db.prepare<UsageWindow, number>(
      `SELECT duration_ms FROM api_requests WHERE ts >= @since AND ts < @until AND duration_ms IS NOT NULL`,
    ),
    pruneApiRequests: db.prepare<{ before: number; limit: number }>(
      `DELETE FROM api_requests WHERE rowid IN (SELECT rowid FROM api_requests WHERE ts < @before LIMIT @limit)`,
    ),
    duplicate: db.prepare<[number, number, string]>(
      'SELECT 1 FROM events WHERE ts >= ? AND ts < ? AND line = ? LIMIT 1',
    ),
    unindexed: db.prepare<[number, number], { id: number; line: string }>(
      'SELECT id, line FROM events WHERE id > ? ORDER BY id LIMIT ?',
    ),
    ftsInsert: db.prepare<[number, string]>('INSERT INTO events_fts(rowid, line) VALUES (?, ?)'),
    ftsDelete: db.prepare<[number]>('DELETE FROM events_fts WHERE rowid = ?'),
    setMeta: db.prepare<[string, Value]>(
      'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ),
    raiseFloor: db.prepare<[number]>(
      `INSERT INTO meta(key, value) VALUES ('id_floor', ?)
       ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)`,
    ),
    releaseWriter: db.prepare<[string]>("DELETE FROM meta WHERE key = 'writer' AND value = ?"),
    doomedEvents: db
      .prepare<[number, number], number>('SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?')
      .pluck(),
    deleteEvent: db.prepare<[number]>('DELETE FROM events WHERE id = ?'),
    pruneCalls: db.prepare<{ before: number; limit: number }>(
      `DELETE FROM tool_calls WHERE rowid IN (SELECT rowid FROM tool_calls
         WHERE ended < @before OR (ended IS NULL AND started < @before) LIMIT @limit)`,
    ),
    pruneSessions: db.prepare<{ before: number; limit: number }>(
      `DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions
         WHERE last_event_time < @before LIMIT @limit)`,
    ),
    getMeta: db.prepare<[string], Value>('SELECT value FROM meta WHERE key = ?').pluck(),
    maxId: db.prepare<[], number | null>('SELECT max(id) FROM events').pluck(),
    event: db.prepare<[number], StoredEvent>(
      `SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ?`,
    ),
    sessionPage: db.prepare<[string, number, number], StoredEvent>(
      `SELECT ${EVENT_COLUMNS} FROM events e WHERE e.session_id = ? AND e.id > ? ORDER BY e.id LIMIT ?`,
    ),
    session: db
      .prepare<[string], string>('SELECT summary FROM sessions WHERE session_id = ?')
      .pluck(),
    sessionCalls: db
      .prepare<[string], string>(
        'SELECT call FROM tool_calls WHERE session_id = ? ORDER BY started, rowid',
      )
      .pluck(),
    allCalls: db.prepare<[], CallRow>(
      'SELECT rowid AS row, tool_name, outcome, duration_ms FROM tool_calls',
    ),
    callsIn: db.prepare<{ since: number; until: number }, CallRow>(
      // Two index-only reads (migration v4): finished calls where they ended, running ones where they started.
      // Every index entry holds its rowid: the tool's name is shown as first written (the lowest rowid).
      `SELECT rowid AS row, tool_name, outcome, duration_ms FROM tool_calls WHERE ended BETWEEN @since AND @until
       UNION ALL
       SELECT rowid AS row, tool_name, outcome, duration_ms FROM tool_calls
         WHERE ended IS NULL AND started BETWEEN @since AND @until`,
    ),
    span: db.prepare<[], { oldest: number | null; newest: number | null }>(
      'SELECT min(ts) AS oldest, max(ts) AS newest FROM events',
    ),
    countEvents: db.prepare<[], number>('SELECT count(*) FROM events').pluck(),
    countSessions: db.prepare<[], number>('SELECT count(*) FROM sessions').pluck(),
  }
}

interface CallRow {
  /** The call's rowid: the order in which calls were first written. */
  row: number
  tool_name: string | null
  outcome: string | null
  duration_ms: number | null
}

// -------------------------------------------------------------------------------------------------------------
// Search text and queries

const ESCAPE = /\\(?:u([0-9a-fA-F]{4})|([\s\S]))/g

/**
 * The text the full-text index holds for a line: JSON string escapes decoded (`\uXXXX` → the character, `\"` `\\`
 * `\/` → themselves, `\n` `\r` `\t` `\b` `\f` → a space), so that non-ASCII words and words after a newline are
 * tokens of their own. Applied to the whole line (keys and punctuation are separators to the tokenizer anyway).
 */
export function searchText(line: string): string {
  if (line.indexOf('\\') < 0) return line
  return line.replace(ESCAPE, (_match, hex: string | undefined, char: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16))
    return char === '"' || char === '\\' || char === '/' ? char : ' '
  })
}

const TERM = /"([^"]*)"?|(\S+)/g
const WORDY = /[\p{L}\p{N}]/u

/**
 * The user's search split into terms: "quoted phrases" (an unclosed quote runs to the end) and words; a word
 * ending in `*` is a prefix. Terms with no letter or digit are dropped (the tokenizer would find nothing in them).
 */
export function searchTerms(input: string): SearchTerm[] {
  const terms: SearchTerm[] = []
  for (const match of input.matchAll(TERM)) {
    let text = match[1] ?? match[2] ?? ''
    let prefix = false
    if (match[2] !== undefined && text.endsWith('*')) {
      text = text.replace(/\*+$/, '')
      prefix = true
    }
    if (WORDY.test(text)) terms.push({ text, prefix })
  }
  return terms
}

/** The FTS5 query: each term a quoted string (`"` doubled inside), all required. Never a syntax error. */
export function ftsQuery(terms: readonly SearchTerm[]): string {
  return terms
    .map((term) => `"${term.text.replaceAll('"', '""')}"${term.prefix ? '*' : ''}`)
    .join(' ')
}

/** unicode61 approximated: runs of letters and digits, lowercased, accents removed. */
function tokens(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token !== '')
}

/** The FTS query's meaning as a predicate on a line: every term's tokens appear in a row. */
function lineMatcher(terms: readonly SearchTerm[]): (line: string) => boolean {
  const phrases = terms.map((term) => ({ words: tokens(term.text), prefix: term.prefix }))
  return (line) => {
    const words = tokens(searchText(line))
    return phrases.every(({ words: phrase, prefix }) => {
      const last = phrase.length - 1
      for (let i = 0; i + last < words.length; i++) {
        let j = 0
        while (j < last && words[i + j] === phrase[j]) j++
        if (j !== last) continue
        const word = words[i + last]!
        if (prefix ? word.startsWith(phrase[last]!) : word === phrase[last]) return true
      }
      return false
    })
  }
}

// -------------------------------------------------------------------------------------------------------------
// Small helpers

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)))
}

function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** Nearest rank: the value at rank ⌈p·n⌉ (1-based) of the sorted values; null for none. */
function rankValue(sorted: readonly number[], percent: number): number | null {
  if (sorted.length === 0) return null
  return sorted[nearestRank(sorted.length, percent) - 1]!
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

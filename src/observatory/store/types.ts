/**
 * The store's contract (implemented in store.ts on SQLite): what the server, the API, `observatory query` and
 * `observatory db` call. Times are epoch milliseconds.
 */
import type { SessionState, SessionSummary, ToolCall } from '../sessions/types.ts'

/** The indexed fields of one event, taken from its line by the caller (no parsing in the store). */
export interface EventFields {
  /** `_ts` in epoch ms. */
  ts: number
  /** `_event`. */
  event: string
  session_id: string | null
  tool_name: string | null
  tool_use_id: string | null
  agent_id: string | null
}

/** One stored event. */
export interface StoredEvent extends EventFields {
  /** Increasing, never reused: the SSE `id:` and the API's cursor. */
  id: number
  /** The compact JSON line exactly as the sinks got it, without its "\n". */
  line: string
}

export interface EventQuery {
  session?: string | undefined
  /** Event names (exact). */
  events?: readonly string[] | undefined
  /** Tool name, case-insensitive, exact (full MCP names such as `mcp__github__create_issue`). */
  tool?: string | undefined
  /** Full-text search over the lines (FTS5; plain words and "quoted phrases"). */
  search?: string | undefined
  since?: number | undefined
  until?: number | undefined
  /** Only events with id < before (cursor pagination, newest first). */
  before?: number | undefined
  /** Only events with id > after (oldest first: following, SSE replay). */
  after?: number | undefined
  /** Default 100, at most 1000. */
  limit?: number | undefined
}

export interface EventPage {
  events: StoredEvent[]
  /**
   * Pass as `before` for the next (older) page; null when there is none. (With `after`, pages go oldest first and
   * `next` is to be passed as `after`.)
   */
  next: number | null
}

export interface SessionQuery {
  states?: readonly SessionState[] | undefined
  /** Substring of cwd or project name. */
  project?: string | undefined
  /** Sessions with an event at or after this time. */
  since?: number | undefined
  limit?: number | undefined
}

export interface ToolStats {
  tool_name: string
  calls: number
  failures: number
  /** Denied or interrupted calls. */
  other: number
  p50_ms: number | null
  p95_ms: number | null
}

export interface StoreInfo {
  path: string
  events: number
  sessions: number
  oldest: number | null
  newest: number | null
  bytes: number
  schema_version: number
}

/** Handle on one append: the id is known at once, `committed` settles after the group commit. */
export interface Appended {
  id: number
  committed: Promise<void>
}

/** What the server's recorder writes through (implemented by `Store`). */
export interface StoreWriter {
  append(line: string, fields: EventFields): Appended
  putSession(summary: SessionSummary): void
  putToolCall(call: ToolCall): void
  /** Commit what is queued now. */
  flush(): Promise<void>
}

/** What the API and `observatory query` read through (implemented by `Store`). */
export interface StoreReader {
  lastId(): number
  event(id: number): StoredEvent | undefined
  events(q: EventQuery): EventPage
  sessionEvents(sessionId: string): IterableIterator<StoredEvent>
  sessions(q: SessionQuery): SessionSummary[]
  session(id: string): SessionSummary | undefined
  toolCalls(sessionId: string): ToolCall[]
  toolStats(window: { since?: number; until?: number }): ToolStats[]
  info(): StoreInfo
}

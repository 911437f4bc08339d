/**
 * The JSON API as the page reads it (src/observatory/api/): typed fetches, same origin, no cache. The types are
 * the server's own (sessions/types.ts, store/types.ts), imported as types only.
 */
import type { SessionDetail, SessionSummary } from '../sessions/types.ts'
import type { ToolStats } from '../store/types.ts'
import type { UsageStats } from '../store/usage.ts'

export type {
  SessionDetail,
  SessionSummary,
  Subagent,
  ToolCall,
  ToolCallDecision,
  Turn,
  Usage,
} from '../sessions/types.ts'
export type { ToolStats } from '../store/types.ts'
export type { ApiLatency, DayUsage, ModelUsage, UsageStats, UsageSums } from '../store/usage.ts'

/** A failed API call: the status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    headers: { Accept: 'application/json' },
    cache: 'no-store',
    signal,
  })
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`
    try {
      const body = (await response.json()) as { message?: string; error?: string }
      message = body.message ?? body.error ?? message
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message)
  }
  return (await response.json()) as T
}

export interface SessionList {
  sessions: SessionSummary[]
  total: number
  /** The server's clock when it answered (epoch ms). */
  now: number
  stale_after_ms: number
}

export function sessions(signal?: AbortSignal): Promise<SessionList> {
  return get('/api/sessions?limit=500', signal)
}

export function session(id: string, signal?: AbortSignal): Promise<SessionDetail> {
  return get(`/api/sessions/${encodeURIComponent(id)}`, signal)
}

/** One stored event as /api/events lists it. */
export interface ApiEvent {
  id: number
  ts: string
  event: string
  session_id: string | null
  tool_name: string | null
  tool_use_id: string | null
  agent_id: string | null
  data: Record<string, unknown>
}

export interface EventPage {
  events: ApiEvent[]
  next: number | null
}

export interface EventFilter {
  session?: string | undefined
  tool?: string | undefined
  q?: string | undefined
  events?: readonly string[] | undefined
  before?: number | undefined
  after?: number | undefined
  limit?: number | undefined
}

export function events(filter: EventFilter, signal?: AbortSignal): Promise<EventPage> {
  const query = new URLSearchParams()
  if (filter.session) query.set('session', filter.session)
  if (filter.tool) query.set('tool', filter.tool)
  if (filter.q) query.set('q', filter.q)
  if (filter.events && filter.events.length > 0) query.set('event', filter.events.join(','))
  if (filter.before !== undefined) query.set('before', String(filter.before))
  if (filter.after !== undefined) query.set('after', String(filter.after))
  query.set('limit', String(filter.limit ?? 200))
  return get(`/api/events?${query}`, signal)
}

/** One event's line, as text (exactly as stored: numbers keep their digits). */
export async function eventLine(id: number, signal?: AbortSignal): Promise<string> {
  const response = await fetch(`/api/events/${id}`, { cache: 'no-store', signal })
  if (!response.ok) throw new ApiError(response.status, `event ${id}: ${response.status}`)
  return response.text()
}

export interface ToolList {
  window_ms: number
  since: number
  tools: ToolStats[]
}

export function tools(window: string, signal?: AbortSignal): Promise<ToolList> {
  return get(`/api/tools?window=${encodeURIComponent(window)}`, signal)
}

/** GET /api/stats/timeline (src/observatory/api/timeline.ts). */
export interface Timeline {
  start: number
  step_ms: number
  window_ms: number
  now: number
  events: number[]
  tool_calls: number[]
  failures: number[]
  total: number
}

export function timeline(window: string, step: string, signal?: AbortSignal): Promise<Timeline> {
  return get(
    `/api/stats/timeline?window=${encodeURIComponent(window)}&step=${encodeURIComponent(step)}`,
    signal,
  )
}

/**
 * GET /api/stats/usage (src/observatory/api/usage.ts): cost, tokens and API latency from Claude Code's telemetry
 * over the last 30 calendar days, the days starting at the browser's midnight.
 */
export function usageStats(signal?: AbortSignal): Promise<UsageStats> {
  const tz = -new Date().getTimezoneOffset()
  return get(`/api/stats/usage?tz=${tz}`, signal)
}

// ---- decisions: approvals from the page and the policy (src/observatory/api/approvals.ts) -------------------

/**
 * One approval as `GET /api/approvals` and the live stream's `event: approval` show it. The server's own type
 * (server/approvals.ts) is not imported: its module imports node:crypto, which the page's types do not have.
 */
export interface Approval {
  id: string
  session_id: string | null
  cwd: string | null
  tool_name: string
  tool_input: unknown
  /** The input in one line (a Bash command, a file path…). */
  input_summary: string
  permission_mode: string | null
  /** The subagent asking, or null for the main agent. */
  agent_id: string | null
  /** Epoch ms (the server's clock). */
  created: number
  /** Epoch ms: then it expires and Claude Code asks in the terminal. */
  deadline: number
  state: 'pending' | 'allowed' | 'denied' | 'expired' | 'withdrawn'
  /** `person`, `person (session)`, `timeout`, `withdrawn`, `shutdown`; null while pending. */
  decided_by: string | null
  choice: ApprovalChoice | null
  message: string | null
  resolved: number | null
}

export type ApprovalChoice = 'allow' | 'deny' | 'allow-session'

export interface ApprovalList {
  approvals: Approval[]
  /** Whether the server runs with `--approve-from-page`. */
  enabled: boolean
  timeout_ms: number | null
}

export function approvals(signal?: AbortSignal): Promise<ApprovalList> {
  return get('/api/approvals', signal)
}

/** `GET /api/policy`. */
export interface PolicyInfo {
  mode: 'enforce' | 'shadow'
  files: string[]
  rules: number
  /** Why the last load or reload failed (the last good policy stays in force), else null. */
  error: string | null
  approvals?: { enabled: boolean; timeout_ms: number | null }
}

export function policy(signal?: AbortSignal): Promise<PolicyInfo> {
  return get('/api/policy', signal)
}

/**
 * A person's decision (`POST /api/approvals/{id}`; same origin, the token's cookie stands in for the token).
 * Resolves to the approval as decided, or rejects with an ApiError (404: unknown, 409: decided already, expired or
 * withdrawn, with the server's sentence).
 */
export async function decideApproval(
  id: string,
  decision: ApprovalChoice,
  message?: string,
): Promise<Approval> {
  const response = await fetch(`/api/approvals/${encodeURIComponent(id)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    cache: 'no-store',
    body: JSON.stringify(
      message === undefined || message === '' ? { decision } : { decision, message },
    ),
  })
  if (!response.ok) {
    let text = `${response.status} ${response.statusText}`
    try {
      const body = (await response.json()) as { message?: string; error?: string }
      text = body.message ?? body.error ?? text
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, text)
  }
  return (await response.json()) as Approval
}

/**
 * The JSON API as the page reads it (src/observatory/api/): typed fetches, same origin, no cache. The types are
 * the server's own (sessions/types.ts, store/types.ts), imported as types only.
 */
import type { SessionDetail, SessionSummary } from '../sessions/types.ts'
import type { ToolStats } from '../store/types.ts'

export type { SessionDetail, SessionSummary, Subagent, ToolCall, Turn } from '../sessions/types.ts'
export type { ToolStats } from '../store/types.ts'

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

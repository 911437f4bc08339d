/**
 * The observatory's JSON API, on the project's own framework and in its OpenAPI document (`/openapi.json`,
 * `/docs`):
 *
 *   GET /api/sessions          one summary per session, most recently active first (filters: state, project, since)
 *   GET /api/sessions/{id}     one session in full: its turns, tool calls and subagent tree (with Claude Code's
 *                              telemetry joined: usage per turn, each call's `tool_result` by `tool_use_id`)
 *   GET /api/sessions/{id}/telemetry   its telemetry events, spans and metric points (telemetry.ts)
 *   GET /api/events            stored events, newest first, with filters, full-text search and a cursor
 *   GET /api/events/{id}       one event's line, exactly as the sinks got it
 *   GET /api/tools             per tool: calls, failures and duration percentiles over a window
 *
 * Sessions come from the session model (state derived at read time, so `stale` is always current); a session's
 * detail is rebuilt from its stored events through a fresh model (one implementation, always right). Events and
 * tool statistics need the store: without one they answer 503.
 *
 * Event lines are never parsed and re-encoded here: a page of events is written by joining the stored lines into
 * the response text, so every number and key comes out exactly as it went in.
 */
import { z } from 'zod'
import { type App, ERROR_BODY_SCHEMA, HttpError } from '../../framework/index.ts'
import type { Response } from '../../transport/index.ts'
import { parseDuration } from '../duration.ts'
import {
  replayLines,
  type SessionDetail,
  SessionModel,
  type SessionState,
  type SessionSummary,
  type ToolCall,
  type Turn,
  telemetrySummary,
  usageFields,
  withTelemetryUsage,
} from '../sessions/index.ts'
import type { EventQuery, Store, StoredEvent } from '../store/index.ts'
import type { StoredDecision } from '../store/store.ts'
import { registerTelemetry, TOOL_TELEMETRY_SCHEMA, withToolTelemetry } from './telemetry.ts'

export interface ApiOptions {
  model: SessionModel
  store: Store | undefined
  staleAfterMs: number
  /**
   * Decisions are on (a policy or approvals from the page): every tool call of `GET /api/sessions/{id}` gets
   * `decision` (null when none). Off, only the calls of sessions with stored decisions get it.
   */
  decisions?: boolean
  /** The clock (tests pass their own). */
  now?: () => number
}

const STATES: readonly SessionState[] = [
  'starting',
  'thinking',
  'running tool',
  'waiting for permission',
  'waiting for input',
  'compacting',
  'idle',
  'stale',
  'ended',
]

/** A time: a duration back from now (`10m`), an ISO 8601 time, or epoch milliseconds. */
function parseTime(raw: string, now: number, what: string): number {
  // An offset's `+` left unencoded in a query string arrives as a space (`…T10:00:00 02:00`): put it back.
  const text = raw.replace(/(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2')
  const back = parseDuration(text)
  if (back !== undefined) return now - back
  if (/^\d{1,15}$/.test(text)) return Number(text)
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) {
    const time = Date.parse(text.replace(' ', 'T'))
    if (!Number.isNaN(time)) return time
  }
  throw new HttpError(
    400,
    `${what}: '${text}' is neither a duration (10m, 2h, 7d), an ISO time nor epoch ms`,
  )
}

/** Comma-separated or repeated values of a query parameter, trimmed, empties dropped. */
function list(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '')
}

function integer(text: string | null, what: string, min: number, max: number): number | undefined {
  if (text === null || text === '') return undefined
  if (!/^\d{1,15}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new HttpError(400, `${what} must be a whole number from ${min} to ${max}`)
  }
  return Number(text)
}

function needStore(store: Store | undefined): Store {
  if (store === undefined) {
    throw new HttpError(503, 'no store: this observatory keeps no history (see --db)')
  }
  return store
}

const text = (description: string) => z.string().optional().describe(description)
/** A parameter that may be repeated (`state=a&state=b`) as well as comma-separated. */
const texts = (description: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe(description)

const SESSIONS_QUERY = z.object({
  state: texts(`Only these states, comma-separated: ${STATES.join(', ')}`),
  project: text('Only sessions whose working directory contains this text'),
  since: text(
    'Only sessions active since then: a duration back from now (10m, 2h, 7d), an ISO time or epoch ms',
  ),
  limit: text('At most this many sessions (default 500)'),
})

const EVENTS_QUERY = z.object({
  session: text('Only this session (its full id)'),
  event: texts('Only these event names, comma-separated (PreToolUse,PostToolUse)'),
  tool: text('Only this tool, case-insensitive, full MCP names (mcp__github__create_issue)'),
  q: text('Full-text search over the event lines: words and "quoted phrases", all must match'),
  since: text('From this time: a duration back from now, an ISO time or epoch ms'),
  until: text('Up to this time (same forms)'),
  before: text('The cursor: events with a smaller id (pass the previous page\u2019s `next`)'),
  after: text('Events with a larger id, oldest first (for following)'),
  limit: text('Page size, 1 to 1000 (default 100)'),
})

const TOOLS_QUERY = z.object({
  window: text('How far back: a duration such as 1h, 24h or 7d (default 24h)'),
})

const SUMMARY_SCHEMA = {
  type: 'object',
  description: 'One session (see src/observatory/sessions/types.ts for every field).',
  properties: {
    session_id: { type: 'string' },
    state: { type: 'string', enum: STATES },
    state_since: { type: ['integer', 'null'], description: 'epoch ms' },
    state_tool: { type: ['string', 'null'] },
    state_reason: { type: ['string', 'null'] },
    current_tool: { type: ['object', 'null'] },
    cwd: { type: ['string', 'null'] },
    project: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    permission_mode: { type: ['string', 'null'] },
    last_event: { type: 'string' },
    last_event_time: { type: ['integer', 'null'] },
    last_prompt: { type: ['string', 'null'] },
    counts: { type: 'object' },
    usage: {
      type: ['object', 'null'],
      description:
        "API usage from Claude Code's telemetry (OTLP logs, `claude_code.api_request`), summed; null when none " +
        'arrived (present when the observatory has a store)',
      properties: {
        cost_usd: { type: 'number' },
        input_tokens: { type: 'integer' },
        output_tokens: { type: 'integer' },
        cache_read_tokens: { type: 'integer' },
        cache_creation_tokens: { type: 'integer' },
        api_requests: { type: 'integer' },
        api_duration_ms: { type: 'number' },
        models: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  required: ['session_id', 'state', 'last_event', 'counts'],
} as const

const EVENT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    ts: { type: 'string', description: 'when the server received it (ISO 8601, milliseconds)' },
    event: { type: 'string' },
    session_id: { type: ['string', 'null'] },
    tool_name: { type: ['string', 'null'] },
    tool_use_id: { type: ['string', 'null'] },
    agent_id: { type: ['string', 'null'] },
    data: { type: 'object', description: 'the event line as written to the sinks' },
  },
  required: ['id', 'ts', 'event', 'data'],
} as const

const NOT_FOUND = { description: 'No such item', schema: ERROR_BODY_SCHEMA }
const NO_STORE = { description: 'No store (history is off)', schema: ERROR_BODY_SCHEMA }
const BAD_QUERY = { description: 'A malformed filter', schema: ERROR_BODY_SCHEMA }

/** The JSON list a page of stored events becomes, its lines spliced in as they are. */
function eventsJson(events: readonly StoredEvent[]): string {
  let out = '['
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    if (i > 0) out += ','
    out +=
      `{"id":${e.id},"ts":${JSON.stringify(new Date(e.ts).toISOString())},"event":${JSON.stringify(e.event)}` +
      `,"session_id":${JSON.stringify(e.session_id)},"tool_name":${JSON.stringify(e.tool_name)}` +
      `,"tool_use_id":${JSON.stringify(e.tool_use_id)},"agent_id":${JSON.stringify(e.agent_id)}` +
      `,"data":${e.line}}`
  }
  return `${out}]`
}

function jsonResponse(body: string, status = 200): Response {
  return {
    status,
    headers: [
      ['Content-Type', 'application/json'],
      ['Cache-Control', 'no-store'],
    ],
    body,
  }
}

/** A session's detail, rebuilt from its stored events through a fresh model. */
export function replaySession(
  store: Store,
  sessionId: string,
  staleAfterMs: number,
  now: number,
): SessionDetail | undefined {
  const model = new SessionModel({ staleAfterMs })
  replayLines(model, store.sessionEvents(sessionId))
  return model.detail(sessionId, now)
}

/**
 * Each call gets `decision`: the last decision stored for it (by `tool_use_id`: PreToolUse's own, a
 * PermissionRequest's linked call), or null.
 */
function withDecisions(calls: ToolCall[], decisions: readonly StoredDecision[]): void {
  const last = new Map<string, StoredDecision>()
  for (const d of decisions) if (d.tool_use_id !== null) last.set(d.tool_use_id, d)
  for (const call of calls) {
    const d = last.get(call.tool_use_id)
    call.decision =
      d === undefined
        ? null
        : { action: d.action, decided_by: d.decided_by, mode: d.mode, reason: d.reason }
  }
}

/**
 * The sessions with their `usage` (null without telemetry), and the sessions known only from telemetry, most
 * recently active first. Without a store, the summaries as they are.
 */
function withUsage(summaries: SessionSummary[], store: Store | undefined): SessionSummary[] {
  return store === undefined ? summaries : withTelemetryUsage(summaries, store.usageBySession())
}

/**
 * The detail of a session known only from telemetry: one turn per `prompt_id`, no calls, and how much telemetry
 * names it (`telemetry`: events, spans, metric points).
 */
function telemetryDetail(
  store: Store,
  id: string,
): (SessionDetail & { telemetry: Record<string, number> }) | undefined {
  const usage = store.usage(id)
  const total = store.usageBySession().get(id)
  const counts = store.telemetryCounts(id)
  const telemetry = {
    telemetry_events: counts.telemetry_events,
    spans: counts.spans,
    metric_points: counts.metric_points,
  }
  if (total === undefined) {
    if (counts.telemetry_events === 0 && counts.spans === 0) return undefined
    return {
      ...telemetrySummary(id, undefined, counts),
      turns: [],
      tool_calls: [],
      subagents: [],
      telemetry,
    }
  }
  const turns: Turn[] = []
  for (const t of usage.turns) {
    if (t.prompt_id === null) continue
    turns.push({
      prompt_id: t.prompt_id,
      prompt: '',
      started: null,
      ended: null,
      duration_ms: null,
      outcome: 'done',
      tool_calls: [],
      usage: usageFields(t),
    })
  }
  return { ...telemetrySummary(id, total, counts), turns, tool_calls: [], subagents: [], telemetry }
}

/** Registers the API routes on `app`. */
export function registerApi(app: App, options: ApiOptions): void {
  const { model, store, staleAfterMs } = options
  const now = options.now ?? Date.now

  app.get(
    '/api/sessions',
    (c) => {
      const query = c.query
      const states = list(query, 'state')
      for (const state of states) {
        if (!STATES.includes(state as SessionState)) {
          throw new HttpError(400, `state: '${state}' is not one of ${STATES.join(', ')}`)
        }
      }
      const at = now()
      const projectText = query.get('project')
      const sinceText = query.get('since')
      const since =
        sinceText === null || sinceText === '' ? undefined : parseTime(sinceText, at, 'since')
      const limit = integer(query.get('limit'), 'limit', 1, 100_000) ?? 500
      const matched: SessionSummary[] = []
      let total = 0
      for (const summary of withUsage(model.summaries(at), store)) {
        if (states.length > 0 && !states.includes(summary.state)) continue
        if (projectText !== null && projectText !== '') {
          const where = `${summary.cwd ?? ''}\n${summary.project ?? ''}`.toLowerCase()
          if (!where.includes(projectText.toLowerCase())) continue
        }
        if (since !== undefined && !((summary.last_event_time ?? -Infinity) >= since)) continue
        total++
        if (matched.length < limit) matched.push(summary)
      }
      return { sessions: matched, total, now: at, stale_after_ms: staleAfterMs }
    },
    {
      summary: 'Sessions with their current state',
      description:
        'Most recently active first. `stale`: thinking or running a tool with no event for longer than ' +
        '`stale_after_ms` (the turn probably died without a Stop).',
      tags: ['api'],
      schema: { query: SESSIONS_QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            sessions: { type: 'array', items: SUMMARY_SCHEMA },
            total: { type: 'integer', description: 'sessions matching the filters (before limit)' },
            now: { type: 'integer' },
            stale_after_ms: { type: 'integer' },
          },
          required: ['sessions', 'total'],
        },
        responses: { 400: BAD_QUERY },
      },
    },
  )

  app.get(
    '/api/sessions/{id}',
    (c) => {
      const id = c.params.id
      const at = now()
      const detail =
        store === undefined
          ? model.detail(id, at)
          : (replaySession(store, id, staleAfterMs, at) ?? model.detail(id, at))
      if (detail === undefined) {
        const telemetryOnly = store === undefined ? undefined : telemetryDetail(store, id)
        if (telemetryOnly === undefined) throw new HttpError(404, 'no such session')
        return telemetryOnly
      }
      if (store !== undefined) {
        const decisions = store.decisions(id)
        // Where nothing is ever decided, the calls stay as they were (no `decision` key).
        if (options.decisions === true || decisions.length > 0) {
          withDecisions(detail.tool_calls, decisions)
        }
        withToolTelemetry(detail.tool_calls, store.toolResults(id))
      }
      // The live model knows what the stored events alone cannot (a summary restored after a restart).
      const live = model.summary(id, at)
      const result = live === undefined ? detail : { ...detail, ...live }
      if (store !== undefined) {
        const usage = store.usage(id)
        const byTurn = new Map(usage.turns.map((t) => [t.prompt_id, t]))
        result.usage = usage.total
        // Like `decision` on the calls: turns keep their shape where no telemetry ever came.
        if (usage.total !== null) {
          result.turns = result.turns.map((turn) => ({
            ...turn,
            usage: usageFields(byTurn.get(turn.prompt_id)),
          }))
        }
      }
      return result
    },
    {
      summary: 'One session: turns, tool calls with durations, subagent tree',
      tags: ['api'],
      openapi: {
        response: {
          ...SUMMARY_SCHEMA,
          properties: {
            ...SUMMARY_SCHEMA.properties,
            turns: { type: 'array', items: { type: 'object' } },
            tool_calls: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  decision: {
                    type: ['object', 'null'],
                    description:
                      'the last decision on the call (a rule or a person, on its PreToolUse or its PermissionRequest); ' +
                      'present when decisions are on or the session has some',
                    properties: {
                      action: { type: 'string', description: 'allow, deny, ask, defer, or none' },
                      decided_by: { type: 'string' },
                      mode: { type: 'string', enum: ['enforce', 'shadow'] },
                      reason: { type: 'string' },
                    },
                  },
                  telemetry: TOOL_TELEMETRY_SCHEMA,
                },
              },
            },
            subagents: { type: 'array', items: { type: 'object' } },
          },
        },
        responses: { 404: NOT_FOUND },
      },
    },
  )

  app.get(
    '/api/events',
    (c) => {
      const s = needStore(store)
      const query = c.query
      const at = now()
      const optional = (name: string) => {
        const value = query.get(name)
        return value === null || value === '' ? undefined : value
      }
      const sinceText = optional('since')
      const untilText = optional('until')
      const events = list(query, 'event')
      const q: EventQuery = {
        session: optional('session'),
        events: events.length > 0 ? events : undefined,
        tool: optional('tool'),
        search: optional('q'),
        since: sinceText === undefined ? undefined : parseTime(sinceText, at, 'since'),
        until: untilText === undefined ? undefined : parseTime(untilText, at, 'until'),
        before: integer(query.get('before'), 'before', 0, Number.MAX_SAFE_INTEGER),
        after: integer(query.get('after'), 'after', 0, Number.MAX_SAFE_INTEGER),
        limit: integer(query.get('limit'), 'limit', 1, 1000),
      }
      const page = s.events(q)
      return jsonResponse(`{"events":${eventsJson(page.events)},"next":${page.next ?? 'null'}}`)
    },
    {
      summary: 'Stored events, newest first',
      description:
        'Filters combine (all must hold). Page with `before` = the previous page\u2019s `next`; `after` lists ' +
        'oldest first instead, for following.',
      tags: ['api'],
      schema: { query: EVENTS_QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            events: { type: 'array', items: EVENT_SCHEMA },
            next: {
              type: ['integer', 'null'],
              description: 'the cursor for the next (older) page',
            },
          },
          required: ['events', 'next'],
        },
        responses: { 400: BAD_QUERY, 503: NO_STORE },
      },
    },
  )

  app.get(
    '/api/events/{id:int}',
    (c) => {
      const s = needStore(store)
      const id = Number(c.params.id)
      const event = Number.isSafeInteger(id) ? s.event(id) : undefined
      if (event === undefined) throw new HttpError(404, 'no such event')
      return jsonResponse(event.line)
    },
    {
      summary: 'One event: its line exactly as the sinks got it',
      tags: ['api'],
      openapi: { response: { type: 'object' }, responses: { 404: NOT_FOUND, 503: NO_STORE } },
    },
  )

  app.get(
    '/api/tools',
    (c) => {
      const s = needStore(store)
      const windowText = c.query.get('window') ?? '24h'
      const windowMs = parseDuration(windowText)
      if (windowMs === undefined) {
        throw new HttpError(400, `window: '${windowText}' is not a duration such as 1h, 24h or 7d`)
      }
      const at = now()
      return {
        window_ms: windowMs,
        since: at - windowMs,
        tools: s.toolStats({ since: at - windowMs }),
      }
    },
    {
      summary: 'Per tool: calls, failures, p50/p95 duration',
      tags: ['api'],
      schema: { query: TOOLS_QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            window_ms: { type: 'integer' },
            since: { type: 'integer' },
            tools: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  tool_name: { type: 'string' },
                  calls: { type: 'integer' },
                  failures: { type: 'integer' },
                  other: { type: 'integer', description: 'denied or interrupted' },
                  p50_ms: { type: ['number', 'null'] },
                  p95_ms: { type: ['number', 'null'] },
                },
              },
            },
          },
        },
        responses: { 400: BAD_QUERY, 503: NO_STORE },
      },
    },
  )

  registerTelemetry(app, { store })

  // Hooks are accepted on any path (as in the original), so without this a mistyped API path would be a 405
  // (GET) or, worse, stored as an event (POST). Under /api/ an unknown path is an unknown resource.
  app.all(
    '/api/{*rest}',
    () => {
      throw new HttpError(404, 'no such API route (see /docs)')
    },
    { hidden: true },
  )
}

/**
 * Claude Code's telemetry in the API (what the OTLP receiver, otlp/index.ts, stored):
 *
 *   GET /api/sessions/{id}/telemetry   the session's telemetry events (`tool_result`, `user_prompt`,
 *                                      `api_error`…; oldest first, paged with `after`/`limit`), its spans and its
 *                                      metric data points
 *
 * and the join `GET /api/sessions/{id}` makes (routes.ts): each tool call gets `telemetry`, from the session's
 * `tool_result` event with the call's `tool_use_id`. Claude Code writes most attribute values as strings
 * (`success: "true"`, `duration_ms: "12"`): they are read back as booleans and numbers here.
 */
import { z } from 'zod'
import { type App, ERROR_BODY_SCHEMA, HttpError } from '../../framework/index.ts'
import type { ToolCall, ToolCallTelemetry } from '../sessions/index.ts'
import type { Store } from '../store/index.ts'

export interface TelemetryApiOptions {
  store: Store | undefined
}

/** The most spans and metric points one answer carries. */
const MAX_ITEMS = 1000

function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : null
  }
  return null
}

function booleanOf(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase()
    if (v === 'true') return true
    if (v === 'false') return false
  }
  return null
}

function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return null
}

/** A `tool_result` event's attributes as a call's `telemetry`. */
export function toolTelemetry(attributes: Record<string, unknown>): ToolCallTelemetry {
  return {
    duration_ms: numberOf(attributes.duration_ms),
    success: booleanOf(attributes.success),
    error: textOf(attributes.error),
    decision: textOf(attributes.decision_type ?? attributes.decision),
    decision_source: textOf(attributes.decision_source),
    result_size_bytes: numberOf(attributes.tool_result_size_bytes),
  }
}

/**
 * Each call gets `telemetry` from the `tool_result` with its `tool_use_id` (null when none), when the session has
 * any `tool_result`; otherwise the calls keep their shape (no `telemetry` key).
 */
export function withToolTelemetry(
  calls: ToolCall[],
  results: ReadonlyMap<string, Record<string, unknown>>,
): void {
  if (results.size === 0) return
  for (const call of calls) {
    const attributes = results.get(call.tool_use_id)
    call.telemetry = attributes === undefined ? null : toolTelemetry(attributes)
  }
}

/** The `telemetry` of a tool call in `GET /api/sessions/{id}` (OpenAPI). */
export const TOOL_TELEMETRY_SCHEMA = {
  type: ['object', 'null'],
  description:
    "Claude Code's `tool_result` telemetry event for the call (OTLP logs, matched by `tool_use_id`), null when " +
    'none arrived; present when the session has `tool_result` events',
  properties: {
    duration_ms: { type: ['number', 'null'] },
    success: { type: ['boolean', 'null'] },
    error: { type: ['string', 'null'] },
    decision: { type: ['string', 'null'], description: '`decision_type`: accept, reject…' },
    decision_source: {
      type: ['string', 'null'],
      description: 'config, user_permanent, user_temporary, user_abort, user_reject, hook…',
    },
    result_size_bytes: { type: ['number', 'null'] },
  },
} as const

const TELEMETRY_QUERY = z.object({
  after: z
    .string()
    .optional()
    .describe('Events with a larger id (pass the previous page\u2019s `next`)'),
  limit: z.string().optional().describe('Page size, 1 to 1000 (default 100)'),
})

const ATTRIBUTES = {
  type: 'object',
  description: "the record's attributes, its resource's merged under its own",
} as const

function integer(text: string | null, what: string, min: number, max: number): number | undefined {
  if (text === null || text === '') return undefined
  if (!/^\d{1,15}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new HttpError(400, `${what} must be a whole number from ${min} to ${max}`)
  }
  return Number(text)
}

/** Registers `GET /api/sessions/{id}/telemetry` on `app`. */
export function registerTelemetry(app: App, options: TelemetryApiOptions): void {
  const { store } = options
  app.get(
    '/api/sessions/{id}/telemetry',
    (c) => {
      if (store === undefined) {
        throw new HttpError(503, 'no store: this observatory keeps no history (see --db)')
      }
      const id = c.params.id
      const after = integer(c.query.get('after'), 'after', 0, Number.MAX_SAFE_INTEGER)
      const limit = integer(c.query.get('limit'), 'limit', 1, 1000)
      const counts = store.telemetryCounts(id)
      const known =
        counts.telemetry_events + counts.spans + counts.metric_points > 0 ||
        store.session(id) !== undefined ||
        store.usage(id).total !== null
      if (!known) throw new HttpError(404, 'no such session')
      const page = store.telemetryEvents(id, {
        ...(after === undefined ? {} : { after }),
        ...(limit === undefined ? {} : { limit }),
      })
      return {
        session_id: id,
        events: page.events,
        next: page.next,
        spans: store.spans(id, MAX_ITEMS),
        metrics: store.metricPoints({ session: id }, MAX_ITEMS),
        counts: {
          telemetry_events: counts.telemetry_events,
          spans: counts.spans,
          metric_points: counts.metric_points,
        },
      }
    },
    {
      summary: "One session's telemetry: events, spans, metric data points",
      description:
        'Events (every OTLP log record but `api_request`, which is summed in `usage`) oldest first: page with ' +
        '`after` = the previous page\u2019s `next`. Every page also carries the session\u2019s spans (by start) and ' +
        'metric data points naming it (by time), at most 1,000 of each, and how many of each are stored.',
      tags: ['api'],
      schema: { query: TELEMETRY_QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            session_id: { type: 'string' },
            events: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' },
                  ts: { type: 'integer', description: 'epoch ms' },
                  session_id: { type: ['string', 'null'] },
                  prompt_id: { type: ['string', 'null'] },
                  name: {
                    type: 'string',
                    description: 'without `claude_code.`: tool_result, user_prompt, api_error…',
                  },
                  tool_use_id: { type: ['string', 'null'] },
                  attributes: ATTRIBUTES,
                },
              },
            },
            next: { type: ['integer', 'null'], description: 'the cursor for the next page' },
            spans: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  trace_id: { type: 'string', description: 'hex' },
                  span_id: { type: 'string', description: 'hex' },
                  parent_span_id: { type: ['string', 'null'] },
                  name: { type: 'string' },
                  kind: { type: ['string', 'null'] },
                  start_ms: { type: 'integer' },
                  end_ms: { type: ['integer', 'null'] },
                  status_code: { type: ['string', 'null'], enum: ['unset', 'ok', 'error', null] },
                  status_message: { type: ['string', 'null'] },
                  session_id: { type: ['string', 'null'] },
                  attributes: ATTRIBUTES,
                },
              },
            },
            metrics: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' },
                  ts: { type: 'integer' },
                  start_ts: { type: ['integer', 'null'] },
                  name: { type: 'string' },
                  unit: { type: ['string', 'null'] },
                  kind: {
                    type: 'string',
                    enum: ['sum', 'gauge', 'histogram', 'exponential_histogram', 'summary'],
                  },
                  temporality: { type: ['string', 'null'], enum: ['delta', 'cumulative', null] },
                  session_id: { type: ['string', 'null'] },
                  value: {
                    type: ['number', 'null'],
                    description: 'a sum or gauge: its value; a histogram or summary: its sum',
                  },
                  count: { type: ['integer', 'null'] },
                  attributes: ATTRIBUTES,
                },
              },
            },
            counts: {
              type: 'object',
              properties: {
                telemetry_events: { type: 'integer' },
                spans: { type: 'integer' },
                metric_points: { type: 'integer' },
              },
            },
          },
          required: ['session_id', 'events', 'next', 'spans', 'metrics', 'counts'],
        },
        responses: {
          400: { description: 'A malformed parameter', schema: ERROR_BODY_SCHEMA },
          404: { description: 'No such session', schema: ERROR_BODY_SCHEMA },
          503: { description: 'No store (history is off)', schema: ERROR_BODY_SCHEMA },
        },
      },
    },
  )
}

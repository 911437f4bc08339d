/**
 * `GET /api/stats/timeline`: how many events arrived per step over a window (the dashboard's events-per-second
 * chart), with the tool calls (PreToolUse) and the failures (PostToolUseFailure) among them.
 *
 * Contract
 * - Buckets are aligned to the step (`start` is a multiple of `step_ms`), oldest first, the current (partial) one
 *   last; at most 3,600 of them. Counts are of stored events by their `ts` (when the server received them).
 * - One aggregate query over the `events_ts` index (`Store.timeline`: a `GROUP BY` on the bucket).
 */
import { z } from 'zod'
import { type App, ERROR_BODY_SCHEMA, HttpError } from '../../framework/index.ts'
import { parseDuration } from '../duration.ts'
import type { Store } from '../store/index.ts'

const MAX_BUCKETS = 3600
const MAX_WINDOW_MS = 7 * 86_400_000

/** The answer's shape (also the page's). */
export interface Timeline {
  /** Start of the first bucket (epoch ms, a multiple of `step_ms`). */
  start: number
  step_ms: number
  window_ms: number
  now: number
  /** Events per bucket, oldest first. */
  events: number[]
  /** PreToolUse events per bucket. */
  tool_calls: number[]
  /** PostToolUseFailure events per bucket. */
  failures: number[]
  total: number
}

export interface TimelineOptions {
  store: Store | undefined
  now?: () => number
}

const QUERY = z.object({
  window: z.string().optional().describe('How far back: 10m, 1h (default), 24h, 7d'),
  step: z
    .string()
    .optional()
    .describe(
      'Bucket size: 1s, 10s, 1m…; default window / 360, at least 1s; at most 3,600 buckets',
    ),
})

function duration(text: string, what: string): number {
  const ms = parseDuration(text)
  if (ms === undefined)
    throw new HttpError(400, `${what}: '${text}' is not a duration such as 10s, 1h`)
  return ms
}

/** Registers `GET /api/stats/timeline`. */
export function registerTimeline(app: App, options: TimelineOptions): void {
  const { store } = options
  const now = options.now ?? Date.now

  app.get(
    '/api/stats/timeline',
    async (c) => {
      if (store === undefined) {
        throw new HttpError(503, 'no store: this observatory keeps no history (see --db)')
      }
      const windowMs = duration(c.query.get('window') || '1h', 'window')
      if (windowMs < 1000 || windowMs > MAX_WINDOW_MS) {
        throw new HttpError(400, 'window: from 1s to 7d')
      }
      const stepText = c.query.get('step')
      const stepMs = stepText
        ? duration(stepText, 'step')
        : Math.max(1000, Math.ceil(windowMs / 360 / 1000) * 1000)
      if (stepMs < 1000 || Math.ceil(windowMs / stepMs) > MAX_BUCKETS) {
        throw new HttpError(
          400,
          `step: at least 1s, and at most ${MAX_BUCKETS} steps in the window`,
        )
      }
      const at = now()
      const last = Math.floor(at / stepMs) * stepMs
      const count = Math.max(1, Math.ceil(windowMs / stepMs))
      const start = last - (count - 1) * stepMs
      await store.flush()
      const rows = store.timeline(start, last + stepMs, stepMs)
      const timeline: Timeline = {
        start,
        step_ms: stepMs,
        window_ms: windowMs,
        now: at,
        events: new Array<number>(count).fill(0),
        tool_calls: new Array<number>(count).fill(0),
        failures: new Array<number>(count).fill(0),
        total: 0,
      }
      for (const row of rows) {
        if (row.bucket < 0 || row.bucket >= count) continue
        timeline.events[row.bucket] = row.events
        timeline.tool_calls[row.bucket] = row.tool_calls
        timeline.failures[row.bucket] = row.failures
        timeline.total += row.events
      }
      return timeline
    },
    {
      summary: 'Events per time step over a window (the dashboard’s activity chart)',
      description:
        'Buckets aligned to `step`, oldest first, the current one last. `tool_calls` counts PreToolUse, ' +
        '`failures` PostToolUseFailure.',
      tags: ['api'],
      schema: { query: QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            start: { type: 'integer', description: 'epoch ms of the first bucket' },
            step_ms: { type: 'integer' },
            window_ms: { type: 'integer' },
            now: { type: 'integer' },
            events: { type: 'array', items: { type: 'integer' } },
            tool_calls: { type: 'array', items: { type: 'integer' } },
            failures: { type: 'array', items: { type: 'integer' } },
            total: { type: 'integer' },
          },
          required: ['start', 'step_ms', 'events', 'tool_calls', 'failures', 'total'],
        },
        responses: {
          400: { description: 'A malformed window or step', schema: ERROR_BODY_SCHEMA },
          503: { description: 'No store (history is off)', schema: ERROR_BODY_SCHEMA },
        },
      },
    },
  )
}

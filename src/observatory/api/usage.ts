/**
 * `GET /api/stats/usage`: what Claude Code's API requests cost over a window (its telemetry's
 * `claude_code.api_request` log events, the `api_requests` table): per calendar day, per model with its latency,
 * the API latency's percentiles and the total. The dashboard's charts view draws it.
 *
 * Contract
 * - `since` (inclusive) and `until` (exclusive): a duration back from now (`30d`), an ISO 8601 date or time, or
 *   epoch ms; a bare date (`2026-03-01`) is that day's midnight at `tz`. Defaults: the last 30 calendar days at
 *   `tz`, today included (`since` the midnight 29 days before today's, `until` now). At most 400 days.
 * - `tz`: local time minus UTC, where a day starts: minutes (`120`, `-300`) or `±HH:MM` (`+02:00`; `Z`); default
 *   0. The page sends its own (`-new Date().getTimezoneOffset()`). One offset for the whole window: a daylight
 *   saving change inside it moves that part's day boundaries by the hour.
 * - `days` lists every calendar day the window touches, oldest first, zeros where no request was made; `models`
 *   most expensive first (`model` null: requests naming none); percentiles are nearest-rank over the requests that
 *   carried a `duration_ms` (see store/usage.ts); `total` sums the window.
 * - Aggregate queries over the `api_requests_ts` index (`Store.usageByDay`, `usageByModel`, `apiLatency`,
 *   `usageTotal`). Without a store (`--no-db`): 503, as `/api/stats/timeline`.
 */
import { z } from 'zod'
import { type App, ERROR_BODY_SCHEMA, HttpError } from '../../framework/index.ts'
import { parseDuration } from '../duration.ts'
import type { Store } from '../store/index.ts'
import { dayOf, dayStart, fillDays, type UsageStats } from '../store/usage.ts'

const DAY_MS = 86_400_000
const MAX_DAYS = 400
const DEFAULT_DAYS = 30
/** The widest offsets in use (UTC−12:00 to UTC+14:00). */
const MAX_TZ_MINUTES = 14 * 60

export interface UsageOptions {
  store: Store | undefined
  now?: () => number
}

const QUERY = z.object({
  since: z
    .string()
    .optional()
    .describe(
      'Start (inclusive): a duration back from now (30d), an ISO date or time, or epoch ms; default: midnight 29 days ago at tz',
    ),
  until: z
    .string()
    .optional()
    .describe('End (exclusive), same forms; default now; at most 400 days after since'),
  tz: z
    .string()
    .optional()
    .describe(
      'Where days start: local time minus UTC, in minutes (120, -300) or ±HH:MM (+02:00); default 0 (UTC)',
    ),
})

/** `tz` as minutes east of UTC. */
export function parseTz(raw: string | null): number {
  if (raw === null || raw === '') return 0
  // A `+` left unencoded in a query string arrives as a space.
  const text = raw.replace(/^ /, '+').trim()
  if (/^z$/i.test(text)) return 0
  let minutes: number | undefined
  const clock = /^([+-])(\d{2}):?(\d{2})$/.exec(text)
  if (clock !== null) {
    const m = Number(clock[3])
    if (m < 60) minutes = (clock[1] === '-' ? -1 : 1) * (Number(clock[2]) * 60 + m)
  } else if (/^[+-]?\d{1,4}$/.test(text)) minutes = Number(text)
  if (minutes === undefined || Math.abs(minutes) > MAX_TZ_MINUTES) {
    throw new HttpError(
      400,
      `tz: '${text}' is not a UTC offset in minutes from -840 to 840 (120, -300) or ±HH:MM (+02:00)`,
    )
  }
  return minutes
}

/** A time: a duration back from now, a date (midnight at `tz`), an ISO time, or epoch ms. */
export function parseWhen(raw: string, now: number, tz: number, what: string): number {
  // An offset's `+` left unencoded in a query string arrives as a space: put it back.
  const text = raw.replace(/(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2').trim()
  const back = parseDuration(text)
  if (back !== undefined) return now - back
  if (/^\d{1,15}$/.test(text)) return Number(text)
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = dayStart(text, tz)
    if (!Number.isNaN(start) && dayOf(start, tz) === text) return start
  } else if (
    /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)
  ) {
    // Without an offset, the time is read at `tz`.
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text)
    const time = Date.parse(`${text.replace(' ', 'T')}${hasZone ? '' : 'Z'}`)
    if (!Number.isNaN(time)) return hasZone ? time : time - tz * 60_000
  }
  throw new HttpError(
    400,
    `${what}: '${text}' is neither a duration (30d, 12h), a date (2026-03-01), an ISO time nor epoch ms`,
  )
}

/** The usage over a window, as the endpoint answers (also for tests and other callers with a store). */
export function usageStats(
  store: Store,
  window: { since: number; until: number; tzOffsetMinutes: number },
): UsageStats {
  const days = fillDays(store.usageByDay(window), window, MAX_DAYS + 1)
  return {
    since: window.since,
    until: window.until,
    tz_offset_minutes: window.tzOffsetMinutes,
    days,
    models: store.usageByModel(window),
    latency: store.apiLatency(window),
    total: store.usageTotal(window),
  }
}

const SUMS_PROPERTIES = {
  cost_usd: { type: 'number', description: 'USD, as Claude Code estimates it' },
  input_tokens: { type: 'integer' },
  output_tokens: { type: 'integer' },
  cache_read_tokens: { type: 'integer' },
  cache_creation_tokens: { type: 'integer' },
  api_requests: { type: 'integer' },
} as const
const SUMS_REQUIRED = Object.keys(SUMS_PROPERTIES)
const MS = { type: ['number', 'null'], description: 'ms; null when no request had a duration' }

/** Registers `GET /api/stats/usage`. */
export function registerUsage(app: App, options: UsageOptions): void {
  const { store } = options
  const now = options.now ?? Date.now

  app.get(
    '/api/stats/usage',
    async (c) => {
      if (store === undefined) {
        throw new HttpError(503, 'no store: this observatory keeps no history (see --db)')
      }
      const at = now()
      const tz = parseTz(c.query.get('tz'))
      const sinceText = c.query.get('since')
      const untilText = c.query.get('until')
      const until =
        untilText === null || untilText === '' ? at : parseWhen(untilText, at, tz, 'until')
      const since =
        sinceText === null || sinceText === ''
          ? dayStart(dayOf(until - 1, tz), tz) - (DEFAULT_DAYS - 1) * DAY_MS
          : parseWhen(sinceText, at, tz, 'since')
      if (!(since < until)) throw new HttpError(400, 'since: must be before until')
      if (until - since > MAX_DAYS * DAY_MS) {
        throw new HttpError(400, `since, until: at most ${MAX_DAYS} days apart`)
      }
      await store.flush()
      return usageStats(store, { since, until, tzOffsetMinutes: tz })
    },
    {
      summary: 'Cost, tokens and API latency over a window, per day and per model',
      description:
        "From Claude Code's telemetry (`claude_code.api_request` log events). `days`: every calendar day of " +
        'the window at `tz`, zeros included; `models`: most expensive first, with the p50/p95 of their ' +
        '`duration_ms`; `latency`: nearest-rank p50/p95/p99 and maximum over the window; `total`: its sums. ' +
        'Default window: the last 30 calendar days, today included.',
      tags: ['api'],
      schema: { query: QUERY },
      openapi: {
        response: {
          type: 'object',
          properties: {
            since: { type: 'integer', description: 'epoch ms, inclusive' },
            until: { type: 'integer', description: 'epoch ms, exclusive' },
            tz_offset_minutes: { type: 'integer' },
            days: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  day: { type: 'string', description: 'YYYY-MM-DD' },
                  ...SUMS_PROPERTIES,
                },
                required: ['day', ...SUMS_REQUIRED],
              },
            },
            models: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  model: { type: ['string', 'null'] },
                  ...SUMS_PROPERTIES,
                  p50_ms: MS,
                  p95_ms: MS,
                },
                required: ['model', ...SUMS_REQUIRED, 'p50_ms', 'p95_ms'],
              },
            },
            latency: {
              type: 'object',
              properties: {
                api_requests: { type: 'integer' },
                timed_requests: {
                  type: 'integer',
                  description: 'requests with a duration_ms (the percentiles are of these)',
                },
                p50_ms: MS,
                p95_ms: MS,
                p99_ms: MS,
                max_ms: MS,
              },
              required: ['api_requests', 'timed_requests', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms'],
            },
            total: { type: 'object', properties: SUMS_PROPERTIES, required: SUMS_REQUIRED },
          },
          required: ['since', 'until', 'tz_offset_minutes', 'days', 'models', 'latency', 'total'],
        },
        responses: {
          400: {
            description: 'A malformed since, until or tz, or a window out of bounds',
            schema: ERROR_BODY_SCHEMA,
          },
          503: { description: 'No store (history is off)', schema: ERROR_BODY_SCHEMA },
        },
      },
    },
  )
}

/**
 * Cost, tokens and API latency over a time window, from the `api_requests` table (Claude Code's telemetry): the
 * shapes `Store.usageByDay`, `Store.usageByModel` and `Store.apiLatency` return, and `GET /api/stats/usage`
 * answers with (api/usage.ts). Types and pure functions only: the dashboard imports the types.
 *
 * Percentiles are nearest-rank (the value at rank ⌈p·n⌉ of the n sorted durations, as `Store.toolStats`), computed
 * here: the window's durations are read in one pass over the `api_requests_ts` range into a Float64Array (8 bytes
 * a request; per model: the same pass in model order, cut by each model's count) and sorted. Ranking them in SQLite
 * instead (`row_number()` over the sorted durations, keeping the rows at the wanted ranks) measured 5–8 times
 * slower over 100,000 requests.
 */

/** The sums over a group of API requests. */
export interface UsageSums {
  cost_usd: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_creation_tokens: number
  api_requests: number
}

/** One calendar day's usage (`day`: `YYYY-MM-DD` at the asked UTC offset). */
export interface DayUsage extends UsageSums {
  day: string
}

/** One model's usage and API latency (`model` null: requests that named none). */
export interface ModelUsage extends UsageSums {
  model: string | null
  /** Nearest-rank percentiles of the requests' `duration_ms`; null when none had one. */
  p50_ms: number | null
  p95_ms: number | null
}

/** API latency over a window: nearest-rank percentiles of `duration_ms`, null when no request had one. */
export interface ApiLatency {
  api_requests: number
  /** The requests with a `duration_ms` (the percentiles are of these). */
  timed_requests: number
  p50_ms: number | null
  p95_ms: number | null
  p99_ms: number | null
  max_ms: number | null
}

/** A window: `since` inclusive, `until` exclusive (epoch ms). */
export interface UsageWindow {
  since: number
  until: number
}

export interface DayWindow extends UsageWindow {
  /** Local time minus UTC, in minutes (120 for UTC+02:00): where a day starts. */
  tzOffsetMinutes: number
}

/** `GET /api/stats/usage`. */
export interface UsageStats {
  since: number
  until: number
  tz_offset_minutes: number
  /** Every calendar day of the window, oldest first (days without a request are zeros). */
  days: DayUsage[]
  /** Most expensive first. */
  models: ModelUsage[]
  latency: ApiLatency
  total: UsageSums
}

/** The SQL of the sums, over a group of `api_requests` rows (the columns of {@link UsageSums}). */
export const USAGE_SUMS_SQL = `coalesce(sum(cost_usd), 0) AS cost_usd,
  coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
  coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
  coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens, count(*) AS api_requests`

/** The rank (1-based) of the nearest-rank `percent` percentile of `n` values: ⌈p·n⌉, in whole numbers. */
export function nearestRank(n: number, percent: number): number {
  return Math.max(1, Math.floor((n * percent + 99) / 100))
}

/** The p50/p95/p99/max of durations (sorted here, in place). */
export function percentiles(durations: Float64Array): {
  timed: number
  p50: number | null
  p95: number | null
  p99: number | null
  max: number | null
} {
  const n = durations.length
  if (n === 0) return { timed: 0, p50: null, p95: null, p99: null, max: null }
  durations.sort()
  const at = (percent: number): number => durations[nearestRank(n, percent) - 1]!
  return { timed: n, p50: at(50), p95: at(95), p99: at(99), max: durations[n - 1]! }
}

/** Zero usage. */
export function noUsage(): UsageSums {
  return {
    cost_usd: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_creation_tokens: 0,
    api_requests: 0,
  }
}

/** Only the sums of a row (a query's row may carry more columns). */
export function sumsOf(row: UsageSums): UsageSums {
  return {
    cost_usd: row.cost_usd,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cache_read_tokens: row.cache_read_tokens,
    cache_creation_tokens: row.cache_creation_tokens,
    api_requests: row.api_requests,
  }
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** The calendar day (`YYYY-MM-DD`) of `ms` at `tzOffsetMinutes` from UTC. */
export function dayOf(ms: number, tzOffsetMinutes: number): string {
  const d = new Date(ms + tzOffsetMinutes * 60_000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** Epoch ms of the start of the day `YYYY-MM-DD` at `tzOffsetMinutes` from UTC. */
export function dayStart(day: string, tzOffsetMinutes: number): number {
  return Date.parse(`${day}T00:00:00Z`) - tzOffsetMinutes * 60_000
}

/**
 * Every calendar day touched by the window (`since` inclusive, `until` exclusive), oldest first, with the usage
 * of `rows` (by `day`) or zeros.
 */
export function fillDays(rows: readonly DayUsage[], window: DayWindow, maxDays = 400): DayUsage[] {
  const byDay = new Map(rows.map((row) => [row.day, row]))
  const out: DayUsage[] = []
  const last = dayOf(Math.max(window.since, window.until - 1), window.tzOffsetMinutes)
  let day = dayOf(window.since, window.tzOffsetMinutes)
  for (let i = 0; i < maxDays; i++) {
    const row = byDay.get(day)
    out.push(row === undefined ? { day, ...noUsage() } : { day, ...sumsOf(row) })
    if (day >= last) break
    // Noon of the day, a day later: clear of any leap second or offset question.
    day = dayOf(dayStart(day, 0) + 36 * 3_600_000, 0)
  }
  return out
}

/**
 * The JSON API room: `/api/sessions`, `/api/events`, `/api/tools` (routes.ts), `/api/stats/timeline` (timeline.ts),
 * `/api/stats/usage` (usage.ts).
 */
export { type ApiOptions, registerApi, replaySession } from './routes.ts'
export { registerTimeline, type Timeline, type TimelineOptions } from './timeline.ts'
export { registerUsage, type UsageOptions, usageStats } from './usage.ts'

/** The JSON API room: `/api/sessions`, `/api/events`, `/api/tools` (routes.ts), `/api/stats/timeline` (timeline.ts). */
export { type ApiOptions, registerApi, replaySession } from './routes.ts'
export { registerTimeline, type Timeline, type TimelineOptions } from './timeline.ts'

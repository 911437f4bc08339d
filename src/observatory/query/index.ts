export { type FollowOptions, followLogs } from './follow.ts'
export type { OutputFormat } from './format.ts'
export { type QueryOptions, type QueryRunOptions, runQueryWith } from './query.ts'
export { type SessionRow, type SessionState, SessionTracker } from './sessions.ts'

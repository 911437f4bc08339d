export { type FollowOptions, followLogs } from './follow.ts'
export { parseSince, type QueryRunOptions, runQuery, runQueryWith } from './query.ts'
export { type SessionRow, type SessionState, SessionTracker } from './sessions.ts'

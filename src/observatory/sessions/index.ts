/**
 * The session model, a pure room: hook events in (in log order), sessions out (state, turns, tool calls,
 * subagents). No I/O and no clock; see `model.ts` for the rules.
 *
 *   types.ts    the public shapes (SessionSummary, SessionDetail, ToolCall, Turn, Subagent, ApplyResult)
 *   model.ts    SessionModel: apply(event), summary / summaries / detail (stale derived from `now`), load
 *   fields.ts   hookEventFromJson: the server's Map-based event → the plain object the model reads
 *   summary.ts  inputSummary (a call in one line), project (the last component of a cwd), usage and
 *               telemetry-only sessions (usageFields, telemetrySummary, withTelemetryUsage)
 *   replay.ts   stored lines back into a model (parseHookEvent, replayLines)
 */
export {
  BATCH_ENTRY_KEYS,
  BATCH_RESPONSE_CHARS,
  hookEventFromJson,
  plain,
  SESSION_KEYS,
} from './fields.ts'
export {
  DEFAULT_MAX_TOOL_CALLS,
  DEFAULT_MAX_TURNS,
  DEFAULT_STALE_AFTER_MS,
  deepEqual,
  eventTime,
  SessionModel,
  type SessionModelOptions,
} from './model.ts'
export { parseHookEvent, replayLines } from './replay.ts'
export {
  compactJson,
  INPUT_SUMMARY_MAX,
  inputSummary,
  oneLine,
  project,
  telemetrySummary,
  truncate,
  usageFields,
  withTelemetryUsage,
} from './summary.ts'
export type * from './types.ts'

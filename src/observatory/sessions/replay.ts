/**
 * Stored lines back into the model: what the server does at start (open sessions), the API for a session's detail,
 * and `observatory db import` to rebuild summaries. Pure: lines and their times in, the model moved on.
 */
import type { SessionModel } from './model.ts'
import type { HookEvent } from './types.ts'

/** A JSON line as the plain object the model reads; undefined when it is not a JSON object. */
export function parseHookEvent(line: string): HookEvent | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as HookEvent)
    : undefined
}

/**
 * Applies stored events (their line and the time the server received them) in order, skipping lines that are not
 * JSON objects. Returns the latest time applied (0 when none was).
 */
export function replayLines(
  model: SessionModel,
  events: Iterable<{ line: string; ts: number }>,
): number {
  let last = 0
  for (const stored of events) {
    const event = parseHookEvent(stored.line)
    if (event === undefined) continue
    model.apply(event, stored.ts)
    if (stored.ts > last) last = stored.ts
  }
  return last
}

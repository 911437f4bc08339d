/**
 * The indexed fields of an event, taken from its parsed line: what `Store.append` and `Store.importLines` need
 * besides the line itself. The server has the values at hand and builds {@link EventFields} directly; these helpers
 * are for lines read back from a log (import) and for tests.
 */

import { parseHookEvent } from '../sessions/index.ts'
import type { EventFields } from './types.ts'

/** `_ts` as the server writes it: an ISO 8601 date and time (`2025-01-31T12:00:00Z`, to the second, UTC). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/

/**
 * The fields of a parsed log line: `_ts` (ISO) in epoch ms, `_event` or else `hook_event_name`, and `session_id`,
 * `tool_name`, `tool_use_id`, `agent_id` when they are strings (else null). Undefined when the line has no usable
 * `_ts` or no event name: it is not an event line of ours.
 */
export function eventFields(event: Record<string, unknown>): EventFields | undefined {
  const stamp = event._ts
  if (typeof stamp !== 'string' || !ISO_DATE.test(stamp)) return undefined
  const ts = Date.parse(stamp)
  if (!Number.isFinite(ts)) return undefined
  const name =
    typeof event._event === 'string'
      ? event._event
      : typeof event.hook_event_name === 'string'
        ? event.hook_event_name
        : undefined
  if (name === undefined || name === '') return undefined
  return {
    ts,
    event: name,
    session_id: text(event.session_id),
    tool_name: text(event.tool_name),
    tool_use_id: text(event.tool_use_id),
    agent_id: text(event.agent_id),
  }
}

/** {@link eventFields} of one JSON line (a trailing "\n" is fine); undefined when it is not a JSON object. */
export function fieldsOfLine(line: string): EventFields | undefined {
  const event = parseHookEvent(line)
  return event === undefined ? undefined : eventFields(event)
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

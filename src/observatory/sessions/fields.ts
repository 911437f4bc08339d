/**
 * From the server's enriched event (a {@link JsonObject}: Maps, {@link JsonNumber}s) to the plain {@link HookEvent}
 * the session model reads. Only the keys the model reads ({@link SESSION_KEYS}) are converted, so the cost does not
 * grow with the payload: a PostToolUse's `tool_response` (a whole file, a command's output) is never touched, and
 * of a PostToolBatch's `tool_calls` only the few keys of each entry that say how the call ended are kept (the
 * response text cut to {@link BATCH_RESPONSE_CHARS} characters).
 */
import { JsonNumber, type JsonObject, type JsonValue } from '../encoding/index.ts'
import type { HookEvent } from './types.ts'

/** The keys of an event the session model reads. */
export const SESSION_KEYS: readonly string[] = Object.freeze([
  '_ts',
  '_event',
  'hook_event_name',
  'session_id',
  'prompt_id',
  'cwd',
  'new_cwd',
  'permission_mode',
  'transcript_path',
  'tool_name',
  'tool_input',
  'tool_use_id',
  'duration_ms',
  'error',
  'is_interrupt',
  'agent_id',
  'agent_type',
  'reason',
  'source',
  'model',
  'to_model',
  'notification_type',
  'message',
  'prompt',
  'tool_calls',
  'trigger',
])

/** The keys of a PostToolBatch `tool_calls[]` entry the model reads (besides `tool_response`, cut short). */
export const BATCH_ENTRY_KEYS: readonly string[] = Object.freeze([
  'tool_use_id',
  'tool_name',
  'tool_input',
  'is_error',
  'error',
  'error_message',
  'is_interrupt',
  'denied',
  'status',
])

/** How much of a batch entry's `tool_response` text the model gets (it only looks at how the text starts). */
export const BATCH_RESPONSE_CHARS = 500

const SESSION_KEY_SET: ReadonlySet<string> = new Set(SESSION_KEYS)

/** The plain object the session model reads, from the server's enriched event. */
export function hookEventFromJson(obj: JsonObject): HookEvent {
  const event: HookEvent = {}
  // why: an event has a dozen keys and the model reads 26: one pass over the event's keys instead of a lookup per
  // model key. With recorder.ts's skipped call copies: 226,458 → 219,934 instructions per event (−2.9%,
  // bench/observatory-instructions.ts, keep-alive over the Unix socket, log + reader, no store).
  for (const [key, value] of obj) {
    if (!SESSION_KEY_SET.has(key)) continue
    event[key] = key === 'tool_calls' ? batchEntries(value) : plain(value)
  }
  return event
}

/** A JSON value as plain JavaScript: objects as records, numbers as numbers. */
export function plain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return value.toNumber()
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of value) {
      // as JSON.parse does: `__proto__` is an own key, not the prototype
      if (key === '__proto__') {
        Object.defineProperty(out, key, {
          value: plain(item),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      } else out[key] = plain(item)
    }
    return out
  }
  if (Array.isArray(value)) return value.map(plain)
  return value
}

function batchEntries(value: JsonValue): unknown {
  if (!Array.isArray(value)) return plain(value)
  return value.map((entry) => {
    if (!(entry instanceof Map)) return plain(entry)
    const out: Record<string, unknown> = {}
    for (const key of BATCH_ENTRY_KEYS) {
      const item = entry.get(key)
      if (item !== undefined) out[key] = plain(item)
    }
    const response = entry.get('tool_response')
    if (response !== undefined) out.tool_response = responseText(response, BATCH_RESPONSE_CHARS)
    return out
  })
}

/**
 * The start of a tool result as text: a string as it is, a content-block array as its text blocks joined (an
 * `is_error` block flag is kept by the caller's keys only), anything else as ''. At most `max` characters.
 */
function responseText(value: JsonValue, max: number): string {
  if (typeof value === 'string') return value.slice(0, max)
  if (!Array.isArray(value)) {
    if (value instanceof Map) {
      const text = value.get('text') ?? value.get('error') ?? value.get('message')
      return typeof text === 'string' ? text.slice(0, max) : ''
    }
    return ''
  }
  let text = ''
  for (const block of value) {
    if (text.length >= max) break
    if (typeof block === 'string') text += block
    else if (block instanceof Map) {
      const part = block.get('text')
      if (typeof part === 'string') text += part
    }
  }
  return text.slice(0, max)
}

/**
 * Hook events as OTLP log records, both ways: what the exporter (exporter.ts) puts on a record, how a receiving
 * observatory recognizes such a record among Claude Code's telemetry, and how it turns the record back into a hook
 * event. Pure functions (and one bounded set): no I/O, no clock.
 *
 * A record, as the exporter writes it:
 *
 *   resource    service.name=hooks-observatory, service.instance.id (random, one per run), host.name
 *   scope       hooks-observatory
 *   body        the event's line as the origin wrote it (compact JSON, without its final "\n")
 *   attributes  hook.event.name, log.record.uid (`<instance>:<event id>`: unique per origin, the same on every
 *               retry), hooks_observatory.event.id, and when the payload has them session.id and
 *               gen_ai.conversation.id (= session_id), prompt.id, gen_ai.tool.name, gen_ai.tool.call.id
 *               (= tool_use_id)
 *
 * On the receiving side the event is kept as the origin wrote it with one change: the origin's identity keys
 * (`_client`, `_peer_pid`, `_peer_uid`, `_peer_gid`: what the origin's kernel or socket said about ITS caller) move
 * from the top level into `_forwarded`, which also names the origin (its instance id, host and the record's uid).
 * Top-level `_peer_*` and `_client` therefore always describe a local caller of the observatory that wrote the
 * line, never a forwarded one: a record cannot pass for a local, kernel-verified identity, whatever its body says.
 * `_forwarded` is reserved like the other metadata keys (server/event.ts), so a local hook cannot forge it either.
 */
import { createHash } from 'node:crypto'
import { type JsonObject, JsonSyntaxError, parseJson } from '../encoding/index.ts'
import type { OtlpLogRecord, OtlpValue } from './index.ts'

/** `service.name` of the resource and the instrumentation scope's name. */
export const OBSERVATORY_SERVICE = 'hooks-observatory'

/** The attributes a record carries (see the module comment). */
export const ATTR = {
  serviceName: 'service.name',
  instanceId: 'service.instance.id',
  hostName: 'host.name',
  event: 'hook.event.name',
  uid: 'log.record.uid',
  eventId: 'hooks_observatory.event.id',
  sessionId: 'session.id',
  conversationId: 'gen_ai.conversation.id',
  promptId: 'prompt.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
} as const

/** The key of the forwarded marker on a received event's line. */
export const FORWARDED_KEY = '_forwarded'

/** The origin's metadata about its own caller: moved under `_forwarded` on the receiving side. */
const IDENTITY_KEYS: ReadonlySet<string> = new Set([
  '_client',
  '_peer_pid',
  '_peer_uid',
  '_peer_gid',
])

/** The fields of a payload the exporter reads (from a line it already has as a string). */
export interface LineFields {
  session_id?: string
  prompt_id?: string
  tool_name?: string
  tool_use_id?: string
  /** PostToolUseFailure: the user interrupted the call. */
  is_interrupt?: boolean
  /** A forwarded event: not exported again (an A → B → A loop would never end). */
  forwarded: boolean
}

/** Reads the fields the exporter needs from a line (compact JSON); undefined when it is not a JSON object. */
export function lineFields(line: string): LineFields | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const o = value as Record<string, unknown>
  const fields: LineFields = { forwarded: o[FORWARDED_KEY] !== undefined }
  for (const key of ['session_id', 'prompt_id', 'tool_name', 'tool_use_id'] as const) {
    const v = o[key]
    if (typeof v === 'string' && v !== '') fields[key] = v
  }
  if (o.is_interrupt === true) fields.is_interrupt = true
  return fields
}

/** The attributes of the record that carries one event (the resource's are set once, by the exporter). */
export function recordAttributes(
  event: string,
  uid: string,
  eventId: number | undefined,
  fields: LineFields,
  promptId: string | undefined,
): Record<string, string | number> {
  const a: Record<string, string | number> = { [ATTR.event]: event, [ATTR.uid]: uid }
  if (eventId !== undefined) a[ATTR.eventId] = eventId
  if (fields.session_id !== undefined) {
    a[ATTR.sessionId] = fields.session_id
    a[ATTR.conversationId] = fields.session_id
  }
  if (promptId !== undefined) a[ATTR.promptId] = promptId
  if (fields.tool_name !== undefined) a[ATTR.toolName] = fields.tool_name
  if (fields.tool_use_id !== undefined) a[ATTR.toolCallId] = fields.tool_use_id
  return a
}

// ---------------------------------------------------------------------------------------------------------------
// Trace and span ids: derived, so that every observatory (and every retry) names a session, a turn and a call the
// same way.

function hexDigest(kind: string, key: string, hexChars: number): string {
  const hex = createHash('sha256').update(`hooks-observatory:${kind}:${key}`).digest('hex')
  const id = hex.slice(0, hexChars)
  // An all-zero id is invalid in OTLP; a sha256 prefix of zeros is as good as impossible, but stay valid anyway.
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id
}

/** The trace of a session: 16 bytes (32 hex digits) of sha256 over the session id. */
export function sessionTraceId(sessionId: string): string {
  return hexDigest('session', sessionId, 32)
}

/** The span of a turn: 8 bytes (16 hex digits) of sha256 over the prompt id. */
export function turnSpanId(promptId: string): string {
  return hexDigest('prompt', promptId, 16)
}

/** The span of a tool call: 8 bytes of sha256 over the tool_use_id. */
export function toolSpanId(toolUseId: string): string {
  return hexDigest('tool', toolUseId, 16)
}

// ---------------------------------------------------------------------------------------------------------------
// The receiving side

function stringAttribute(record: OtlpLogRecord, key: string): string | undefined {
  const value: OtlpValue | undefined = record.attributes[key]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Whether a log record is a hook event written by an observatory's exporter: its resource says
 * `service.name=hooks-observatory` and it has a `log.record.uid` and a `hook.event.name`. (The decoded record does
 * not keep its scope; these attributes are what the exporter always sets.)
 */
export function isObservatoryRecord(record: OtlpLogRecord): boolean {
  return (
    record.attributes[ATTR.serviceName] === OBSERVATORY_SERVICE &&
    stringAttribute(record, ATTR.uid) !== undefined &&
    stringAttribute(record, ATTR.event) !== undefined
  )
}

/** A forwarded hook event, ready for the recorder and the hub. */
export interface ForwardedEvent {
  /** The record's `log.record.uid`: what duplicates are recognized by. */
  uid: string
  /** The hook event name (the line's `_event`). */
  event: string
  /** When the origin received it (the record's time), in epoch ms; `now` for a record without one. */
  time: number
  /** The event as this observatory writes it: the origin's line, identity moved under `_forwarded`. */
  enriched: JsonObject
}

/**
 * The hook event an observatory record carries, or why it cannot be used. `now` stands in for a record without
 * a time. The body must be the origin's line: a JSON object whose first keys are `_ts` and `_event` (strings), and
 * `_event` must be the record's `hook.event.name`.
 */
export function forwardedEvent(record: OtlpLogRecord, now: number): ForwardedEvent | string {
  const uid = stringAttribute(record, ATTR.uid)
  const name = stringAttribute(record, ATTR.event)
  if (uid === undefined || name === undefined) return 'not an observatory record'
  if (typeof record.body !== 'string') return `record ${uid}: the body is not a string`
  let line: unknown
  try {
    line = parseJson(record.body, { nonFinite: false })
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
    return `record ${uid}: the body is not JSON`
  }
  if (!(line instanceof Map)) return `record ${uid}: the body is not a JSON object`
  const origin = line as JsonObject
  const ts = origin.get('_ts')
  const event = origin.get('_event')
  if (typeof ts !== 'string' || typeof event !== 'string') {
    return `record ${uid}: the body has no _ts and _event`
  }
  if (event !== name) return `record ${uid}: _event (${event}) is not hook.event.name (${name})`

  const marker: JsonObject = new Map()
  marker.set('instance', stringAttribute(record, ATTR.instanceId) ?? null)
  marker.set('host', stringAttribute(record, ATTR.hostName) ?? null)
  marker.set('uid', uid)
  const enriched: JsonObject = new Map()
  enriched.set('_ts', ts)
  enriched.set('_event', event)
  enriched.set(FORWARDED_KEY, marker)
  for (const [key, value] of origin) {
    if (key === '_ts' || key === '_event') continue
    if (IDENTITY_KEYS.has(key)) marker.set(key, value)
    // The origin's own `_forwarded` (it received the event from a third observatory): kept, one level down.
    else if (key === FORWARDED_KEY) marker.set('previous', value)
    else enriched.set(key, value)
  }
  return { uid, event, time: record.timeMs ?? now, enriched }
}

/**
 * The inverse of {@link forwardedEvent}'s change: the origin's line, as it wrote it (for tests and for whoever
 * needs the original bytes back: encode the result with `encodeJson`).
 */
export function originalEvent(forwarded: JsonObject): JsonObject {
  const marker = forwarded.get(FORWARDED_KEY)
  const out: JsonObject = new Map()
  for (const [key, value] of forwarded) {
    if (key !== FORWARDED_KEY) {
      out.set(key, value)
      if (key === '_event' && marker instanceof Map) {
        for (const [k, v] of marker) if (IDENTITY_KEYS.has(k)) out.set(k, v)
      }
    } else if (marker instanceof Map && marker.has('previous')) {
      out.set(FORWARDED_KEY, marker.get('previous')!)
    }
  }
  return out
}

/**
 * The uids seen lately: a set that forgets its oldest entries past `max`. Retries come within seconds of the
 * first attempt, so a bounded memory is enough to drop them.
 */
export class RecentIds {
  readonly #max: number
  readonly #ids = new Set<string>()

  constructor(max = 100_000) {
    this.#max = max
  }

  get size(): number {
    return this.#ids.size
  }

  /** True when `id` is new (it is remembered from now on); false for a duplicate. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false
    this.#ids.add(id)
    if (this.#ids.size > this.#max) this.#ids.delete(this.#ids.values().next().value!)
    return true
  }

  /** Forget `id` (its event could not be recorded: a retry must not be taken for a duplicate). */
  delete(id: string): void {
    this.#ids.delete(id)
  }
}

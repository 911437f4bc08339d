/**
 * From an HTTP request to an observatory event: the event name from the query string, the payload from the body,
 * and the metadata (`_ts`, `_event`, `_client` or `_peer_*`) put in front. Pure functions: no sockets, no clock
 * (the caller passes the time in).
 *
 * The original Python handler, for reference (both variants):
 *
 *     query = parse_qs(urlparse(self.path).query)
 *     event = query.get("event", ["Unknown"])[0]
 *     body = self.rfile.read(content_length)
 *     try:
 *         payload = json.loads(body) if body else {}
 *     except json.JSONDecodeError:
 *         payload = {"_raw": body.decode("utf-8", errors="replace")}
 *
 * Where this port deliberately differs (the original fails the request; this records the event instead):
 * - bytes that are not valid in the encoding `json.loads` detects raise `UnicodeDecodeError`, which is not a
 *   `JSONDecodeError`: the handler crashes and no event is printed. Here they become `_raw`.
 * - valid JSON that is not an object (`[1]`, `"text"`, `42`, `null`) makes the original's merge step fail
 *   (`{**payload}` in the TCP variant, `dict.update(payload)` in the Unix one — which, quirkily, accepts a list of
 *   key/value pairs such as `[["a", 1]]` and an empty string). Here any non-object becomes `_raw`.
 * - nesting deeper than about 1000 levels raises `RecursionError` in Python; integers longer than 4300 digits raise
 *   `ValueError` (Python's int-to-string limit). Here the first becomes `_raw` and the second is kept, verbatim.
 */
import {
  EncodedObject,
  JsonNumber,
  type JsonObject,
  JsonSyntaxError,
  type ParseJsonOptions,
  parseJsonBytesCanonical,
  quoteJsonString,
} from '../encoding/index.ts'

/** Payloads are read as RFC 8259 JSON only (no `NaN`/`Infinity`): see {@link payloadFromBody}. */
const RFC_8259: ParseJsonOptions = Object.freeze({ nonFinite: false })

// ---------------------------------------------------------------------------------------------------------------
// The event name: urllib.parse.parse_qs(query).get('event', ['Unknown'])[0]
// ---------------------------------------------------------------------------------------------------------------

/** The event name when the query has no usable `event` parameter. */
export const UNKNOWN_EVENT = 'Unknown'

/** UTF-8 decoding with U+FFFD for invalid sequences: Python's `errors='replace'` (the same replacement policy). */
const replacingUtf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Python's `urllib.parse.unquote(text)` (UTF-8, `errors='replace'`). Only runs of ASCII characters are
 * percent-decoded; each run's bytes are decoded as UTF-8 on their own. Non-ASCII characters (which reach the query
 * when the request line has raw bytes ≥ 0x80, read as Latin-1) pass through untouched — and they split runs, so a
 * sequence like `%C3é%A9` decodes its two halves separately, to two U+FFFD. A `%` not followed by two hex digits
 * stays as it is.
 */
function unquote(text: string): string {
  if (!text.includes('%')) return text
  return text.replace(/[\x00-\x7f]+/g, (run) => replacingUtf8.decode(percentDecode(run)))
}

/** Python's `unquote_to_bytes` for an ASCII string: `%XX` (either case) becomes the byte, anything else stays. */
function percentDecode(ascii: string): Uint8Array {
  const bytes = new Uint8Array(ascii.length) // never longer than the input
  let n = 0
  for (let i = 0; i < ascii.length; i++) {
    const c = ascii.charCodeAt(i)
    if (c === 0x25 /* % */ && /^[0-9a-fA-F]{2}$/.test(ascii.slice(i + 1, i + 3))) {
      bytes[n++] = Number.parseInt(ascii.slice(i + 1, i + 3), 16)
      i += 2
    } else {
      bytes[n++] = c
    }
  }
  return bytes.subarray(0, n)
}

/**
 * The event name from a query string (the part of the request target after `?`, without a `#fragment`), as the
 * original computes it with `parse_qs(query).get("event", ["Unknown"])[0]`:
 *
 * - fields are separated by `&` only (Python 3.10+; `;` is no longer a separator);
 * - a field without `=` is skipped, and so is a field whose value is empty (`keep_blank_values=False`), so
 *   `?event=` and `?event` give `"Unknown"` and `?event=&event=Stop` gives `"Stop"`;
 * - names and values have `+` turned into a space, then are percent-decoded as UTF-8 with U+FFFD for invalid
 *   bytes, so `ev%65nt=Pre%54oolUse` is `PreToolUse`;
 * - the first remaining `event` wins.
 *
 * The query should reach this function as the original sees it: `http.server` decodes the request line as
 * Latin-1, so raw bytes ≥ 0x80 in the target are Latin-1 characters here (and are not percent-decoded).
 */
export function eventNameFromQuery(query: string): string {
  if (query === '') return UNKNOWN_EVENT
  for (const field of query.split('&')) {
    const equals = field.indexOf('=')
    if (equals === -1) continue // no '=': skipped (strict_parsing=False, keep_blank_values=False)
    const rawValue = field.slice(equals + 1)
    if (rawValue === '') continue // blank values are dropped before decoding (`event=%20` is kept: it is " ")
    const name = unquote(field.slice(0, equals).replaceAll('+', ' '))
    if (name === 'event') return unquote(rawValue.replaceAll('+', ' '))
  }
  return UNKNOWN_EVENT
}

// ---------------------------------------------------------------------------------------------------------------
// The payload: json.loads(body) if body else {}, or {"_raw": ...}
// ---------------------------------------------------------------------------------------------------------------

/**
 * The payload from a request body, as the original builds it:
 *
 * - an empty body (0 bytes) is an empty object. Only 0 bytes: a body of whitespace is not empty to Python's
 *   `if body`, fails to parse, and becomes `_raw`;
 * - a body that `json.loads` accepts and that is a JSON object is that object. `json.loads` reads bytes, so it
 *   detects UTF-16/UTF-32 and skips a UTF-8 byte order mark (see `parseJsonBytes`);
 * - anything else is `{"_raw": text}`, the body decoded as UTF-8 with U+FFFD for invalid bytes (Python's
 *   `body.decode("utf-8", errors="replace")`; a byte order mark is kept as U+FEFF). See the module comment for
 *   the cases where the original fails instead.
 *
 * Unlike `json.loads`, `NaN`, `Infinity` and `-Infinity` are not accepted: the original would print them back
 * (`"n": NaN`), a line that `jq`, `JSON.parse` and the live page reject. Every line written is RFC 8259 JSON, so
 * such a body is kept as `_raw` like any other body that is not JSON.
 */
export function payloadFromBody(body: Uint8Array): JsonObject {
  return readPayload(body).payload
}

/**
 * Where a payload's text already is compact JSON exactly as the encoder would write it: `text.slice(start, end)`
 * is the object, `{` to `}`. {@link enrichEvent} given it writes the event's line by splicing the metadata in
 * front of that text instead of encoding the payload again.
 *
 * why: encoding the enriched event again was about 4% of the server's CPU per event (keep-alive, --cpu-prof);
 * with the splice, parse → enrich → line takes 0.60× the time of parse → enrich → encode for the 400-byte
 * benchmark body (bench/event-path.bench.ts).
 */
export interface PayloadText {
  readonly text: string
  readonly start: number
  readonly end: number
}

/**
 * {@link payloadFromBody}, and the payload's text when it can be spliced into the line as it is (see
 * {@link PayloadText}). The payload must reach {@link enrichEvent} unchanged for the text to be right.
 */
export function readPayload(body: Uint8Array): {
  payload: JsonObject
  text: PayloadText | undefined
} {
  if (body.length === 0) return { payload: new Map(), text: undefined }
  try {
    const parsed = parseJsonBytesCanonical(body, RFC_8259)
    const value = parsed.value
    if (value instanceof Map) {
      return {
        payload: value,
        text: parsed.canonical
          ? { text: parsed.text, start: parsed.start, end: parsed.end }
          : undefined,
      }
    }
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
  }
  return { payload: new Map([['_raw', replacingUtf8.decode(body)]]), text: undefined }
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata: enrich_payload
// ---------------------------------------------------------------------------------------------------------------

/** Credentials of the process on the other end of a Unix socket (`SO_PEERCRED`), whichever could be read. */
export interface PeerCredentials {
  pid?: number
  uid?: number
  gid?: number
}

/** What the server knows about a request besides its body. */
export interface EventMeta {
  /** When the request was handled; written as `_ts`, to the second, in UTC. */
  ts: Date
  /** The event name ({@link eventNameFromQuery}); written as `_event`. */
  event: string
  /** TCP: the client's IP address; written as `_client`. */
  client?: string
  /** Unix socket: the peer's credentials; written as `_peer_pid`, `_peer_uid`, `_peer_gid`. */
  peer?: PeerCredentials
}

/**
 * The timestamp as Python's `datetime.now(timezone.utc).isoformat(timespec="seconds")` writes it:
 * `2026-02-09T10:30:00+00:00`. Fractions of a second are dropped (truncated, not rounded), and UTC is written as
 * `+00:00`, not `Z`.
 *
 * @throws RangeError for an invalid date or a year outside 1..9999 (Python's `datetime` cannot hold those).
 */
export function formatTimestamp(date: Date): string {
  // why: every event of a second has the same `_ts`; the last one is kept (0.07× the time of formatting it
  // anew: bench/event-path.bench.ts).
  const ms = date.getTime()
  if (ms >= lastSecondMs && ms < lastSecondMs + 1000) return lastTimestamp
  const text = formatTimestampUncached(date)
  lastSecondMs = ms - (((ms % 1000) + 1000) % 1000)
  lastTimestamp = text
  return text
}

let lastSecondMs = Number.NaN
let lastTimestamp = ''

function formatTimestampUncached(date: Date): string {
  const year = date.getUTCFullYear()
  if (Number.isNaN(year) || year < 1 || year > 9999) {
    throw new RangeError(`cannot format ${String(date)} as a Python datetime (year 1..9999)`)
  }
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    `${String(year).padStart(4, '0')}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}` +
    `T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}+00:00`
  )
}

/**
 * The metadata keys the server writes. They are the server's alone: a payload cannot set or replace them.
 * `_from_payload` is the place where a payload's own values for these keys are kept (see {@link enrichEvent}).
 */
export const METADATA_KEYS: ReadonlySet<string> = new Set([
  '_ts',
  '_event',
  '_client',
  '_peer_pid',
  '_peer_uid',
  '_peer_gid',
  // Set only on an event received from another observatory (otlp/observatory-records.ts): a local payload
  // cannot pass for a forwarded event (nor stop its own export: otlp/exporter.ts skips forwarded events).
  '_forwarded',
])

/** Where {@link enrichEvent} keeps a payload's values for {@link METADATA_KEYS} (and for this key itself). */
export const FROM_PAYLOAD_KEY = '_from_payload'

/**
 * The event as the observatory prints it: metadata first, then the payload.
 *
 * Key order: `_ts`, `_event`, then `_client` (TCP) or whichever of `_peer_pid`, `_peer_uid`, `_peer_gid` are known
 * (Unix socket), then the payload's keys in their order.
 *
 * The metadata always wins. A payload key that is a metadata key (any of {@link METADATA_KEYS}, whatever the
 * transport: a TCP client cannot add `_peer_uid`, a Unix client cannot add `_client`) does not reach the top
 * level; its value is kept, not lost, under `_from_payload` (an object, in the payload's order), which comes after
 * the payload's other keys. A payload's own `_from_payload` key goes there too, so that object always holds only
 * what the payload said. So `{"_peer_uid": 0, "tool_name": "Bash"}` from uid 1000 is written as
 * `{"_ts": …, "_event": …, "_peer_pid": …, "_peer_uid": 1000, "_peer_gid": …, "tool_name": "Bash",
 * "_from_payload": {"_peer_uid": 0}}`.
 *
 * This is a deliberate difference from the Python original, whose dict merge (`{**meta, **payload}`,
 * `result.update(payload)`) lets the payload replace the metadata: there, any client could claim to be root, or
 * date its event in 2020. Here `_peer_*` are only ever what the kernel reported.
 *
 * Returns a new map; `payload` is not modified.
 */
export function enrichEvent(
  meta: EventMeta,
  payload: JsonObject,
  text?: PayloadText | undefined,
): JsonObject {
  if (text !== undefined) {
    const spliced = splicedEvent(meta, payload, text)
    if (spliced !== undefined) return spliced
  }
  const event: JsonObject = new Map()
  event.set('_ts', formatTimestamp(meta.ts))
  event.set('_event', meta.event)
  if (meta.client !== undefined) event.set('_client', meta.client)
  const peer = meta.peer
  if (peer !== undefined) {
    if (peer.pid !== undefined) event.set('_peer_pid', JsonNumber.of(peer.pid))
    if (peer.uid !== undefined) event.set('_peer_uid', JsonNumber.of(peer.uid))
    if (peer.gid !== undefined) event.set('_peer_gid', JsonNumber.of(peer.gid))
  }
  let fromPayload: JsonObject | undefined
  for (const [key, value] of payload) {
    // Every reserved key starts with '_': one comparison spares the set lookup for ordinary keys.
    if (key.charCodeAt(0) === 0x5f && (METADATA_KEYS.has(key) || key === FROM_PAYLOAD_KEY)) {
      fromPayload ??= new Map()
      fromPayload.set(key, value)
    } else {
      event.set(key, value)
    }
  }
  if (fromPayload !== undefined) event.set(FROM_PAYLOAD_KEY, fromPayload)
  return event
}

/**
 * {@link enrichEvent} for a payload whose text is already the encoder's output ({@link PayloadText}): the same map,
 * as an {@link EncodedObject} that carries its line, `{` + the metadata + `,` + the payload's text after its `{`.
 * Undefined when the payload has a key of its own among the metadata's (it goes under `_from_payload`: the line
 * is then encoded the usual way).
 */
function splicedEvent(
  meta: EventMeta,
  payload: JsonObject,
  source: PayloadText,
): JsonObject | undefined {
  const event = new EncodedObject()
  const ts = formatTimestamp(meta.ts)
  event.put('_ts', ts)
  event.put('_event', meta.event)
  let head = `{"_ts":"${ts}","_event":${quoteName(meta.event)}`
  if (meta.client !== undefined) {
    event.put('_client', meta.client)
    head += `,"_client":${quoteName(meta.client)}`
  }
  const peer = meta.peer
  if (peer !== undefined) {
    if (peer.pid !== undefined) {
      const pid = JsonNumber.of(peer.pid)
      event.put('_peer_pid', pid)
      head += `,"_peer_pid":${pid.text}`
    }
    if (peer.uid !== undefined) {
      const uid = JsonNumber.of(peer.uid)
      event.put('_peer_uid', uid)
      head += `,"_peer_uid":${uid.text}`
    }
    if (peer.gid !== undefined) {
      const gid = JsonNumber.of(peer.gid)
      event.put('_peer_gid', gid)
      head += `,"_peer_gid":${gid.text}`
    }
  }
  for (const [key, value] of payload) {
    if (key.charCodeAt(0) === 0x5f && (METADATA_KEYS.has(key) || key === FROM_PAYLOAD_KEY)) {
      return undefined
    }
    event.put(key, value)
  }
  event.encoded =
    payload.size === 0 ? `${head}}` : `${head},${source.text.slice(source.start + 1, source.end)}`
  return event
}

/**
 * Event names (and TCP client addresses) as JSON string literals, the last few hundred kept: a handful of names
 * make up every event, and quoteJsonString builds a writer for each call.
 */
const quoted = new Map<string, string>()
function quoteName(name: string): string {
  let literal = quoted.get(name)
  if (literal === undefined) {
    literal = quoteJsonString(name)
    if (quoted.size >= 256) quoted.clear()
    quoted.set(name, literal)
  }
  return literal
}

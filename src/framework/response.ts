/**
 * What a handler may return, and how each kind becomes a transport `Response`.
 *
 * | returned value                          | response                                                      |
 * | --------------------------------------- | ------------------------------------------------------------- |
 * | a `Response` (`{ status, headers?, body? }`) | sent as is                                               |
 * | a string                                | `text/plain; charset=utf-8`                                   |
 * | a `Uint8Array` / `Buffer`               | `application/octet-stream`                                    |
 * | an `AsyncIterable<Uint8Array>`          | streamed (chunked), `application/octet-stream`                |
 * | `undefined`                             | 204 No Content (or the status set with `c.status()`, no body) |
 * | anything else (object, array, number…)  | JSON (`application/json`)                                     |
 *
 * A returned object is taken for a `Response` when its `status` is an integer from 100 to 599 and it has no keys
 * besides `status`, `reason`, `headers` and `body`. To send JSON data that happens to look like that
 * (`{ "status": 200 }`), use `c.json(data)`.
 */
import type { HeaderInit } from '../protocol/index.ts'
import type { Body, Response } from '../transport/index.ts'

/** What a route handler, a middleware or a hook may return; see the table in this module's header. */
export type HandlerResult =
  | Response
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | object
  | number
  | boolean
  | null
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler written `(c) => { ... }` returns void, and must type-check.
  | void

/** `application/json`: RFC 8259 §11 defines no charset parameter (JSON is UTF-8). */
export const JSON_TYPE = 'application/json'
/** `text/plain` with its charset, as every text response carries it. */
export const TEXT_TYPE = 'text/plain; charset=utf-8'
const BYTES_TYPE = 'application/octet-stream'

// why: shared frozen header lists: converting a result allocates the response object and nothing else.
const JSON_HEADERS: HeaderInit = Object.freeze([
  Object.freeze(['content-type', JSON_TYPE] as const),
])
const TEXT_HEADERS: HeaderInit = Object.freeze([
  Object.freeze(['content-type', TEXT_TYPE] as const),
])
const BYTES_HEADERS: HeaderInit = Object.freeze([
  Object.freeze(['content-type', BYTES_TYPE] as const),
])

const RESPONSE_KEYS = new Set(['status', 'reason', 'headers', 'body'])

/**
 * True when `value` is shaped like a transport `Response` (see the module header).
 *
 * ```ts
 * isResponse({ status: 204 })             // true
 * isResponse({ status: 'ok' })            // false: sent as JSON
 * isResponse({ status: 200, user: 'x' })  // false: a key a Response does not have
 * ```
 */
export function isResponse(value: object): value is Response {
  const status = (value as { status?: unknown }).status
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return false
  }
  for (const key in value) if (!RESPONSE_KEYS.has(key)) return false
  return true
}

/** Converts a handler's result; `status` applies to every kind but a full `Response`. */
export function toResponse(result: HandlerResult, status: number, statusSet: boolean): Response {
  if (result === undefined) return { status: statusSet ? status : 204 }
  if (typeof result === 'string') return { status, headers: TEXT_HEADERS, body: result }
  if (typeof result === 'object' && result !== null) {
    if (result instanceof Uint8Array) return { status, headers: BYTES_HEADERS, body: result }
    if (isResponse(result)) return result
    if (!Array.isArray(result) && Symbol.asyncIterator in result) {
      return { status, headers: BYTES_HEADERS, body: result as AsyncIterable<Uint8Array> }
    }
  }
  return { status, headers: JSON_HEADERS, body: JSON.stringify(result) }
}

/**
 * A JSON response. `JSON.stringify` rules apply: a `BigInt` or a cycle throws (and becomes a 500).
 *
 * ```ts
 * return jsonResponse({ id: 1 }, 201) // 201, Content-Type: application/json, body {"id":1}
 * ```
 */
export function jsonResponse(data: unknown, status = 200, headers?: HeaderInit): Response {
  const body = JSON.stringify(data) ?? 'null'
  return {
    status,
    headers: headers === undefined ? JSON_HEADERS : withType(headers, JSON_TYPE),
    body,
  }
}

/**
 * A `text/plain; charset=utf-8` response.
 *
 * ```ts
 * return textResponse('pong') // 200, body pong
 * ```
 */
export function textResponse(text: string, status = 200, headers?: HeaderInit): Response {
  return {
    status,
    headers: headers === undefined ? TEXT_HEADERS : withType(headers, TEXT_TYPE),
    body: text,
  }
}

/** A response with an explicit content type. */
export function typedResponse(type: string, body: Body, status = 200): Response {
  return { status, headers: [['content-type', type]], body }
}

/**
 * A redirect: `Location` set to `location`, status 302 unless given (301, 302, 303, 307 or 308).
 *
 * ```ts
 * return redirectResponse('/docs', 308)
 * ```
 */
export function redirectResponse(location: string, status = 302): Response {
  if (![301, 302, 303, 307, 308].includes(status)) {
    throw new RangeError(`a redirect status is 301, 302, 303, 307 or 308, got ${status}`)
  }
  if (/[\x00-\x1f\x7f]/.test(location)) {
    throw new TypeError('a redirect location cannot contain control characters')
  }
  return { status, headers: [['location', location]] }
}

/** `headers` plus a content type unless they name one. */
function withType(headers: HeaderInit, type: string): HeaderInit {
  const pairs = pairsOf(headers)
  if (!pairs.some(([name]) => name.toLowerCase() === 'content-type'))
    pairs.unshift(['content-type', type])
  return pairs
}

/** A fresh list of pairs from any `HeaderInit`. */
export function pairsOf(init: HeaderInit | undefined): [string, string][] {
  const out: [string, string][] = []
  if (init === undefined) return out
  if (Array.isArray(init)) {
    for (const [name, value] of init as ReadonlyArray<readonly [string, string]>)
      out.push([name, value])
    return out
  }
  if (Symbol.iterator in init) {
    for (const [name, value] of init as Iterable<[string, string]>) out.push([name, value])
    return out
  }
  for (const [name, value] of Object.entries(init as Record<string, string | readonly string[]>)) {
    if (typeof value === 'string') out.push([name, value])
    else for (const one of value) out.push([name, one])
  }
  return out
}

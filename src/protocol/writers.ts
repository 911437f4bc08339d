/**
 * Writers: what the server sends, as bytes (h11's `_writers.py`). They decide nothing about framing or
 * persistence — `planResponse()` (response-plan.ts) does — and they validate what they write, so that nothing an
 * application passes can break the message apart: header names must be tokens, values and reason phrases may not
 * hold CR, LF, NUL or other controls (header injection is impossible) nor characters above U+00FF (the wire is
 * latin1). A refusal is a `LocalProtocolError` with status hint 500: the application's bug, not the client's.
 */
import { LocalProtocolError } from './errors.ts'
import { HeaderFields, type HeaderInit } from './headers.ts'
import type { ResponsePlan } from './response-plan.ts'
import { reasonPhrase } from './status.ts'
import { INVALID_FIELD_VALUE_RE, isChunkedCoding, TOKEN_RE } from './tables.ts'

export const CRLF = Buffer.from('\r\n', 'latin1')
/** RFC 9112 §7.1: last-chunk with no trailer section. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1')

/** What writeFields noticed in the application's fields while writing them. */
export interface FieldFacts {
  /** The field lines written, `Name: value\r\n` each (text form; empty when a list was asked for). */
  fields: string
  /** The application's Content-Length (validated), or undefined. */
  contentLength: number | undefined
  /** The application's Transfer-Encoding: bare `chunked` as the final coding, or anything else. */
  transferEncoding: 'chunked' | 'other' | undefined
  /** A `close` token in the application's Connection field. */
  closeToken: boolean
  /** A `keep-alive` token in the application's Connection field. */
  keepAliveToken: boolean
  /** The application gave its own Date. */
  hasDate: boolean
}

export function newFieldFacts(): FieldFacts {
  return {
    fields: '',
    contentLength: undefined,
    transferEncoding: undefined,
    closeToken: false,
    keepAliveToken: false,
    hasDate: false,
  }
}

/**
 * Validate the application's fields and write them into `out` (`out.fields`, or `list` as flat
 * `[name, value, …]` when given, the form node:http's `writeHead` takes), noting the ones that matter for
 * framing and persistence. `out` is cleared first: it describes exactly these fields. `dropFraming`: leave out
 * Content-Length and Transfer-Encoding (204 and 1xx).
 */
export function writeFields(
  init: HeaderInit | undefined,
  dropFraming: boolean,
  out: FieldFacts,
  list?: string[],
): void {
  out.fields = ''
  out.contentLength = undefined
  out.transferEncoding = undefined
  out.closeToken = false
  out.keepAliveToken = false
  out.hasDate = false
  if (init === undefined) return
  // why: a plain loop calling writeField, not a closure made per call: one allocation less per response.
  if (init instanceof HeaderFields) {
    const raw = init.raw
    for (let i = 0; i < raw.length; i += 2) writeField(raw[i]!, raw[i + 1]!, dropFraming, out, list)
  } else if (Array.isArray(init)) {
    for (const pair of init as ReadonlyArray<readonly [string, string]>) {
      writeField(pair[0], pair[1], dropFraming, out, list)
    }
  } else {
    for (const [name, value] of Object.entries(
      init as Record<string, string | readonly string[]>,
    )) {
      if (typeof value === 'string') writeField(name, value, dropFraming, out, list)
      else for (const v of value) writeField(name, v, dropFraming, out, list)
    }
  }
  // Content-Length and Transfer-Encoding together would be a response-splitting hazard: refuse.
  if (out.contentLength !== undefined && out.transferEncoding !== undefined) {
    throw new LocalProtocolError(
      'a response cannot have both Content-Length and Transfer-Encoding',
      'BAD_RESPONSE_HEADER',
      500,
    )
  }
}

function writeField(
  name: string,
  value: string,
  dropFraming: boolean,
  out: FieldFacts,
  list: string[] | undefined,
): void {
  if (!TOKEN_RE.test(name)) {
    throw new LocalProtocolError(`header name "${name}" is not a token`, 'BAD_RESPONSE_HEADER', 500)
  }
  if (INVALID_FIELD_VALUE_RE.test(value)) {
    throw new LocalProtocolError(
      `header "${name}" has a forbidden character`,
      'BAD_RESPONSE_HEADER',
      500,
    )
  }
  // why: names are compared by length first, so most fields cost one integer comparison here (undici).
  switch (name.length) {
    case 4:
      if (name.toLowerCase() === 'date') out.hasDate = true
      break
    case 10:
      if (name.toLowerCase() === 'connection') {
        for (const token of value.split(',')) {
          const t = token.trim().toLowerCase()
          if (t === 'close') out.closeToken = true
          else if (t === 'keep-alive') out.keepAliveToken = true
        }
      }
      break
    case 14:
      if (name.toLowerCase() === 'content-length') {
        if (dropFraming) return
        const t = value.trim()
        if (!/^[0-9]{1,15}$/.test(t)) {
          throw new LocalProtocolError('Content-Length is not a number', 'BAD_RESPONSE_HEADER', 500)
        }
        if (out.contentLength !== undefined && out.contentLength !== Number(t)) {
          throw new LocalProtocolError('conflicting Content-Length', 'BAD_RESPONSE_HEADER', 500)
        }
        out.contentLength = Number(t)
      }
      break
    case 17:
      if (name.toLowerCase() === 'transfer-encoding') {
        if (dropFraming) return
        // Any final coding but the bare `chunked` (`gzip`, `chunked;x`) is not ours to frame: the body goes
        // out as given and the connection closes after it (RFC 9112 §6.1: the sender "MUST either apply
        // chunked as the final transfer coding or terminate the message by closing the connection").
        const codings = value.split(',')
        out.transferEncoding = isChunkedCoding(codings[codings.length - 1]!) ? 'chunked' : 'other'
      }
      break
  }
  if (list !== undefined) list.push(name, value)
  else out.fields += `${name}: ${value}\r\n`
}

/** RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). */
export function checkReason(reason: string): string {
  if (INVALID_FIELD_VALUE_RE.test(reason)) {
    throw new LocalProtocolError(
      'reason phrase has a forbidden character',
      'BAD_RESPONSE_HEADER',
      500,
    )
  }
  return reason
}

/**
 * A final response head, as `planResponse()` decided it: status line, the application's fields, then what the
 * plan adds, in this order: Date (when `date` is given and the application set none), Content-Length or
 * `Transfer-Encoding: chunked`, and `Connection: close` or the keep-alive announcement (`keepAliveHeader`:
 * `Connection: keep-alive` and `Keep-Alive: timeout=N`, or '' to announce only to HTTP/1.0 clients).
 */
export function writeResponseHead(
  status: number,
  plan: ResponsePlan,
  date: (() => string) | undefined,
  keepAliveHeader: string,
): string {
  let added = ''
  if (date !== undefined && !plan.fields.hasDate) added = `Date: ${date()}\r\n`
  if (plan.addContentLength >= 0) added += `Content-Length: ${plan.addContentLength}\r\n`
  else if (plan.addChunked) added += 'Transfer-Encoding: chunked\r\n'
  if (plan.connection === 'close') added += 'Connection: close\r\n'
  else if (plan.connection === 'keep-alive') {
    added += keepAliveHeader !== '' ? keepAliveHeader : 'Connection: keep-alive\r\n'
  }
  return `HTTP/1.1 ${status} ${plan.reason}\r\n${plan.fields.fields}${added}\r\n`
}

/**
 * An interim response head (RFC 9110 §15.2): 1xx but not 101 (no protocol switch here), to HTTP/1.1 clients
 * only (§15.2: "A server MUST NOT send a 1xx response to an HTTP/1.0 client"). No framing fields: a 1xx has no
 * body.
 */
export function writeInformationalHead(
  status: number,
  reason: string | undefined,
  headers: HeaderInit | undefined,
  version: '1.0' | '1.1' | undefined,
): Buffer {
  if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
    throw new LocalProtocolError(`invalid informational status ${status}`, 'ILLEGAL_SEND', 500)
  }
  if (version !== '1.1') {
    throw new LocalProtocolError(
      'an HTTP/1.0 client cannot receive 1xx responses',
      'ILLEGAL_SEND',
      500,
    )
  }
  let head = `HTTP/1.1 ${status} ${checkReason(reason ?? reasonPhrase(status))}\r\n`
  const facts = newFieldFacts()
  writeFields(headers, true, facts)
  head += facts.fields
  head += '\r\n'
  return Buffer.from(head, 'latin1')
}

/** RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF (no extensions from this side). */
export function writeChunk(data: Uint8Array): Uint8Array[] {
  return [Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]
}

/** RFC 9112 §7.1: last-chunk, then the trailer section (validated like header fields), then CRLF. */
export function writeLastChunk(trailers: HeaderFields | undefined): Buffer {
  if (trailers === undefined || trailers.size === 0) return LAST_CHUNK
  const facts = newFieldFacts()
  writeFields(trailers, false, facts)
  return Buffer.from(`0\r\n${facts.fields}\r\n`, 'latin1')
}

/**
 * # The response planner: one set of rules for both engines
 *
 * `planResponse(response, bodyLength, exchange)` decides everything about a final response that HTTP/1.1 leaves
 * to the sender, from the application's response and the exchange's facts, and nothing else:
 *
 *   - the reason phrase (the standard one, or the application's, checked);
 *   - the application's fields, validated (writers.ts) — or a `LocalProtocolError` (→ 500) for any that HTTP
 *     cannot carry, before anything has changed;
 *   - the framing (RFC 9112 §6.3 from the sender's side): none (1xx, 204, 304, HEAD), the application's
 *     Content-Length, its Transfer-Encoding, the whole body's length, chunked for a stream to HTTP/1.1, or the
 *     end of the connection for a stream to HTTP/1.0;
 *   - what to add: Content-Length or `Transfer-Encoding: chunked`, `Connection: close` or the keep-alive
 *     announcement, Date when the application gave none (the engine supplies its value);
 *   - whether the connection persists after this response (RFC 9112 §9.3, §9.6; RFC 9110 §10.1.1).
 *
 * It is pure: no state in, no state out, no clock. `ServerConnection` applies the plan to its state and writes the
 * head with `writeResponseHead()`; the node:http adapter (transport/node-adapter.ts) hands the same decisions to
 * `res.writeHead()` (node adds Date and the Connection fields itself, with the same values). So the two engines
 * cannot drift apart: test/transport/engines.test.ts compares their bytes.
 */
import { LocalProtocolError } from './errors.ts'
import type { HeaderInit } from './headers.ts'
import { reasonPhrase } from './status.ts'
import { checkReason, type FieldFacts, writeFields } from './writers.ts'

/** What the planner needs to know about the exchange the response belongs to. */
export interface ExchangeFacts {
  /** The request's method; undefined when no request was read (the answer to a broken head). */
  method: string | undefined
  /** The request's version; undefined when no request was read (answered as HTTP/1.1). */
  version: '1.0' | '1.1' | undefined
  /** Both sides still allow the connection to persist (the client's wishes, the server's `requestClose()`). */
  keepAlive: boolean
  /** The client holds its body back for a `100 Continue` that was never sent (RFC 9110 §10.1.1). */
  waitingFor100: boolean
  /**
   * The server announces persistence on every response that keeps the connection (`Connection: keep-alive`,
   * `Keep-Alive: timeout=N`, as node:http does); otherwise only HTTP/1.0 clients are told (they need it).
   */
  announceKeepAlive: boolean
}

/** The status line and head fields of a final response, as the application gave them. */
export interface ResponseHeadInit {
  readonly status: number
  readonly reason?: string | undefined
  readonly headers?: HeaderInit | undefined
}

/** How a response body is delimited on the wire. */
export type Framing = 'none' | 'length' | 'chunked' | 'close'

export interface ResponsePlan {
  readonly reason: string
  /** The application's fields as written (text, or the list when one was given) and what they said. */
  readonly fields: FieldFacts
  /** No body bytes go out, whatever the application sends (1xx, 204, 304, a response to HEAD). */
  readonly noBody: boolean
  readonly framing: Framing
  /** For `framing: 'length'`: the body's length in bytes. */
  readonly length: number
  /** Content-Length to add (the application gave none), or -1. */
  readonly addContentLength: number
  /** Add `Transfer-Encoding: chunked` (a stream to an HTTP/1.1 client, no length given). */
  readonly addChunked: boolean
  /** The connection persists after this response. */
  readonly keepAlive: boolean
  /**
   * The Connection field to add: `close` when the connection will not persist (unless the application said
   * so itself), `keep-alive` to announce persistence; undefined for none.
   */
  readonly connection: 'close' | 'keep-alive' | undefined
}

/**
 * Plan a final response. `bodyLength`: the body's length when the whole body is at hand, undefined for a
 * stream. `fields`: where the application's fields are written (writeFields), scratch space the caller owns (a
 * connection reuses one, as it reuses its HeadScan); the plan refers to it. `list`: write the fields into this
 * flat `[name, value, …]` array instead of text (node:http's `writeHead` form). Throws `LocalProtocolError`
 * for a response HTTP/1.1 cannot carry; nothing has been decided then, so the caller can still answer 500.
 */
export function planResponse(
  response: ResponseHeadInit,
  bodyLength: number | undefined,
  exchange: ExchangeFacts,
  fields: FieldFacts,
  list?: string[],
): ResponsePlan {
  const status = response.status
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new LocalProtocolError(`invalid final status ${status}`, 'ILLEGAL_SEND', 500)
  }
  // The standard phrases are known to be clean; only an application's own reason needs checking.
  const reason = response.reason === undefined ? reasonPhrase(status) : checkReason(response.reason)
  // RFC 9110 §8.6 and §6.4.1: no Content-Length or Transfer-Encoding in a 204 (or 1xx), and no body.
  const noFraming = status === 204
  writeFields(response.headers, noFraming, fields, list)
  return planFraming(status, reason, noFraming, bodyLength, exchange, fields)
}

/**
 * The decisions of planResponse, once the fields are known.
 * why: a function of its own keeps planResponse small enough for V8 to inline where it is called, and the plan
 * it returns then never exists as an object: in one function, a request cost about 400 more instructions
 * (bench/protocol-instructions.ts, 100,000 requests: 26.3k → 25.9k).
 */
function planFraming(
  status: number,
  reason: string,
  noFraming: boolean,
  bodyLength: number | undefined,
  exchange: ExchangeFacts,
  fields: FieldFacts,
): ResponsePlan {
  const method = exchange.method
  const noBody = noFraming || status === 304 || method === 'HEAD'

  // The client held its body back for a 100 we never sent: we cannot tell whether it will now send that body
  // or a new request, so this connection cannot be reused (unless the body has been read already).
  let keepAlive = exchange.keepAlive && !fields.closeToken && !exchange.waitingFor100

  let framing: Framing = 'none'
  let length = 0
  let addContentLength = -1
  let addChunked = false
  if (noBody) {
    // For HEAD, the app's Content-Length (the length a GET would have) is kept as given (RFC 9110 §9.3.2);
    // without one, the length of the body it gave is announced. Never for 204 and 304.
    if (method === 'HEAD' && !noFraming && status !== 304 && bodyLength !== undefined) {
      if (fields.contentLength === undefined && fields.transferEncoding === undefined) {
        addContentLength = bodyLength
      }
    }
  } else if (fields.contentLength !== undefined) {
    framing = 'length'
    length = fields.contentLength
  } else if (fields.transferEncoding !== undefined) {
    framing = fields.transferEncoding === 'chunked' ? 'chunked' : 'close'
  } else if (bodyLength !== undefined) {
    framing = 'length'
    length = bodyLength
    addContentLength = bodyLength
  } else if (exchange.version !== '1.0') {
    framing = 'chunked'
    addChunked = true
  } else {
    // RFC 9112 §6.3 item 8: an HTTP/1.0 client can only learn where the body ends when we close.
    framing = 'close'
  }
  if (framing === 'close') keepAlive = false
  if (framing === 'length' && bodyLength !== undefined && length !== bodyLength) {
    throw new LocalProtocolError(
      `body has ${bodyLength} bytes but Content-Length says ${length}`,
      'ILLEGAL_SEND',
      500,
    )
  }

  let connection: 'close' | 'keep-alive' | undefined
  if (!keepAlive) {
    if (!fields.closeToken) connection = 'close'
  } else if (!fields.keepAliveToken && (exchange.announceKeepAlive || exchange.version === '1.0')) {
    connection = 'keep-alive'
  }
  // why: the plan holds decisions only; the fields stay in the caller's scratch object (a larger plan that
  // held them, written by writeFields, cost about 240 instructions a request: bench/protocol-instructions.ts).
  return {
    reason,
    fields,
    noBody,
    framing,
    length,
    addContentLength,
    addChunked,
    keepAlive,
    connection,
  }
}

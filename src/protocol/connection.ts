/**
 * # ServerConnection: HTTP/1.1 for a server, with no I/O
 *
 * Theory of operation (after h11). A connection is two state machines, one per side. Bytes from the client go in
 * with `receiveData()`; `nextEvent()` turns them into events (`request`, `data`, `end-of-message`,
 * `connection-closed`) or says it needs more (`NEED_DATA`) or must wait (`PAUSED`). The application answers with
 * events handed to `send()`, which returns the bytes to write. Nothing here reads a socket, starts a timer or
 * looks at a clock: the transport owns those, so every rule below is testable with plain byte arrays.
 *
 *   client (theirState):  IDLE ─request→ SEND_BODY ─end-of-message→ DONE ─┬─(keep-alive)→ IDLE (next cycle)
 *                                                                            └─(close)──────→ MUST_CLOSE
 *   server (ourState):    IDLE ─(request received)→ SEND_RESPONSE ─response→ SEND_BODY ─end-of-message→ DONE …
 *   either side: a protocol error → ERROR; connection-closed → CLOSED.
 *
 * Rule 1: one request at a time. Once a request is complete, `nextEvent()` returns PAUSED until its response
 * is complete too; only then does it read the next pipelined request. Responses therefore leave in request order,
 * and a broken request behind good ones is only reported after the good ones were answered (RFC 9112 §9.3.2).
 *
 * Rule 2: when either side will close (Connection: close, HTTP/1.0 without keep-alive, CL+TE framing, a
 * response without a length to a 1.0 client, an error), the state after DONE is MUST_CLOSE and nothing more is
 * read from the connection: bytes after such a request are never parsed, so they can never become a request.
 */
import { LocalProtocolError, ProtocolError, RemoteProtocolError } from './errors.ts'
import {
  type ClientEvent,
  type EndOfMessageEvent,
  NEED_DATA,
  PAUSED,
  type RequestEvent,
  type ResponseEvent,
  type ServerEvent,
} from './events.ts'
import { HeaderFields, type HeaderInit } from './headers.ts'
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts'
import {
  type BodyReader,
  ChunkedReader,
  ContentLengthReader,
  type HeadScan,
  NO_BODY,
  newHeadScan,
  type RawHead,
  readRequestHead,
  resetHeadScan,
} from './readers.ts'
import { reasonPhrase } from './status.ts'
import {
  ABSOLUTE_FORM_RE,
  AUTHORITY_FORM_RE,
  HOST_RE,
  INVALID_FIELD_VALUE_RE,
  TOKEN_RE,
} from './tables.ts'

export type State =
  | 'IDLE'
  | 'SEND_RESPONSE'
  | 'SEND_BODY'
  | 'DONE'
  | 'MUST_CLOSE'
  | 'CLOSED'
  | 'ERROR'

export interface ServerConnectionOptions {
  limits?: Partial<ProtocolLimits>
  /** Value for the Date header of each final response (the transport caches it per second). */
  date?: () => string
  /**
   * When set, responses on a connection that stays open carry `Connection: keep-alive` and
   * `Keep-Alive: timeout=N` (the idle timeout in seconds), as node:http sends them: a client that knows the
   * server's idle timeout can avoid sending a request on a connection the server is about to close.
   */
  keepAliveTimeoutSeconds?: number
}

const EMPTY = Buffer.alloc(0)
const CRLF = Buffer.from('\r\n', 'latin1')
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1')
// why: shared immutable objects for the common cases cut three allocations per request (bench/protocol.bench.ts).
const NO_FRAMING: Framing = Object.freeze({ kind: 'none' })
/**
 * Why a CONNECT request is refused (501). Exported so that the node:http adapter, where node hands CONNECT over
 * apart from other requests, answers with the same words.
 */
export const CONNECT_REFUSED = 'CONNECT is not implemented: this is an origin server, not a tunnel'
const END_OF_MESSAGE: EndOfMessageEvent = Object.freeze({ type: 'end-of-message' })

/** How the response body is delimited (RFC 9112 §6.3, applied to what the application chose). */
type Framing =
  | { kind: 'none' }
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked' }
  | { kind: 'close' }

export class ServerConnection {
  readonly limits: Readonly<ProtocolLimits>
  private readonly date: (() => string) | undefined
  private readonly keepAliveHeader: string

  theirState: State = 'IDLE'
  ourState: State = 'IDLE'

  // Receive buffer: bytes [pos, buf.length) are unread. Replaced, not grown, when it is fully consumed.
  private buf: Buffer = EMPTY
  private pos = 0
  /** `buf` is the caller's chunk itself, not a copy (see keepBuffered). */
  private borrowed = false
  private eof = false

  private scan: HeadScan = newHeadScan()
  private body: BodyReader | undefined
  private request: RequestEvent | undefined
  private theirKeepAlive = true
  /** The client itself ended persistence (Connection: close, or HTTP/1.0 without keep-alive). */
  private clientEndsConnection = false
  private ourKeepAlive = true
  private waitingFor100 = false
  private framing: Framing = NO_FRAMING
  private dropBody = false
  private error: RemoteProtocolError | undefined

  constructor(options: ServerConnectionOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.date = options.date
    this.keepAliveHeader =
      options.keepAliveTimeoutSeconds === undefined
        ? ''
        : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.max(0, Math.floor(options.keepAliveTimeoutSeconds))}\r\n`
  }

  /**
   * Close after the current exchange: the next final response carries `Connection: close` and nothing more
   * is read (graceful shutdown uses this for connections that have a request in flight).
   */
  requestClose(): void {
    this.ourKeepAlive = false
    if (this.ourState === 'DONE') this.ourState = 'MUST_CLOSE'
    if (this.theirState === 'DONE') this.theirState = 'MUST_CLOSE'
  }

  /** False once either side has said (or the framing demands) that the connection closes after this exchange. */
  get keepAlive(): boolean {
    return this.theirKeepAlive && this.ourKeepAlive
  }

  /**
   * The client sent `Expect: 100-continue` and is holding its body back until we send `100 Continue` (or a
   * final response). The transport sends the 100 only when the application asks for the body.
   */
  get clientIsWaitingFor100Continue(): boolean {
    return this.waitingFor100
  }

  /** The request being received or answered, if any. */
  get currentRequest(): RequestEvent | undefined {
    return this.request
  }

  /**
   * The request line of the head being read, once that line is complete and valid (undefined before, and
   * after a request line that could not be parsed). When `nextEvent()` threw for a head that broke a later
   * rule (a header, Host, a Content-Length past `maxBodySize`…), or the head never completed, this is what the
   * refused request was: transports log it. Allocates only when asked.
   */
  get requestLine(): { method: string; target: string; version: '1.0' | '1.1' } | undefined {
    const scan = this.scan
    if (scan.fieldsStart < 0) return undefined
    return { method: scan.method, target: scan.target, version: scan.version }
  }

  /** Bytes received but not consumed, and whether the peer has closed its side. */
  get trailingData(): { data: Uint8Array; closed: boolean } {
    return { data: this.buf.subarray(this.pos), closed: this.eof }
  }

  /**
   * True when the client will send nothing more on this connection: it ended persistence itself (RFC 9112
   * §9.6: "A client that sends a "close" connection option MUST NOT send further requests on that
   * connection"), its whole request has arrived, and no byte of it is left unread. A transport may then close
   * as soon as its response is written, instead of lingering for input that will not come.
   */
  get clientSentEverything(): boolean {
    if (!this.clientEndsConnection || this.pos < this.buf.length) return false
    const state = this.theirState
    if (state === 'MUST_CLOSE' || state === 'CLOSED') return true
    // A request without a body whose end-of-message event has not been taken yet.
    return state === 'SEND_BODY' && this.body === NO_BODY
  }

  /** Number of received bytes not consumed yet (the transport's read-side backpressure looks at this). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos
  }

  /** Feed bytes from the peer. A zero-length chunk means the peer closed its side (EOF). */
  receiveData(data: Uint8Array): void {
    if (data.length === 0) {
      this.eof = true
      return
    }
    if (this.eof) throw new LocalProtocolError('received data after EOF', 'ILLEGAL_SEND', 500)
    const chunk = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.length)
    if (this.pos >= this.buf.length) {
      this.buf = chunk
      this.borrowed = true
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk])
      this.borrowed = false
    }
    this.pos = 0
  }

  /**
   * The bytes not consumed yet may still be a view of the chunk last given to `receiveData`. Copy them into
   * memory of our own, so the caller may reuse that chunk's memory (a transport reading into one shared
   * buffer calls this after each chunk). Costs nothing when everything was consumed.
   */
  keepBuffered(): void {
    if (!this.borrowed) return
    this.borrowed = false
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY
    } else {
      this.buf = Buffer.from(this.buf.subarray(this.pos))
    }
    this.pos = 0
  }

  /**
   * The next event from the client, `NEED_DATA` when the bytes so far do not complete one, or `PAUSED` when
   * nothing more will be read until the current response is complete (or ever, when the connection must close).
   * Throws `RemoteProtocolError` when the client broke the protocol; `theirState` is then `ERROR`.
   */
  nextEvent(): ClientEvent | typeof NEED_DATA | typeof PAUSED {
    if (this.error !== undefined) throw this.error
    try {
      return this.extractEvent()
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.theirState = 'ERROR'
        this.theirKeepAlive = false
        this.error = new RemoteProtocolError(e.message, e.code, e.statusHint, { cause: e })
        throw this.error
      }
      throw e
    }
  }

  private extractEvent(): ClientEvent | typeof NEED_DATA | typeof PAUSED {
    if (this.theirState === 'DONE' && this.ourState === 'DONE') this.startNextCycle()
    switch (this.theirState) {
      case 'IDLE':
        return this.readHead()
      case 'SEND_BODY':
        return this.readBody()
      case 'MUST_CLOSE':
        if (this.eof && this.ourState !== 'SEND_RESPONSE' && this.ourState !== 'SEND_BODY') {
          this.theirState = 'CLOSED'
          return { type: 'connection-closed' }
        }
        return PAUSED
      default:
        return PAUSED
    }
  }

  /** Both sides finished an exchange on a connection that stays open: forget it and read the next request. */
  private startNextCycle(): void {
    this.theirState = 'IDLE'
    this.ourState = 'IDLE'
    this.request = undefined
    this.body = undefined
    this.framing = NO_FRAMING
    this.dropBody = false
    resetHeadScan(this.scan)
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY
      this.pos = 0
    }
  }

  private readHead(): ClientEvent | typeof NEED_DATA {
    const buf = this.buf
    const end = buf.length
    // RFC 9112 §2.2: "a server that is expecting to receive and parse a request-line SHOULD ignore at least one
    // empty line (CRLF) received prior to the request-line". We skip any number: they cost no memory.
    if (this.scan.scanned === 0) {
      let p = this.pos
      while (p < end) {
        if (buf[p] === 0x0a) p++
        else if (buf[p] === 0x0d && p + 1 < end && buf[p + 1] === 0x0a) p += 2
        else break
      }
      this.pos = p
      // A CR whose LF has not arrived yet may be another empty line: wait for the LF before reading a head.
      if (p + 1 === end && buf[p] === 0x0d) {
        if (!this.eof) return NEED_DATA
      }
    }
    const head = readRequestHead(buf, this.pos, end, this.scan, this.limits)
    if (head === undefined) {
      if (this.eof) {
        if (this.pos >= end || (end - this.pos === 1 && buf[this.pos] === 0x0d)) {
          this.theirState = 'CLOSED'
          this.ourState = this.ourState === 'IDLE' ? 'CLOSED' : this.ourState
          return { type: 'connection-closed' }
        }
        throw new LocalProtocolError(
          'connection closed in the middle of a request head',
          'UNEXPECTED_EOF',
        )
      }
      return NEED_DATA
    }
    this.pos += head.length
    const event = this.applyHeadRules(head)
    this.request = event
    this.theirState = 'SEND_BODY'
    if (this.ourState === 'IDLE') this.ourState = 'SEND_RESPONSE'
    return event
  }

  /** The message-level rules of RFC 9112 §3.2, §6, §9.3 and RFC 9110 §10.1.1, applied to a parsed head. */
  private applyHeadRules(head: RawHead): RequestEvent {
    checkTargetForm(head.method, head.target)

    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
    // message that lacks a Host header field and to any request message that contains more than one Host header
    // field line or a Host header field with an invalid field value."
    if (head.host.length > 1) throw new LocalProtocolError('more than one Host header', 'BAD_HOST')
    if (head.host.length === 0 && head.version === '1.1') {
      throw new LocalProtocolError('HTTP/1.1 request without a Host header', 'BAD_HOST')
    }
    if (head.host.length === 1 && !HOST_RE.test(head.host[0]!)) {
      throw new LocalProtocolError('Host header is not a valid host', 'BAD_HOST')
    }

    // CONNECT asks the recipient to become a tunnel (RFC 9110 §9.3.6), and "Any 2xx (Successful) response
    // indicates that the sender (and all inbound proxies) will switch to tunnel mode immediately after the
    // response header section". This is an origin server: it does not tunnel, so it must not let an application
    // answer 2xx and then go on speaking HTTP. Refused here, once the head is known to be well formed, with 501:
    // RFC 9110 §9.1, "An origin server that receives a request method that is unrecognized or not implemented
    // SHOULD respond with the 501 (Not Implemented) status code". Not 405: that one means the method is known
    // but not allowed for this resource, and needs an Allow header listing the ones that are (§15.5.6), which only
    // the application knows. As for any head error, the connection closes after the answer.
    if (head.method === 'CONNECT') {
      throw new LocalProtocolError(CONNECT_REFUSED, 'METHOD_NOT_IMPLEMENTED', 501)
    }

    // RFC 9112 §9.3: persistence.
    let close = false
    let keepAlive = false
    for (const value of head.connection) {
      for (const token of value.split(',')) {
        const t = token.trim().toLowerCase()
        if (t === 'close') close = true
        else if (t === 'keep-alive') keepAlive = true
      }
    }
    this.theirKeepAlive = !close && (head.version === '1.1' || keepAlive)
    this.clientEndsConnection = !this.theirKeepAlive

    // RFC 9112 §6.1 / §6.3: framing.
    let contentLength: number | undefined = 0
    let chunked = false
    if (head.transferEncoding.length > 0) {
      // §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header
      // field MUST treat the message as if the framing is faulty … and close the connection."
      if (head.version === '1.0') {
        throw new LocalProtocolError(
          'Transfer-Encoding in an HTTP/1.0 request',
          'BAD_TRANSFER_ENCODING',
        )
      }
      checkTransferEncoding(head.transferEncoding)
      chunked = true
      contentLength = undefined
      // §6.3 item 3: with both, Transfer-Encoding wins, and "a server … MUST close the connection after
      // responding to such a request" — whatever follows may be a smuggled request.
      if (head.contentLength.length > 0) this.theirKeepAlive = false
      this.body = new ChunkedReader(this.limits)
    } else if (head.contentLength.length > 0) {
      contentLength = parseContentLength(head.contentLength)
      if (contentLength > this.limits.maxBodySize) {
        throw new LocalProtocolError(
          `body of ${contentLength} bytes exceeds ${this.limits.maxBodySize}`,
          'BODY_TOO_LARGE',
          413,
        )
      }
      this.body = new ContentLengthReader(contentLength)
    } else {
      this.body = NO_BODY
    }

    // RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore
    // that expectation." Any other expectation may be answered with 417.
    this.waitingFor100 = false
    if (head.expect.length > 0 && head.version === '1.1') {
      for (const value of head.expect) {
        for (const item of value.split(',')) {
          const t = item.trim().toLowerCase()
          if (t === '') continue
          if (t !== '100-continue') {
            throw new LocalProtocolError(
              `unsupported expectation "${t}"`,
              'EXPECTATION_FAILED',
              417,
            )
          }
          this.waitingFor100 = chunked || (contentLength ?? 0) > 0
        }
      }
    }

    return {
      type: 'request',
      method: head.method,
      target: head.target,
      version: head.version,
      headers: head.headers,
      contentLength: chunked ? undefined : contentLength,
      chunked,
    }
  }

  private readBody(): ClientEvent | typeof NEED_DATA | typeof PAUSED {
    const body = this.body!
    const step = body.read(this.buf, this.pos, this.buf.length)
    if (step === undefined) {
      if (this.eof) {
        throw new LocalProtocolError(
          'connection closed in the middle of a request body',
          'UNEXPECTED_EOF',
        )
      }
      return NEED_DATA
    }
    this.pos += step.consumed
    if (step.data !== undefined) {
      this.waitingFor100 = false
      return { type: 'data', data: step.data }
    }
    if (step.done === true) {
      this.waitingFor100 = false
      this.theirState = this.theirKeepAlive ? 'DONE' : 'MUST_CLOSE'
      if (this.ourState === 'DONE' && !this.keepAlive) this.ourState = 'MUST_CLOSE'
      return step.trailers !== undefined
        ? { type: 'end-of-message', trailers: step.trailers }
        : END_OF_MESSAGE
    }
    // A framing step (a chunk's size line or CRLF) consumed bytes but made no event: keep going.
    return this.readBody()
  }

  /**
   * Serialize an event from the application. Returns the bytes to write (possibly none). Throws
   * `LocalProtocolError` for an event HTTP/1.1 forbids here; the state is then unchanged, so a 500 can follow.
   */
  send(event: ServerEvent): Uint8Array[] {
    switch (event.type) {
      case 'informational':
        return [this.sendInformational(event.status, event.reason, event.headers)]
      case 'response':
        return [Buffer.from(this.responseHead(event), 'latin1')]
      case 'data':
        return this.sendData(event.data)
      case 'end-of-message':
        return this.sendEndOfMessage(event.trailers)
      case 'connection-closed':
        this.ourState = 'CLOSED'
        return []
    }
  }

  /**
   * Fast path for the common case: a final response with its whole body, serialized into one buffer (one
   * socket write). Adds `Content-Length` when the application gave none.
   */
  respond(response: ResponseEvent, body: Uint8Array | string = EMPTY): Buffer {
    const text = typeof body === 'string' ? body : undefined
    const length =
      text === undefined ? (body as Uint8Array).length : Buffer.byteLength(text, 'utf8')
    const head = this.responseHead(response, length)
    const framing = this.framing
    let out: Buffer
    if (this.dropBody || length === 0) {
      out = Buffer.from(framing.kind === 'chunked' ? `${head}0\r\n\r\n` : head, 'latin1')
    } else if (framing.kind === 'chunked') {
      // The application asked for chunked framing itself: one chunk, then the last chunk.
      const bytes = text === undefined ? (body as Uint8Array) : Buffer.from(text, 'utf8')
      out = Buffer.concat([Buffer.from(head, 'latin1'), ...this.sendData(bytes), LAST_CHUNK])
    } else {
      // why: the head string is written straight into the one buffer that also holds the body: one allocation,
      // one socket write even when the transport is not corked. For small bodies this costs the same as
      // Buffer.concat or a corked writev (bench/serialize.bench.ts); past 16 KiB a writev of two buffers wins
      // (about 1.4×), which is what streaming bodies (send()) get. A string body is encoded in place, and the
      // writes skip Buffer#write's encoding dispatch (bench/protocol-instructions.ts, with the reason check
      // below: 26.9k → 26.0k instructions a request, the body's Buffer.from in the transport included).
      out = Buffer.allocUnsafe(head.length + length) as WritableBuffer
      ;(out as WritableBuffer).latin1Write(head, 0)
      if (text === undefined) out.set(body as Uint8Array, head.length)
      else (out as WritableBuffer).utf8Write(text, head.length)
      if (framing.kind === 'length') framing.remaining = 0
    }
    this.finishResponse()
    return out
  }

  /** Mark our side as broken after a failed write; nothing more will be sent. */
  sendFailed(): void {
    this.ourState = 'ERROR'
    this.ourKeepAlive = false
  }

  private sendInformational(status: number, reason?: string, headers?: HeaderInit): Buffer {
    if (this.ourState !== 'SEND_RESPONSE') {
      throw new LocalProtocolError(
        'an informational response must precede the final one',
        'ILLEGAL_SEND',
        500,
      )
    }
    if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
      throw new LocalProtocolError(`invalid informational status ${status}`, 'ILLEGAL_SEND', 500)
    }
    if (this.request?.version !== '1.1') {
      throw new LocalProtocolError(
        'an HTTP/1.0 client cannot receive 1xx responses',
        'ILLEGAL_SEND',
        500,
      )
    }
    let head = `HTTP/1.1 ${status} ${checkReason(reason ?? reasonPhrase(status))}\r\n`
    head += serializeHeaders(headers, true).text
    head += '\r\n'
    if (status === 100) this.waitingFor100 = false
    return Buffer.from(head, 'latin1')
  }

  /**
   * Build a final response head and choose the body framing (RFC 9112 §6.3 from the sender's side).
   * `knownLength`: the body's length when the whole body is at hand (the `respond()` path).
   */
  private responseHead(event: ResponseEvent, knownLength?: number): string {
    const errorResponse = this.theirState === 'ERROR' && this.ourState === 'IDLE'
    if (this.ourState !== 'SEND_RESPONSE' && !errorResponse) {
      throw new LocalProtocolError(
        `cannot send a response in state ${this.ourState}`,
        'ILLEGAL_SEND',
        500,
      )
    }
    const status = event.status
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new LocalProtocolError(`invalid final status ${status}`, 'ILLEGAL_SEND', 500)
    }
    // The standard phrases are known to be clean; only an application's own reason needs checking.
    const reason = event.reason === undefined ? reasonPhrase(status) : checkReason(event.reason)
    // RFC 9110 §8.6 and §6.4.1: no Content-Length or Transfer-Encoding in a 204 (or 1xx), and no body.
    const noFraming = status === 204
    const headers = serializeHeaders(event.headers, noFraming)
    const method = this.request?.method
    const noBody = noFraming || status === 304 || method === 'HEAD'

    let keepAlive = this.keepAlive && !headers.close && !errorResponse
    // The client held its body back for a 100 we never sent: we cannot tell whether it will now send that body
    // or a new request, so this connection cannot be reused (unless the body has been read already).
    if (this.waitingFor100) keepAlive = false

    let framing: Framing
    let added = ''
    if (noBody) {
      framing = NO_FRAMING
      // For HEAD, the app's Content-Length (the length a GET would have) is kept as given (RFC 9110 §9.3.2).
      if (method === 'HEAD' && !noFraming && status !== 304 && knownLength !== undefined) {
        if (headers.contentLength === undefined && headers.transferEncoding === undefined) {
          added += `Content-Length: ${knownLength}\r\n`
        }
      }
    } else if (headers.contentLength !== undefined) {
      framing = { kind: 'length', remaining: headers.contentLength }
    } else if (headers.transferEncoding !== undefined) {
      framing = headers.transferEncoding === 'chunked' ? { kind: 'chunked' } : { kind: 'close' }
    } else if (knownLength !== undefined) {
      framing = { kind: 'length', remaining: knownLength }
      added += `Content-Length: ${knownLength}\r\n`
    } else if (this.request === undefined || this.request.version === '1.1') {
      framing = { kind: 'chunked' }
      added += 'Transfer-Encoding: chunked\r\n'
    } else {
      // RFC 9112 §6.3 item 8: an HTTP/1.0 client can only learn where the body ends when we close.
      framing = { kind: 'close' }
    }
    if (framing.kind === 'close') keepAlive = false
    // Checked before any state changes, so the caller can still answer 500 instead.
    if (
      framing.kind === 'length' &&
      knownLength !== undefined &&
      framing.remaining !== knownLength
    ) {
      throw new LocalProtocolError(
        `body has ${knownLength} bytes but Content-Length says ${framing.remaining}`,
        'ILLEGAL_SEND',
        500,
      )
    }

    if (!keepAlive) {
      this.ourKeepAlive = false
      if (!headers.close) added += 'Connection: close\r\n'
    } else if (!headers.keepAlive) {
      if (this.keepAliveHeader !== '') added += this.keepAliveHeader
      else if (this.request?.version === '1.0') added += 'Connection: keep-alive\r\n'
    }
    if (this.date !== undefined && !headers.date) added = `Date: ${this.date()}\r\n${added}`

    this.framing = framing
    this.dropBody = noBody
    this.waitingFor100 = false
    this.ourState = 'SEND_BODY'
    return `HTTP/1.1 ${status} ${reason}\r\n${headers.text}${added}\r\n`
  }

  private sendData(data: Uint8Array): Uint8Array[] {
    if (this.ourState !== 'SEND_BODY') {
      throw new LocalProtocolError(
        `cannot send body data in state ${this.ourState}`,
        'ILLEGAL_SEND',
        500,
      )
    }
    if (data.length === 0) return []
    const framing = this.framing
    switch (framing.kind) {
      case 'none':
        if (this.dropBody && this.request?.method === 'HEAD') return []
        throw new LocalProtocolError('this response cannot have a body', 'ILLEGAL_SEND', 500)
      case 'length':
        if (data.length > framing.remaining) {
          throw new LocalProtocolError(
            'body is longer than its Content-Length',
            'ILLEGAL_SEND',
            500,
          )
        }
        framing.remaining -= data.length
        return [data]
      case 'chunked':
        return [Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]
      case 'close':
        return [data]
    }
  }

  private sendEndOfMessage(trailers?: HeaderFields): Uint8Array[] {
    if (this.ourState !== 'SEND_BODY') {
      throw new LocalProtocolError(
        `cannot end a message in state ${this.ourState}`,
        'ILLEGAL_SEND',
        500,
      )
    }
    const framing = this.framing
    let out: Uint8Array[] = []
    if (framing.kind === 'length' && framing.remaining !== 0) {
      throw new LocalProtocolError(
        `body ended ${framing.remaining} bytes short of its Content-Length`,
        'ILLEGAL_SEND',
        500,
      )
    }
    if (framing.kind === 'chunked') {
      if (trailers !== undefined && trailers.size > 0) {
        const text = serializeHeaders(trailers, false).text
        out = [Buffer.from(`0\r\n${text}\r\n`, 'latin1')]
      } else {
        out = [LAST_CHUNK]
      }
    }
    this.finishResponse()
    return out
  }

  private finishResponse(): void {
    if (this.framing.kind === 'close') this.ourKeepAlive = false
    this.ourState = this.keepAlive ? 'DONE' : 'MUST_CLOSE'
    if (!this.keepAlive && this.theirState === 'DONE') this.theirState = 'MUST_CLOSE'
  }
}

/**
 * RFC 9112 §3.2: the four forms of request-target, each tied to its methods.
 *   origin-form = absolute-path [ "?" query ]      (most requests)
 *   absolute-form = absolute-URI                    (requests to proxies; servers MUST accept it, §3.2.2)
 *   authority-form = uri-host ":" port              (CONNECT only)
 *   asterisk-form = "*"                             (OPTIONS only)
 */
function checkTargetForm(method: string, target: string): void {
  const first = target.charCodeAt(0)
  if (method === 'CONNECT') {
    if (!AUTHORITY_FORM_RE.test(target)) {
      throw new LocalProtocolError(
        'CONNECT needs an authority-form target (host:port)',
        'BAD_TARGET',
      )
    }
    return
  }
  if (first === 0x2f /* / */) return
  if (target === '*') {
    if (method === 'OPTIONS') return
    throw new LocalProtocolError('asterisk-form target is only for OPTIONS', 'BAD_TARGET')
  }
  // §3.2.3: "The authority-form of request-target is only used for CONNECT requests". RFC 3986's grammar alone
  // cannot tell `host:80` from an absolute-URI (scheme "host", path "80"), so the authority-form test comes
  // first: a target that has the authority-form's shape is one, and with any other method it is an invalid
  // request-target (§3: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request)
  // error or a 301 …"; we do not guess a redirect). An absolute-form target has more than `host:port`
  // (`http://host/path`), so it never matches.
  if (AUTHORITY_FORM_RE.test(target)) {
    throw new LocalProtocolError('authority-form target is only for CONNECT', 'BAD_TARGET')
  }
  if (ABSOLUTE_FORM_RE.test(target)) return
  throw new LocalProtocolError('request-target is not in a valid form', 'BAD_TARGET')
}

/**
 * Is this one element of a Transfer-Encoding list (RFC 9110 §10.1.4: transfer-coding = token *( OWS ";" OWS
 * transfer-parameter )) the chunked coding? Coding names are case-insensitive (RFC 9112 §7), and chunked
 * (§7.1) defines no parameter, so only the bare token is chunked: `chunked;foo=bar` names a coding this server
 * does not know, and reading it as chunked is how two parsers come to disagree on where a body ends (§11.2).
 * The one definition, for requests (checkTransferEncoding) and for the application's responses
 * (serializeHeaders).
 */
function isChunkedCoding(coding: string): boolean {
  return coding.trim().toLowerCase() === 'chunked'
}

/** The name of a transfer coding: the token before its parameters, lower-cased. */
function codingName(coding: string): string {
  return coding.split(';', 1)[0]!.trim().toLowerCase()
}

/**
 * RFC 9112 §6.1 / RFC 9110 §5.6.1: Transfer-Encoding = #transfer-coding. The final coding of a request must be
 * chunked (the bare token, see isChunkedCoding), once; we implement no other coding, so any other before it is
 * 501 (§6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD
 * respond with 501 (Not Implemented)").
 *
 * A final coding that is not chunked — `gzip`, `xchunked`, and `chunked;foo=bar` alike — is 400, not 501: the
 * body's length then cannot be known, and §6.3 item 4 settles that case with a MUST: "If a Transfer-Encoding
 * header field is present in a request and the chunked transfer coding is not the final encoding, the message
 * body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and
 * then close the connection." The 501 of §6.1 is left for codings before a real chunked, where the framing is
 * known and only the content coding is not understood.
 */
function checkTransferEncoding(values: string[]): void {
  const codings: string[] = []
  for (const value of values) {
    for (const item of value.split(',')) {
      // §5.6.1: "a recipient MUST parse and ignore a reasonable number of empty list elements".
      if (item.trim() !== '') codings.push(item)
    }
  }
  if (codings.length === 0) {
    throw new LocalProtocolError('Transfer-Encoding is empty', 'BAD_TRANSFER_ENCODING')
  }
  const last = codings[codings.length - 1]!
  if (!isChunkedCoding(last)) {
    throw new LocalProtocolError(
      codingName(last) === 'chunked'
        ? 'chunked takes no parameters: the final transfer coding is not chunked'
        : 'chunked is not the final transfer coding',
      'BAD_TRANSFER_ENCODING',
    )
  }
  if (codings.findIndex((c) => codingName(c) === 'chunked') !== codings.length - 1) {
    throw new LocalProtocolError('chunked applied more than once', 'BAD_TRANSFER_ENCODING')
  }
  if (codings.length > 1) {
    const other = codingName(codings[0]!)
    if (!TOKEN_RE.test(other)) {
      throw new LocalProtocolError('transfer coding is not a token', 'BAD_TRANSFER_ENCODING')
    }
    throw new LocalProtocolError(
      `transfer coding "${other}" is not supported`,
      'UNSUPPORTED_TRANSFER_ENCODING',
      501,
    )
  }
}

/**
 * RFC 9110 §8.6: Content-Length = 1*DIGIT. RFC 9112 §6.3 item 5: a list of identical values (from a proxy
 * that merged lines) may be treated as that one value; differing values are an unrecoverable error.
 * Capped at 15 digits so the number is exact in a double and cannot overflow.
 */
function parseContentLength(values: string[]): number {
  let result = -1
  for (const value of values) {
    for (const item of value.split(',')) {
      const t = item.trim()
      if (!/^[0-9]{1,15}$/.test(t)) {
        throw new LocalProtocolError('Content-Length is not a decimal number', 'BAD_CONTENT_LENGTH')
      }
      const n = Number(t)
      if (result !== -1 && n !== result) {
        throw new LocalProtocolError('conflicting Content-Length values', 'BAD_CONTENT_LENGTH')
      }
      result = n
    }
  }
  return result
}

function checkReason(reason: string): string {
  if (INVALID_FIELD_VALUE_RE.test(reason)) {
    throw new LocalProtocolError(
      'reason phrase has a forbidden character',
      'BAD_RESPONSE_HEADER',
      500,
    )
  }
  return reason
}

/** Buffer's encoding-specific writers, called directly (see respond()). */
interface WritableBuffer extends Buffer {
  latin1Write(text: string, offset: number): number
  utf8Write(text: string, offset: number): number
}

interface SerializedHeaders {
  text: string
  contentLength: number | undefined
  transferEncoding: 'chunked' | 'other' | undefined
  close: boolean
  keepAlive: boolean
  date: boolean
}

/**
 * Validate and serialize application headers. Names must be tokens; values may not hold CR, LF, NUL or other
 * controls (so header injection from the application is impossible) nor characters above U+00FF.
 * `dropFraming`: leave out Content-Length and Transfer-Encoding (204 and 1xx responses).
 */
function serializeHeaders(init: HeaderInit | undefined, dropFraming: boolean): SerializedHeaders {
  const out: SerializedHeaders = {
    text: '',
    contentLength: undefined,
    transferEncoding: undefined,
    close: false,
    keepAlive: false,
    date: false,
  }
  if (init === undefined) return out
  const each = (name: string, value: string): void => {
    if (!TOKEN_RE.test(name)) {
      throw new LocalProtocolError(
        `header name "${name}" is not a token`,
        'BAD_RESPONSE_HEADER',
        500,
      )
    }
    if (INVALID_FIELD_VALUE_RE.test(value)) {
      throw new LocalProtocolError(
        `header "${name}" has a forbidden character`,
        'BAD_RESPONSE_HEADER',
        500,
      )
    }
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'date') out.date = true
        break
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const token of value.split(',')) {
            const t = token.trim().toLowerCase()
            if (t === 'close') out.close = true
            else if (t === 'keep-alive') out.keepAlive = true
          }
        }
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (dropFraming) return
          const t = value.trim()
          if (!/^[0-9]{1,15}$/.test(t)) {
            throw new LocalProtocolError(
              'Content-Length is not a number',
              'BAD_RESPONSE_HEADER',
              500,
            )
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
    out.text += `${name}: ${value}\r\n`
  }
  if (init instanceof HeaderFields) {
    const raw = init.raw
    for (let i = 0; i < raw.length; i += 2) each(raw[i]!, raw[i + 1]!)
  } else if (Array.isArray(init)) {
    for (const pair of init as ReadonlyArray<readonly [string, string]>) each(pair[0], pair[1])
  } else {
    for (const [name, value] of Object.entries(
      init as Record<string, string | readonly string[]>,
    )) {
      if (typeof value === 'string') each(name, value)
      else for (const v of value) each(name, v)
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
  return out
}

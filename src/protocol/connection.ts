/**
 * # ServerConnection: HTTP/1.1 for a server, with no I/O
 *
 * Theory of operation (after h11). A connection is two state machines, one per side. Bytes from the client go in
 * with `receiveData()`; `nextEvent()` turns them into events (`request`, `data`, `end-of-message`,
 * `connection-closed`) or says it needs more (`NEED_DATA`) or must wait (`PAUSED`). The application answers with
 * events handed to `send()` (or the whole response to `respond()`), which returns the bytes to write. Nothing
 * here reads a socket, starts a timer or looks at a clock: the transport owns those, so every rule below is
 * testable with plain byte arrays.
 *
 * The work is split as h11 splits it:
 *   state.ts          the states and every transition, as tables (Rules 1-3 are stated there); this file only
 *                     asks them where each step leads, and throws when a step is not in them
 *   readers.ts        bytes → a parsed head, body pieces (which reader runs depends on the client's state)
 *   head-rules.ts     `interpretHead()`: what a parsed head means (framing, persistence, 100-continue), pure
 *   response-plan.ts  `planResponse()`: framing, added fields and persistence of a response, pure (shared with
 *                     the node:http adapter)
 *   writers.ts        a plan or a body piece → bytes
 * What is left here is the buffer, and applying each plan to the connection's state in one place.
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
import { type HeadPlan, interpretHead } from './head-rules.ts'
import type { HeaderFields, HeaderInit } from './headers.ts'
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts'
import {
  type BodyReader,
  type HeadScan,
  NO_BODY,
  newHeadScan,
  readRequestHead,
  resetHeadScan,
} from './readers.ts'
import { type ExchangeFacts, type Framing, planResponse } from './response-plan.ts'
import {
  CLIENT_MACHINE,
  type ClientNode,
  NEXT_CYCLE,
  responseInProgress,
  responseTrigger,
  SERVER_MACHINE,
  type ServerNode,
  type ServerTrigger,
  type State,
  startsNextCycle,
} from './state.ts'
import {
  type FieldFacts,
  LAST_CHUNK,
  newFieldFacts,
  writeChunk,
  writeInformationalHead,
  writeLastChunk,
  writeResponseHead,
} from './writers.ts'

export { CONNECT_REFUSED } from './head-rules.ts'
export type { State } from './state.ts'

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
/** Where both sides go when a cycle ends on a persistent connection (state.ts NEXT_CYCLE). */
const THEIR_NEXT_CYCLE = CLIENT_MACHINE[NEXT_CYCLE.to]
const OUR_NEXT_CYCLE = SERVER_MACHINE[NEXT_CYCLE.to]
// why: shared immutable objects for the common cases cut allocations per request (bench/protocol.bench.ts).
const END_OF_MESSAGE: EndOfMessageEvent = Object.freeze({ type: 'end-of-message' })

export class ServerConnection {
  readonly limits: Readonly<ProtocolLimits>
  private readonly date: (() => string) | undefined
  private readonly keepAliveHeader: string

  /** Each side's state, as its node in the compiled machine (state.ts): `node.state` is the name. */
  private their: ClientNode = CLIENT_MACHINE.IDLE
  private ours: ServerNode = SERVER_MACHINE.IDLE

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
  /** How the response body being sent is delimited, and (for 'length') how many bytes are still due. */
  private framing: Framing = 'none'
  private remaining = 0
  private dropBody = false
  private error: RemoteProtocolError | undefined
  /** why: the planner's inputs and scratch space, one per connection, refilled for each response. */
  private readonly exchange: ExchangeFacts
  private readonly fieldFacts: FieldFacts = newFieldFacts()

  constructor(options: ServerConnectionOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.date = options.date
    this.keepAliveHeader =
      options.keepAliveTimeoutSeconds === undefined
        ? ''
        : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.max(0, Math.floor(options.keepAliveTimeoutSeconds))}\r\n`
    this.exchange = {
      method: undefined,
      version: undefined,
      keepAlive: true,
      waitingFor100: false,
      announceKeepAlive: this.keepAliveHeader !== '',
    }
  }

  /** The client's side of the connection (see state.ts). Read-only: only the connection's own steps move it. */
  get theirState(): State {
    return this.their.state
  }

  /** Our side of the connection (see state.ts). Read-only: `send()`, `respond()`, `requestClose()` move it. */
  get ourState(): State {
    return this.ours.state
  }

  /**
   * Close after the current exchange: the next final response carries `Connection: close` and nothing more
   * is read (graceful shutdown uses this for connections that have a request in flight).
   */
  requestClose(): void {
    this.ourKeepAlive = false
    this.applyCloseRule()
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
    const state = this.their.state
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
        // INVARIANT: readers throw only in the states that read (IDLE, SEND_BODY), where the table has it.
        this.their = this.their['protocol-error'] ?? CLIENT_MACHINE.ERROR
        this.theirKeepAlive = false
        this.error = new RemoteProtocolError(e.message, e.code, e.statusHint, { cause: e })
        throw this.error
      }
      throw e
    }
  }

  /** Which reader runs depends on the client's state (h11's READERS); states that read nothing say PAUSED. */
  private extractEvent(): ClientEvent | typeof NEED_DATA | typeof PAUSED {
    if (startsNextCycle(this.their.state, this.ours.state)) this.startNextCycle()
    switch (this.their.state) {
      case 'IDLE':
        return this.readHead()
      case 'SEND_BODY':
        return this.readBody()
      case 'MUST_CLOSE':
        if (this.eof && !responseInProgress(this.ours.state)) {
          this.clientClosed()
          return { type: 'connection-closed' }
        }
        return PAUSED
      default:
        return PAUSED
    }
  }

  // The client's events. INVARIANT: each runs only in the state its reader runs in (readHead in IDLE, readBody
  // in SEND_BODY, EOF in IDLE or MUST_CLOSE), where the table has the step (test/protocol/state-table.test.ts).

  private clientRequest(): void {
    this.their = this.their.request!
    this.ours = this.ours['client-request'] ?? this.ours
  }

  private clientClosed(): void {
    this.their = this.their['connection-closed']!
    this.ours = this.ours['client-closed'] ?? this.ours
  }

  /**
   * Where our side goes on an event the application sends. Throws (changing nothing) when the table has no
   * such step; the caller moves to it once everything else has succeeded.
   */
  private ourNext(next: ServerNode | null, trigger: ServerTrigger): ServerNode {
    if (next === null) {
      throw new LocalProtocolError(refusal(trigger, this.ours.state), 'ILLEGAL_SEND', 500)
    }
    return next
  }

  /** The close rule (state.ts, Rule 2), for both sides, whenever a message ends or keep-alive turns off. */
  private applyCloseRule(): void {
    if (this.keepAlive) return
    this.their = this.their.closing
    this.ours = this.ours.closing
  }

  /** Both sides finished an exchange on a connection that stays open: forget it and read the next request. */
  private startNextCycle(): void {
    this.their = THEIR_NEXT_CYCLE
    this.ours = OUR_NEXT_CYCLE
    this.request = undefined
    this.body = undefined
    this.framing = 'none'
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
          this.clientClosed()
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
    const plan = interpretHead(head, this.limits)
    this.applyHeadPlan(plan)
    return plan.request
  }

  /** What a request head means, applied to the connection: the one place a request changes its state. */
  private applyHeadPlan(plan: HeadPlan): void {
    this.request = plan.request
    this.theirKeepAlive = plan.keepAlive
    this.clientEndsConnection = plan.clientEndsConnection
    this.body = plan.body
    this.waitingFor100 = plan.expects100Continue
    this.clientRequest()
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
      this.their = this.their['end-of-message']!
      this.applyCloseRule()
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
        return [Buffer.from(this.startResponse(event), 'latin1')]
      case 'data':
        return this.sendData(event.data)
      case 'end-of-message':
        return this.sendEndOfMessage(event.trailers)
      case 'connection-closed':
        this.ours = this.ours['connection-closed']!
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
    const head = this.startResponse(response, length)
    let out: Buffer
    if (this.dropBody || length === 0) {
      out = Buffer.from(this.framing === 'chunked' ? `${head}0\r\n\r\n` : head, 'latin1')
    } else if (this.framing === 'chunked') {
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
      if (this.framing === 'length') this.remaining = 0
    }
    this.finishResponse()
    return out
  }

  /** Mark our side as broken after a failed write; nothing more will be sent. */
  sendFailed(): void {
    this.ours = this.ours['send-failed']!
    this.ourKeepAlive = false
  }

  private sendInformational(status: number, reason?: string, headers?: HeaderInit): Buffer {
    this.ourNext(this.ours.informational, 'informational')
    const head = writeInformationalHead(status, reason, headers, this.request?.version)
    if (status === 100) this.waitingFor100 = false
    return head
  }

  /**
   * Plan a final response (response-plan.ts) and apply the plan: the one place a response changes the
   * connection's state. Returns the head to write. `knownLength`: the body's length when the whole body is at
   * hand (the `respond()` path). Throws before anything changes, so the caller can still answer 500.
   */
  private startResponse(event: ResponseEvent, knownLength?: number): string {
    const next =
      responseTrigger(this.their.state) === 'response'
        ? this.ourNext(this.ours.response, 'response')
        : this.ourNext(this.ours['error-response'], 'error-response')
    const exchange = this.exchange
    const request = this.request
    exchange.method = request?.method
    exchange.version = request?.version
    exchange.keepAlive = this.keepAlive
    exchange.waitingFor100 = this.waitingFor100
    const plan = planResponse(event, knownLength, exchange, this.fieldFacts)
    if (!plan.keepAlive) this.ourKeepAlive = false
    this.framing = plan.framing
    this.remaining = plan.length
    this.dropBody = plan.noBody
    this.waitingFor100 = false
    this.ours = next
    return writeResponseHead(event.status, plan, this.date, this.keepAliveHeader)
  }

  private sendData(data: Uint8Array): Uint8Array[] {
    this.ourNext(this.ours.data, 'data')
    if (data.length === 0) return []
    switch (this.framing) {
      case 'none':
        if (this.dropBody && this.request?.method === 'HEAD') return []
        throw new LocalProtocolError('this response cannot have a body', 'ILLEGAL_SEND', 500)
      case 'length':
        if (data.length > this.remaining) {
          throw new LocalProtocolError(
            'body is longer than its Content-Length',
            'ILLEGAL_SEND',
            500,
          )
        }
        this.remaining -= data.length
        return [data]
      case 'chunked':
        return writeChunk(data)
      case 'close':
        return [data]
    }
  }

  private sendEndOfMessage(trailers?: HeaderFields): Uint8Array[] {
    this.ourNext(this.ours['end-of-message'], 'end-of-message')
    if (this.framing === 'length' && this.remaining !== 0) {
      throw new LocalProtocolError(
        `body ended ${this.remaining} bytes short of its Content-Length`,
        'ILLEGAL_SEND',
        500,
      )
    }
    const out: Uint8Array[] = this.framing === 'chunked' ? [writeLastChunk(trailers)] : []
    this.finishResponse()
    return out
  }

  private finishResponse(): void {
    if (this.framing === 'close') this.ourKeepAlive = false
    this.ours = this.ours['end-of-message']!
    this.applyCloseRule()
  }
}

/** Why an event the application sent is not allowed in our state (the words `send()` has always used). */
function refusal(trigger: ServerTrigger, state: State): string {
  switch (trigger) {
    case 'informational':
      return 'an informational response must precede the final one'
    case 'response':
    case 'error-response':
      return `cannot send a response in state ${state}`
    case 'data':
      return `cannot send body data in state ${state}`
    case 'end-of-message':
      return `cannot end a message in state ${state}`
    default:
      return `cannot send ${trigger} in state ${state}`
  }
}

/** Buffer's encoding-specific writers, called directly (see respond()). */
interface WritableBuffer extends Buffer {
  latin1Write(text: string, offset: number): number
  utf8Write(text: string, offset: number): number
}

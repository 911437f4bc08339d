/**
 * # The connection driver: one socket, one ServerConnection, one handler
 *
 * The driver is the only place where the sans-IO core meets a real socket. Its loop:
 *
 *   socket read ──▶ conn.receiveData(chunk) ──▶ conn.nextEvent() until NEED_DATA or PAUSED
 *        request        → build an IncomingRequest, call the handler (sync handlers answer in the same tick)
 *        data           → push into the request's body (stop reading the socket past its high-water mark)
 *        end-of-message → the body is complete
 *        PAUSED         → a response is in progress: wait for it, then loop again (pipelined requests)
 *   response ──▶ conn.respond()/send() ──▶ socket.write()   (stop reading while the socket's buffer is full)
 *
 * Backpressure both ways: reading stops while (a) the socket cannot take more output (a client that does not
 * read its responses), or (b) request body bytes pile up unread by the handler. Either way the kernel's buffers
 * fill and TCP flow control slows the client down, so memory per connection stays bounded.
 *
 * Responses made while one chunk is processed are collected and leave in one write (outbox.ts): a batch of
 * pipelined responses to sync handlers becomes one system call.
 */
import type { Socket } from 'node:net'
import {
  LocalProtocolError,
  NEED_DATA,
  PAUSED,
  type ProtocolLimits,
  RemoteProtocolError,
  type RequestEvent,
  reasonPhrase,
  ServerConnection,
} from '../protocol/index.ts'
import { cannedResponse } from './canned.ts'
import { httpDate } from './http-date.ts'
import { describeError as describe, type Logger } from './logger.ts'
import { Outbox } from './outbox.ts'
import { type BodyHooks, IncomingRequest, RequestBodyError } from './request.ts'
import { type ReadPath, startReading } from './socket-reader.ts'
import type { WireTrace } from './trace.ts'
import type { Handler, Peer, RejectInfo, Response } from './types.ts'

export interface DriverOptions {
  readonly handler: Handler
  readonly limits: ProtocolLimits
  readonly headersTimeout: number
  readonly bodyTimeout: number
  readonly keepAliveTimeout: number
  readonly lingerTimeout: number
  readonly maxDrainBytes: number
  readonly logger: Logger
  readonly trace: WireTrace | undefined
  readonly readPath: ReadPath
  /** Told of every request the driver answers itself, before a handler saw it (server.ts `onReject`). */
  readonly onReject: ((info: RejectInfo) => void) | undefined
}

/** What the driver is waiting for; each phase has its own deadline (checked by the server's sweep). */
type Phase = 'head' | 'idle' | 'body' | 'handler' | 'linger' | 'closed'

const EMPTY = Buffer.alloc(0)
const TEXT_PLAIN: [string, string] = ['Content-Type', 'text/plain; charset=utf-8']

export class ConnectionDriver {
  readonly id: number
  readonly socket: Socket
  readonly peer: Peer
  private readonly conn: ServerConnection
  private readonly options: DriverOptions

  /** The request whose body is being received (undefined between bodies). */
  private receiving: IncomingRequest | undefined
  /** The request being answered (handler running or response streaming). */
  private answering: IncomingRequest | undefined
  private discarding = false
  private discarded = 0
  private processing = false
  private writeBlocked = false
  /** While one chunk (or one 'drain') is processed, output collects here and leaves in one write at the end. */
  private readonly out: Outbox
  private bodyBlocked = false
  private readPaused = false
  private closing = false
  private shutdownRequested = false
  private protocolFailure: RemoteProtocolError | undefined
  /** A response just completed: with no next request buffered, the connection goes idle (keepAliveTimeout). */
  private idleNext = false
  /** Chunks from the socket are views of a buffer the next read reuses (socket-reader.ts). */
  private readonly sharedChunks: boolean
  /** True while such a chunk is being processed: body data from it must be copied before it is kept. */
  private inSharedChunk = false
  /** The client's FIN was read ('end'): nothing more can arrive on this connection. */
  private inputEnded = false

  phase: Phase = 'head'
  deadline: number
  /** why: one hooks object per connection, not two closures and an object per request. */
  private readonly bodyHooks: BodyHooks = {
    onWantBody: (request) => this.onWantBody(request),
    onDrain: () => {
      if (this.bodyBlocked) {
        this.bodyBlocked = false
        this.updateReading()
        queueMicrotask(() => this.process())
      }
    },
  }

  constructor(id: number, socket: Socket, peer: Peer, options: DriverOptions) {
    this.id = id
    this.socket = socket
    this.peer = peer
    this.options = options
    this.conn = new ServerConnection({
      limits: options.limits,
      date: httpDate,
      keepAliveTimeoutSeconds: options.keepAliveTimeout / 1000,
    })
    this.deadline = Date.now() + options.headersTimeout
    this.out = new Outbox(socket, id, options.trace, () => {
      this.writeBlocked = true
      this.updateReading()
    })
    this.sharedChunks =
      startReading(socket, (chunk) => this.onData(chunk), options.readPath) === 'shared-buffer'
    socket.on('end', () => this.onEnd())
    socket.on('drain', () => this.onDrain())
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Resets and broken pipes are the peer's business, not a protocol error: log once, never answer.
      options.logger.debug(`connection #${id}: ${error.code ?? error.message}`)
    })
  }

  /** True while a request is being handled or answered. */
  get busy(): boolean {
    return this.answering !== undefined
  }

  // ---- socket events -----------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.options.trace?.received(this.id, chunk)
    if (this.closing) return // lingering: read and drop whatever the client still sends
    if (this.phase === 'idle' || (this.phase === 'head' && this.conn.bufferedBytes === 0)) {
      if (this.phase === 'idle') this.deadline = Date.now() + this.options.headersTimeout
      this.phase = 'head'
    }
    this.conn.receiveData(chunk)
    this.inSharedChunk = this.sharedChunks
    this.out.batching = true
    try {
      this.process()
    } finally {
      this.out.batching = false
      this.out.flush()
      if (this.sharedChunks) {
        this.inSharedChunk = false
        this.conn.keepBuffered()
      }
    }
  }

  private onEnd(): void {
    this.inputEnded = true
    if (this.closing) {
      // Lingering: the client's FIN ends it. A response still being written finishes first (the socket, already
      // ended on our side, destroys itself once it has: net.Socket's autoDestroy); destroying now would cut it.
      if (this.socket.writableLength === 0) this.socket.destroy()
      return
    }
    // The client closed its side while its request (read whole) is being answered: a handler that waits (a long
    // poll, an approval held open) learns it through the request's signal, as node:http tells it. The answer is
    // still written if it comes; the connection closes after it.
    if (this.answering !== undefined && this.receiving === undefined) {
      this.answering.abort(new Error('client closed the connection'))
    }
    this.conn.receiveData(EMPTY)
    this.process()
  }

  private onDrain(): void {
    if (!this.writeBlocked) return
    this.writeBlocked = false
    this.updateReading()
    this.out.batching = true
    try {
      this.process()
    } finally {
      this.out.batching = false
      this.out.flush()
    }
  }

  /** Called by the socket's 'close' (through the server): abort what is in flight. */
  closed(): void {
    this.phase = 'closed'
    this.deadline = Number.POSITIVE_INFINITY
    if (this.answering === undefined && this.receiving === undefined) return
    // Only a connection with a request in flight pays for an Error (it used to be 6% of the close scenario).
    const gone = new Error('client closed the connection')
    this.answering?.abort(gone)
    this.receiving?.abort(gone)
  }

  // ---- the event loop ----------------------------------------------------------------------------

  private process(): void {
    if (this.processing) return // re-entered from a synchronous response: the outer loop continues
    this.processing = true
    try {
      this.loop()
    } finally {
      this.processing = false
    }
  }

  private loop(): void {
    for (;;) {
      if (this.closing || this.socket.destroyed) return
      if (this.writeBlocked && this.answering === undefined) return // wait for 'drain' before the next request
      let event: ReturnType<ServerConnection['nextEvent']>
      try {
        event = this.conn.nextEvent()
      } catch (error) {
        this.onProtocolError(error)
        return
      }
      if (event === NEED_DATA) {
        if (this.conn.theirState === 'IDLE' && this.conn.bufferedBytes === 0 && this.idleNext) {
          this.idleNext = false
          this.enterIdle()
        }
        return
      }
      if (event === PAUSED) {
        if (this.answering === undefined) this.finishIfClosing()
        return
      }
      switch (event.type) {
        case 'request':
          this.startRequest(event)
          break
        case 'data':
          if (this.receiving !== undefined && !this.discarding) {
            this.receiving.push(this.inSharedChunk ? Buffer.from(event.data) : event.data)
            if (this.receiving.bufferedBytes > this.receiving.highWaterMark) {
              this.bodyBlocked = true
              this.updateReading()
              return
            }
          } else {
            this.discarded += event.data.length
            if (this.discarded > this.options.maxDrainBytes) {
              // The handler answered without reading a large body: draining it is not worth it.
              this.conn.requestClose()
              this.closeGracefully()
              return
            }
          }
          break
        case 'end-of-message':
          this.receiving?.end()
          this.receiving = undefined
          this.discarding = false
          if (this.answering !== undefined && this.phase === 'body') this.phase = 'handler'
          break
        case 'connection-closed':
          if (this.answering === undefined) this.closeGracefully()
          return
      }
    }
  }

  private enterIdle(): void {
    if (this.shutdownRequested) {
      this.closeGracefully()
      return
    }
    this.phase = 'idle'
    this.deadline = Date.now() + this.options.keepAliveTimeout
  }

  private finishIfClosing(): void {
    const ours = this.conn.ourState
    if (ours === 'MUST_CLOSE' || ours === 'CLOSED' || ours === 'ERROR') this.closeGracefully()
  }

  private startRequest(event: RequestEvent): void {
    const request = new IncomingRequest(
      event,
      this.peer,
      this.bodyHooks,
      this.options.limits.maxBodySize,
    )
    this.receiving = request.complete ? undefined : request
    this.discarding = false
    this.discarded = 0
    this.answering = request
    this.protocolFailure = undefined
    this.idleNext = false
    if (request.complete) {
      this.phase = 'handler'
      this.deadline = Number.POSITIVE_INFINITY
    } else {
      this.phase = 'body'
      this.deadline = Date.now() + this.options.bodyTimeout
    }
    let result: Response | Promise<Response>
    try {
      result = this.options.handler(request)
    } catch (error) {
      this.handlerFailed(request, error)
      return
    }
    // why: a synchronous handler is answered in the same tick, with no Promise allocated (hono does the same).
    if (result instanceof Promise) {
      result.then(
        (response) => this.settled(request, true, response),
        (error: unknown) => this.settled(request, false, error),
      )
    } else {
      this.respond(request, result)
    }
  }

  /**
   * A handler's Promise settled (in a microtask, after the chunk's batch has left). The response, and those of
   * pipelined requests that synchronous handlers then answer, collect in the outbox; when the next request's
   * handler is still pending, they wait for the end of this turn's microtasks (`flushSoon`), so a burst of
   * pipelined requests to an async handler leaves in one write, as it does for a sync handler. With nothing
   * more in flight they go at once (no tick for a single request per read: the hello and echo rows).
   */
  private settled(request: IncomingRequest, ok: boolean, value: unknown): void {
    const out = this.out
    if (out.batching) {
      if (ok) this.respond(request, value as Response)
      else this.handlerFailed(request, value)
      return
    }
    out.batching = true
    try {
      if (ok) this.respond(request, value as Response)
      else this.handlerFailed(request, value)
    } finally {
      out.batching = false
      if (this.answering !== undefined && !this.closing) out.flushSoon()
      else out.flush()
    }
  }

  private onWantBody(request: IncomingRequest): void {
    if (request !== this.answering || !this.conn.clientIsWaitingFor100Continue) return
    // RFC 9110 §10.1.1: the client holds its body until it sees 100 Continue; send it only now that the
    // handler actually asked for the body.
    this.out.writeAll(this.conn.send({ type: 'informational', status: 100 }))
  }

  // ---- responses ---------------------------------------------------------------------------------

  private respond(request: IncomingRequest, response: Response): void {
    if (request !== this.answering) return
    if (this.socket.destroyed) {
      this.answered(request)
      return
    }
    if (this.shutdownRequested) this.conn.requestClose()
    const body = response.body
    if (
      body !== null &&
      body !== undefined &&
      typeof body !== 'string' &&
      !(body instanceof Uint8Array)
    ) {
      void this.streamResponse(request, response, body)
      return
    }
    let out: Buffer
    try {
      out = this.conn.respond(
        {
          type: 'response',
          status: response.status,
          reason: response.reason,
          headers: response.headers,
        },
        body ?? EMPTY,
      )
    } catch (error) {
      out = this.invalidResponse(error)
    }
    this.out.write(out)
    this.answered(request)
  }

  private async streamResponse(
    request: IncomingRequest,
    response: Response,
    body: AsyncIterable<Uint8Array | string>,
  ): Promise<void> {
    try {
      this.out.writeAll(
        this.conn.send({
          type: 'response',
          status: response.status,
          reason: response.reason,
          headers: response.headers,
        }),
      )
    } catch (error) {
      this.out.write(this.invalidResponse(error))
      this.answered(request)
      return
    }
    try {
      for await (const piece of body) {
        if (this.socket.destroyed) break
        const data = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
        this.out.writeAll(this.conn.send({ type: 'data', data }))
        if (this.socket.writableNeedDrain) await this.out.drained()
      }
      if (!this.socket.destroyed) this.out.writeAll(this.conn.send({ type: 'end-of-message' }))
    } catch (error) {
      // Half a body has been sent: no status can be changed now. Cut the connection so the client sees an
      // incomplete message instead of a truncated one that looks whole.
      this.options.logger.error(
        `connection #${this.id}: response stream failed: ${describe(error)}`,
      )
      this.conn.sendFailed()
      this.socket.destroy()
    }
    this.answered(request)
  }

  /** The handler's response cannot be sent (a LocalProtocolError): logged, and a 500 goes out instead. */
  private invalidResponse(error: unknown): Buffer {
    if (!(error instanceof LocalProtocolError)) throw error
    this.options.logger.error(
      `connection #${this.id}: handler returned an invalid response: ${error.message}`,
    )
    return this.conn.respond(
      { type: 'response', status: 500, headers: [TEXT_PLAIN] },
      Buffer.from('Internal Server Error\n'),
    )
  }

  private handlerFailed(request: IncomingRequest, error: unknown): void {
    if (request !== this.answering) return
    let status = 500
    let message = 'Internal Server Error'
    const failure = this.protocolFailure
    if (failure !== undefined) {
      status = failure.statusHint
      message = `${reasonPhrase(status)}: ${failure.message}`
    } else if (error instanceof RequestBodyError) {
      status = error.status
      message = `${reasonPhrase(status)}: ${error.message}`
    } else {
      this.options.logger.error(
        `connection #${this.id}: handler failed on ${request.method} ${request.target}: ${describe(error, true)}`,
      )
    }
    if (this.conn.ourState !== 'SEND_RESPONSE') {
      // The response had already started: all we can do is cut the connection.
      this.socket.destroy()
      this.answered(request)
      return
    }
    if (status >= 400 && status !== 500) this.conn.requestClose()
    this.respond(request, { status, headers: [TEXT_PLAIN], body: `${message}\n` })
  }

  /** The response to `request` is complete (or abandoned): move on to the next request, or close. */
  private answered(request: IncomingRequest): void {
    if (request !== this.answering) return
    this.answering = undefined
    if (this.receiving === request) {
      // The handler answered without reading the whole body: drop the rest as it arrives (bounded), so the
      // next request on this connection can be read.
      this.discarding = true
      this.receiving = undefined
      request.fail(new RequestBodyError('the response was sent before the body was read', 400))
      if (this.bodyBlocked) {
        this.bodyBlocked = false
        this.updateReading()
      }
    }
    if (this.phase === 'handler' || this.phase === 'body') {
      this.phase = 'head'
      this.deadline = Date.now() + this.options.headersTimeout
    }
    this.idleNext = true
    // RFC 9112 §9.6: after a response that says "close", close, even when the request body was never sent
    // (a client holding its body back for 100 Continue would otherwise wait here until headersTimeout).
    if (this.protocolFailure !== undefined || this.conn.ourState === 'MUST_CLOSE') {
      this.closeGracefully()
      return
    }
    this.process()
  }

  private onProtocolError(error: unknown): void {
    if (!(error instanceof RemoteProtocolError)) throw error
    this.options.logger.debug(`connection #${this.id}: ${error.code}: ${error.message}`)
    if (this.answering !== undefined) {
      // The body of the request being handled is broken: its reader fails, and the handler's response (or
      // the error it throws) goes out with Connection: close.
      this.protocolFailure = error
      this.receiving?.fail(new RequestBodyError(error.message, error.statusHint, { cause: error }))
      this.receiving = undefined
      return
    }
    const ours = this.conn.ourState
    if (ours === 'IDLE' || ours === 'SEND_RESPONSE') {
      const status = error.statusHint
      this.out.write(
        this.conn.respond(
          { type: 'response', status, headers: [TEXT_PLAIN] },
          Buffer.from(`${reasonPhrase(status)}: ${error.message}\n`),
        ),
      )
      this.rejected(status, error.message)
    }
    this.closeGracefully()
  }

  /** Report a request answered here, before any handler saw it; the callback's own failure is only logged. */
  private rejected(status: number, reason: string): void {
    const onReject = this.options.onReject
    if (onReject === undefined) return
    const line = this.conn.requestLine
    try {
      onReject({
        status,
        reason,
        method: line?.method,
        target: line?.target,
        version: line?.version,
        peer: this.peer,
      })
    } catch (error) {
      this.options.logger.error(`connection #${this.id}: onReject failed: ${describe(error)}`)
    }
  }

  /** Read from the socket unless one of the backpressure conditions holds. */
  private updateReading(): void {
    const pause = !this.closing && (this.writeBlocked || this.bodyBlocked)
    if (pause && !this.readPaused) {
      this.readPaused = true
      this.socket.pause()
    } else if (!pause && this.readPaused) {
      this.readPaused = false
      this.socket.resume()
    }
  }

  // ---- closing -----------------------------------------------------------------------------------

  /**
   * Close our side after what has been written, then keep reading (and dropping) for a moment. Closing a
   * socket with unread input makes the kernel send RST, which can destroy the response still in flight to the
   * client; a short linger lets the client read it first (the "lingering close" of Apache and nginx; RFC 9112
   * §9.6). When the client asked to close and has sent all of its request, no input can come: the socket is
   * closed as soon as the response is written.
   * why: that saves a read, an epoll change and an event-loop turn per connection (strace -c, Connection:
   * close: 11.5 → 10.4 system calls per request; node:http makes 9.2, as it never asks for the peer address).
   */
  closeGracefully(): void {
    if (this.closing) return
    this.closing = true
    this.phase = 'linger'
    this.deadline = Date.now() + this.options.lingerTimeout
    if (this.inputEnded) {
      this.out.flush()
      // why: the client has closed its side, so no input can come and cause a reset: once every byte is with the
      // kernel, close(2) delivers them, then the FIN, as shutdown(2) would. No shutdown, no wait for 'finish':
      // strace -c per connection over the Unix socket (client closing after the response) 12.4 → 11.0 system
      // calls (the shutdown gone); bench/server-instructions.ts --per-connection 665.6k → 629.0k instructions.
      // With bytes still queued in node:net, end(): the socket destroys itself once they are written. On TCP
      // end() always, for the reason given below (a response left to an orphaned socket can come late).
      if (this.peer.transport === 'unix' && this.socket.writableLength === 0) this.socket.destroy()
      else this.socket.end()
      return
    }
    if (this.conn.clientSentEverything) {
      this.out.flush()
      // why: as above (Connection: close, whole request read), close(2) at once on a Unix socket: strace -c 11.4 →
      // 10.8 system calls per connection (the shutdown gone). Not on TCP: close(2) with the response still in the
      // send queue leaves it to an orphaned socket, and some responses then came late: wrk -c50 Connection: close,
      // p99 16.0–16.2 ms against 12.4–12.7 ms with shutdown(2) first and close(2) once written (node:http 10.3–11.1
      // ms in the same runs; docs/benchmarks.md).
      if (this.peer.transport === 'unix' && this.socket.writableLength === 0) this.socket.destroy()
      else this.socket.end(() => this.socket.destroy())
      return
    }
    if (this.readPaused) {
      this.readPaused = false
      this.socket.resume()
    }
    this.out.flush()
    this.socket.end()
  }

  /** Server shutdown: idle connections close now; busy ones after their current response. */
  shutdown(): void {
    this.shutdownRequested = true
    if (this.answering === undefined && (this.phase === 'idle' || this.conn.bufferedBytes === 0)) {
      this.closeGracefully()
    } else {
      this.conn.requestClose()
    }
  }

  /** Called by the server's sweep when `deadline` has passed. */
  timedOut(now: number): void {
    if (now < this.deadline) return
    switch (this.phase) {
      case 'idle':
        this.closeGracefully()
        break
      case 'head':
        if (this.conn.bufferedBytes === 0 && this.answering === undefined) {
          this.closeGracefully()
          break
        }
        this.options.logger.debug(`connection #${this.id}: request head timed out`)
        if (this.answering === undefined && this.conn.ourState === 'IDLE') {
          this.out.write(cannedResponse(408, 'the request head took too long'))
          this.rejected(408, 'the request head took too long')
        }
        this.closeGracefully()
        break
      case 'body':
        this.options.logger.debug(`connection #${this.id}: request body timed out`)
        this.deadline = Number.POSITIVE_INFINITY
        this.phase = 'handler'
        this.protocolFailure = new RemoteProtocolError(
          'the request body took too long',
          'UNEXPECTED_EOF',
          408,
        )
        this.receiving?.fail(new RequestBodyError('the request body took too long', 408))
        this.receiving = undefined
        this.conn.requestClose()
        break
      case 'linger':
        this.socket.destroy()
        break
      default:
        break
    }
  }
}

/**
 * # The node:http adapter: the same Handler on Node's own HTTP server
 *
 * `createNodeHttpServer(handler, options)` serves a `Handler` written for the raw engine (server.ts) with
 * `http.createServer` underneath, and answers byte for byte the same (the Date value aside): it is the reference
 * the raw engine is compared against (test/transport/engines.test.ts), and a fallback where the raw engine is not
 * wanted.
 *
 *   IncomingMessage → Request:  rawHeaders → HeaderFields (names and order kept), req.url → target, path and
 *                               query by `splitTarget`, peer from the socket (Unix: kernel credentials),
 *                               body()/stream() with the same limit and 413, signal aborted when the client leaves.
 *   Response → ServerResponse:  the raw engine's own response planner (protocol/response-plan.ts) decides, and
 *                               its decisions are made explicit so that node's own defaults never differ: the
 *                               reason phrase, header names and values checked by the same rules (→ 500),
 *                               Content-Length from a whole body (kept for HEAD, never on 204/304),
 *                               `Transfer-Encoding: chunked` for a stream to an HTTP/1.1 client, and
 *                               `shouldKeepAlive = false` whenever the plan closes the connection. node adds the
 *                               Date and Connection fields itself, with the values the raw engine writes.
 *
 * Where node decides alone, the bytes differ: its own protocol errors (400, 431, 408 have node's bodies), a
 * connection past `maxConnections` (we answer 503 as the raw engine does, but node may already have read a request),
 * a large unread body (node drains it whatever its size; the raw engine closes past `maxDrainBytes`). CONNECT,
 * which node hands over apart ('connect'), is refused with the raw engine's 501 and the connection closed (this is
 * an origin server: it does not tunnel). Timeouts map onto node's: `headersTimeout`,
 * `requestTimeout = headersTimeout + bodyTimeout`, `keepAliveTimeout`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as NodeServer,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { Socket } from 'node:net'
import {
  CONNECT_REFUSED,
  DEFAULT_LIMITS,
  type ExchangeFacts,
  HeaderFields,
  LocalProtocolError,
  newFieldFacts,
  planResponse,
  type ResponsePlan,
  reasonPhrase,
} from '../protocol/index.ts'
import { cannedResponse } from './canned.ts'
import {
  ConnectionSet,
  closeOnSignals,
  listenTcp,
  peerOf,
  refuseConnection,
  reportReject,
} from './listener.ts'
import { type Logger, stderrLogger } from './logger.ts'
import { drainOrClose } from './outbox.ts'
import { BodyConsumer, RequestBodyError, splitTarget, tooLarge } from './request.ts'
import type { HttpServer, ListenerAddress, ListenOptions, ServerOptions } from './server.ts'
import type { Handler, Peer, RejectInfo, Request, Response } from './types.ts'
import { closeListeners, ListenError, listenUnix, prepareUnixSocketPath } from './unix-socket.ts'

/** The raw engine's options that mean something on node:http (limits: `maxBodySize` and `maxHeaderSize`). */
export type NodeServerOptions = Pick<
  ServerOptions,
  | 'limits'
  | 'headersTimeout'
  | 'bodyTimeout'
  | 'keepAliveTimeout'
  | 'maxConnections'
  | 'logger'
  | 'onReject'
>

export function createNodeHttpServer(
  handler: Handler,
  options: NodeServerOptions = {},
): HttpServer {
  return new NodeAdapterServer(handler, options)
}

const EMPTY = new Uint8Array(0)
const TEXT_PLAIN = ['Content-Type', 'text/plain; charset=utf-8'] as const

class NodeAdapterServer implements HttpServer {
  private readonly handler: Handler
  private readonly logger: Logger
  private readonly maxBodySize: number
  private readonly maxHeaderSize: number
  private readonly headersTimeout: number
  private readonly bodyTimeout: number
  private readonly keepAliveTimeout: number
  private readonly maxConnections: number
  private readonly onReject: ((info: RejectInfo) => void) | undefined
  private readonly listeners: { server: NodeServer; address: ListenerAddress }[] = []
  private readonly sockets = new ConnectionSet<Socket>()
  private readonly peers = new WeakMap<Socket, Peer>()
  private readonly rejected = new WeakSet<Socket>()
  private closing: Promise<void> | undefined
  /**
   * Told when each response closes. While the server is closing, a connection whose response had started before
   * `close()` (so it went out with keep-alive) is idle once that response ends, and is closed then; one whose
   * response went out before its request body was read, once the rest of the body is in. node's
   * `closeIdleConnections()` closes only connections with no request or response in progress.
   */
  private readonly responseClosed = (req: IncomingMessage): void => {
    if (this.closing === undefined) return
    if (req.complete) this.closeIdle()
    else req.once('end', this.closeIdle)
  }
  private readonly closeIdle = (): void => {
    for (const { server } of this.listeners) server.closeIdleConnections()
  }

  constructor(handler: Handler, options: NodeServerOptions) {
    this.handler = handler
    this.logger = options.logger ?? stderrLogger()
    this.maxBodySize = options.limits?.maxBodySize ?? DEFAULT_LIMITS.maxBodySize
    this.maxHeaderSize = options.limits?.maxHeaderSize ?? DEFAULT_LIMITS.maxHeaderSize
    this.headersTimeout = options.headersTimeout ?? 10_000
    this.bodyTimeout = options.bodyTimeout ?? 60_000
    this.keepAliveTimeout = options.keepAliveTimeout ?? 5_000
    this.maxConnections = options.maxConnections ?? 10_000
    this.onReject = options.onReject
  }

  get addresses(): readonly ListenerAddress[] {
    return this.listeners.map((l) => l.address)
  }

  get connectionCount(): number {
    return this.sockets.size
  }

  // ---- listening -------------------------------------------------------------------------------

  /** One node:http server per address: each keeps node's own connection tracking and timeout checks. */
  private newServer(unixPath: string | undefined): NodeServer {
    const shortest = Math.min(this.headersTimeout, this.bodyTimeout, this.keepAliveTimeout)
    const server = createHttpServer({
      maxHeaderSize: this.maxHeaderSize,
      requestTimeout: this.headersTimeout + this.bodyTimeout,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
      noDelay: true,
    })
    server.headersTimeout = this.headersTimeout
    server.keepAliveTimeout = this.keepAliveTimeout
    // Before node's own 'connection' listener: refuse past maxConnections, remember the peer.
    server.prependListener('connection', (socket: Socket) => this.accept(socket, unixPath))
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serve(req, res, false))
    // Without a listener node destroys a CONNECT's socket without a word; the raw engine answers 501.
    server.on('connect', (req: IncomingMessage, socket: Socket) => this.refuseConnect(req, socket))
    // With a listener here, node leaves 100 Continue to us: sent only when the handler reads the body.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) =>
      this.serve(req, res, true),
    )
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      this.clientError(error, socket),
    )
    return server
  }

  async listen(options: ListenOptions): Promise<ListenerAddress> {
    if (this.closing !== undefined) throw new ListenError('the server is closing', 'ECLOSED')
    let address: ListenerAddress
    let server: NodeServer
    if ('path' in options) {
      server = this.newServer(options.path)
      if (options.replaceStale !== false) await prepareUnixSocketPath(options.path)
      await listenUnix(server, options.path, options.mode ?? 0o660)
      address = { transport: 'unix', path: options.path }
    } else {
      server = this.newServer(undefined)
      address = await listenTcp(server, options)
    }
    server.on('error', (error) => this.logger.error(`listener error: ${error.message}`))
    this.listeners.push({ server, address })
    return address
  }

  private accept(socket: Socket, unixPath: string | undefined): void {
    if (this.closing !== undefined) {
      this.rejected.add(socket)
      socket.on('error', () => {})
      socket.destroy()
      return
    }
    if (this.sockets.size >= this.maxConnections) {
      this.rejected.add(socket)
      refuseConnection(socket, unixPath, this.onReject, this.logger)
      return
    }
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    this.peers.set(socket, peerOf(socket, unixPath))
  }

  // ---- requests --------------------------------------------------------------------------------

  /**
   * CONNECT asks for a tunnel (RFC 9110 §9.3.6), which an origin server does not provide: the same 501 and close
   * as the raw engine's protocol core (protocol/connection.ts), written on the socket node has handed over. What
   * the client sends after the head is read and dropped until it closes, or for a second at most.
   */
  private refuseConnect(req: IncomingMessage, socket: Socket): void {
    if (this.rejected.has(socket)) return
    socket.on('error', () => {})
    socket.resume()
    socket.end(cannedResponse(501, CONNECT_REFUSED))
    setTimeout(() => socket.destroy(), 1000).unref()
    reportReject(this.onReject, this.logger, {
      status: 501,
      reason: CONNECT_REFUSED,
      method: req.method,
      target: req.url,
      version: req.httpVersion === '1.0' ? '1.0' : '1.1',
      peer: this.peers.get(socket) ?? peerOf(socket, undefined),
    })
  }

  private serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const socket = req.socket
    if (this.rejected.has(socket)) return
    const peer = this.peers.get(socket) ?? peerOf(socket, undefined)
    const request = new NodeRequest(
      req,
      res,
      peer,
      this.maxBodySize,
      expectsContinue,
      this.responseClosed,
    )
    // The raw engine refuses a declared body past maxBodySize before any handler runs (a protocol error).
    if (request.contentLength !== undefined && request.contentLength > this.maxBodySize) {
      const reason = `body of ${request.contentLength} bytes exceeds ${this.maxBodySize}`
      this.sendError(res, 413, reason, true)
      reportReject(this.onReject, this.logger, {
        status: 413,
        reason,
        method: request.method,
        target: request.target,
        version: request.version,
        peer,
      })
      return
    }
    let result: Response | Promise<Response>
    try {
      result = this.handler(request)
    } catch (error) {
      this.handlerFailed(request, res, error)
      return
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.send(request, res, response),
        (error: unknown) => this.handlerFailed(request, res, error),
      )
    } else {
      this.send(request, res, result)
    }
  }

  /**
   * node:http's parser refused what the client sent (or a head timed out). Answered exactly as node does without
   * a 'clientError' listener (lib/_http_server.js `socketOnError`: a bodiless 400, 408, 413 or 431 that closes),
   * and reported to `onReject` when a response went out for a request no handler has seen.
   * why: with a 'clientError' listener node answers nothing itself; this one keeps node's bytes.
   */
  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    // A request in flight (node's private `_httpMessage`): its handler has seen it and answers for it.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
      const status =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
            ? 413
            : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
              ? 408
              : 400
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`)
      // A connection that sent nothing gets node's 408 after headersTimeout, but made no request (the raw
      // engine closes it without a word): not reported.
      if (inFlight == null && !this.rejected.has(socket) && socket.bytesRead > 0) {
        const reason = (error as { reason?: unknown }).reason
        reportReject(this.onReject, this.logger, {
          status,
          reason: typeof reason === 'string' && reason !== '' ? reason : error.message,
          peer: this.peers.get(socket) ?? peerOf(socket, undefined),
        })
      }
    }
    socket.destroy(error)
  }

  private handlerFailed(request: NodeRequest, res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      // Part of the response is out: all that can be done is cutting the connection.
      res.destroy()
      return
    }
    if (error instanceof RequestBodyError) {
      this.sendError(res, error.status, error.message, error.status !== 500)
      return
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.logger.error(`handler failed on ${request.method} ${request.target}: ${detail}`)
    this.sendError(res, 500, undefined, false)
  }

  /** A plain-text error response shaped like the raw engine's. */
  private sendError(
    res: ServerResponse,
    status: number,
    message: string | undefined,
    close: boolean,
  ): void {
    if (res.destroyed || res.writableEnded) return
    const body = Buffer.from(
      message === undefined ? `${reasonPhrase(status)}\n` : `${reasonPhrase(status)}: ${message}\n`,
    )
    if (close || this.closing !== undefined) res.shouldKeepAlive = false
    res.writeHead(status, reasonPhrase(status), [
      ...TEXT_PLAIN,
      'Content-Length',
      String(body.length),
    ])
    res.end(body)
  }

  private send(request: NodeRequest, res: ServerResponse, response: Response): void {
    if (res.destroyed || res.writableEnded) return
    const body = response.body
    let bytes: Uint8Array | undefined
    let stream: AsyncIterable<Uint8Array> | undefined
    if (body === null || body === undefined) bytes = EMPTY
    else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8')
    else if (body instanceof Uint8Array) bytes = body
    else stream = body
    const headers: string[] = []
    let plan: ResponsePlan
    try {
      plan = planResponse(
        response,
        bytes?.length,
        this.exchangeOf(request, res),
        newFieldFacts(),
        headers,
      )
    } catch (error) {
      if (!(error instanceof LocalProtocolError)) throw error
      this.logger.error(`handler returned an invalid response: ${error.message}`)
      this.sendError(res, 500, undefined, false)
      return
    }
    // Every framing field is written here, so that node adds none of its own (it adds Date and Connection,
    // as the raw engine does). A plan that closes the connection closes it here too: the server is closing,
    // the client waits for a 100 Continue never sent, or the body's end is the connection's.
    if (plan.addContentLength >= 0) headers.push('Content-Length', String(plan.addContentLength))
    else if (plan.addChunked) headers.push('Transfer-Encoding', 'chunked')
    if (!plan.keepAlive) res.shouldKeepAlive = false
    res.writeHead(response.status, plan.reason, headers)
    if (stream !== undefined) {
      void this.stream(res, stream)
      return
    }
    res.end(plan.noBody ? EMPTY : bytes)
  }

  /** The exchange as the response planner sees it. */
  private exchangeOf(request: NodeRequest, res: ServerResponse): ExchangeFacts {
    return {
      method: request.method,
      version: request.version,
      // node's reading of the request (Connection, HTTP/1.0), and ours: a server that is closing.
      keepAlive: res.shouldKeepAlive && this.closing === undefined,
      waitingFor100: request.waitingForContinue,
      // node announces `Connection: keep-alive` and `Keep-Alive: timeout=N` on every persistent response.
      announceKeepAlive: true,
    }
  }

  private async stream(res: ServerResponse, body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const piece of body) {
        if (res.destroyed) break
        const data = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
        if (!res.write(data)) await drainOrClose(res)
      }
      if (!res.destroyed) res.end()
    } catch (error) {
      this.logger.error(
        `response stream failed: ${error instanceof Error ? error.message : String(error)}`,
      )
      res.destroy()
    }
  }

  // ---- shutdown --------------------------------------------------------------------------------

  close(options: { timeout?: number } = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing
    this.closing = this.doClose(options.timeout ?? 10_000)
    return this.closing
  }

  private async doClose(timeout: number): Promise<void> {
    // node ≥ 19 closes idle keep-alive connections here too; those with a request in flight answer it with
    // Connection: close (send() above), or, when their response had started before, close in serve() once it ends.
    const listening = closeListeners(this.listeners)
    // Resolves on the 'close' of the last connection (no polling); past `timeout`, whatever is left is destroyed.
    await this.sockets.closed(timeout, () => {
      for (const { server } of this.listeners) server.closeAllConnections()
      for (const socket of this.sockets) socket.destroy()
    })
    await listening
  }

  closeOnSignals(onClosed?: (signal: NodeJS.Signals) => void): () => void {
    return closeOnSignals(this, onClosed)
  }
}

// ---- the request -------------------------------------------------------------------------------------

/** An IncomingMessage seen through our `Request` interface. */
class NodeRequest extends BodyConsumer implements Request {
  readonly method: string
  readonly target: string
  readonly path: string
  readonly query: string
  readonly version: '1.0' | '1.1'
  readonly headers: HeaderFields
  readonly peer: Peer
  readonly contentLength: number | undefined
  readonly hasBody: boolean
  readonly signal: AbortSignal

  private readonly req: IncomingMessage
  private readonly res: ServerResponse
  protected readonly maxBodySize: number
  private expectsContinue: boolean

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    peer: Peer,
    maxBodySize: number,
    expectsContinue: boolean,
    onResponseClosed: (req: IncomingMessage) => void,
  ) {
    super()
    this.req = req
    this.res = res
    this.peer = peer
    this.maxBodySize = maxBodySize
    this.method = req.method ?? 'GET'
    this.target = req.url ?? '/'
    const [path, query] = splitTarget(this.target)
    this.path = path
    this.query = query
    this.version = req.httpVersion === '1.0' ? '1.0' : '1.1'
    this.headers = new HeaderFields([...req.rawHeaders])
    const chunked = req.headers['transfer-encoding'] !== undefined
    const declared = req.headers['content-length']
    // As the raw engine reports it: undefined for chunked, 0 when there is no body at all.
    this.contentLength = chunked ? undefined : declared === undefined ? 0 : Number(declared)
    this.hasBody = chunked || (this.contentLength ?? 0) > 0
    this.expectsContinue = expectsContinue && this.hasBody
    const controller = new AbortController()
    this.signal = controller.signal
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed the connection'))
      onResponseClosed(req)
    })
  }

  /** The client waits for 100 Continue before it sends the body, and none was sent. */
  get waitingForContinue(): boolean {
    return this.expectsContinue && !this.req.complete
  }

  /**
   * Pull the body with `read()` rather than `for await` over the IncomingMessage: leaving such a loop early
   * destroys the message and with it the socket, and the 413 could not be sent.
   */
  protected async *pull(limit: number): AsyncGenerator<Uint8Array> {
    if (!this.hasBody) return
    if (this.expectsContinue && !this.res.headersSent) {
      this.expectsContinue = false
      this.res.writeContinue()
    }
    const req = this.req
    let seen = 0
    for (;;) {
      let chunk: Buffer | null = req.read() as Buffer | null
      while (chunk !== null) {
        seen += chunk.length
        if (seen > limit) throw tooLarge(limit)
        yield chunk
        chunk = req.read() as Buffer | null
      }
      if (req.readableEnded) return
      if (req.destroyed) throw new RequestBodyError('the client closed the connection', 400)
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('readable', done)
          req.off('end', done)
          req.off('close', done)
          req.off('error', done)
          resolve()
        }
        req.on('readable', done)
        req.on('end', done)
        req.on('close', done)
        req.on('error', done)
      })
    }
  }
}

/**
 * # The server: listeners, connections, timeouts, shutdown
 *
 * `createServer(handler, options)` returns a server that can listen on any number of TCP addresses and Unix
 * socket paths at once; every accepted socket gets a ConnectionDriver (driver.ts) and a Peer (who is calling).
 *
 * Timeouts are checked by one sweep timer for all connections (not one timer per connection): each driver keeps
 * a deadline for the phase it is in, and the sweep acts on those that passed. Defaults:
 *   headersTimeout   10 s  from the first byte of a request (or the connection's start) to its complete head;
 *                          a slowloris client trickling header bytes gets 408 and is closed.
 *   bodyTimeout      60 s  from the head to the end of the body (a slow-body attack); the body read fails with 408.
 *   keepAliveTimeout  5 s  idle time between requests on a kept-alive connection (node:http's default).
 *   maxConnections  10000 beyond it a new connection is answered 503 with Retry-After and closed at once
 *                          (rather than left in the kernel's backlog, where a client cannot tell why it waits).
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { DEFAULT_LIMITS, type ProtocolLimits } from '../protocol/index.ts'
import { ConnectionDriver, type DriverOptions } from './driver.ts'
import {
  ConnectionSet,
  closeOnSignals,
  DEFAULT_BACKLOG,
  describePeer,
  listenTcp,
  peerOf,
  refuseConnection,
} from './listener.ts'
import { type Logger, stderrLogger } from './logger.ts'
import { type ReadPath, sharedBufferSupported } from './socket-reader.ts'
import { createWireTrace, type WireTrace } from './trace.ts'
import type { Handler, RejectInfo } from './types.ts'
import { closeListeners, ListenError, listenUnix, prepareUnixSocketPath } from './unix-socket.ts'

export interface ServerOptions {
  /** Protocol limits (request line, header section, body size…); see protocol/limits.ts. */
  limits?: Partial<ProtocolLimits>
  /** Milliseconds to receive a complete request head. Default 10 000. */
  headersTimeout?: number
  /** Milliseconds to receive a request body, from its head. Default 60 000. */
  bodyTimeout?: number
  /** Milliseconds a kept-alive connection may sit idle between requests. Default 5 000. */
  keepAliveTimeout?: number
  /** Open connections at most; more are answered 503 and closed. Default 10 000. */
  maxConnections?: number
  /** Unread request body (bytes) the server drains to keep a connection alive after an early response. */
  maxDrainBytes?: number
  /** Milliseconds to keep reading (and dropping) after closing our side. Default 2 000. */
  lingerTimeout?: number
  /** Print each connection's bytes to stderr (true) or to a function. */
  trace?: boolean | ((text: string) => void)
  logger?: Logger
  /**
   * How bytes are read: `'shared-buffer'` (default) reads every connection into one reused buffer where this
   * Node.js allows it, `'stream'` uses node:net's `'data'` events. Same behaviour; see socket-reader.ts.
   */
  readPath?: ReadPath
  /**
   * Called for every request the server answers itself, before any handler saw it: a malformed or refused head
   * (400, 413 for a declared body past `maxBodySize`, 414, 431…), a head that took too long (408), a connection
   * past `maxConnections` (503). With the request line when it was read. The handler's own answers (and the
   * errors it meets reading a body) are not reported here. Both engines call it; must not throw (a throw is
   * logged).
   */
  onReject?: (info: RejectInfo) => void
}

export type ListenOptions =
  | {
      port: number
      host?: string
      ipv6Only?: boolean
      /** Pending-connection queue length (capped by the kernel's somaxconn). Default 2048. */
      backlog?: number
    }
  | {
      path: string
      /** Pending-connection queue length. Default 2048. */
      backlog?: number
      /** File mode of the socket, e.g. 0o660. Default 0o660. */
      mode?: number
      /** Remove a stale socket file left by a dead server (never a live one). Default true. */
      replaceStale?: boolean
    }

export type ListenerAddress =
  | { transport: 'tcp'; host: string; port: number; family: 'IPv4' | 'IPv6' }
  | { transport: 'unix'; path: string }

export interface HttpServer {
  /** Start listening; resolves with the bound address (the real port when `port: 0`). */
  listen(options: ListenOptions): Promise<ListenerAddress>
  /** Addresses listened on. */
  readonly addresses: readonly ListenerAddress[]
  /** Open connections right now. */
  readonly connectionCount: number
  /**
   * How the raw engine reads its sockets (`'stream'` when the shared buffer was not asked for or is not
   * available on this Node.js); undefined for the node:http adapter, where node:http does the reading.
   */
  readonly readPath?: ReadPath
  /**
   * Graceful shutdown: stop accepting, close idle connections now, let in-flight requests finish (their
   * responses say `Connection: close`), force-close whatever remains after `timeout` ms (default 10 000),
   * remove Unix socket files. Resolves when every connection is closed.
   */
  close(options?: { timeout?: number }): Promise<void>
  /** Call `close()` on SIGINT and SIGTERM (once); returns a function that removes the handlers. */
  closeOnSignals(onClosed?: (signal: NodeJS.Signals) => void): () => void
}

export function createServer(handler: Handler, options: ServerOptions = {}): HttpServer {
  return new RawHttpServer(handler, options)
}

class RawHttpServer implements HttpServer {
  private readonly listeners: { server: NetServer; address: ListenerAddress }[] = []
  private readonly drivers = new ConnectionSet<ConnectionDriver>()
  private readonly driverOptions: DriverOptions
  private readonly maxConnections: number
  private readonly logger: Logger
  private readonly sweepInterval: number
  private sweepTimer: NodeJS.Timeout | undefined
  private nextId = 1
  private closing: Promise<void> | undefined

  constructor(handler: Handler, options: ServerOptions) {
    this.logger = options.logger ?? stderrLogger()
    let trace: WireTrace | undefined
    if (options.trace === true) trace = createWireTrace()
    else if (typeof options.trace === 'function') trace = createWireTrace(options.trace)
    this.driverOptions = {
      handler,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      headersTimeout: options.headersTimeout ?? 10_000,
      bodyTimeout: options.bodyTimeout ?? 60_000,
      keepAliveTimeout: options.keepAliveTimeout ?? 5_000,
      lingerTimeout: options.lingerTimeout ?? 2_000,
      maxDrainBytes: options.maxDrainBytes ?? 1024 * 1024,
      logger: this.logger,
      trace,
      readPath: options.readPath ?? 'shared-buffer',
      onReject: options.onReject,
    }
    this.maxConnections = options.maxConnections ?? 10_000
    const d = this.driverOptions
    // Sweep often enough to honour the shortest timeout within about a quarter of it.
    this.sweepInterval = Math.max(
      10,
      Math.min(
        1000,
        Math.floor(
          Math.min(d.headersTimeout, d.keepAliveTimeout, d.bodyTimeout, d.lingerTimeout) / 4,
        ),
      ),
    )
  }

  get addresses(): readonly ListenerAddress[] {
    return this.listeners.map((l) => l.address)
  }

  get connectionCount(): number {
    return this.drivers.size
  }

  get readPath(): ReadPath {
    return this.driverOptions.readPath === 'shared-buffer' && sharedBufferSupported()
      ? 'shared-buffer'
      : 'stream'
  }

  async listen(options: ListenOptions): Promise<ListenerAddress> {
    if (this.closing !== undefined) throw new ListenError('the server is closing', 'ECLOSED')
    const server = createNetServer({ allowHalfOpen: true, noDelay: true })
    let address: ListenerAddress
    if ('path' in options) {
      const mode = options.mode ?? 0o660
      if (options.replaceStale !== false) await prepareUnixSocketPath(options.path)
      server.on('connection', (socket) => this.accept(socket, options.path))
      await listenUnix(server, options.path, mode, options.backlog ?? DEFAULT_BACKLOG)
      address = { transport: 'unix', path: options.path }
    } else {
      server.on('connection', (socket) => this.accept(socket, undefined))
      address = await listenTcp(server, options)
    }
    server.on('error', (error) => this.logger.error(`listener error: ${error.message}`))
    this.listeners.push({ server, address })
    this.startSweep()
    return address
  }

  private accept(socket: Socket, unixPath: string | undefined): void {
    if (this.closing !== undefined) {
      socket.destroy()
      return
    }
    if (this.drivers.size >= this.maxConnections) {
      refuseConnection(socket, unixPath, this.driverOptions.onReject, this.logger)
      return
    }
    const peer = peerOf(socket, unixPath)
    const driver = new ConnectionDriver(this.nextId++, socket, peer, this.driverOptions)
    this.drivers.add(driver)
    this.driverOptions.trace?.event(driver.id, `connected ${describePeer(peer)}`)
    socket.on('close', () => {
      this.drivers.delete(driver)
      driver.closed()
      this.driverOptions.trace?.event(driver.id, 'closed')
    })
  }

  private startSweep(): void {
    if (this.sweepTimer !== undefined) return
    this.sweepTimer = setInterval(() => {
      const now = Date.now()
      for (const driver of this.drivers) {
        if (now >= driver.deadline) driver.timedOut(now)
      }
    }, this.sweepInterval)
    this.sweepTimer.unref()
  }

  close(options: { timeout?: number } = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing
    this.closing = this.doClose(options.timeout ?? 10_000)
    return this.closing
  }

  private async doClose(timeout: number): Promise<void> {
    const listening = closeListeners(this.listeners)
    for (const driver of this.drivers) driver.shutdown()
    // Resolves on the 'close' of the last connection (no polling); past `timeout`, whatever is left is destroyed.
    const allClosed = this.drivers.closed(timeout, () => {
      for (const driver of this.drivers) driver.socket.destroy()
    })
    await Promise.all([listening, allClosed])
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
  }

  closeOnSignals(onClosed?: (signal: NodeJS.Signals) => void): () => void {
    return closeOnSignals(this, onClosed)
  }
}

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
import { cannedResponse } from './canned.ts'
import { ConnectionDriver, type DriverOptions } from './driver.ts'
import { type Logger, stderrLogger } from './logger.ts'
import { getPeerCredentials } from './peer-credentials.ts'
import { type ReadPath, sharedBufferSupported } from './socket-reader.ts'
import { createWireTrace, type WireTrace } from './trace.ts'
import type { Handler, Peer, RejectInfo } from './types.ts'
import { closeListeners, ListenError, listenUnix, prepareUnixSocketPath } from './unix-socket.ts'

const DEFAULT_BACKLOG = 2048

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
  private readonly drivers = new Set<ConnectionDriver>()
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
      socket.on('error', () => {})
      socket.end(cannedResponse(503, 'too many open connections', 'Retry-After: 1\r\n'))
      setTimeout(() => socket.destroy(), 1000).unref()
      reportReject(this.driverOptions.onReject, this.logger, {
        status: 503,
        reason: 'too many open connections',
        peer: unixPath !== undefined ? { transport: 'unix', path: unixPath } : tcpPeer(socket),
      })
      return
    }
    let peer: Peer
    if (unixPath !== undefined) {
      const cred = getPeerCredentials(socket)
      peer =
        cred === undefined
          ? { transport: 'unix', path: unixPath }
          : { transport: 'unix', path: unixPath, ...cred }
    } else {
      peer = tcpPeer(socket)
    }
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
    const allClosed = new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const driver of this.drivers) driver.socket.destroy()
      }, timeout)
      const check = setInterval(() => {
        if (this.drivers.size > 0) return
        clearInterval(check)
        clearTimeout(force)
        resolve()
      }, 10)
    })
    await Promise.all([listening, allClosed])
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
  }

  closeOnSignals(onClosed?: (signal: NodeJS.Signals) => void): () => void {
    return closeOnSignals(this, onClosed)
  }
}

/**
 * Listen on TCP and return the bound address (the real port for `port: 0`). A failure becomes a `ListenError`
 * whose message is one line a user can act on. Shared by both engines.
 */
export function listenTcp(
  server: NetServer,
  options: { port: number; host?: string; ipv6Only?: boolean; backlog?: number },
): Promise<ListenerAddress & { transport: 'tcp' }> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${options.host ?? '0.0.0.0'}:${options.port}`
      const reason =
        error.code === 'EADDRINUSE'
          ? `${where} is already in use`
          : error.code === 'EACCES'
            ? `permission denied to listen on ${where}`
            : error.code === 'EADDRNOTAVAIL'
              ? `${options.host} is not an address of this machine`
              : `cannot listen on ${where}: ${error.message}`
      reject(new ListenError(reason, error.code ?? 'EIO', { cause: error }))
    }
    server.once('error', onError)
    // why: node's default backlog of 511 overflowed with 1,000 clients connecting at once (kernel accept-queue
    // drops, then client retries after 1 s: p99 of 1.2 s in bench conns1000).
    const listenOptions = {
      port: options.port,
      host: options.host,
      ipv6Only: options.ipv6Only,
      backlog: options.backlog ?? DEFAULT_BACKLOG,
    }
    server.listen(listenOptions, () => {
      server.off('error', onError)
      const bound = server.address()
      if (bound === null || typeof bound === 'string') {
        reject(new ListenError('listener has no address', 'EIO'))
        return
      }
      resolve({
        transport: 'tcp',
        host: bound.address,
        port: bound.port,
        family: bound.family === 'IPv6' ? 'IPv6' : 'IPv4',
      })
    })
  })
}

/**
 * Call `server.close()` on the first SIGINT or SIGTERM, then `onClosed`. Returns a function that removes the
 * handlers. Shared by both engines.
 */
export function closeOnSignals(
  server: Pick<HttpServer, 'close'>,
  onClosed?: (signal: NodeJS.Signals) => void,
): () => void {
  const handle = (signal: NodeJS.Signals): void => {
    remove()
    void server.close().then(() => onClosed?.(signal))
  }
  const remove = (): void => {
    process.off('SIGINT', handle)
    process.off('SIGTERM', handle)
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
  return remove
}

/** The peer of a TCP socket, as Node reports it. Shared by both engines. */
export function tcpPeer(socket: Socket): Peer {
  return {
    transport: 'tcp',
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
  }
}

/** Call `onReject` (when set); a throw is logged, never let through. Shared by both engines. */
export function reportReject(
  onReject: ((info: RejectInfo) => void) | undefined,
  logger: Logger,
  info: RejectInfo,
): void {
  if (onReject === undefined) return
  try {
    onReject(info)
  } catch (error) {
    logger.error(`onReject failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function describePeer(peer: Peer): string {
  if (peer.transport === 'tcp') return `${peer.address}:${peer.port}`
  return peer.pid === undefined
    ? `unix ${peer.path}`
    : `unix ${peer.path} pid=${peer.pid} uid=${peer.uid} gid=${peer.gid}`
}

/**
 * # Listener plumbing shared by both engines
 *
 * What happens around a connection rather than inside it, written once for the raw engine (server.ts) and the
 * node:http adapter (node-adapter.ts), so that the two cannot answer differently:
 *
 *   listenTcp()          bind, with one-line errors a user can act on (the Unix side is in unix-socket.ts)
 *   peerOf() / tcpPeer() who is calling, read once per connection (Unix: the kernel's credentials)
 *   refuseConnection()   past maxConnections: 503 with Retry-After, closed, reported to onReject
 *   reportReject()       onReject, whose throw is logged and never reaches the client
 *   ConnectionSet        the open connections, and a promise for the moment the last one closes
 *   closeOnSignals()     close() on the first SIGINT or SIGTERM
 */
import type { Server as NetServer, Socket } from 'node:net'
import { cannedResponse } from './canned.ts'
import type { Logger } from './logger.ts'
import { getPeerCredentials } from './peer-credentials.ts'
import type { ListenerAddress } from './server.ts'
import type { Peer, RejectInfo } from './types.ts'
import { ListenError } from './unix-socket.ts'

/**
 * Pending-connection queue length, for TCP and Unix listeners.
 * why: node's default backlog of 511 overflowed with 1,000 clients connecting at once (kernel accept-queue
 * drops, then client retries after 1 s: p99 of 1.2 s in bench conns1000).
 */
export const DEFAULT_BACKLOG = 2048

/**
 * Listen on TCP and return the bound address (the real port for `port: 0`). A failure becomes a `ListenError`
 * whose message is one line a user can act on.
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

/** The peer of a TCP socket, as Node reports it. */
export function tcpPeer(socket: Socket): Peer {
  return {
    transport: 'tcp',
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
  }
}

/**
 * Who is calling: a TCP address, or for a Unix socket (`unixPath`: the path listened on) the kernel-verified
 * pid, uid and gid where they can be read. Read once per connection, when it is accepted.
 */
export function peerOf(socket: Socket, unixPath: string | undefined): Peer {
  if (unixPath === undefined) return tcpPeer(socket)
  const cred = getPeerCredentials(socket)
  return cred === undefined
    ? { transport: 'unix', path: unixPath }
    : { transport: 'unix', path: unixPath, ...cred }
}

/** A peer in a few words, for the wire trace. */
export function describePeer(peer: Peer): string {
  if (peer.transport === 'tcp') return `${peer.address}:${peer.port}`
  return peer.pid === undefined
    ? `unix ${peer.path}`
    : `unix ${peer.path} pid=${peer.pid} uid=${peer.uid} gid=${peer.gid}`
}

/** Call `onReject` (when set); a throw is logged, never let through. */
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

/**
 * A connection past `maxConnections`: answered `503` with `Retry-After: 1` and closed at once, rather than left
 * in the kernel's backlog where a client cannot tell why it waits; destroyed after a second if the client does
 * not close its side. Reported to `onReject`. (The peer is not asked for its credentials: no request is served.)
 */
export function refuseConnection(
  socket: Socket,
  unixPath: string | undefined,
  onReject: ((info: RejectInfo) => void) | undefined,
  logger: Logger,
): void {
  socket.on('error', () => {})
  socket.end(cannedResponse(503, 'too many open connections', 'Retry-After: 1\r\n'))
  setTimeout(() => socket.destroy(), 1000).unref()
  reportReject(onReject, logger, {
    status: 503,
    reason: 'too many open connections',
    peer: unixPath !== undefined ? { transport: 'unix', path: unixPath } : tcpPeer(socket),
  })
}

/**
 * The open connections of a server, and a way to wait until none is left. `closed()` resolves when the set
 * becomes empty — at once when it already is — on the 'close' event of the last connection, without polling.
 */
export class ConnectionSet<T> implements Iterable<T> {
  private readonly items = new Set<T>()
  private waiters: (() => void)[] = []

  get size(): number {
    return this.items.size
  }

  add(item: T): void {
    this.items.add(item)
  }

  delete(item: T): void {
    if (!this.items.delete(item) || this.items.size > 0 || this.waiters.length === 0) return
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]()
  }

  /**
   * Resolves once every connection has closed. After `timeout` ms, `force` is called (it should destroy what is
   * left, so that the 'close' events empty the set).
   */
  closed(timeout: number, force: () => void): Promise<void> {
    if (this.items.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(force, timeout)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

/**
 * Call `server.close()` on the first SIGINT or SIGTERM, then `onClosed`. Returns a function that removes the
 * handlers.
 */
export function closeOnSignals(
  server: { close(): Promise<void> },
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

/**
 * Unix domain socket housekeeping: never steal a live server's socket, remove a stale one, and set the file's
 * mode before the first client can connect.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs'
import { connect, type Server } from 'node:net'

/** A listen failure the user can act on (message is one clear line). */
export class ListenError extends Error {
  override name = 'ListenError'
  readonly code: string
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/**
 * Make `path` free for binding. Nothing there: fine. A socket nobody answers on (a crashed server's
 * leftover): removed. A socket a server answers on: `ListenError` EADDRINUSE (never steal it). Anything that is
 * not a socket (a regular file, a directory): `ListenError` EEXIST (never delete the user's files).
 */
export async function prepareUnixSocketPath(path: string): Promise<void> {
  let isSocket: boolean
  try {
    isSocket = lstatSync(path).isSocket()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new ListenError(`cannot inspect ${path}: ${(error as Error).message}`, 'EACCES', {
      cause: error,
    })
  }
  if (!isSocket) {
    throw new ListenError(`${path} exists and is not a socket; refusing to replace it`, 'EEXIST')
  }
  const alive = await probe(path)
  if (alive) {
    throw new ListenError(`another server is already listening on ${path}`, 'EADDRINUSE')
  }
  try {
    unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ListenError(
        `cannot remove stale socket ${path}: ${(error as Error).message}`,
        'EACCES',
        {
          cause: error,
        },
      )
    }
  }
}

/** True when something accepts connections on the socket at `path`. */
function probe(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    const timer = setTimeout(() => {
      // Connected-but-silent and slow-to-accept both mean a live server; a dead socket refuses at once.
      socket.destroy()
      resolve(true)
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(true)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT')
    })
  })
}

/**
 * Listen on a Unix socket with file mode `mode`. The socket file is created by bind(2) inside `listen()`,
 * synchronously, with mode `0777 & ~umask`: setting the umask around that call means the file never exists with
 * wider permissions, not even for a moment. A chmod afterwards makes the mode exact whatever the umask did.
 */
export function listenUnix(
  server: Server,
  path: string,
  mode: number,
  backlog = 511,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ListenError(`cannot listen on ${path}: ${error.message}`, error.code ?? 'EIO', {
          cause: error,
        }),
      )
    }
    server.once('error', onError)
    const previous = process.umask(0o777 & ~mode)
    try {
      server.listen({ path, backlog }, () => {
        server.off('error', onError)
        try {
          chmodSync(path, mode)
        } catch (error) {
          reject(
            new ListenError(`cannot set mode of ${path}: ${(error as Error).message}`, 'EPERM'),
          )
          return
        }
        resolve()
      })
    } finally {
      process.umask(previous)
    }
  })
}

/** Remove the socket file, if it is still ours (a socket); ignore it already being gone. */
export function removeUnixSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path)
  } catch {
    // already removed (libuv unlinks on close on some platforms)
  }
}

/**
 * Stop listening on each server (established connections are left to the caller) and remove the socket file of
 * each Unix listener once it is closed. Resolves when every listener has closed. Shared by both engines.
 */
export function closeListeners(
  listeners: readonly {
    server: Server
    address: { transport: 'tcp' } | { transport: 'unix'; path: string }
  }[],
): Promise<void> {
  return Promise.all(
    listeners.map(
      ({ server, address }) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            if (address.transport === 'unix') removeUnixSocket(address.path)
            resolve()
          })
        }),
    ),
  ).then(() => undefined)
}

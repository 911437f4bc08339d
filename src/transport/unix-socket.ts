/**
 * Unix domain socket housekeeping: never steal a live server's socket, remove a stale one, and set the file's
 * mode before the first client can connect.
 */
import { chmodSync, lstatSync, type Stats, statSync, unlinkSync } from 'node:fs'
import { connect, type Server } from 'node:net'
import { dirname } from 'node:path'

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
  let stats: Stats
  try {
    stats = lstatSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    throw new ListenError(
      code === 'ENOTDIR'
        ? `cannot listen on ${path}: ${missingDirectory(path) ?? 'a part of the path is not a directory'}`
        : `cannot inspect ${path}: ${(error as Error).message}`,
      code ?? 'EACCES',
      { cause: error },
    )
  }
  if (!stats.isSocket()) {
    throw new ListenError(`${path} exists and is not a socket; refusing to replace it`, 'EEXIST')
  }
  const owner = foreignOwner(stats)
  const alive = await probe(path)
  if (alive) {
    throw new ListenError(
      owner === undefined
        ? `another server is already listening on ${path}`
        : `another user (${owner}) is already listening on ${path}; it would receive what is sent there: ` +
            'use a socket in a directory only you can write to',
      'EADDRINUSE',
    )
  }
  try {
    unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ListenError(
        `cannot remove stale socket ${path}${owner === undefined ? '' : ` (it belongs to ${owner})`}: ` +
          (error as Error).message,
        'EACCES',
        { cause: error },
      )
    }
  }
}

/** "uid N" when the file belongs to another user than this process's, else undefined. */
function foreignOwner(stats: Stats): string | undefined {
  const uid = process.getuid?.()
  return uid === undefined || stats.uid === uid ? undefined : `uid ${stats.uid}`
}

/**
 * Why a socket cannot be created at `path` because of its directory, in words: the directory does not exist or
 * is not a directory. `undefined` when the directory is there. (libuv reports a missing directory of a Unix
 * socket as EACCES, "permission denied", which sends people looking at permissions.)
 */
function missingDirectory(path: string): string | undefined {
  const dir = dirname(path)
  try {
    return statSync(dir).isDirectory() ? undefined : `${dir} is not a directory`
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return `directory ${dir} does not exist`
    if (code === 'ENOTDIR') return `${dir} is not a directory`
    return undefined
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
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    // Checked before anything is created: a NaN mode would otherwise leave a mode-000 socket file behind.
    return Promise.reject(
      new ListenError(`invalid mode for ${path}: ${String(mode)} (0 to 0o777)`, 'EINVAL'),
    )
  }
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const reason =
        error.code === 'EACCES' || error.code === 'ENOENT' || error.code === 'ENOTDIR'
          ? (missingDirectory(path) ?? error.message)
          : error.message
      reject(
        new ListenError(`cannot listen on ${path}: ${reason}`, error.code ?? 'EIO', {
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
          // Do not leave a listener or a socket file behind: the caller never learns of this one.
          server.close(() => removeUnixSocket(path))
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

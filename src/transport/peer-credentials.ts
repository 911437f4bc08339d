/**
 * Kernel-verified credentials of the process at the other end of a Unix domain socket.
 *
 * When a client connects to a Unix socket, the kernel records the client's process id, user id
 * and group id. Linux hands them out through `getsockopt(SO_PEERCRED)`, macOS through
 * `LOCAL_PEERCRED` plus `LOCAL_PEERPID`. The client cannot choose or forge these values: they
 * come from the kernel's own bookkeeping, not from anything the client sends. That makes them
 * usable for access decisions ("only my own user may post hook events"). TCP offers nothing
 * comparable: a TCP peer is an address and a port, and on loopback any local user can connect.
 *
 * Node.js exposes no API for this, so a small Node-API addon (native/peercred.c) makes the
 * system call. It is built at install time by scripts/build-native.mjs and is optional: when it
 * is missing, every lookup returns `undefined` and one process warning says how to build it.
 */
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'

/** What the kernel recorded about the connecting process when the connection was made. */
export interface PeerCredentials {
  /** Process id of the peer, as seen from this process's pid namespace. */
  pid: number
  /** Effective user id of the peer. */
  uid: number
  /** Effective (primary) group id of the peer. */
  gid: number
}

interface PeerCredAddon {
  getPeerCred(fd: number): PeerCredentials | null
}

/** From `src/transport/` (tsx) and `dist/transport/` (compiled) alike: two levels below the root. */
const ADDON_PATH = '../../native/build/Release/peercred.node'
const WARNING_CODE = 'OBSERVATORY_NO_PEERCRED'

/** `undefined`: not tried yet; `null`: tried and failed (the warning has been emitted). */
let addon: PeerCredAddon | null | undefined

function isPeerCredAddon(value: unknown): value is PeerCredAddon {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { getPeerCred?: unknown }).getPeerCred === 'function'
  )
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'MODULE_NOT_FOUND') return 'native/build/Release/peercred.node is missing'
    return error.message.split('\n', 1)[0] ?? error.message
  }
  return String(error)
}

function loadAddon(): PeerCredAddon | null {
  if (addon !== undefined) return addon
  let reason: string
  try {
    const loaded: unknown = createRequire(import.meta.url)(ADDON_PATH)
    if (isPeerCredAddon(loaded)) {
      addon = loaded
      return addon
    }
    reason = 'peercred.node does not export getPeerCred'
  } catch (error) {
    reason = describe(error)
  }
  addon = null
  process.emitWarning(
    `Peer credentials (pid/uid/gid) of Unix socket clients are unavailable: ${reason}. ` +
      'Build it with `npm rebuild hooks-observatory`, or `node scripts/build-native.mjs` in the package.',
    { code: WARNING_CODE },
  )
  return addon
}

/**
 * True when the credential addon is loaded (loading it on first call). When false, a warning
 * has been emitted once for the process and {@link getPeerCredentials} always returns undefined.
 */
export function peerCredentialsAvailable(): boolean {
  return loadAddon() !== null
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff
}

/**
 * Credentials of the process connected to `socket`, read from the kernel (`SO_PEERCRED` on
 * Linux, `LOCAL_PEERCRED`/`LOCAL_PEERPID` on macOS).
 *
 * Returns `undefined` when the socket is not a connected Unix domain socket (TCP peers have no
 * such credentials), when the socket is already closed, on platforms without the mechanism, or
 * when the addon is not built. Call it once per connection, right after it is accepted.
 */
export function getPeerCredentials(socket: Socket): PeerCredentials | undefined {
  // A TCP socket reports its remote family; a Unix socket leaves it undefined. The addon also
  // refuses non-AF_UNIX descriptors, this check merely avoids the system calls.
  if (socket.remoteFamily !== undefined) return undefined
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return undefined
  const native = loadAddon()
  if (native === null) return undefined
  const cred = native.getPeerCred(fd)
  if (cred === null || typeof cred !== 'object') return undefined
  const { pid, uid, gid } = cred
  if (!Number.isInteger(pid) || pid <= 0 || !isUint32(uid) || !isUint32(gid)) return undefined
  return { pid, uid, gid }
}

/**
 * The observatory's defaults and the environment variables it reads, each defined here once: `serve`, `install`
 * and the docs all take them from this file. (The default socket path depends on the user: socket-path.ts.)
 */

/** The TCP port, as in the Python original. */
export const DEFAULT_PORT = 23518
/** The TCP address: loopback only. */
export const DEFAULT_BIND = '127.0.0.1'
/** The input socket file's mode: owner and group may send events. */
export const DEFAULT_SOCKET_MODE = 0o660
/** Largest accepted request body (413 beyond). */
export const DEFAULT_MAX_BODY = 32 * 1024 * 1024
/** The log rotates past this size (0: never). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
/** Rotated log files kept: FILE.1 … FILE.N. */
export const DEFAULT_LOG_MAX_FILES = 10

/** The original's variable for the Unix socket path. */
export const SOCKET_ENV = 'CLAUDE_UNIX_HOOK_WATCHER'
/** The original's variable for the TCP port. */
export const PORT_ENV = 'CLAUDE_REST_HOOK_WATCHER'
/** The bearer token for TCP. */
export const TOKEN_ENV = 'OBSERVATORY_TOKEN'

/** The store's database file (else `$XDG_STATE_HOME/hooks-observatory/events.db`: store/paths.ts). */
export const DB_ENV = 'OBSERVATORY_DB'
/** Events older than this are pruned from the store (`--retain`; 0 keeps everything). */
export const DEFAULT_RETAIN_MS = 30 * 24 * 60 * 60 * 1000
/** A session thinking or running a tool with no event for this long is shown as stale (`--stale`). */
export const DEFAULT_STALE_MS = 10 * 60 * 1000

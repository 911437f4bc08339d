/**
 * Where the observatory's Unix sockets live, and whether that place is safe.
 *
 * A socket in a directory other users can write to can be taken first: the Python original's
 * `/tmp/claude-observatory.sock` can be bound by any local user before the observatory starts, and every hook's
 * prompt and tool input then goes to that user's listener. So the default is private to the user:
 *
 * - `$XDG_RUNTIME_DIR/claude-observatory.sock` where the session has a runtime directory (systemd's
 *   `/run/user/UID`: owned by the user, mode 0700, per the XDG Base Directory spec);
 * - otherwise `<tmpdir>/claude-observatory-UID/observatory.sock`, in a directory the observatory creates with mode
 *   0700 and refuses to use unless it is a real directory of this user's that nobody else can enter (what tmux
 *   does for `/tmp/tmux-UID`).
 *
 * `--socket PATH` and `$CLAUDE_UNIX_HOOK_WATCHER` still choose any path, the original's included; a path whose
 * directory others can write to is then named in a warning at start.
 */
import { lstatSync, mkdirSync, type Stats, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { SOCKET_ENV } from '../defaults.ts'
import { UserError } from '../errors.ts'

/** Where the default socket goes for this environment and user. Pure: looks at nothing on disk. */
export function defaultSocketPath(
  env: NodeJS.ProcessEnv = process.env,
  uid: number | undefined = process.getuid?.(),
  temp: string = tmpdir(),
): string {
  const runtime = env.XDG_RUNTIME_DIR
  if (runtime !== undefined && isAbsolute(runtime)) return join(runtime, 'claude-observatory.sock')
  return join(privateTempDirectory(uid, temp), 'observatory.sock')
}

/** The fallback directory, `<tmpdir>/claude-observatory-UID`. */
export function privateTempDirectory(
  uid: number | undefined = process.getuid?.(),
  temp: string = tmpdir(),
): string {
  return join(temp, `claude-observatory-${uid ?? 'user'}`)
}

/** The socket path a command uses: the option, else `$CLAUDE_UNIX_HOOK_WATCHER`, else the private default. */
export function socketPathFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  if (option !== undefined) return option
  const fromEnv = env[SOCKET_ENV]
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : defaultSocketPath(env)
}

/**
 * Make ready the directory of a socket that is about to be created, and say what is unsafe about it.
 *
 * - The private fallback directory ({@link privateTempDirectory}) is created with mode 0700 when missing, and must
 *   be a directory (not a symbolic link) owned by this user that only this user can enter: anything else throws
 *   a runtime `UserError`, since another user could have made it to catch the socket.
 * - Any other directory is used as it is ({@link sharedDirectoryWarning}).
 *
 * @returns a warning line, or undefined when the directory is private.
 */
export function prepareSocketDirectory(path: string): string | undefined {
  const dir = dirname(path)
  if (dir === privateTempDirectory()) {
    ensurePrivateDirectory(dir)
    return undefined
  }
  return sharedDirectoryWarning(path)
}

/**
 * A warning when other users may create files in the socket's directory (group- or world-writable, as `/tmp`
 * is): one of them can bind the path before the observatory does. Undefined for a private or missing directory
 * (a missing one is reported in words when listening).
 */
export function sharedDirectoryWarning(path: string): string | undefined {
  const dir = dirname(path)
  let stats: Stats
  try {
    stats = statSync(dir)
  } catch {
    return undefined
  }
  if ((stats.mode & 0o022) === 0) return undefined
  const who = (stats.mode & 0o002) !== 0 ? 'every local user' : 'other users of its group'
  return (
    `Warning: ${dir} is writable by ${who}: one of them could create ${path} first and receive ` +
    `what is sent to it. The default socket (${defaultSocketPath()}) is private.`
  )
}

function ensurePrivateDirectory(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new UserError(`cannot create ${dir}: ${(error as Error).message}`)
    }
  }
  const stats = lstatSync(dir)
  const uid = process.getuid?.()
  let problem: string | undefined
  if (!stats.isDirectory()) problem = 'it is not a directory'
  else if (uid !== undefined && stats.uid !== uid) problem = `it belongs to uid ${stats.uid}`
  else if ((stats.mode & 0o077) !== 0) {
    problem = `its mode is 0${(stats.mode & 0o777).toString(8)}, not 0700`
  }
  if (problem !== undefined) {
    throw new UserError(
      `refusing to put the socket in ${dir}: ${problem}, so another user could reach it ` +
        '(remove it, or choose a socket with --socket)',
    )
  }
}

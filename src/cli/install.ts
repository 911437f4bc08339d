/**
 * `observatory install`: its arguments, its help and its exit codes. The work (reading the settings, the diff, the
 * backup, the write) is the observatory's install room; see docs/install-and-query.md.
 */
import {
  DEFAULT_BIND,
  DEFAULT_PORT,
  PORT_ENV,
  SOCKET_ENV,
  socketPathFrom,
} from '../observatory/index.ts'
import {
  type CommandIO,
  DEFAULT_EVENTS,
  type InstallOptions,
  runInstallWith,
  type Transport,
  urlHost,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import { parseOptions, runCommand } from './command.ts'

export const INSTALL_HELP = `Usage: observatory install [--global | --project] [options]

Add the observatory's hooks to a Claude Code settings file (or remove them with --uninstall).
Shows a unified diff, asks before writing when run in a terminal, keeps a timestamped backup.

Target (asked interactively when neither is given and stdin is a terminal):
  --global             ~/.claude/settings.json
  --project            ./.claude/settings.json

Options:
  --transport KIND     unix (default): curl through a Unix socket
                       tcp: curl to http://BIND:PORT
                       http: native HTTP hooks (Claude Code >= 2.1.63) to http://BIND:PORT
  --socket PATH        socket for --transport unix
                       (default: $${SOCKET_ENV}, else the serve default, private to you:
                       $XDG_RUNTIME_DIR/claude-observatory.sock or
                       <tmpdir>/claude-observatory-UID/observatory.sock)
  --port N             port for tcp/http (default: $${PORT_ENV} or ${DEFAULT_PORT})
  --bind ADDR          address for tcp/http (default: ${DEFAULT_BIND}); IPv6 literals allowed
  --events LIST        comma-separated events (default: all ${DEFAULT_EVENTS.length}:
                       ${DEFAULT_EVENTS.join(',')})
  --uninstall          remove the observatory's hooks (from --events only, when given)
  --dry-run            show the diff, write nothing
  -y, --yes            do not ask for confirmation
  -h, --help           show this help

Without a terminal on stdin and without --yes, changes are applied without asking
(the diff is printed and a backup is kept).
`

function parsePort(text: string, source: string): number {
  if (!/^\d+$/.test(text)) throw usageError(`${source} must be a port number (got '${text}')`)
  const port = Number(text)
  if (port < 1 || port > 65535)
    throw usageError(`${source} must be between 1 and 65535 (got ${port})`)
  return port
}

function parseEvents(text: string): string[] {
  const names = text.split(',').map((name) => name.trim())
  const events: string[] = []
  for (const name of names) {
    if (!/^[A-Za-z]+$/.test(name)) {
      throw usageError(
        name === ''
          ? `--events has an empty name in '${text}'`
          : `--events: '${name}' is not an event name (letters only)`,
      )
    }
    if (!events.includes(name)) events.push(name)
  }
  return events
}

function validateHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare.includes(':')) {
    // An IPv6 literal; URL parsing is the judge.
    try {
      new URL(`http://[${bare}]/`)
      return host
    } catch {
      throw usageError(`--bind: '${host}' is not a valid address`)
    }
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(bare) || bare !== host) {
    throw usageError(`--bind: '${host}' is not a valid address or host name`)
  }
  return host
}

/** `observatory install` arguments → what to do; `UserError` (USAGE) for a mistake. */
export function parseInstallArgs(argv: string[], env: NodeJS.ProcessEnv): InstallOptions | 'help' {
  const values = parseOptions(argv, {
    global: { type: 'boolean' },
    project: { type: 'boolean' },
    transport: { type: 'string' },
    socket: { type: 'string' },
    port: { type: 'string' },
    bind: { type: 'string' },
    events: { type: 'string' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    uninstall: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) return 'help'
  if (values.global && values.project) throw usageError('--global and --project exclude each other')

  const transportText = values.transport ?? 'unix'
  if (transportText !== 'unix' && transportText !== 'tcp' && transportText !== 'http') {
    throw usageError(`--transport must be unix, tcp or http (got '${transportText}')`)
  }
  const transport: Transport = transportText
  const uninstall = values.uninstall === true

  if (!uninstall) {
    if (transport === 'unix' && (values.port !== undefined || values.bind !== undefined)) {
      throw usageError(`--port and --bind apply to --transport tcp or http, not unix`)
    }
    if (transport !== 'unix' && values.socket !== undefined) {
      throw usageError(`--socket applies to --transport unix, not ${transport}`)
    }
  }

  let socketPath = socketPathFrom(undefined, env)
  let host = DEFAULT_BIND
  let port = DEFAULT_PORT
  // --uninstall removes our hooks whatever their socket or port, so those are not needed (nor checked) then.
  if (!uninstall && transport === 'unix') {
    const source = values.socket !== undefined ? '--socket' : `$${SOCKET_ENV}`
    socketPath = socketPathFrom(values.socket, env)
    if (!socketPath.startsWith('/')) {
      throw usageError(`${source} must be an absolute path (got '${socketPath}')`)
    }
    if (/[\0\n\r]/.test(socketPath)) {
      throw usageError(`${source} must not contain NUL or line breaks`)
    }
  } else if (!uninstall) {
    const fromEnv = env[PORT_ENV]
    if (values.port !== undefined) port = parsePort(values.port, '--port')
    else if (fromEnv !== undefined && fromEnv !== '') port = parsePort(fromEnv, `$${PORT_ENV}`)
  }
  // --bind also matters to --uninstall: hooks on a non-local address are recognised by it.
  if (values.bind !== undefined) host = validateHost(values.bind)

  const events = values.events !== undefined ? parseEvents(values.events) : [...DEFAULT_EVENTS]
  return {
    scope: values.global ? 'global' : values.project ? 'project' : undefined,
    target: { transport, socketPath, host, port },
    events,
    eventsGiven: values.events !== undefined,
    extraHosts: values.bind !== undefined ? [urlHost(host)] : [],
    uninstall,
    dryRun: values['dry-run'] === true,
    yes: values.yes === true,
  }
}

/**
 * `observatory install [options]`: resolves to the exit code (0 done or nothing to do, 1 refused or failed,
 * 2 usage mistake). Problems are reported as one line on stderr, never as a stack trace.
 */
export function runInstall(argv: string[], io: CommandIO): Promise<number> {
  return runCommand('observatory install', io, 1, async () => {
    const options = parseInstallArgs(argv, io.env)
    if (options === 'help') {
      await writeText(io.stdout, INSTALL_HELP)
      return 0
    }
    return runInstallWith(options, io)
  })
}

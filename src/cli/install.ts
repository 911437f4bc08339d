/**
 * `observatory install`: its arguments, its help and its exit codes. The work (reading the settings, the diff, the
 * backup, the write) is the observatory's install room; see docs/install-and-query.md.
 */
// The defaults and the socket path come from their own modules, not from observatory/index.ts, so that installing
// hooks does not load the server (nor the store behind it).
import {
  ALL_EVENTS,
  type CommandIO,
  DEFAULT_APPROVAL_HOOK_TIMEOUT,
  DEFAULT_BIND,
  DEFAULT_EVENTS,
  DEFAULT_HOOK_TIMEOUT,
  DEFAULT_PORT,
  type EventSelection,
  eventTable,
  type InstallOptions,
  isHeaderSafeToken,
  PORT_ENV,
  runInstallWith,
  type Scope,
  SOCKET_ENV,
  selectEvents,
  socketPathFrom,
  TELEMETRY_PROTOCOL,
  type TelemetryTarget,
  TOKEN_ENV,
  type Transport,
  urlHost,
  usageError,
  writeText,
} from '../observatory/install/index.ts'
import { parseOptions, runCommand } from './command.ts'

/** The largest `--timeout`: Claude Code's own default for command and http hooks. */
const MAX_TIMEOUT = 600

export const INSTALL_HELP = `Usage: observatory install [--global | --project [DIR] | --local [DIR]] [options]

Add the observatory's hooks to a Claude Code settings file (or remove them with --uninstall);
with --telemetry, also Claude Code's telemetry variables in your user settings.
Shows a unified diff, asks before writing when run in a terminal, keeps a timestamped backup.

Target (asked interactively when none is given and stdin is a terminal):
  --global             ~/.claude/settings.json
  --project [DIR]      DIR/.claude/settings.json; without DIR, the repository root (the
                       nearest directory above with a .git), else the current directory
  --local [DIR]        DIR/.claude/settings.local.json: the project, on this machine only
                       (DIR as for --project)

Options:
  --transport KIND     unix (default): curl through a Unix socket
                       tcp: curl to http://BIND:PORT
                       http: native HTTP hooks (Claude Code >= 2.1.63) to http://BIND:PORT;
                       SessionStart and Setup, where Claude Code runs no HTTP hooks, get
                       the tcp curl command to the same address
  --socket PATH        socket for --transport unix
                       (default: $${SOCKET_ENV}, else the serve default, private to you:
                       $XDG_RUNTIME_DIR/claude-observatory.sock or
                       <tmpdir>/claude-observatory-UID/observatory.sock)
  --port N             port for tcp/http (default: $${PORT_ENV} or ${DEFAULT_PORT})
  --bind ADDR          address for tcp/http (default: ${DEFAULT_BIND}); IPv6 literals allowed
  --timeout SECONDS    how long Claude Code waits for the observatory: the http hooks'
                       "timeout", curl's --max-time (default: ${DEFAULT_HOOK_TIMEOUT}; 1 to ${MAX_TIMEOUT})
  --approvals          for serve --approve-from-page: the PermissionRequest hook waits up
                       to ${DEFAULT_APPROVAL_HOOK_TIMEOUT} s while a person decides on the page; serve's
                       --approval-timeout (default 60s) must stay below it
  --permission-timeout SECONDS
                       the PermissionRequest hook's timeout alone (1 to ${MAX_TIMEOUT}; implies
                       --approvals); keep serve's --approval-timeout below it
  --events SET         default (${DEFAULT_EVENTS.length} events), all (${ALL_EVENTS.length}: every event a hook can observe
                       without changing Claude Code's behaviour) or comma-separated names;
                       +NAME / -NAME add to / remove from the default, or from what comes
                       before: +FileChanged,-Notification  default,+PostToolBatch  all,-Stop
                       Unknown names are used as given, with a warning.
  --list-events        list the known events: default, all, HTTP hooks, decisions

Telemetry (Claude Code's OpenTelemetry: cost and tokens per session and turn):
  --telemetry          also set Claude Code's telemetry variables in the "env" of your user
                       settings, ~/.claude/settings.json, even with --project or --local
                       (Claude Code ignores them in a project's settings): OTLP ${TELEMETRY_PROTOCOL} logs
                       and metrics to http://BIND:PORT, the observatory's TCP listener
                       (also with --transport unix: a socket cannot carry them)
  --traces             --telemetry, and traces too (beta: spans of each interaction, API
                       request and tool, kept by the observatory)
  --telemetry-only     the telemetry variables alone: no hook is added or removed
  --token TOKEN        serve's --token, sent as OTEL_EXPORTER_OTLP_HEADERS (default:
                       $${TOKEN_ENV}); written in the settings file
  A variable already set to another value by someone else is left as it is, with a
  warning; install records what it wrote (env.HOOKS_OBSERVATORY_ENV), so that --uninstall
  removes exactly that.

  --uninstall          remove the observatory's hooks (from --events only, when given); with
                       --global and no --events, or with --telemetry, also the telemetry
                       variables it wrote (--telemetry-only: those alone)
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

function parseTimeout(text: string, option = '--timeout'): number {
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(seconds >= 1 && seconds <= MAX_TIMEOUT)) {
    throw usageError(
      `${option} must be a whole number of seconds from 1 to ${MAX_TIMEOUT} (got '${text}')`,
    )
  }
  return seconds
}

/** Options that take a value: the word after them is theirs, not a directory for --project/--local. */
const VALUE_OPTIONS = new Set([
  '--transport',
  '--socket',
  '--port',
  '--bind',
  '--timeout',
  '--permission-timeout',
  '--events',
  '--token',
])
const DIRECTORY_OPTIONS = new Set(['--project', '--local'])

/**
 * Prepares the arguments for parseArgs: takes the optional directory out of `--project [DIR]` and `--local [DIR]`
 * (also `--project=DIR`; DIR is the next argument when it does not start with `-`), since parseArgs has no
 * optional values, and joins `--events -NAME,...` into one argument, since parseArgs refuses a value that looks
 * like an option.
 */
function prepareArgs(argv: string[]): { argv: string[]; dir: string | undefined } {
  const rest: string[] = []
  let dir: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    if (arg === '--') {
      rest.push(...argv.slice(i))
      break
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (DIRECTORY_OPTIONS.has(name)) {
      rest.push(name)
      if (eq > 0) {
        dir = arg.slice(eq + 1)
        if (dir === '') throw usageError(`option ${name}= needs a directory`)
      } else if (next !== undefined && !next.startsWith('-')) {
        dir = next
        i++
      }
      continue
    }
    if (arg === '--events' && next !== undefined && /^-[^-]./.test(next)) {
      // `--events -Notification`: a value that starts with a dash, which parseArgs would take for an option
      // (`-y` and `-h` stay options).
      rest.push(`--events=${next}`)
      i++
      continue
    }
    rest.push(arg)
    if (VALUE_OPTIONS.has(arg) && next !== undefined && !next.startsWith('-')) {
      rest.push(next)
      i++
    }
  }
  return { argv: rest, dir }
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
export function parseInstallArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): InstallOptions | 'help' | 'list-events' {
  const taken = prepareArgs(argv)
  const values = parseOptions(taken.argv, {
    global: { type: 'boolean' },
    project: { type: 'boolean' },
    local: { type: 'boolean' },
    transport: { type: 'string' },
    socket: { type: 'string' },
    port: { type: 'string' },
    bind: { type: 'string' },
    timeout: { type: 'string' },
    approvals: { type: 'boolean' },
    'permission-timeout': { type: 'string' },
    events: { type: 'string' },
    'list-events': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    uninstall: { type: 'boolean' },
    telemetry: { type: 'boolean' },
    traces: { type: 'boolean' },
    'telemetry-only': { type: 'boolean' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) return 'help'
  if (values['list-events']) return 'list-events'
  const scopes = (['global', 'project', 'local'] as const).filter((scope) => values[scope])
  if (scopes.length > 1) {
    const names = scopes.map((scope) => `--${scope}`)
    throw usageError(`${names.slice(0, -1).join(', ')} and ${names.at(-1)} exclude each other`)
  }
  const scope: Scope | undefined = scopes[0]

  const transportText = values.transport ?? 'unix'
  if (transportText !== 'unix' && transportText !== 'tcp' && transportText !== 'http') {
    throw usageError(`--transport must be unix, tcp or http (got '${transportText}')`)
  }
  const transport: Transport = transportText
  const uninstall = values.uninstall === true
  const hooks = values['telemetry-only'] !== true
  const telemetry = !hooks || values.telemetry === true || values.traces === true

  if (!hooks) {
    if (scope === 'project' || scope === 'local') {
      throw usageError(
        `--telemetry-only edits your user settings alone; --${scope} does not apply (Claude Code ignores telemetry variables in a project's settings)`,
      )
    }
    for (const option of [
      'transport',
      'socket',
      'events',
      'timeout',
      'permission-timeout',
    ] as const) {
      if (values[option] !== undefined) {
        throw usageError(`--${option} applies to hooks, not to --telemetry-only`)
      }
    }
    if (values.approvals === true)
      throw usageError('--approvals applies to hooks, not to --telemetry-only')
  }
  if (!telemetry && values.token !== undefined) {
    throw usageError(
      '--token applies to --telemetry (hooks carry no token: with serve --token, use --transport unix)',
    )
  }

  if (!uninstall) {
    // With --telemetry, --port and --bind say where the telemetry goes, whatever the hooks' transport.
    if (
      transport === 'unix' &&
      !telemetry &&
      (values.port !== undefined || values.bind !== undefined)
    ) {
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
  if (!uninstall && hooks && transport === 'unix') {
    const source = values.socket !== undefined ? '--socket' : `$${SOCKET_ENV}`
    socketPath = socketPathFrom(values.socket, env)
    if (!socketPath.startsWith('/')) {
      throw usageError(`${source} must be an absolute path (got '${socketPath}')`)
    }
    if (/[\0\n\r]/.test(socketPath)) {
      throw usageError(`${source} must not contain NUL or line breaks`)
    }
  }
  if (!uninstall && (transport !== 'unix' || telemetry)) {
    const fromEnv = env[PORT_ENV]
    if (values.port !== undefined) port = parsePort(values.port, '--port')
    else if (fromEnv !== undefined && fromEnv !== '') port = parsePort(fromEnv, `$${PORT_ENV}`)
  }
  // --bind also matters to --uninstall: hooks on a non-local address are recognised by it.
  if (values.bind !== undefined) host = validateHost(values.bind)
  const timeout = values.timeout !== undefined ? parseTimeout(values.timeout) : DEFAULT_HOOK_TIMEOUT
  // The PermissionRequest hook waits while a person decides: never shorter than the other hooks.
  let permissionTimeout: number | undefined
  if (values['permission-timeout'] !== undefined) {
    permissionTimeout = parseTimeout(values['permission-timeout'], '--permission-timeout')
  } else if (values.approvals === true) {
    permissionTimeout = Math.max(DEFAULT_APPROVAL_HOOK_TIMEOUT, timeout)
  }

  let telemetryTarget: TelemetryTarget | undefined
  if (telemetry) {
    telemetryTarget = { host, port, traces: values.traces === true }
    if (!uninstall) {
      const source = values.token !== undefined ? '--token' : `$${TOKEN_ENV}`
      const token = values.token ?? env[TOKEN_ENV]
      if (token === '' && values.token !== undefined) throw usageError('--token must not be empty')
      if (token !== undefined && token !== '') {
        if (!isHeaderSafeToken(token)) {
          throw usageError(
            `${source} must be visible ASCII characters without spaces or commas to go in OTEL_EXPORTER_OTLP_HEADERS`,
          )
        }
        telemetryTarget.token = token
      }
    }
  }

  const selection: EventSelection =
    values.events !== undefined
      ? selectEvents(values.events)
      : { events: [...DEFAULT_EVENTS], warnings: [] }
  return {
    scope,
    projectDir: scope === 'global' ? undefined : taken.dir,
    target:
      permissionTimeout === undefined
        ? { transport, socketPath, host, port, timeout }
        : { transport, socketPath, host, port, timeout, permissionTimeout },
    events: selection.events,
    eventsGiven: values.events !== undefined,
    warnings: selection.warnings,
    extraHosts: values.bind !== undefined ? [urlHost(host)] : [],
    hooks,
    telemetry: telemetryTarget,
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
    if (options === 'list-events') {
      await writeText(io.stdout, eventTable())
      return 0
    }
    return runInstallWith(options, io)
  })
}

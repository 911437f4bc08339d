/**
 * `observatory install`: add (or, with --uninstall, remove) the observatory's hooks in a Claude Code settings
 * file, showing a unified diff first. See docs/install-and-query.md.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SOCKET_ENV, sharedDirectoryWarning, socketPathFrom } from '../server/socket-path.ts'
import {
  CommandError,
  type CommandIO,
  errnoCode,
  parseArgsError,
  usageError,
  writeText,
} from './command-io.ts'
import { unifiedDiff } from './diff.ts'
import {
  DEFAULT_EVENTS,
  type EditResult,
  EVENT_MATCHERS,
  type HookTarget,
  installHooks,
  SettingsShapeError,
  type Transport,
  uninstallHooks,
  urlHost,
} from './hooks.ts'
import { Prompter } from './prompt.ts'
import {
  backupFile,
  checkUnchanged,
  checkWritable,
  loadSettingsFile,
  settingsText,
  writeFileAtomic,
} from './settings-file.ts'

const NAME = 'observatory install'
export const DEFAULT_PORT = 23518
export const DEFAULT_BIND = '127.0.0.1'
export const PORT_ENV = 'CLAUDE_REST_HOOK_WATCHER'

const USAGE = `Usage: observatory install [--global | --project] [options]

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

interface InstallOptions {
  scope: 'global' | 'project' | undefined
  target: HookTarget
  events: string[]
  eventsGiven: boolean
  extraHosts: string[]
  uninstall: boolean
  dryRun: boolean
  yes: boolean
}

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

function parseOptions(argv: string[], io: CommandIO): InstallOptions | 'help' {
  let values: {
    global?: boolean
    project?: boolean
    transport?: string
    socket?: string
    port?: string
    bind?: string
    events?: string
    'dry-run'?: boolean
    yes?: boolean
    uninstall?: boolean
    help?: boolean
  }
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
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
      },
    }).values
  } catch (err) {
    throw parseArgsError(err) ?? err
  }
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

  let socketPath = socketPathFrom(undefined, io.env)
  let host = DEFAULT_BIND
  let port = DEFAULT_PORT
  // --uninstall removes our hooks whatever their socket or port, so those are not needed (nor checked) then.
  if (!uninstall && transport === 'unix') {
    const source = values.socket !== undefined ? '--socket' : `$${SOCKET_ENV}`
    socketPath = socketPathFrom(values.socket, io.env)
    if (!socketPath.startsWith('/')) {
      throw usageError(`${source} must be an absolute path (got '${socketPath}')`)
    }
    if (/[\0\n\r]/.test(socketPath)) {
      throw usageError(`${source} must not contain NUL or line breaks`)
    }
  } else if (!uninstall) {
    const fromEnv = io.env[PORT_ENV]
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

async function chooseScope(
  options: InstallOptions,
  io: CommandIO,
  prompter: Prompter,
): Promise<'global' | 'project'> {
  if (options.scope !== undefined) return options.scope
  if (io.stdin.isTTY !== true) {
    throw usageError('no target given and stdin is not a terminal: pass --global or --project')
  }
  const verb = options.uninstall ? 'Remove hooks' : 'Install hooks'
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await prompter.ask(
      `${verb} globally (~/.claude/settings.json) or for this project (.claude/settings.json)? [g/p] `,
    )
    if (answer === undefined) break
    const choice = answer.trim().toLowerCase()
    if (choice === 'g' || choice === 'global') return 'global'
    if (choice === 'p' || choice === 'project') return 'project'
    io.stderr.write("Please answer 'g' or 'p'.\n")
  }
  throw usageError('no target chosen: pass --global or --project')
}

function describeTarget(target: HookTarget): string {
  switch (target.transport) {
    case 'unix':
      return `curl through Unix socket ${target.socketPath}`
    case 'tcp':
      return `curl to http://${urlHost(target.host)}:${target.port}`
    case 'http':
      return `native HTTP hooks to http://${urlHost(target.host)}:${target.port}`
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

async function install(argv: string[], io: CommandIO, prompter: Prompter): Promise<number> {
  const options = parseOptions(argv, io)
  if (options === 'help') {
    await writeText(io.stdout, USAGE)
    return 0
  }
  const out = (text: string): Promise<void> => writeText(io.stdout, text)
  for (const event of options.eventsGiven ? options.events : []) {
    if (!DEFAULT_EVENTS.includes(event) && EVENT_MATCHERS[event] === undefined) {
      io.stderr.write(
        `${NAME}: note: '${event}' is not one of the usual hook events; using it as given\n`,
      )
    }
  }

  if (!options.uninstall && options.target.transport === 'unix') {
    const warning = sharedDirectoryWarning(options.target.socketPath)
    if (warning !== undefined)
      io.stderr.write(`${NAME}: ${warning.replace(/^Warning: /, 'warning: ')}\n`)
  }

  const scope = await chooseScope(options, io, prompter)
  const path = join(scope === 'global' ? io.homedir : io.cwd, '.claude', 'settings.json')
  const file = await loadSettingsFile(path)

  let result: EditResult
  try {
    result = options.uninstall
      ? uninstallHooks(
          file.settings,
          options.eventsGiven ? options.events : undefined,
          options.extraHosts,
        )
      : installHooks(file.settings, options.target, options.events, options.extraHosts)
  } catch (err) {
    if (err instanceof SettingsShapeError) {
      throw new CommandError(`${path} ${err.message} — fix or move it first`)
    }
    throw err
  }

  await out(`Target: ${path}\n`)
  if (!options.uninstall) {
    await out(
      `Hooks: ${describeTarget(options.target)} (${plural(options.events.length, 'event')})\n`,
    )
  }
  if (!result.changed) {
    await out(
      options.uninstall
        ? `No observatory hooks in ${path}, nothing to change.\n`
        : `Already installed, nothing to change.\n`,
    )
    return 0
  }

  const newText = `${settingsText(result.settings, file.indent)}\n`
  const diff = unifiedDiff(
    file.text,
    newText,
    file.exists ? path : '/dev/null',
    file.exists ? `${path} (new)` : path,
  )
  await out(diff)

  if (options.dryRun) {
    await out('Dry run: nothing written.\n')
    return 0
  }
  if (!options.yes && io.stdin.isTTY === true) {
    const answer = await prompter.ask('Apply? [y/N] ')
    const yes = answer !== undefined && /^(y|yes)$/i.test(answer.trim())
    if (!yes) {
      io.stderr.write(`${NAME}: aborted, nothing written\n`)
      return 1
    }
  }

  await checkWritable(file)
  await checkUnchanged(file)
  if (file.exists) {
    const backup = await backupFile(file.realPath, new Date())
    await out(`Backup: ${backup}\n`)
  }
  await writeFileAtomic(file.realPath, newText)

  if (options.uninstall) {
    await out(`Removed ${plural(result.removed, 'observatory hook')} from ${path}.\n`)
  } else {
    const replaced = result.removed > 0 ? `, replaced ${plural(result.removed, 'older hook')}` : ''
    await out(`Installed ${plural(result.added, 'hook')} in ${path}${replaced}.\n`)
  }
  return 0
}

/**
 * `observatory install [options]`: resolves to the exit code (0 done or nothing to do, 1 refused or failed,
 * 2 usage mistake). Problems are reported as one line on stderr, never as a stack trace.
 */
export async function runInstall(argv: string[], io: CommandIO): Promise<number> {
  const prompter = new Prompter(io.stdin, io.stderr)
  try {
    return await install(argv, io, prompter)
  } catch (err) {
    // The reader of our output went away (`observatory install --dry-run | head`): stop quietly.
    if (errnoCode(err) === 'EPIPE') return 1
    const message =
      err instanceof CommandError
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`
    io.stderr.write(`${NAME}: ${message}\n`)
    return err instanceof CommandError ? err.exitCode : 1
  } finally {
    prompter.close()
  }
}

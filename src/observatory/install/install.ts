/**
 * `observatory install`: add (or, with --uninstall, remove) the observatory's hooks in a Claude Code settings
 * file, and with --telemetry Claude Code's telemetry variables in the user's settings (telemetry.ts), showing a
 * unified diff of each file first. See docs/install-and-query.md.
 */
import type { JsonObject } from '../encoding/index.ts'
import { sharedDirectoryWarning } from '../server/socket-path.ts'
import { type CommandIO, UserError, usageError, writeText } from './command-io.ts'
import { unifiedDiff } from './diff.ts'
import {
  type EditResult,
  type HookTarget,
  installHooks,
  SettingsShapeError,
  uninstallHooks,
  urlHost,
  usesHttpHook,
} from './hooks.ts'
import { type Scope, settingsPath } from './project.ts'
import { Prompter } from './prompt.ts'
import {
  backupFile,
  checkUnchanged,
  checkWritable,
  loadSettingsFile,
  type SettingsFile,
  settingsText,
  writeFileAtomic,
} from './settings-file.ts'
import {
  hasOwnTelemetry,
  installTelemetry,
  TELEMETRY_PROTOCOL,
  type TelemetryEditResult,
  type TelemetryTarget,
  telemetryEndpoint,
  uninstallTelemetry,
} from './telemetry.ts'

const NAME = 'observatory install'

/** What `observatory install` was asked to do (parsed by the CLI: src/cli/install.ts). */
export interface InstallOptions {
  /** `--global`, `--project` or `--local`; undefined: ask (on a terminal). */
  scope: Scope | undefined
  /** The directory given after `--project`/`--local`; undefined: the repository root, else the current one. */
  projectDir: string | undefined
  target: HookTarget
  events: string[]
  eventsGiven: boolean
  /** Lines for stderr before anything is done (unknown event names). */
  warnings: string[]
  extraHosts: string[]
  /** Whether the hooks are edited (false with `--telemetry-only`). */
  hooks: boolean
  /**
   * `--telemetry`/`--traces`: the telemetry variables to write in the user's settings; with `--uninstall`, that
   * they are removed (whatever the target's values).
   */
  telemetry: TelemetryTarget | undefined
  uninstall: boolean
  dryRun: boolean
  yes: boolean
}

const PASS_A_TARGET = 'pass --global, --project or --local'

async function chooseScope(
  options: InstallOptions,
  io: CommandIO,
  prompter: Prompter,
): Promise<Scope> {
  if (options.scope !== undefined) return options.scope
  if (io.stdin.isTTY !== true) {
    throw usageError(`no target given and stdin is not a terminal: ${PASS_A_TARGET}`)
  }
  const verb = options.uninstall ? 'Remove hooks' : 'Install hooks'
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await prompter.ask(
      `${verb} globally (~/.claude/settings.json), for this project (.claude/settings.json) ` +
        `or for this project on this machine only (.claude/settings.local.json)? [g/p/l] `,
    )
    if (answer === undefined) break
    const choice = answer.trim().toLowerCase()
    if (choice === 'g' || choice === 'global') return 'global'
    if (choice === 'p' || choice === 'project') return 'project'
    if (choice === 'l' || choice === 'local') return 'local'
    io.stderr.write("Please answer 'g', 'p' or 'l'.\n")
  }
  throw usageError(`no target chosen: ${PASS_A_TARGET}`)
}

function describeTarget(target: HookTarget, events: readonly string[]): string {
  const permission =
    target.permissionTimeout !== undefined && events.includes('PermissionRequest')
      ? `PermissionRequest ${target.permissionTimeout} s, for approvals from the page`
      : ''
  let timeout = target.timeout === undefined ? '' : `, timeout ${target.timeout} s`
  if (permission !== '') timeout += timeout === '' ? `, ${permission}` : ` (${permission})`
  switch (target.transport) {
    case 'unix':
      return `curl through Unix socket ${target.socketPath}${timeout}`
    case 'tcp':
      return `curl to http://${urlHost(target.host)}:${target.port}${timeout}`
    case 'http': {
      const base = `http://${urlHost(target.host)}:${target.port}`
      const viaCurl = events.filter((event) => !usesHttpHook(target, event))
      const curl =
        viaCurl.length === 0
          ? ''
          : `; curl to ${base} for ${viaCurl.join(', ')}, where Claude Code runs no HTTP hooks`
      return `native HTTP hooks to ${base}${timeout}${curl}`
    }
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function describeTelemetry(options: InstallOptions, telemetry: TelemetryTarget): string {
  const signals = telemetry.traces ? 'logs, metrics and traces' : 'logs and metrics'
  const token = telemetry.token === undefined ? '' : ', with the bearer token'
  const viaTcp =
    options.hooks && options.target.transport === 'unix'
      ? ' (TCP: telemetry cannot go through a Unix socket; serve must listen on this port)'
      : ''
  return (
    `Claude Code's OpenTelemetry ${signals}, ${TELEMETRY_PROTOCOL} to ` +
    `${telemetryEndpoint(telemetry)}${token}${viaTcp}`
  )
}

/** One settings file to edit, with what is done to it. */
interface FileEdit {
  file: SettingsFile
  /** The settings as edited so far. */
  settings: JsonObject
  hooks?: EditResult
  telemetry?: TelemetryEditResult
  /** Whether a token is written to it (a new file is then created private). */
  secret: boolean
}

function shapeError(path: string, err: unknown): unknown {
  if (err instanceof SettingsShapeError) {
    return new UserError(`${path} ${err.message} — fix or move it first`)
  }
  return err
}

async function install(
  options: InstallOptions,
  io: CommandIO,
  prompter: Prompter,
): Promise<number> {
  const out = (text: string): Promise<void> => writeText(io.stdout, text)
  const warn = (text: string): void => {
    io.stderr.write(`${NAME}: warning: ${text}\n`)
  }
  for (const warning of options.warnings) warn(warning)

  if (options.hooks && !options.uninstall && options.target.transport === 'unix') {
    const warning = sharedDirectoryWarning(options.target.socketPath)
    if (warning !== undefined)
      io.stderr.write(`${NAME}: ${warning.replace(/^Warning: /, 'warning: ')}\n`)
  }

  const scope = options.hooks ? await chooseScope(options, io, prompter) : 'global'
  const userPath = await settingsPath('global', undefined, io.cwd, io.homedir)
  const hooksPath = options.hooks
    ? await settingsPath(scope, options.projectDir, io.cwd, io.homedir)
    : undefined
  // --uninstall takes everything of ours out of the user's file: the telemetry too, unless --events narrows it.
  const telemetry =
    options.telemetry !== undefined ||
    (options.uninstall && options.hooks && scope === 'global' && !options.eventsGiven)

  const edits: FileEdit[] = []
  const editOf = async (path: string): Promise<FileEdit> => {
    const found = edits.find((edit) => edit.file.path === path)
    if (found !== undefined) return found
    const file = await loadSettingsFile(path)
    const edit: FileEdit = { file, settings: file.settings, secret: false }
    edits.push(edit)
    return edit
  }

  if (hooksPath !== undefined) {
    const edit = await editOf(hooksPath)
    try {
      edit.hooks = options.uninstall
        ? uninstallHooks(
            edit.settings,
            options.eventsGiven ? options.events : undefined,
            options.extraHosts,
          )
        : installHooks(edit.settings, options.target, options.events, options.extraHosts)
    } catch (err) {
      throw shapeError(hooksPath, err)
    }
    edit.settings = edit.hooks.settings
  }
  let telemetryEdit: FileEdit | undefined
  if (telemetry) {
    telemetryEdit = await editOf(userPath)
    try {
      telemetryEdit.telemetry =
        options.uninstall || options.telemetry === undefined
          ? uninstallTelemetry(telemetryEdit.settings)
          : installTelemetry(telemetryEdit.settings, options.telemetry)
    } catch (err) {
      throw shapeError(userPath, err)
    }
    telemetryEdit.settings = telemetryEdit.telemetry.settings
    telemetryEdit.secret = !options.uninstall && options.telemetry?.token !== undefined
    for (const warning of telemetryEdit.telemetry.warnings) warn(`${userPath}: ${warning}`)
  } else if (options.uninstall && hooksPath !== undefined && hooksPath !== userPath) {
    const user = await loadSettingsFile(userPath).catch(() => undefined)
    if (user !== undefined && hasOwnTelemetry(user.settings)) {
      io.stderr.write(
        `${NAME}: note: the telemetry variables in ${userPath} stay; add --telemetry to remove them too\n`,
      )
    }
  }

  if (hooksPath !== undefined) {
    await out(`Target: ${hooksPath}\n`)
    if (!options.uninstall) {
      await out(
        `Hooks: ${describeTarget(options.target, options.events)} (${plural(options.events.length, 'event')})\n`,
      )
    }
  }
  if (telemetryEdit !== undefined) {
    if (hooksPath !== userPath) {
      await out(`Telemetry target: ${userPath}\n`)
      if (hooksPath !== undefined) {
        await out(
          `Note: Claude Code takes its telemetry variables from your user settings (or the environment), ` +
            `never from a project's settings; there they apply to every project.\n`,
        )
      }
    }
    if (!options.uninstall && options.telemetry !== undefined) {
      await out(`Telemetry: ${describeTelemetry(options, options.telemetry)}\n`)
    }
  }

  const changes = edits.filter(
    (edit) => edit.hooks?.changed === true || edit.telemetry?.changed === true,
  )
  if (changes.length === 0) {
    if (!options.uninstall) {
      await out('Already installed, nothing to change.\n')
    } else if (hooksPath !== undefined && telemetry) {
      const where = hooksPath === userPath ? ` in ${hooksPath}` : ''
      await out(`No observatory hooks or telemetry variables${where}, nothing to change.\n`)
    } else {
      await out(
        `No observatory ${hooksPath !== undefined ? 'hooks' : 'telemetry variables'} in ${hooksPath ?? userPath}, nothing to change.\n`,
      )
    }
    return 0
  }

  const texts = new Map<FileEdit, string>()
  for (const edit of changes) {
    const { file } = edit
    const newText = `${settingsText(edit.settings, file.indent)}\n`
    texts.set(edit, newText)
    await out(
      unifiedDiff(
        file.text,
        newText,
        file.exists ? file.path : '/dev/null',
        file.exists ? `${file.path} (new)` : file.path,
      ),
    )
  }

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

  // Every file is checked before any is written.
  for (const edit of changes) {
    await checkWritable(edit.file)
    await checkUnchanged(edit.file)
  }
  for (const edit of changes) {
    const { file } = edit
    if (file.exists) {
      const backup = await backupFile(file.realPath, new Date())
      await out(`Backup: ${backup}\n`)
    }
    await writeFileAtomic(file.realPath, texts.get(edit)!, edit.secret ? 0o600 : 0o666)
  }

  for (const edit of changes) {
    const path = edit.file.path
    const hooks = edit.hooks
    if (hooks?.changed === true) {
      if (options.uninstall) {
        await out(`Removed ${plural(hooks.removed, 'observatory hook')} from ${path}.\n`)
      } else {
        const replaced =
          hooks.removed > 0 ? `, replaced ${plural(hooks.removed, 'older hook')}` : ''
        await out(`Installed ${plural(hooks.added, 'hook')} in ${path}${replaced}.\n`)
      }
    }
    const env = edit.telemetry
    if (env?.changed === true) {
      if (options.uninstall) {
        await out(
          `Removed ${plural(env.removed.length, 'telemetry variable')} from the "env" of ${path}.\n`,
        )
      } else {
        const parts: string[] = []
        if (env.written.length > 0) parts.push(`set ${plural(env.written.length, 'variable')}`)
        if (env.removed.length > 0) {
          parts.push(`removed ${plural(env.removed.length, 'variable')} no longer wanted`)
        }
        if (parts.length === 0) parts.push('updated its record')
        await out(`Telemetry: ${parts.join(', ')} in the "env" of ${path}.\n`)
      }
    }
  }
  if (telemetryEdit?.telemetry?.changed === true && !options.uninstall) {
    await out('Claude Code sessions started from now on send their telemetry.\n')
  }
  return 0
}

/**
 * `observatory install` with its options parsed: resolves to 0 when done (or nothing to do). Throws a
 * `UserError` for what the user can act on (a file that is not valid JSON, a refusal); the CLI prints it.
 */
export async function runInstallWith(options: InstallOptions, io: CommandIO): Promise<number> {
  const prompter = new Prompter(io.stdin, io.stderr)
  try {
    return await install(options, io, prompter)
  } finally {
    prompter.close()
  }
}

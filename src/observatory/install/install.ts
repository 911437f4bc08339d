/**
 * `observatory install`: add (or, with --uninstall, remove) the observatory's hooks in a Claude Code settings
 * file, showing a unified diff first. See docs/install-and-query.md.
 */
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
  settingsText,
  writeFileAtomic,
} from './settings-file.ts'

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

async function install(
  options: InstallOptions,
  io: CommandIO,
  prompter: Prompter,
): Promise<number> {
  const out = (text: string): Promise<void> => writeText(io.stdout, text)
  for (const warning of options.warnings) io.stderr.write(`${NAME}: warning: ${warning}\n`)

  if (!options.uninstall && options.target.transport === 'unix') {
    const warning = sharedDirectoryWarning(options.target.socketPath)
    if (warning !== undefined)
      io.stderr.write(`${NAME}: ${warning.replace(/^Warning: /, 'warning: ')}\n`)
  }

  const scope = await chooseScope(options, io, prompter)
  const path = await settingsPath(scope, options.projectDir, io.cwd, io.homedir)
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
      throw new UserError(`${path} ${err.message} — fix or move it first`)
    }
    throw err
  }

  await out(`Target: ${path}\n`)
  if (!options.uninstall) {
    await out(
      `Hooks: ${describeTarget(options.target, options.events)} (${plural(options.events.length, 'event')})\n`,
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

/**
 * `observatory install`: add (or, with --uninstall, remove) the observatory's hooks in a Claude Code settings
 * file, showing a unified diff first. See docs/install-and-query.md.
 */
import { join } from 'node:path'
import { sharedDirectoryWarning } from '../server/socket-path.ts'
import { type CommandIO, UserError, usageError, writeText } from './command-io.ts'
import { unifiedDiff } from './diff.ts'
import {
  DEFAULT_EVENTS,
  type EditResult,
  EVENT_MATCHERS,
  type HookTarget,
  installHooks,
  SettingsShapeError,
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

/** What `observatory install` was asked to do (parsed by the CLI: src/cli/install.ts). */
export interface InstallOptions {
  scope: 'global' | 'project' | undefined
  target: HookTarget
  events: string[]
  eventsGiven: boolean
  extraHosts: string[]
  uninstall: boolean
  dryRun: boolean
  yes: boolean
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

async function install(
  options: InstallOptions,
  io: CommandIO,
  prompter: Prompter,
): Promise<number> {
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
      throw new UserError(`${path} ${err.message} — fix or move it first`)
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

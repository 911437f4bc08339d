/**
 * Where `observatory install` writes: `~/.claude/settings.json` (`--global`), or the project's
 * `.claude/settings.json` (`--project`) or `.claude/settings.local.json` (`--local`). The project is the directory
 * given after `--project`/`--local`, else the repository root, else the current directory.
 */
import { lstat, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { osReason, usageError } from './command-io.ts'

export type Scope = 'global' | 'project' | 'local'

/** The settings file of a scope, as a path relative to its directory. */
export const SETTINGS_FILE: Readonly<Record<Scope, string>> = {
  global: join('.claude', 'settings.json'),
  project: join('.claude', 'settings.json'),
  local: join('.claude', 'settings.local.json'),
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

/**
 * The top of the git work tree holding `start`: the nearest directory, `start` included, that has a `.git` (a
 * directory, or the file a linked worktree or submodule has), found without running git. The home directory does
 * not count (a `.git` there is a dotfiles repository, and its `.claude/settings.json` is the user's own settings),
 * and the walk stops there. Undefined outside a repository.
 */
export async function repositoryRoot(start: string, homedir: string): Promise<string | undefined> {
  const home = resolve(homedir)
  let dir = resolve(start)
  for (;;) {
    if (dir === home) return undefined
    if (await exists(join(dir, '.git'))) return dir
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/**
 * The project directory for `--project`/`--local`: `given` (relative to `cwd`), which must be a directory, else
 * the repository root above `cwd`, else `cwd`.
 */
export async function projectDirectory(
  given: string | undefined,
  cwd: string,
  homedir: string,
): Promise<string> {
  if (given === undefined) return (await repositoryRoot(cwd, homedir)) ?? resolve(cwd)
  const dir = resolve(cwd, given)
  let isDirectory: boolean
  try {
    isDirectory = (await stat(dir)).isDirectory()
  } catch (err) {
    throw usageError(`project directory '${given}': ${osReason(err)}`)
  }
  if (!isDirectory) throw usageError(`project directory '${given}' is not a directory`)
  return dir
}

/** The settings file to edit for `scope`. */
export async function settingsPath(
  scope: Scope,
  given: string | undefined,
  cwd: string,
  homedir: string,
): Promise<string> {
  const base = scope === 'global' ? homedir : await projectDirectory(given, cwd, homedir)
  return join(base, SETTINGS_FILE[scope])
}

/**
 * Which files make up the policy, and keeping it current while the observatory runs.
 *
 * Files ({@link policyFiles}): with `--policy FILE` (repeatable), exactly those, in that order. Otherwise those of
 * these two that exist, in this order:
 *   1. the project file `.claude/observatory-policy.yaml` at the repository root above the observatory's working
 *      directory (the nearest directory with a `.git`, as `observatory install --project` finds it; else the
 *      working directory itself);
 *   2. the user file `$XDG_CONFIG_HOME/hooks-observatory/policy.yaml` (a relative XDG_CONFIG_HOME is ignored, as
 *      the XDG spec asks), else `~/.config/hooks-observatory/policy.yaml`.
 * The order matters only for which rule is reported when several rules of the same action match (deny still wins
 * over everything, whichever file it is in): the project's rules come first, as Claude Code's project settings
 * take precedence over the user's.
 *
 * Reloading ({@link PolicyWatcher}): each file's directory is watched (fs.watch, so an editor's save-by-rename is
 * seen), changes are debounced (100 ms), and a slow stat poll (2 s) catches what a watch misses (network file
 * systems, a directory that was removed and made again). Every timer and watch is unref'd: the watcher never keeps
 * the process alive. A file that fails to parse keeps its last good rules: one line on the log
 * (`policy: <error>; keeping the last good policy (N rules)`) and {@link PolicyWatcher.error} says so (for the
 * page) until the file is fixed (`policy: reloaded N rules from FILE`). A deleted file contributes no rules (said
 * once) until it comes back. A broken or unreadable file at start is a hard error: {@link PolicyWatcher.start}
 * throws.
 */
import { type FSWatcher, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { UserError } from '../errors.ts'
import { osReason } from '../install/command-io.ts'
import { projectDirectory } from '../install/project.ts'
import { Policy, PolicyError } from './policy.ts'
import type { PolicyLike } from './types.ts'

/** The project policy file, relative to the project directory. */
export const PROJECT_POLICY_FILE = join('.claude', 'observatory-policy.yaml')

/** The user policy file, relative to the XDG config directory. */
export const USER_POLICY_FILE = join('hooks-observatory', 'policy.yaml')

export interface PolicyFilesOptions {
  /** `--policy FILE` values (relative to cwd): when non-empty, exactly these. */
  explicit?: readonly string[]
  cwd: string
  home: string
  env: Readonly<Record<string, string | undefined>>
}

/** The user's policy file (whether it exists or not). */
export function userPolicyPath(env: Readonly<Record<string, string | undefined>>, home: string) {
  const config = env.XDG_CONFIG_HOME
  const base = config !== undefined && isAbsolute(config) ? config : join(home, '.config')
  return join(base, USER_POLICY_FILE)
}

/** The project's policy file (whether it exists or not). */
export async function projectPolicyPath(cwd: string, home: string): Promise<string> {
  return join(await projectDirectory(undefined, cwd, home), PROJECT_POLICY_FILE)
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** The policy files, as absolute paths, in merge order (see the top of this file). */
export async function policyFiles(options: PolicyFilesOptions): Promise<string[]> {
  const { explicit, cwd, home, env } = options
  if (explicit !== undefined && explicit.length > 0) {
    return [...new Set(explicit.map((file) => resolve(cwd, file)))]
  }
  const candidates = [await projectPolicyPath(cwd, home), userPolicyPath(env, home)]
  const found: string[] = []
  for (const file of new Set(candidates)) if (await isFile(file)) found.push(file)
  return found
}

/** Reads and parses one policy file; unreadable → UserError, invalid → PolicyError. */
export async function loadPolicyFile(path: string, options: { home?: string } = {}) {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UserError(`policy file ${path}: ${osReason(err)}`, 'RUNTIME', { cause: err })
  }
  return Policy.parse(text, path, options)
}

export interface PolicyWatcherOptions {
  /** The files, in merge order (from {@link policyFiles}). */
  files: readonly string[]
  /** One line per reload, broken edit or removal (the server passes stderr). */
  log: (line: string) => void
  /** Called after the policy or the error changed. */
  onChange?: (policy: PolicyLike, error: string | undefined) => void
  /** Quiet time before a change is read (default 100 ms). */
  debounceMs?: number
  /** The stat poll's period (default 2000 ms). */
  pollMs?: number
  /** What `~/` means in `cwd` patterns (default: the user's home directory). */
  home?: string
}

interface WatchedFile {
  path: string
  /** The last good rules of this file (empty when it is missing). */
  policy: Policy
  /** The text last read (good or bad), to skip a change that changed nothing. */
  text: string | undefined
  missing: boolean
  /** The parse or read error of the current text, if any. */
  error: string | undefined
  /** mtime, size and inode at the last read ('missing' when absent). */
  stamp: string
  timer: NodeJS.Timeout | undefined
  busy: boolean
  again: boolean
}

function stampOf(stats: { mtimeMs: number; size: number; ino: number }): string {
  return `${stats.mtimeMs}:${stats.size}:${stats.ino}`
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The policy of a set of files, kept current as they change. */
export class PolicyWatcher {
  readonly #files: WatchedFile[]
  readonly #log: (line: string) => void
  readonly #onChange: ((policy: PolicyLike, error: string | undefined) => void) | undefined
  readonly #debounceMs: number
  readonly #home: string | undefined
  readonly #watchers = new Map<string, FSWatcher | undefined>()
  #poll: NodeJS.Timeout | undefined
  #policy: Policy
  #closed = false

  private constructor(files: WatchedFile[], options: PolicyWatcherOptions) {
    this.#files = files
    this.#log = options.log
    this.#onChange = options.onChange
    this.#debounceMs = options.debounceMs ?? 100
    this.#home = options.home
    this.#policy = Policy.merge(files.map((f) => f.policy))
  }

  /** Loads every file (throws the first file's error: a broken policy at start is a hard error) and watches. */
  static async start(options: PolicyWatcherOptions): Promise<PolicyWatcher> {
    const files: WatchedFile[] = []
    const parseOptions = options.home === undefined ? {} : { home: options.home }
    for (const path of [...new Set(options.files)]) {
      let text: string
      let stamp: string
      try {
        stamp = stampOf(await stat(path))
        text = await readFile(path, 'utf8')
      } catch (err) {
        throw new UserError(`policy file ${path}: ${osReason(err)}`, 'RUNTIME', { cause: err })
      }
      const policy = Policy.parse(text, path, parseOptions)
      files.push({
        path,
        policy,
        text,
        missing: false,
        error: undefined,
        stamp,
        timer: undefined,
        busy: false,
        again: false,
      })
    }
    const watcher = new PolicyWatcher(files, options)
    for (const dir of new Set(files.map((f) => dirname(f.path)))) watcher.#watchDirectory(dir)
    const poll = setInterval(() => watcher.#pollAll(), options.pollMs ?? 2000)
    poll.unref()
    watcher.#poll = poll
    return watcher
  }

  /** The current policy: every file's last good rules, merged in file order. */
  get policy(): PolicyLike {
    return this.#policy
  }

  /** Why the policy is not what the files say (a broken file), for the page; undefined when all is well. */
  get error(): string | undefined {
    const errors = this.#files.flatMap((f) => (f.error === undefined ? [] : [f.error]))
    return errors.length === 0 ? undefined : errors.join('; ')
  }

  /** The watched files, in merge order. */
  get files(): readonly string[] {
    return this.#files.map((f) => f.path)
  }

  /** Stops watching. The last policy stays readable. */
  close(): void {
    this.#closed = true
    if (this.#poll !== undefined) clearInterval(this.#poll)
    for (const file of this.#files) if (file.timer !== undefined) clearTimeout(file.timer)
    for (const w of this.#watchers.values()) w?.close()
    this.#watchers.clear()
  }

  #watchDirectory(dir: string): void {
    if (this.#closed) return
    let watcher: FSWatcher
    try {
      watcher = watch(dir, { persistent: false }, (_type, filename) => {
        const name = filename?.toString()
        for (const file of this.#files) {
          if (dirname(file.path) === dir && (name === undefined || name === basename(file.path))) {
            this.#schedule(file)
          }
        }
      })
    } catch {
      // the directory is gone (or cannot be watched): the poll covers it, and tries again
      this.#watchers.set(dir, undefined)
      return
    }
    watcher.on('error', () => {
      watcher.close()
      this.#watchers.set(dir, undefined)
    })
    this.#watchers.set(dir, watcher)
  }

  #schedule(file: WatchedFile): void {
    if (this.#closed) return
    if (file.timer !== undefined) clearTimeout(file.timer)
    file.timer = setTimeout(() => {
      file.timer = undefined
      void this.#reload(file)
    }, this.#debounceMs)
    file.timer.unref()
  }

  #pollAll(): void {
    if (this.#closed) return
    for (const [dir, watcher] of this.#watchers) {
      if (watcher === undefined) this.#watchDirectory(dir)
    }
    for (const file of this.#files) {
      stat(file.path).then(
        (stats) => {
          if (stampOf(stats) !== file.stamp) this.#schedule(file)
        },
        () => {
          if (file.stamp !== 'missing') this.#schedule(file)
        },
      )
    }
  }

  async #reload(file: WatchedFile): Promise<void> {
    if (file.busy) {
      file.again = true
      return
    }
    file.busy = true
    try {
      do {
        file.again = false
        if (this.#closed) return
        await this.#load(file)
      } while (file.again)
    } catch (err) {
      this.#log(`policy: ${file.path}: ${err instanceof Error ? err.message : String(err)}`)
    } finally {
      file.busy = false
    }
  }

  async #load(file: WatchedFile): Promise<void> {
    let text: string
    try {
      const stats = await stat(file.path)
      file.stamp = stampOf(stats)
      text = await readFile(file.path, 'utf8')
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') {
        file.stamp = 'missing'
        if (file.missing) return
        file.missing = true
        file.text = undefined
        file.error = undefined
        file.policy = Policy.empty()
        this.#update()
        this.#log(
          `policy: ${file.path} was removed; its rules no longer apply (${plural(this.#policy.rules, 'rule')} in all)`,
        )
        this.#changed()
        return
      }
      const message = `policy file ${file.path}: ${osReason(err)}`
      if (file.error === message) return
      file.error = message
      file.text = undefined
      this.#log(`policy: ${message}; keeping the last good policy (${this.#rulesText()})`)
      this.#changed()
      return
    }
    if (!file.missing && text === file.text) return
    file.missing = false
    file.text = text
    let policy: Policy
    try {
      policy = Policy.parse(text, file.path, this.#home === undefined ? {} : { home: this.#home })
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err
      file.error = err.message
      this.#log(`policy: ${err.message}; keeping the last good policy (${this.#rulesText()})`)
      this.#changed()
      return
    }
    file.policy = policy
    file.error = undefined
    this.#update()
    const all = this.#files.length > 1 ? ` (${plural(this.#policy.rules, 'rule')} in all)` : ''
    this.#log(`policy: reloaded ${plural(policy.rules, 'rule')} from ${file.path}${all}`)
    this.#changed()
  }

  #rulesText(): string {
    return plural(this.#policy.rules, 'rule')
  }

  #update(): void {
    this.#policy = Policy.merge(this.#files.map((f) => f.policy))
  }

  #changed(): void {
    if (this.#onChange === undefined) return
    try {
      this.#onChange(this.#policy, this.error)
    } catch (err) {
      this.#log(`policy: onChange failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}

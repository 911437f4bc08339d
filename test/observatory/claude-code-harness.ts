/**
 * Running the real Claude Code CLI against the observatory, offline: shared by claude-code.test.ts and
 * claude-code-sessions.test.ts.
 *
 * {@link runClaudeSession} starts the observatory (`observatory serve --socket … --port 0`) and the fake Anthropic
 * Messages API (fake-anthropic.ts, optionally with a script), installs the hooks into a temporary project's
 * `.claude/settings.json` with the repository's own `observatory install --project`, runs
 * `claude -p PROMPT … --output-format json` there with a temporary HOME and TMPDIR and a clean environment, and
 * collects the lines the observatory printed.
 *
 * Everything is skipped, with the reason printed, when `claude` is not on PATH (.ci/run installs it, tolerating a
 * failure), and the command-hook cases when curl is not ({@link skipped}).
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  type FakeAnthropic,
  type FakeOptions,
  type Script,
  startFakeAnthropic,
} from './fake-anthropic.ts'
import { CLI, eventually, type Observatory, startCli, tempDir } from './helpers.ts'

/** How long one `claude -p` run may take before it is killed. */
export const CLAUDE_TIMEOUT_MS = 90_000

/** Every hook event Claude Code 2.1 knows, for `install --events`. */
export const ALL_EVENTS: readonly string[] = [
  'SessionStart',
  'Setup',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PermissionDenied',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'Notification',
  'MessageDisplay',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'StopFailure',
  'SessionEnd',
  'CwdChanged',
  'FileChanged',
  'PreCompact',
  'PostCompact',
]

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, program))) return join(dir, program)
  }
  return undefined
}

export const CURL = which('curl')
export const CLAUDE = which('claude')

/** `claude --version`, or why the Claude Code cases are skipped. */
function probeClaude(): { version: string } | { skip: string } {
  if (CLAUDE === undefined) {
    return {
      skip: 'the Claude Code CLI (`claude`) is not on PATH: npm install -g @anthropic-ai/claude-code',
    }
  }
  const probe = spawnSync(CLAUDE, ['--version'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, DISABLE_AUTOUPDATER: '1' },
  })
  if (probe.status !== 0) {
    const why =
      probe.error?.message ?? `exit ${probe.status ?? probe.signal}: ${probe.stderr.trim()}`
    return { skip: `\`${CLAUDE} --version\` failed (${why.slice(0, 300)})` }
  }
  return { version: probe.stdout.trim() }
}

export const CLAUDE_CODE = probeClaude()

/** Claude Code's version (`2.1.337 (Claude Code)`), or undefined when it is missing. */
export const CLAUDE_VERSION = 'version' in CLAUDE_CODE ? CLAUDE_CODE.version : undefined

/**
 * Skip `t` when Claude Code (or, with `needCurl`, curl) is missing, saying why on stdout too (prefixed with
 * `label`, the test file's name).
 */
export function skipped(t: TestContext, needCurl: boolean, label: string): boolean {
  const reason =
    'skip' in CLAUDE_CODE
      ? CLAUDE_CODE.skip
      : needCurl && CURL === undefined
        ? 'curl is not on PATH (the command hooks run it)'
        : undefined
  if (reason === undefined) {
    t.diagnostic(`Claude Code ${CLAUDE_VERSION ?? ''}`)
    return false
  }
  console.log(`${label}: skipped: ${reason}`)
  t.skip(reason)
  return true
}

/** tsx as a file URL: `--import tsx` would be resolved from the child's cwd, a project outside the repository. */
const TSX = import.meta.resolve('tsx')

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/**
 * Run `command` to its end in a process group of its own (Claude Code starts a shell for Bash), killing the
 * group after `ms`, or when the test ends if it is still running.
 */
export function run(
  t: TestContext,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ms: number },
): Promise<Run> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  let done = false
  let timedOut = false
  const killGroup = (): void => {
    if (done || child.pid === undefined) return
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
  const timer = setTimeout(() => {
    timedOut = true
    killGroup()
  }, options.ms)
  t.after(killGroup)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      done = true
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      })
    })
  })
}

export type Line = Record<string, unknown>

/** The observatory's stdout lines, each checked to be a JSON object. */
export function parseLines(obs: Observatory): Line[] {
  return obs.stdoutLines().map((line, i) => {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      value = undefined
    }
    assert.ok(
      typeof value === 'object' && value !== null,
      `stdout line ${i + 1} is a JSON object: ${line.slice(0, 300)}`,
    )
    return value as Line
  })
}

export interface SessionOptions {
  /** Command hooks with curl through the Unix socket (default), or native HTTP hooks to the TCP port. */
  transport?: 'unix' | 'http'
  /** `install --events` (comma-joined); without it, the installer's default events. */
  events?: readonly string[]
  /** The `-p` prompt. */
  prompt: string
  /** More arguments for `claude` (e.g. `--allowedTools Bash`); `--output-format json` is always added. */
  args?: string[]
  /** The fake API's script; without it, its default scenario (Bash `echo hello-from-fake`, then "done"). */
  script?: Script
  /** Awaited by the fake API before it answers each Messages request (fake-anthropic.ts, `beforeAnswer`). */
  beforeAnswer?: FakeOptions['beforeAnswer']
  /** Called with the project directory before Claude Code starts (to create files in it). */
  prepare?: (project: string) => void
  /** Called with the observatory just before Claude Code starts (to watch it while the session runs). */
  watch?: (obs: Observatory) => void
  /** Events to wait for once `claude` has exited. */
  required?: readonly string[]
  /** More `observatory serve` arguments (`--policy FILE`, `--approve-from-page`…), after the listeners and store. */
  serve?: string[]
  /** More environment for `observatory serve` (e.g. `XDG_CONFIG_HOME`, so the user's policy file is not read). */
  serveEnv?: Record<string, string | undefined>
  /** More `observatory install` arguments (e.g. `--approvals`). */
  install?: string[]
  /**
   * More environment for `claude`, given the observatory (e.g. the OTLP telemetry variables with its port); set
   * after the clean environment's own, so they win.
   */
  claudeEnv?: (obs: Observatory) => Record<string, string>
}

/** What one run left behind. */
export interface ClaudeSession {
  /** The temporary directory holding `project`, `home`, `tmp` and the socket. */
  dir: string
  /** The project directory (Claude Code's cwd), resolved as Claude Code reports it. */
  project: string
  home: string
  /** The observatory's store (`--db`). */
  db: string
  obs: Observatory
  fake: FakeAnthropic
  /** The `claude` command line (`claude -p PROMPT …`). */
  command: string[]
  claude: Run
  /** `claude`'s `--output-format json` result, undefined when its stdout is not a JSON object. */
  result: Line | undefined
  /** The observatory's stdout lines, parsed, once they stopped coming. */
  lines: Line[]
  /** Each line's `_event`, in order. */
  events: string[]
  /** Everything worth seeing when an assertion fails. */
  context(): string
}

/** Wait until the observatory's stdout has had no new line for `quietMs` (at most `ms`). */
async function settle(obs: Observatory, quietMs: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  let count = obs.stdoutLines().length
  let since = Date.now()
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    const now = obs.stdoutLines().length
    if (now !== count) {
      count = now
      since = Date.now()
    } else if (Date.now() - since >= quietMs) {
      return
    }
  }
}

/**
 * Start the observatory and the fake API, install the hooks with `install --project`, run `claude -p`, and wait
 * for the events: the `required` ones, then SessionEnd (5 s at most: its absence is only reported), then until
 * no more lines come. Fails when the install fails, `claude` runs past {@link CLAUDE_TIMEOUT_MS}, or the
 * observatory refused a hook request; `claude`'s exit status is left to the caller.
 */
export async function runClaudeSession(
  t: TestContext,
  options: SessionOptions,
): Promise<ClaudeSession> {
  const transport = options.transport ?? 'unix'
  const dir = tempDir(t, 'obs-cc-')
  const projectDir = join(dir, 'project')
  const home = join(dir, 'home')
  const tmp = join(dir, 'tmp')
  for (const d of [projectDir, home, tmp]) mkdirSync(d)
  const project = realpathSync(projectDir)
  const socket = join(dir, 'in.sock')

  const db = join(dir, 'events.db')
  const obs = await startCli(
    t,
    ['--socket', socket, '--port', '0', '--db', db, ...(options.serve ?? [])],
    options.serveEnv === undefined ? {} : { env: options.serveEnv },
  )
  const fake = await startFakeAnthropic({
    ...(options.script === undefined ? {} : { script: options.script }),
    ...(options.beforeAnswer === undefined ? {} : { beforeAnswer: options.beforeAnswer }),
  })
  t.after(() => fake.close())

  const target =
    transport === 'unix' ? ['--socket', obs.unix.socketPath] : ['--port', String(obs.tcp.port)]
  const events = options.events === undefined ? [] : ['--events', options.events.join(',')]
  const install = await run(
    t,
    process.execPath,
    [
      '--import',
      TSX,
      CLI,
      'install',
      '--project',
      '--yes',
      '--transport',
      transport,
      ...target,
      ...events,
      ...(options.install ?? []),
    ],
    { cwd: projectDir, env: { PATH: process.env.PATH, HOME: home }, ms: 60_000 },
  )
  assert.equal(install.code, 0, `install exit status; stderr:\n${install.stderr}`)
  const settings = JSON.parse(readFileSync(join(projectDir, '.claude/settings.json'), 'utf8'))
  assert.ok(settings.hooks?.PreToolUse, 'install wrote the hooks')
  options.prepare?.(project)
  options.watch?.(obs)

  const claudeArgs = ['-p', options.prompt, ...(options.args ?? []), '--output-format', 'json']
  const claude = await run(t, CLAUDE as string, claudeArgs, {
    cwd: projectDir,
    // A clean environment: nothing of ours (API keys, config dirs, a surrounding Claude Code session) leaks in.
    env: {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: tmp,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: 'dummy-key',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...options.claudeEnv?.(obs),
    },
    ms: CLAUDE_TIMEOUT_MS,
  })
  t.diagnostic(`fake API requests: ${fake.summary().join(', ')}`)
  const context = (): string =>
    `claude exit ${claude.code} ${claude.signal ?? ''}${claude.timedOut ? ' (timed out)' : ''}\n` +
    `claude stdout: ${claude.stdout.slice(0, 2000)}\nclaude stderr: ${claude.stderr.slice(-2000)}\n` +
    `fake API: ${fake.summary().join(', ')}\nobservatory stdout:\n${obs.stdout().slice(-6000)}\n` +
    `observatory stderr:\n${obs.stderr().slice(-2000)}`
  assert.equal(claude.timedOut, false, `claude -p ran past ${CLAUDE_TIMEOUT_MS} ms\n${context()}`)
  let result: Line | undefined
  try {
    const value: unknown = JSON.parse(claude.stdout)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) result = value as Line
  } catch {
    result = undefined
  }

  // Hooks run to completion before Claude Code goes on, but our copy of the observatory's stdout may lag.
  const required = options.required ?? []
  await eventually(
    () => {
      const seen = new Set(parseLines(obs).map((line) => line._event))
      return required.every((event) => seen.has(event))
    },
    () => `the events ${required.join(', ')}\n${context()}`,
  )
  // SessionEnd has come in every run seen so far; it is checked when it does, and its absence only reported.
  await eventually(
    () => parseLines(obs).some((line) => line._event === 'SessionEnd'),
    'SessionEnd',
    5_000,
  ).catch(() => t.diagnostic('no SessionEnd arrived'))
  await settle(obs, 200, 3_000)
  const lines = parseLines(obs)
  const names = lines.map((line) => String(line._event))
  t.diagnostic(`events (${transport}): ${names.join(', ')}`)

  // No hook request was refused.
  assert.doesNotMatch(obs.stderr(), /POST \/hook\S* HTTP\/1\.[01] [45]\d\d/, context())
  return {
    dir,
    project,
    home,
    db,
    obs,
    fake,
    command: ['claude', ...claudeArgs],
    claude,
    result,
    lines,
    events: names,
    context,
  }
}

// ---- fixtures -------------------------------------------------------------------------------------------

export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/claude-code/', import.meta.url))

/** Whether this run rewrites the fixtures (`WRITE_CLAUDE_CODE_FIXTURES=1`). */
export const WRITE_FIXTURES = process.env.WRITE_CLAUDE_CODE_FIXTURES === '1'

/** What the placeholders in a fixture's lines stand for. */
export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '<TMP>': "the run's temporary directory (holding project/, home/ = HOME, tmp/ = TMPDIR)",
  '<TMP_DASHED>':
    'the same path as Claude Code spells it in ~/.claude/projects/ (every non-alphanumeric character a dash)',
  '<FAKE_API>': "the fake Anthropic API's host:port",
}

/** `value` with the run's random paths and port replaced by placeholders. */
export function placeholders(session: ClaudeSession, value: unknown): unknown {
  const dirs = [...new Set([realpathSync(session.dir), session.dir])]
  let text = JSON.stringify(value)
  for (const dir of dirs) {
    text = text
      .replaceAll(dir, '<TMP>')
      .replaceAll(dir.replace(/[^A-Za-z0-9]/g, '-'), '<TMP_DASHED>')
  }
  text = text.replaceAll(new URL(session.fake.url).host, '<FAKE_API>')
  return JSON.parse(text)
}

/** The fields of `claude -p --output-format json`'s result worth keeping in a fixture. */
const RESULT_FIELDS = [
  'type',
  'subtype',
  'is_error',
  'result',
  'num_turns',
  'stop_reason',
  'terminal_reason',
  'api_error_status',
  'permission_denials',
  'session_id',
]

/**
 * Write `fixtures/claude-code/<name>.json` when {@link WRITE_FIXTURES}: the scenario, the command line, the
 * ordered event names, the observatory's lines as printed (paths and port as placeholders), the fake API's
 * requests in short and the key fields of Claude Code's result; `extra` is merged in.
 */
export function writeFixture(
  name: string,
  session: ClaudeSession,
  description: string,
  extra: Record<string, unknown> = {},
): void {
  if (!WRITE_FIXTURES) return
  const result =
    session.result === undefined
      ? undefined
      : Object.fromEntries(
          RESULT_FIELDS.filter((key) => key in (session.result as Line)).map((key) => [
            key,
            (session.result as Line)[key],
          ]),
        )
  const fixture = {
    scenario: name,
    description,
    claude_code_version: CLAUDE_VERSION,
    command: session.command,
    claude_exit_code: session.claude.code,
    placeholders: PLACEHOLDERS,
    fake_api: session.fake.summary(),
    events: session.events,
    ...extra,
    result,
    lines: session.lines,
  }
  mkdirSync(FIXTURES_DIR, { recursive: true })
  writeFileSync(
    join(FIXTURES_DIR, `${name}.json`),
    `${JSON.stringify(placeholders(session, fixture), null, 2)}\n`,
  )
}

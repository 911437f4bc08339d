/**
 * The real Claude Code CLI drives the observatory, offline. A fake Anthropic Messages API (fake-anthropic.ts)
 * makes the model call Bash once (`echo hello-from-fake`) and then answer "done"; the hooks are installed into a
 * temporary project's `.claude/settings.json` by the repository's own `observatory install --project`; then
 * `claude -p "run echo" --allowedTools Bash` runs there with a temporary HOME and TMPDIR, and the test reads what
 * the observatory printed.
 *
 * Two transports: command hooks running curl through the Unix socket (`--transport unix`), and Claude Code's
 * native HTTP hooks to the TCP port (`--transport http`; Claude Code skips HTTP hooks for SessionStart).
 *
 * Skipped, with the reason printed, when `claude` is not on PATH (.ci/run installs it with
 * `npm install -g @anthropic-ai/claude-code`, tolerating a failure), and the Unix case when curl is not.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { FAKE_ANSWER, FAKE_COMMAND, startFakeAnthropic } from './fake-anthropic.ts'
import { CLI, eventually, type Observatory, startCli, TS_PATTERN, tempDir } from './helpers.ts'

/** How long one `claude -p` run may take before it is killed. */
const CLAUDE_TIMEOUT_MS = 90_000

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, program))) return join(dir, program)
  }
  return undefined
}

const CURL = which('curl')
const CLAUDE = which('claude')

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

const CLAUDE_CODE = probeClaude()

/** Skip `t` when Claude Code (or, with `needCurl`, curl) is missing, saying why on stdout too. */
function skipped(t: TestContext, needCurl: boolean): boolean {
  const reason =
    'skip' in CLAUDE_CODE
      ? CLAUDE_CODE.skip
      : needCurl && CURL === undefined
        ? 'curl is not on PATH (the command hooks run it)'
        : undefined
  if (reason === undefined) {
    t.diagnostic(`Claude Code ${'version' in CLAUDE_CODE ? CLAUDE_CODE.version : ''}`)
    return false
  }
  console.log(`claude-code.test: skipped: ${reason}`)
  t.skip(reason)
  return true
}

/** tsx as a file URL: `--import tsx` would be resolved from the child's cwd, a project outside the repository. */
const TSX = import.meta.resolve('tsx')

interface Run {
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
function run(
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

type Line = Record<string, unknown>

function parseLines(obs: Observatory): Line[] {
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

/** What one run of the scenario left behind, for the transport-specific checks. */
interface Outcome {
  lines: Line[]
  events: string[]
}

/**
 * Start the observatory and the fake API, install the hooks with `install --project --transport <transport>`,
 * run `claude -p`, and check what holds for every transport.
 */
async function scenario(
  t: TestContext,
  transport: 'unix' | 'http',
  required: readonly string[],
): Promise<Outcome> {
  const dir = tempDir(t, 'obs-cc-')
  const project = join(dir, 'project')
  const home = join(dir, 'home')
  const tmp = join(dir, 'tmp')
  for (const d of [project, home, tmp]) mkdirSync(d)
  const socket = join(dir, 'in.sock')

  const obs = await startCli(t, ['--socket', socket, '--port', '0'])
  const fake = await startFakeAnthropic()
  t.after(() => fake.close())

  const target =
    transport === 'unix' ? ['--socket', obs.unix.socketPath] : ['--port', String(obs.tcp.port)]
  const install = await run(
    t,
    process.execPath,
    ['--import', TSX, CLI, 'install', '--project', '--yes', '--transport', transport, ...target],
    { cwd: project, env: { PATH: process.env.PATH, HOME: home }, ms: 60_000 },
  )
  assert.equal(install.code, 0, `install exit status; stderr:\n${install.stderr}`)
  const settings = JSON.parse(readFileSync(join(project, '.claude/settings.json'), 'utf8'))
  assert.ok(settings.hooks?.PreToolUse, 'install wrote the hooks')

  const claude = await run(
    t,
    CLAUDE as string,
    ['-p', 'run echo', '--allowedTools', 'Bash', '--output-format', 'json'],
    {
      cwd: project,
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
      },
      ms: CLAUDE_TIMEOUT_MS,
    },
  )
  t.diagnostic(`fake API requests: ${fake.summary().join(', ')}`)
  const context = (): string =>
    `claude exit ${claude.code} ${claude.signal ?? ''}${claude.timedOut ? ' (timed out)' : ''}\n` +
    `claude stdout: ${claude.stdout.slice(0, 2000)}\nclaude stderr: ${claude.stderr.slice(-2000)}\n` +
    `fake API: ${fake.summary().join(', ')}\nobservatory stdout:\n${obs.stdout().slice(-4000)}\n` +
    `observatory stderr:\n${obs.stderr().slice(-2000)}`
  assert.equal(claude.timedOut, false, `claude -p ran past ${CLAUDE_TIMEOUT_MS} ms\n${context()}`)
  assert.equal(claude.code, 0, context())
  const result = JSON.parse(claude.stdout) as Line
  assert.equal(result.is_error, false, context())
  assert.equal(result.result, FAKE_ANSWER, context())
  assert.ok(
    fake.requests.some((r) => r.answer === 'tool_use') &&
      fake.requests.some((r) => r.answer === 'text'),
    `the fake API was asked for the tool call and for the answer\n${context()}`,
  )

  // Hooks run to completion before Claude Code goes on, but our copy of the observatory's stdout may lag.
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
  const lines = parseLines(obs)
  const events = lines.map((line) => String(line._event))
  t.diagnostic(`events (${transport}): ${events.join(', ')}`)
  if (events.includes('SessionEnd')) {
    assert.equal(events.at(-1), 'SessionEnd', `the session ends last: ${events.join(', ')}`)
  }

  // No hook request was refused.
  assert.doesNotMatch(obs.stderr(), /POST \/hook\S* HTTP\/1\.[01] [45]\d\d/, context())

  const sessionId = result.session_id
  assert.equal(typeof sessionId, 'string')
  const cwd = realpathSync(project)
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    assert.match(String(line._ts), TS_PATTERN, where)
    assert.equal(line.hook_event_name, line._event, where)
    assert.equal(line.session_id, sessionId, where)
    assert.equal(line.cwd, cwd, where)
    assert.equal(typeof line.transcript_path, 'string', where)
  }

  const prompt = lines.find((line) => line._event === 'UserPromptSubmit')!
  assert.equal(prompt.prompt, 'run echo')

  const pre = lines.find(
    (line) =>
      line._event === 'PreToolUse' &&
      line.tool_name === 'Bash' &&
      String((line.tool_input as Line | undefined)?.command).includes('hello-from-fake'),
  )
  assert.ok(pre, `a PreToolUse for Bash running ${FAKE_COMMAND}\n${context()}`)
  assert.equal(typeof pre.tool_use_id, 'string')
  const post = lines.find(
    (line) => line._event === 'PostToolUse' && line.tool_use_id === pre.tool_use_id,
  )
  assert.ok(post, `a PostToolUse with tool_use_id ${pre.tool_use_id}\n${context()}`)
  assert.equal(post.tool_name, 'Bash')
  assert.deepEqual(post.tool_input, pre.tool_input)
  assert.match(JSON.stringify(post.tool_response), /hello-from-fake/, 'the tool ran')
  for (const line of [prompt, pre, post]) assert.equal(typeof line.permission_mode, 'string')

  // The order the hooks must run in: the prompt, before and after the tool, the end of the turn.
  const order = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop'].map((event) =>
    events.indexOf(event),
  )
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    `events in order: ${events.join(', ')}`,
  )
  return { lines, events }
}

test('Claude Code drives the observatory: command hooks with curl over the Unix socket', {
  timeout: 240_000,
}, async (t) => {
  if (skipped(t, true)) return
  const required = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']
  const { lines, events } = await scenario(t, 'unix', required)
  assert.equal(events[0], 'SessionStart', `the session starts first: ${events.join(', ')}`)
  const start = lines[0]!
  assert.equal(start.source, 'startup')
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    // The sender is curl, a child of Claude Code, run by us.
    assert.ok(Number.isInteger(line._peer_pid) && Number(line._peer_pid) > 0, where)
    assert.equal(line._peer_uid, process.getuid?.(), where)
    assert.equal(line._peer_gid, process.getgid?.(), where)
  }
})

test('Claude Code drives the observatory: native HTTP hooks to the TCP port', {
  timeout: 240_000,
}, async (t) => {
  if (skipped(t, false)) return
  // No SessionStart here: Claude Code skips HTTP hooks for it.
  const required = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']
  const { lines, events } = await scenario(t, 'http', required)
  for (const line of lines) {
    const where = `line ${JSON.stringify(line).slice(0, 300)}`
    assert.equal(line._client, '127.0.0.1', where)
    assert.equal(line._peer_pid, undefined, where)
  }
  if (events.includes('SessionStart')) t.diagnostic('SessionStart arrived over an HTTP hook')
})

/**
 * Helpers for the observatory's end-to-end tests. Everything goes through real processes and sockets: the CLI
 * runs as a child process (`node --import tsx src/cli/main.ts serve …`), its banner on stderr tells where it
 * listens, and events are sent with node:http, raw sockets, fetch or curl. Every process, socket and temporary
 * directory a test makes is released when the test ends.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { hookCommand } from '../../src/observatory/install/hooks.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'src/cli/main.ts')

/** How long a test waits for anything it expects: generous, the machine is shared. */
export const WAIT_MS = 30_000

/** `_ts` as the original writes it. */
export const TS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `check` every 20 ms until it holds; fail naming `what` after `ms`. */
export async function eventually(
  check: () => boolean,
  what: string | (() => string),
  ms = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`,
      )
    }
    await sleep(20)
  }
}

/** A temporary directory removed after the test. Short, so socket paths stay under 108 bytes. */
export function tempDir(t: TestContext, prefix = 'obs-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The line with its `_ts` value replaced by `<TS>` (after checking its form), for exact comparisons. */
export function withoutTs(line: string): string {
  const match = /^\{"_ts":"([^"]*)"/.exec(line)
  assert.ok(match, `line starts with _ts: ${line.slice(0, 200)}`)
  assert.match(match[1]!, TS_PATTERN)
  return `{"_ts":"<TS>"${line.slice(match[0].length)}`
}

/** Complete lines of `text` (a trailing partial line is left out). */
export function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n')
  return end === -1 ? [] : text.slice(0, end).split('\n')
}

// ---- the CLI in a child process -----------------------------------------------------------------------

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

let stateRootDir: string | undefined
/** One temporary directory per test process for the children's state directories, removed when it exits. */
function stateRoot(): string {
  if (stateRootDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'observatory-test-state-'))
    stateRootDir = dir
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return stateRootDir
}

/**
 * Environment for a child: ours without the variables that would change the observatory's defaults, and a state
 * directory of its own (so the store each child opens by default is a fresh one in a temporary directory, never
 * the user's).
 */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  env.XDG_STATE_HOME = mkdtempSync(join(stateRoot(), 'state-'))
  for (const name of [
    'CLAUDE_UNIX_HOOK_WATCHER',
    'CLAUDE_REST_HOOK_WATCHER',
    'OBSERVATORY_TOKEN',
    'OBSERVATORY_DB',
    'NODE_OPTIONS',
    'NODE_TEST_CONTEXT',
  ]) {
    delete env[name]
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

/** A running `observatory serve`. */
export class Observatory {
  readonly child: ChildProcess
  readonly pid: number
  readonly exited: Promise<Exit>
  /** The TCP port from the banner, when it listens on TCP. */
  port: number | undefined
  /** The Unix socket from the banner, when it listens on one. */
  socket: string | undefined
  readonly #out: Buffer[] = []
  readonly #err: Buffer[] = []
  #exit: Exit | undefined

  /** True when the child leads a process group of its own, signalled as a whole (npm, npx and their child). */
  readonly #group: boolean

  constructor(child: ChildProcess, group = false) {
    this.child = child
    this.#group = group
    assert.ok(child.pid !== undefined, 'the child process started')
    this.pid = child.pid
    child.stdout?.on('data', (chunk: Buffer) => this.#out.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => this.#err.push(chunk))
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.#exit = { code, signal }
        resolve(this.#exit)
      })
    })
  }

  get running(): boolean {
    return this.#exit === undefined
  }

  stdoutBytes(): Buffer {
    return Buffer.concat(this.#out)
  }

  stdout(): string {
    return this.stdoutBytes().toString('utf8')
  }

  stderr(): string {
    return Buffer.concat(this.#err).toString('utf8')
  }

  /** Complete lines on stdout so far. */
  stdoutLines(): string[] {
    return completeLines(this.stdout())
  }

  /** How many times `pattern` occurs on stderr. */
  countStderr(pattern: RegExp): number {
    const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`
    return this.stderr().match(new RegExp(pattern.source, flags))?.length ?? 0
  }

  async waitForStderr(pattern: RegExp, count = 1): Promise<void> {
    await eventually(
      () => this.countStderr(pattern) >= count,
      () => `${count} × ${pattern} on stderr; stderr so far:\n${this.stderr().slice(-2000)}`,
    )
  }

  async waitForStdoutLines(count: number): Promise<string[]> {
    await eventually(
      () => this.stdoutLines().length >= count,
      () => `${count} lines on stdout (have ${this.stdoutLines().length})`,
    )
    return this.stdoutLines()
  }

  /** Send `signal` to the child (to its whole process group when it has one). */
  kill(signal: NodeJS.Signals): void {
    if (!this.#group) {
      this.child.kill(signal)
      return
    }
    try {
      process.kill(-this.pid, signal)
    } catch {
      // the group is gone already
    }
  }

  /** Send `signal` and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.running) this.kill(signal)
    return this.exited
  }

  /** Send `signal`, and check the process exits with status 0 (stderr in the failure message otherwise). */
  async stopCleanly(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const exit = await this.stop(signal)
    assert.deepEqual(
      exit,
      { code: 0, signal: null },
      `exit after ${signal}; stderr:\n${this.stderr().slice(-3000)}`,
    )
  }

  /** The TCP target; fails when the banner named no port. */
  get tcp(): { port: number } {
    assert.ok(this.port !== undefined, 'the observatory listens on TCP')
    return { port: this.port }
  }

  /** The Unix socket target; fails when the banner named no socket. */
  get unix(): { socketPath: string } {
    assert.ok(this.socket !== undefined, 'the observatory listens on a Unix socket')
    return { socketPath: this.socket }
  }
}

/**
 * Start `observatory serve ARGS` and wait for its banner (`… listening on <socket> and http://127.0.0.1:<port>`,
 * then `Press Ctrl+C to stop`). The process is stopped (SIGTERM, then SIGKILL) after the test if still running.
 */
export function startCli(
  t: TestContext,
  args: string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<Observatory> {
  return startServing(t, process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], options)
}

/**
 * Start any command line that runs `observatory serve` (`npx observatory …`, `npm start --silent -- …`) in the
 * repository, and wait for its banner. With `group`, the command runs in a process group of its own and is
 * stopped as a group: npm and npx do not pass every signal on to the process they start.
 */
export async function startServing(
  t: TestContext,
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; group?: boolean } = {},
): Promise<Observatory> {
  const group = options.group === true
  const child = spawn(command, args, {
    cwd: ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  })
  const obs = new Observatory(child, group)
  t.after(async () => {
    if (!obs.running) return
    obs.kill('SIGTERM')
    const timer = setTimeout(() => obs.kill('SIGKILL'), 10_000)
    await obs.exited
    clearTimeout(timer)
  })
  await eventually(
    () => !obs.running || /Press Ctrl\+C to stop/.test(obs.stderr()),
    () => `the banner; stderr so far:\n${obs.stderr()}`,
    // npx and npm start a shell, npm itself and tsx before the server: on a loaded machine that takes long.
    90_000,
  )
  assert.ok(obs.running, `observatory serve ${args.join(' ')} exited early:\n${obs.stderr()}`)
  const banner = /Claude Code Hooks Observatory listening on (.+)\n/.exec(obs.stderr())
  assert.ok(banner, `banner line in:\n${obs.stderr()}`)
  for (const where of banner[1]!.split(' and ')) {
    const tcp = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(where)
    if (tcp) obs.port = Number(tcp[1])
    else if (where.startsWith('/')) obs.socket = where
    else assert.fail(`unexpected listener in the banner: ${where}`)
  }
  return obs
}

/** Run the CLI to completion (for argument errors): exit code and output. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  return {
    code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  }
}

// ---- HTTP with node:http ------------------------------------------------------------------------------

export type Target = { port: number } | { socketPath: string }

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface RequestOptions {
  method?: string
  path?: string
  body?: string | Buffer
  headers?: Record<string, string>
  /** Default: a fresh connection per request (`agent: false`). */
  agent?: http.Agent | false
  /** False: no Host header at all. */
  setHost?: boolean
}

/** One request with node:http, over TCP (127.0.0.1) or the Unix socket. */
export function request(target: Target, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...('port' in target ? { host: '127.0.0.1', port: target.port } : target),
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: options.agent ?? false,
        setHost: options.setHost ?? true,
        timeout: WAIT_MS,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** POST a hook event: `payload` is sent as is when it is a string or bytes, else as JSON. */
export function postEvent(
  target: Target,
  event: string | undefined,
  payload: unknown,
  options: RequestOptions = {},
): Promise<Reply> {
  const body =
    typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload)
  return request(target, {
    method: 'POST',
    path: event === undefined ? '/hook' : `/hook?event=${event}`,
    ...options,
    body,
    headers: { 'Content-Type': 'application/json', ...options.headers },
  })
}

// ---- a raw keep-alive client --------------------------------------------------------------------------

export interface RawReply {
  status: number
  /** Lower-case name → value. */
  headers: Map<string, string>
  body: Buffer
}

/**
 * A keep-alive client on a plain socket: one request at a time, responses framed by Content-Length (every
 * observatory response has one). Interim 1xx responses are skipped.
 */
export class RawHttp {
  readonly socket: Socket
  #buffer: Buffer = Buffer.alloc(0)
  #waiting: (() => void) | undefined
  #ended = false

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
      this.#waiting?.()
    })
    const end = (): void => {
      this.#ended = true
      this.#waiting?.()
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
  }

  static connect(target: Target): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket =
        'port' in target ? connect(target.port, '127.0.0.1') : connect(target.socketPath)
      socket.once('connect', () => resolve(new RawHttp(socket)))
      socket.once('error', reject)
    })
  }

  /** Write `raw` and read one final response. */
  async send(raw: string | Buffer): Promise<RawReply> {
    this.socket.write(raw)
    for (;;) {
      const reply = this.#take()
      if (reply !== undefined) {
        if (reply.status >= 200) return reply
        continue
      }
      if (this.#ended) throw new Error('connection ended before a whole response')
      await new Promise<void>((resolve) => {
        this.#waiting = resolve
      })
      this.#waiting = undefined
    }
  }

  close(): void {
    this.socket.destroy()
  }

  #take(): RawReply | undefined {
    const headEnd = this.#buffer.indexOf('\r\n\r\n')
    if (headEnd === -1) return undefined
    const lines = this.#buffer.subarray(0, headEnd).toString('latin1').split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)
    assert.ok(status, `status line: ${lines[0]}`)
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
    }
    const code = Number(status[1])
    const length = code < 200 ? 0 : Number(headers.get('content-length') ?? Number.NaN)
    assert.ok(Number.isInteger(length), `a Content-Length in ${lines.join(' | ')}`)
    const end = headEnd + 4 + length
    if (this.#buffer.length < end) return undefined
    const body = Buffer.from(this.#buffer.subarray(headEnd + 4, end))
    this.#buffer = this.#buffer.subarray(end)
    return { status: code, headers, body }
  }
}

/** The bytes of a hook POST. */
export function hookBytes(
  event: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  let head = `POST /hook?event=${event} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  head += `Content-Length: ${data.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), data])
}

// ---- output-socket readers ----------------------------------------------------------------------------

/** A reader of the output socket that collects the lines it receives. */
export class Reader {
  readonly socket: Socket
  readonly #chunks: Buffer[] = []
  ended = false

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.#chunks.push(chunk))
    const end = (): void => {
      this.ended = true
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
  }

  /**
   * Connect to `obs`'s output socket at `path` and wait until the observatory announced this reader on stderr
   * (`Output reader connected (N total)`): events published before that are not for this reader.
   */
  static async connect(t: TestContext, obs: Observatory, path: string): Promise<Reader> {
    const before = obs.countStderr(/Output reader connected \(\d+ total\)/)
    const socket = connect(path)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const reader = new Reader(socket)
    t.after(() => socket.destroy())
    await obs.waitForStderr(/Output reader connected \(\d+ total\)/, before + 1)
    return reader
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8')
  }

  lines(): string[] {
    return completeLines(this.text())
  }

  async waitForLines(count: number, ms = WAIT_MS): Promise<string[]> {
    await eventually(
      () => this.lines().length >= count,
      () => `${count} lines at the reader (have ${this.lines().length})`,
      ms,
    )
    return this.lines()
  }
}

// ---- curl, as the hooks run it ------------------------------------------------------------------------

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, program))) return join(dir, program)
  }
  return undefined
}

export const CURL = which('curl')

/**
 * The hook's shell command, as `observatory install` writes it (and as the original's configs have it), minus
 * the trailing `|| true` so that curl's exit status is seen.
 */
export function curlHookCommand(target: Target, event: string): string {
  const command = hookCommand(
    'port' in target
      ? { transport: 'tcp', socketPath: '', host: '127.0.0.1', port: target.port }
      : { transport: 'unix', socketPath: target.socketPath, host: '', port: 0 },
    event,
  )
  assert.match(command, / \|\| true$/)
  return command.slice(0, -' || true'.length)
}

/**
 * Run the hook command through `/bin/sh -c` with `payload` on its stdin, as Claude Code runs command hooks.
 * Resolves with curl's exit status, its output, and the pid of the shell.
 */
export function runCurlHook(
  target: Target,
  event: string,
  payload: string | Buffer,
): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  const command = curlHookCommand(target, event)
  assert.match(
    command,
    /^curl -s --connect-timeout 0\.5 --max-time 3 (--unix-socket \S+ )?-X POST -H 'Content-Type: application\/json' -d @- 'http:\/\/[^']+\/hook\?event=[^']+'$/,
  )
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  child.stdin.on('error', () => {})
  child.stdin.end(payload)
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS)
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        pid: child.pid ?? -1,
      })
    })
  })
}

/**
 * # Observatory ingest benchmark
 *
 *   node --import tsx bench/observatory.ts [--quick] [--cpu-prof] [--only close,keepalive,paced] [--tcp-only]
 *                                          [--outputs full|stdout] [--store on|memory|on,memory]
 *                                          [--python DIR [--python-rounds 2]] [--syscalls] [--floor]
 *
 * `--syscalls` counts the server's system calls per event (perf stat); `--floor` adds the same keep-alive load
 * against bench/servers/ingest-floor.ts (the transport alone, answering `200 {}`): the floor under our cost.
 *
 * `--python DIR` (or OBSERVATORY_PYTHON_ORIGINAL=DIR) then runs bench/python-original.ts: this observatory against
 * the Python original (a checkout of edu-samples/claude-code-hooks-observatory) on the Unix socket, one request per
 * connection and keep-alive, interleaved rounds. Without a checkout that part is skipped, with the reason printed.
 *
 * What runs: `observatory serve` in a child process exactly as a user starts it, with `--log FILE` and
 * `--output-socket PATH` with one reader attached (socat writing to a file, or a small Node reader without
 * socat), stdout to /dev/null. Both lossless and lossy paths are therefore exercised on every event. The store is
 * on, as it is by default: the server is given no `--db`, and finds its database where a user's would be, under
 * `$XDG_STATE_HOME`, which the child gets pointed into its temporary directory (with `OBSERVATORY_DB`, the token
 * and the socket/port variables unset): the user's own store is never touched. `--store memory` runs with
 * `--no-db` (an in-memory store), `--store off` with `--no-store` (no history at all: what the issue's targets
 * were set for); `--store on,memory,off` runs them one after the other, for each scenario and transport.
 * Each scenario gets a fresh server, over TCP and then over the Unix socket:
 *
 * - `close`: one request per connection (connect, POST, read the 200, close), like a curl hook, 8 senders.
 * - `keepalive`: 16 keep-alive connections, each sending its next event as soon as the previous one was answered.
 * - `paced`: 1,000 events/s (open loop: sends are scheduled, not triggered by answers) over a pool of keep-alive
 *   connections, for the latency under light load.
 *
 * The client is this process on raw node:net sockets (no fetch, no http.Agent): small fixed requests, responses
 * framed by their empty `Content-Length: 0` body. Latency is from the first byte written (for `close`, from the
 * connect) to the whole response read. Each event carries a unique id; after each run every id must be in the
 * log exactly once, at the reader exactly once, and in the store exactly once (`on`: the database file read after
 * the server stopped, with its full-text index complete; `memory`: paged out of `/api/events` before the stop), or
 * the run is reported as failed. With the store on, the database's size per event is reported (after the stop,
 * and while running: file + WAL at the end of the run), with how far the full-text index lagged at that moment
 * and how long the stop took (the index is caught up at close).
 *
 * Writes a Markdown table to stdout and to bench/results/observatory-latest.md. With --cpu-prof, the server runs
 * under `node --cpu-prof` and the top self-time functions of each measured run are added. `--outputs stdout`
 * runs the server with stdout (to a file) as its only output, for comparison (observatory-stdout-latest.md).
 * `--store memory` alone writes observatory-memory-latest.md (or observatory-stdout-memory-latest.md), `--store off`
 * alone observatory-nostore-latest.md.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { request } from 'node:http'
import type { Socket } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { DB_ENV, PORT_ENV, SOCKET_ENV, TOKEN_ENV } from '../src/observatory/defaults.ts'
import { HookTraffic, openSocket, type Target } from './lib/hook-events.ts'
import { readCpuSeconds } from './lib/proc.ts'
import { topSelfTime } from './lib/profile.ts'
import { compareWithOriginal, ORIGINAL_ENV } from './python-original.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    syscalls: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    only: { type: 'string' },
    'tcp-only': { type: 'boolean', default: false },
    outputs: { type: 'string', default: 'full' },
    store: { type: 'string', default: 'on' },
    python: { type: 'string' },
    'python-rounds': { type: 'string', default: '2' },
  },
})
/** `full`: log file + output-socket reader (stdout to /dev/null). `stdout`: stdout to a file, nothing else. */
const OUTPUTS = args.outputs === 'stdout' ? 'stdout' : 'full'
const QUICK = args.quick === true

/** `on`: a database file (the product's default); `memory`: `--no-db`, an in-memory store; `off`: `--no-store`. */
type StoreMode = 'on' | 'memory' | 'off'
const STORE_MODES: StoreMode[] = (args.store ?? 'on').split(',').map((mode) => {
  if (mode === 'on' || mode === 'memory' || mode === 'off') return mode
  throw new Error(`--store must be on, memory, off or a list of them (on,memory), not "${mode}"`)
})

type Transport = 'tcp' | 'unix'
type Kind = 'close' | 'keepalive' | 'paced'

interface Scenario {
  kind: Kind
  title: string
  /** Events measured (after the warm-up). */
  events: number
  /** Concurrent senders (connections). */
  concurrency: number
  /** Events per second for `paced`. */
  rate?: number
}

const SCENARIOS: Scenario[] = [
  {
    kind: 'close',
    title: 'one request per connection (like curl), 8 concurrent senders',
    events: QUICK ? 3_000 : 20_000,
    concurrency: 8,
  },
  {
    kind: 'keepalive',
    title: '16 keep-alive connections, as fast as answers come',
    events: QUICK ? 30_000 : 200_000,
    concurrency: 16,
  },
  {
    kind: 'paced',
    title: '1,000 events/s, paced, keep-alive pool of 8',
    events: QUICK ? 3_000 : 10_000,
    concurrency: 8,
    rate: 1_000,
  },
]
const WARMUP = QUICK ? 2_000 : 10_000
/** Keep-alive, with the log and a reader attached; the issue sets it with the store off (`memory` here). */
const TARGET_RATE = 35_000
/** Server CPU (all threads) per event in the keep-alive run, in microseconds. */
const TARGET_CPU_US = 20
const TARGET_P99_MS = 1

// ---- raw clients ----------------------------------------------------------------------------------------

/** One keep-alive connection with at most one request in flight. */
class Connection {
  readonly socket: Socket
  #text = ''
  #resolve: ((ok: boolean) => void) | undefined

  constructor(socket: Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      this.#text += chunk
      const end = this.#text.indexOf('\r\n\r\n')
      if (end === -1) return
      // Every hook answer is `200` with `Content-Length: 0`: the head is the whole response.
      const head = this.#text.slice(0, end)
      this.#text = this.#text.slice(end + 4)
      const ok = head.startsWith('HTTP/1.1 200 ') && head.includes('\r\nContent-Length: 0')
      const resolve = this.#resolve
      this.#resolve = undefined
      resolve?.(ok)
    })
    const fail = (): void => {
      const resolve = this.#resolve
      this.#resolve = undefined
      resolve?.(false)
    }
    socket.on('close', fail)
    socket.on('error', fail)
  }

  /** False once the connection closed (the server ends keep-alive connections idle for 5 s). */
  get open(): boolean {
    return !this.socket.destroyed
  }

  send(request: string): Promise<boolean> {
    // A destroyed socket emits nothing more: without this check the promise would never settle.
    if (this.socket.destroyed) return Promise.resolve(false)
    return new Promise((resolve) => {
      this.#resolve = resolve
      this.socket.write(request, 'latin1')
    })
  }
}

interface RunResult {
  latenciesMs: Float64Array
  seconds: number
  errors: number
  ids: string[]
}

/** Latencies are collected into a preallocated array: no allocation per event beyond the request itself. */
class Recorder {
  readonly latencies: Float64Array
  readonly ids: string[] = []
  count = 0
  errors = 0
  constructor(capacity: number) {
    this.latencies = new Float64Array(capacity)
  }
  record(ms: number): void {
    this.latencies[this.count++] = ms
  }
}

async function runKeepAlive(
  target: Target,
  tag: string,
  events: number,
  connections: number,
): Promise<RunResult> {
  const rec = new Recorder(events)
  let next = 0
  const pool = await Promise.all(
    Array.from({ length: connections }, async () => new Connection(await openSocket(target))),
  )
  const started = performance.now()
  await Promise.all(
    pool.map(async (conn, sender) => {
      const traffic = new HookTraffic(sender, tag)
      while (next < events) {
        const id = `${tag}-${next++}`
        rec.ids.push(id)
        const request = traffic.next(id)
        const t0 = performance.now()
        const ok = await conn.send(request)
        rec.record(performance.now() - t0)
        if (!ok) rec.errors++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  for (const conn of pool) conn.socket.destroy()
  return {
    latenciesMs: rec.latencies.subarray(0, rec.count),
    seconds,
    errors: rec.errors,
    ids: rec.ids,
  }
}

async function runClose(
  target: Target,
  tag: string,
  events: number,
  senders: number,
): Promise<RunResult> {
  const rec = new Recorder(events)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      const traffic = new HookTraffic(sender, tag)
      while (next < events) {
        const id = `${tag}-${next++}`
        rec.ids.push(id)
        const request = traffic.next(id)
        const t0 = performance.now()
        let ok = false
        try {
          const conn = new Connection(await openSocket(target))
          ok = await conn.send(request)
          conn.socket.destroy()
        } catch {
          ok = false
        }
        rec.record(performance.now() - t0)
        if (!ok) rec.errors++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  return {
    latenciesMs: rec.latencies.subarray(0, rec.count),
    seconds,
    errors: rec.errors,
    ids: rec.ids,
  }
}

async function runPaced(
  target: Target,
  tag: string,
  events: number,
  poolSize: number,
  rate: number,
): Promise<RunResult> {
  const rec = new Recorder(events)
  const idle = await Promise.all(
    Array.from({ length: poolSize }, async () => new Connection(await openSocket(target))),
  )
  const all = [...idle]
  const waiting: ((conn: Connection) => void)[] = []
  const release = (conn: Connection): void => {
    const waiter = waiting.shift()
    if (waiter !== undefined) waiter(conn)
    else idle.push(conn)
  }
  // First in, first out: every connection is used in turn. One that the server closed meanwhile is replaced.
  const acquire = async (): Promise<Connection> => {
    const conn = idle.shift() ?? (await new Promise<Connection>((resolve) => waiting.push(resolve)))
    if (conn.open) return conn
    const fresh = new Connection(await openSocket(target))
    all.push(fresh)
    return fresh
  }

  const traffic = Array.from({ length: poolSize }, (_, sender) => new HookTraffic(sender, tag))
  const intervalMs = 1000 / rate
  const inFlight: Promise<void>[] = []
  const started = performance.now()
  for (let i = 0; i < events; i++) {
    const due = started + i * intervalMs
    // Sleep until the send is due, without spinning: a busy-waiting client would take the CPU the server needs
    // on a small machine. Timers fire with about 1 ms granularity, so sends leave in small bursts at worst.
    while (performance.now() < due) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(1, Math.floor(due - performance.now()))),
      )
    }
    const conn = await acquire()
    const id = `${tag}-${i}`
    rec.ids.push(id)
    const request = traffic[i % poolSize]!.next(id)
    const t0 = performance.now()
    inFlight.push(
      conn.send(request).then((ok) => {
        rec.record(performance.now() - t0)
        if (!ok) rec.errors++
        release(conn)
      }),
    )
  }
  await Promise.all(inFlight)
  const seconds = (performance.now() - started) / 1000
  for (const conn of all) conn.socket.destroy()
  return {
    latenciesMs: rec.latencies.subarray(0, rec.count),
    seconds,
    errors: rec.errors,
    ids: rec.ids,
  }
}

// ---- the server and its reader ------------------------------------------------------------------------

const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].find((p) => existsSync(p))

interface Server {
  child: ChildProcess
  stderr: () => string
  tcp: { port: number }
  unix: { path: string }
  /** The lossless output checked after a run: the log (full) or the file stdout goes to (stdout). */
  log: string
  readerFile: string | undefined
  reader: ChildProcess | undefined
  profileDir: string | undefined
  store: StoreMode
  /** The database the server finds by default under $XDG_STATE_HOME (store `on`). */
  db: string
}

function waitFor(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`))
      else setTimeout(poll, 20)
    }
    poll()
  })
}

/**
 * The child's environment: the user's own store, socket, port and token must not reach it. Its state directory
 * (where the default store lives) is in the temporary directory.
 */
function serverEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    XDG_STATE_HOME: join(dir, 'state'),
  }
  for (const name of [DB_ENV, TOKEN_ENV, SOCKET_ENV, PORT_ENV]) delete env[name]
  return env
}

async function startServer(dir: string, profile: boolean, store: StoreMode): Promise<Server> {
  const log = join(dir, 'events.jsonl')
  const out = join(dir, 'out.sock')
  const inSock = join(dir, 'in.sock')
  const profileDir = profile ? join(dir, 'prof') : undefined
  const nodeArgs = ['--import', 'tsx']
  if (profileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
  const full = OUTPUTS === 'full'
  const stdoutFile = join(dir, 'stdout.jsonl')
  const stdout = openSync(full ? '/dev/null' : stdoutFile, 'w')
  const outputs = full
    ? // Rotation stays on (the default 10 MiB per file); enough files are kept that no event of a run is deleted.
      ['--output-socket', out, '--log', log, '--log-max-files', '1000']
    : []
  // `on`: no --db, so the server takes the default path, as a user's would ($XDG_STATE_HOME/hooks-observatory/).
  const storeArgs = store === 'memory' ? ['--no-db'] : store === 'off' ? ['--no-store'] : []
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      CLI,
      'serve',
      '--socket',
      inSock,
      '--port',
      '0',
      ...outputs,
      ...storeArgs,
      '--quiet',
    ],
    { cwd: ROOT, stdio: ['ignore', stdout, 'pipe'], env: serverEnv(dir) },
  )
  closeSync(stdout)
  let err = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    err += chunk
  })
  await waitFor(() => /Press Ctrl\+C to stop/.test(err) || child.exitCode !== null, 'the banner')
  const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(err)
  if (port === null) throw new Error(`the observatory did not start:\n${err}`)

  const base = {
    child,
    stderr: () => err,
    tcp: { port: Number(port[1]) },
    unix: { path: inSock },
    profileDir,
    store,
    db: join(dir, 'state', 'hooks-observatory', 'events.db'),
  }
  if (!full) return { ...base, log: stdoutFile, readerFile: undefined, reader: undefined }
  const readerFile = join(dir, 'reader.jsonl')
  const reader =
    SOCAT !== undefined
      ? spawn(SOCAT, ['-u', `UNIX-CONNECT:${out}`, `CREATE:${readerFile}`], { stdio: 'ignore' })
      : spawn(
          process.execPath,
          [
            '-e',
            `const s=require('net').connect(process.argv[1]);s.pipe(require('fs').createWriteStream(process.argv[2]))`,
            out,
            readerFile,
          ],
          { stdio: 'ignore' },
        )
  await waitFor(() => /Output reader connected \(1 total\)/.test(err), 'the reader to connect')
  return { ...base, log, readerFile, reader }
}

/** Stops the server; `stopMs` is SIGINT → exit (with the store on, that includes catching its index up). */
async function stopServer(server: Server): Promise<{ code: number | null; stopMs: number }> {
  const exited = new Promise<number | null>((resolve) => server.child.on('close', resolve))
  const t0 = performance.now()
  server.child.kill('SIGINT')
  const code = await exited
  const stopMs = performance.now() - t0
  // The reader sees EOF when the output socket closes; it may need a moment to finish writing its file.
  const reader = server.reader
  if (reader !== undefined && reader.exitCode === null) {
    const done = new Promise<void>((resolve) => reader.on('close', () => resolve()))
    const timer = setTimeout(() => reader.kill('SIGKILL'), 5_000)
    await done
    clearTimeout(timer)
  }
  return { code, stopMs }
}

/** The log and its rotated files (FILE.N … FILE.1, FILE), oldest first. */
function logFiles(log: string): string[] {
  const dir = dirname(log)
  const name = basename(log)
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(`${name}.`) && /^\d+$/.test(f.slice(name.length + 1)))
    .map((f) => Number(f.slice(name.length + 1)))
    .sort((a, b) => b - a)
    .map((n) => `${log}.${n}`)
  return [...rotated, log]
}

/** Count the ids in JSONL files: each must appear exactly once. */
function checkIds(files: string[], expected: readonly string[]): string {
  const text = files.map((file) => (existsSync(file) ? readFileSync(file, 'latin1') : '')).join('')
  return checkLines(splitLines(text), expected)
}

function* splitLines(text: string): Generator<string> {
  let start = 0
  for (;;) {
    const end = text.indexOf('\n', start)
    if (end === -1) return
    yield text.slice(start, end)
    start = end + 1
  }
}

/** Every expected id in exactly one of the lines, and no other line. */
function checkLines(all: Iterable<string>, expected: readonly string[]): string {
  const seen = new Map<string, number>()
  let lines = 0
  for (const line of all) {
    lines++
    const m = /"id":"([^"]+)"/.exec(line)
    if (m === null) return `line ${lines} has no id`
    seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1)
  }
  let missing = 0
  let doubled = 0
  for (const id of expected) {
    const n = seen.get(id) ?? 0
    if (n === 0) missing++
    else if (n > 1) doubled++
  }
  if (missing > 0 || doubled > 0 || lines !== expected.length) {
    return `${missing} missing, ${doubled} duplicated, ${lines} lines for ${expected.length} events`
  }
  return 'ok'
}

function lineCount(file: string): number {
  if (!existsSync(file)) return 0
  const buffer = readFileSync(file)
  let n = 0
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) n++
  return n
}

// ---- the store ---------------------------------------------------------------------------------------------

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** The largest id and the full-text index's last id, read on a connection of our own (read only). */
function indexProgress(conn: Database.Database): { last: number; indexed: number } {
  const last = conn.prepare('SELECT max(id) FROM events').pluck().get() as number | null
  const indexed = conn.prepare("SELECT value FROM meta WHERE key = 'fts_indexed'").pluck().get()
  return { last: last ?? 0, indexed: Number(indexed ?? 0) }
}

/**
 * While the server runs (at the end of the measured run): the database's bytes on disk (file + WAL), and how many
 * committed events the full-text index (built off the hot path) had not reached yet.
 */
function storeWhileRunning(db: string): { bytes: number; indexLag: number } {
  const bytes = fileSize(db) + fileSize(`${db}-wal`)
  let indexLag = Number.NaN
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true })
    try {
      const { last, indexed } = indexProgress(conn)
      indexLag = last - indexed
    } finally {
      conn.close()
    }
  } catch {
    // Reported as unknown (–).
  }
  return { bytes, indexLag }
}

/** After the server stopped: every id in the database file exactly once, and the full-text index complete. */
function checkStoreFile(db: string, expected: readonly string[]): { check: string; bytes: number } {
  if (!existsSync(db)) return { check: `no database at ${db}`, bytes: Number.NaN }
  const bytes = fileSize(db) + fileSize(`${db}-wal`)
  const conn = new Database(db, { readonly: true, fileMustExist: true })
  try {
    const lines = conn
      .prepare('SELECT line FROM events ORDER BY id')
      .pluck()
      .iterate() as IterableIterator<string>
    let check = checkLines(lines, expected)
    if (check === 'ok') {
      const { last, indexed } = indexProgress(conn)
      if (indexed !== last) check = `full-text index at id ${indexed} of ${last}`
    }
    return { check, bytes }
  } finally {
    conn.close()
  }
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      )
      res.on('error', reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`timed out: GET ${path}`)))
    req.on('error', reject)
    req.end()
  })
}

/** An in-memory store (`--no-db`) cannot be read after the stop: page every event out of the API before it. */
async function checkStoreApi(port: number, expected: readonly string[]): Promise<string> {
  const lines: string[] = []
  let after = 0
  const pages = Math.ceil(expected.length / 1000) + 5
  for (let page = 0; page < pages; page++) {
    const res = await httpGet(port, `/api/events?after=${after}&limit=1000`)
    if (res.status !== 200) return `GET /api/events: HTTP ${res.status}`
    const body = JSON.parse(res.body) as { events: { data: unknown }[]; next: number | null }
    for (const event of body.events) lines.push(JSON.stringify(event.data))
    if (body.next === null) break
    after = body.next
  }
  return checkLines(lines, expected)
}

// ---- CPU profile: top self time ------------------------------------------------------------------------

/** CPU seconds of a process's main thread alone (Linux): /proc/PID/task/PID/stat, utime + stime. */
function mainThreadCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'latin1')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN
  }
}

// ---- the runs ------------------------------------------------------------------------------------------

interface Row {
  scenario: Scenario
  transport: Transport
  events: number
  rate: number
  p50: number
  p99: number
  max: number
  errors: number
  log: string
  reader: string
  store: StoreMode
  /** Every id in the store exactly once (and, for a file, its full-text index complete). */
  storeCheck: string
  /** The database's bytes per event after the stop (file; store `on`). */
  storeBytesPerEvent: number
  /** File + WAL per event at the end of the measured run. */
  runningBytesPerEvent: number
  /** Committed events not yet in the full-text index at the end of the measured run. */
  indexLag: number
  /** SIGINT → exit. */
  stopMs: number
  /** Server CPU during the measured run, in cores (1 = one core busy all the time), all threads. */
  serverCpu: number
  /** The server's main thread (JavaScript) alone. */
  serverMainCpu: number
  /** This process (the client) during the measured run, in cores. */
  clientCpu: number
  profile?: string[]
  /** `--syscalls`: the server's system calls per event during the measured run, most frequent first. */
  syscalls?: string[]
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function runScenario(
  scenario: Scenario,
  transport: Transport,
  store: StoreMode,
  tag: string,
): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-bench-'))
  try {
    const server = await startServer(dir, args['cpu-prof'] === true, store)
    const target: Target = transport === 'tcp' ? server.tcp : server.unix
    const warm = await runKeepAlive(target, `${tag}w`, WARMUP, 8)
    const tracer =
      args.syscalls === true ? await startSyscallCounter(server.child.pid!, dir) : undefined
    const cpu0 = readCpuSeconds(server.child.pid!) ?? Number.NaN
    const main0 = mainThreadCpuSeconds(server.child.pid!)
    const client0 = process.cpuUsage()
    const window0 = Number(process.hrtime.bigint() / 1000n)
    let result: RunResult
    switch (scenario.kind) {
      case 'close':
        result = await runClose(target, tag, scenario.events, scenario.concurrency)
        break
      case 'keepalive':
        result = await runKeepAlive(target, tag, scenario.events, scenario.concurrency)
        break
      case 'paced':
        result = await runPaced(target, tag, scenario.events, scenario.concurrency, scenario.rate!)
        break
    }
    const window1 = Number(process.hrtime.bigint() / 1000n)
    const syscalls = tracer === undefined ? undefined : await tracer.stop()
    const serverCpu = ((readCpuSeconds(server.child.pid!) ?? Number.NaN) - cpu0) / result.seconds
    const serverMainCpu = (mainThreadCpuSeconds(server.child.pid!) - main0) / result.seconds
    const client = process.cpuUsage(client0)
    const clientCpu = (client.user + client.system) / 1e6 / result.seconds
    const running =
      store === 'on' ? storeWhileRunning(server.db) : { bytes: Number.NaN, indexLag: Number.NaN }
    const expected = [...warm.ids, ...result.ids]
    // Acknowledged means written already; the reader is lossy and asynchronous: give it time to catch up.
    const log = checkIds(logFiles(server.log), expected)
    let reader = 'n/a'
    const readerFile = server.readerFile
    if (readerFile !== undefined) {
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline && lineCount(readerFile) < expected.length) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      reader = checkIds([readerFile], expected)
    }
    let storeCheck = store === 'memory' ? await checkStoreApi(server.tcp.port, expected) : 'n/a'
    const { code, stopMs } = await stopServer(server)
    if (code !== 0) throw new Error(`the observatory exited with ${code}:\n${server.stderr()}`)
    let storeBytes = Number.NaN
    if (store === 'on') {
      const file = checkStoreFile(server.db, expected)
      storeCheck = file.check
      storeBytes = file.bytes
    }
    const sorted = Float64Array.from(result.latenciesMs).sort()
    const row: Row = {
      scenario,
      transport,
      events: result.latenciesMs.length,
      rate: result.latenciesMs.length / result.seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      errors: result.errors + warm.errors,
      log,
      reader,
      store,
      storeCheck,
      storeBytesPerEvent: storeBytes / expected.length,
      runningBytesPerEvent: running.bytes / expected.length,
      indexLag: running.indexLag,
      stopMs,
      serverCpu,
      serverMainCpu,
      clientCpu,
    }
    if (syscalls !== undefined) row.syscalls = syscallTable(syscalls, row.events)
    if (server.profileDir !== undefined)
      row.profile = topSelfTime(server.profileDir, [window0, window1], {
        top: 15,
        root: ROOT,
        footer: 'of samples in the measured run',
      })
    return row
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The system calls `--syscalls` counts, besides all of them together. */
const COUNTED_SYSCALLS = [
  'write',
  'writev',
  'read',
  'epoll_pwait',
  'epoll_wait',
  'epoll_ctl',
  'accept4',
  'close',
  'shutdown',
  'getpeername',
  'getsockname',
  'getsockopt',
  'setsockopt',
  'futex',
]

/**
 * `--syscalls`: `perf stat` counting the server's system-call tracepoints (all threads) over the measured run. The
 * counts per event are the measurement that survives a noisy machine (a write saved is saved on any machine).
 * perf's tracepoint counters cost little, unlike strace, which slows the server so much that batching changes.
 */
async function startSyscallCounter(pid: number, dir: string): Promise<{ stop(): Promise<string> }> {
  const out = join(dir, 'perf.txt')
  const events = [
    'raw_syscalls:sys_enter',
    ...COUNTED_SYSCALLS.map((name) => `syscalls:sys_enter_${name}`),
  ]
  const counter = spawn(
    'perf',
    ['stat', '-x', ',', '-o', out, '-e', events.join(','), '-p', String(pid)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let err = ''
  counter.stderr?.setEncoding('utf8')
  counter.stderr?.on('data', (chunk: string) => {
    err += chunk
  })
  const spawned = await new Promise<boolean>((resolve) => {
    counter.once('spawn', () => resolve(true))
    counter.once('error', () => resolve(false))
  })
  if (!spawned) throw new Error('--syscalls needs perf (apt-get install linux-perf) and root')
  // perf prints nothing when it attached; give it a moment, then check it is still there.
  await new Promise((resolve) => setTimeout(resolve, 300))
  if (counter.exitCode !== null) throw new Error(`perf stat could not attach: ${err.trim()}`)
  return {
    async stop() {
      const exited = new Promise((resolve) => counter.once('exit', resolve))
      counter.kill('SIGINT')
      await exited
      return readFileSync(out, 'utf8')
    },
  }
}

/** `perf stat -x ,`'s lines (count,unit,event,...) → "calls/event  name" lines, most frequent first. */
function syscallTable(summary: string, events: number): string[] {
  const rows: { name: string; calls: number }[] = []
  for (const line of summary.split('\n')) {
    const [count, , event] = line.split(',')
    if (event === undefined || !/^\d+$/.test(count ?? '')) continue
    const name =
      event === 'raw_syscalls:sys_enter' ? 'all' : event.replace('syscalls:sys_enter_', '')
    rows.push({ name, calls: Number(count) })
  }
  rows.sort((a, b) => b.calls - a.calls)
  return rows
    .filter((r) => r.calls > 0)
    .map((r) => `${(r.calls / events).toFixed(3).padStart(8)}  ${r.name}`)
}

/** Server CPU (all threads) per event of the measured run, in microseconds. */
function cpuPerEventUs(r: Row): number {
  return (r.serverCpu / r.rate) * 1e6
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–'
}

const once = (check: string): string => (check === 'ok' ? 'exactly once' : check)

function table(rows: Row[]): string {
  const lines = [
    `| scenario | transport | store | events | events/s | p50 ms | p99 ms | max ms | server CPU (main thread) | server CPU µs/event | client CPU | errors | ${OUTPUTS === 'full' ? 'log' : 'stdout'} | reader | store check |`,
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.scenario.kind}: ${r.scenario.title} | ${r.transport} | ${r.store} | ${r.events.toLocaleString('en-US')} | ` +
        `${Math.round(r.rate).toLocaleString('en-US')} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.max, 1)} | ` +
        `${fmt(r.serverCpu * 100, 0)}% (${fmt(r.serverMainCpu * 100, 0)}%) | ${fmt(cpuPerEventUs(r), 1)} | ${fmt(r.clientCpu * 100, 0)}% | ` +
        `${r.errors} | ${once(r.log)} | ${once(r.reader)} | ${once(r.storeCheck)} |`,
    )
  }
  return lines.join('\n')
}

/** The database file's side of the runs with the store on. */
function storeTable(rows: Row[]): string {
  const lines = [
    '| scenario | transport | events stored | bytes/event after the stop | bytes/event at the end of the run (file + WAL) | full-text index lag at the end of the run | stop ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  for (const r of rows.filter((r) => r.store === 'on')) {
    const stored = r.events + WARMUP
    lines.push(
      `| ${r.scenario.kind} | ${r.transport} | ${stored.toLocaleString('en-US')} | ${fmt(r.storeBytesPerEvent, 0)} | ` +
        `${fmt(r.runningBytesPerEvent, 0)} | ${Number.isFinite(r.indexLag) ? `${r.indexLag.toLocaleString('en-US')} events` : '–'} | ` +
        `${fmt(r.stopMs, 0)} |`,
    )
  }
  return lines.join('\n')
}

/** `--floor`: one keep-alive run against bench/servers/ingest-floor.ts (our transport, body read, `200 {}`). */
interface FloorRow {
  transport: Transport
  rate: number
  p99: number
  cpuUs: number
}

/**
 * The floor under the observatory's cost per event: the same keep-alive load against a server on the same
 * transport that reads each body and answers `200 {}`, doing nothing else. What `observatory serve` costs above it
 * is what parsing, the sessions, the outputs and the rest of the application add.
 */
async function runFloor(transport: Transport, tag: string): Promise<FloorRow> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-floor-'))
  const path = join(dir, 'in.sock')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/servers/ingest-floor.ts'), '--socket', path],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  )
  try {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    await waitFor(() => /LISTENING \d+/.test(out) || child.exitCode !== null, 'the floor server')
    const port = /LISTENING (\d+)/.exec(out)
    if (port === null) throw new Error('the floor server did not start')
    const target: Target = transport === 'tcp' ? { port: Number(port[1]) } : { path }
    const keepalive = SCENARIOS.find((sc) => sc.kind === 'keepalive')!
    await runKeepAlive(target, `${tag}w`, WARMUP, 8)
    const cpu0 = readCpuSeconds(child.pid!) ?? Number.NaN
    const result = await runKeepAlive(target, tag, keepalive.events, keepalive.concurrency)
    const cpu = ((readCpuSeconds(child.pid!) ?? Number.NaN) - cpu0) / result.seconds
    const sorted = Float64Array.from(result.latenciesMs).sort()
    const rate = result.latenciesMs.length / result.seconds
    return { transport, rate, p99: percentile(sorted, 99), cpuUs: (cpu / rate) * 1e6 }
  } finally {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const only = args.only?.split(',')
  const scenarios = SCENARIOS.filter((s) => only === undefined || only.includes(s.kind))
  const transports: Transport[] = args['tcp-only'] === true ? ['tcp'] : ['tcp', 'unix']
  const rows: Row[] = []
  const loadBefore = loadavg()
  let n = 0
  for (const scenario of scenarios) {
    for (const transport of transports) {
      for (const store of STORE_MODES) {
        process.stderr.write(`${scenario.kind} over ${transport}, store ${store}…\n`)
        const row = await runScenario(scenario, transport, store, `r${n++}`)
        rows.push(row)
        process.stderr.write(
          `  ${Math.round(row.rate)} events/s, p50 ${fmt(row.p50, 3)} ms, p99 ${fmt(row.p99, 3)} ms; ` +
            `log ${row.log}; reader ${row.reader}; store ${row.storeCheck}` +
            (store === 'on'
              ? `, ${fmt(row.storeBytesPerEvent, 0)} B/event, index lag ${row.indexLag}, stop ${fmt(row.stopMs, 0)} ms`
              : '') +
            '\n',
        )
        if (row.syscalls !== undefined) {
          process.stderr.write(`  system calls per event:\n    ${row.syscalls.join('\n    ')}\n`)
        }
        if (row.profile !== undefined) {
          process.stderr.write(
            `  server self time, top functions:\n    ${row.profile.join('\n    ')}\n`,
          )
        }
      }
    }
  }
  const floors: FloorRow[] = []
  if (args.floor === true) {
    for (const transport of transports) {
      process.stderr.write(`floor (bench/servers/ingest-floor.ts) over ${transport}…\n`)
      const floor = await runFloor(transport, `f${n++}`)
      floors.push(floor)
      process.stderr.write(
        `  ${Math.round(floor.rate)} events/s, p99 ${fmt(floor.p99, 3)} ms, ${fmt(floor.cpuUs, 1)} µs CPU/event\n`,
      )
    }
  }
  const loadAfter = loadavg()

  const verdicts: string[] = []
  const storeName = (r: Row) =>
    r.store === 'on' ? 'the store' : r.store === 'memory' ? 'the in-memory store' : 'no store'
  for (const r of rows.filter((r) => r.scenario.kind === 'keepalive')) {
    verdicts.push(
      `- keep-alive ingest ≥ ${TARGET_RATE.toLocaleString('en-US')} events/s with ${storeName(r)}, the log and a reader, over ${r.transport}: ` +
        `${r.rate >= TARGET_RATE ? 'met' : 'missed'} (${Math.round(r.rate).toLocaleString('en-US')})`,
    )
    verdicts.push(
      `- server CPU ≤ ${TARGET_CPU_US} µs per event, keep-alive with ${storeName(r)}, over ${r.transport}: ` +
        `${cpuPerEventUs(r) <= TARGET_CPU_US ? 'met' : 'missed'} (${fmt(cpuPerEventUs(r), 1)} µs)`,
    )
  }
  for (const r of rows.filter((r) => r.scenario.kind === 'paced')) {
    verdicts.push(
      `- p99 < ${TARGET_P99_MS} ms at 1,000 events/s with ${storeName(r)}, over ${r.transport}: ` +
        `${r.p99 < TARGET_P99_MS ? 'met' : 'missed'} (${fmt(r.p99, 3)} ms)`,
    )
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const report = [
    '# Observatory ingest benchmark',
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${availableParallelism()} × ${cpu} · ` +
      `load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after` +
      (QUICK ? ' · --quick' : ''),
    '',
    ...(OUTPUTS === 'full'
      ? [
          'Server: `observatory serve --socket S --port 0 --output-socket O --log FILE --quiet` in a child process,',
          'stdout to /dev/null, one reader on the output socket (' +
            (SOCAT !== undefined ? 'socat to a file' : 'a Node reader to a file') +
            '). Client: this process, raw node:net sockets,',
        ]
      : [
          'Server (`--outputs stdout`, for comparison): `observatory serve --socket S --port 0 --quiet` in a child process,',
          'stdout to a file, no log, no reader. Client: this process, raw node:net sockets,',
        ]),
    'Store: `on` = the default store (no `--db`: the database is at $XDG_STATE_HOME/hooks-observatory/events.db, with',
    "XDG_STATE_HOME in the run's temporary directory); `memory` = `--no-db` (in memory); `off` = `--no-store` (no",
    'history at all). Every hook answer waits for the store’s group commit, as it waits for the log.',
    `Bash calls, a PreToolUse then its PostToolUse (400–480 bytes), each connection an agent in one of 8 sessions (bench/lib/hook-events.ts), ${WARMUP.toLocaleString('en-US')} warm-up events before each run (not measured, but checked).`,
    'Latency: first byte written (for `close`: connect) → whole response read, in milliseconds. `paced` sleeps between',
    'sends (timers have about 1 ms granularity, so a send may leave up to ~1 ms after its slot; that is not counted as latency).',
    'CPU: busy time during the measured run as a share of one core: the server process (all threads, and its main',
    'thread alone in parentheses) and the client (this process).',
    '"exactly once": every event id of the run (warm-up included) is in the log (or stdout), at the reader, and in the',
    'store, exactly once (`on`: the database file read after the stop, its full-text index complete; `memory`: paged',
    'out of /api/events before the stop).',
    '',
    table(rows),
    '',
    ...(floors.length > 0
      ? [
          "The floor (`--floor`): the same keep-alive load against bench/servers/ingest-floor.ts, this project's",
          "transport reading each body and answering `200 {}`, nothing else; ours above it is the application's cost.",
          '',
          '| transport | events/s | p99 ms | server CPU µs/event | observatory keep-alive µs/event (same run) |',
          '|---|---:|---:|---:|---:|',
          ...floors.map((f) => {
            const ours = rows.find(
              (r) => r.scenario.kind === 'keepalive' && r.transport === f.transport,
            )
            return `| ${f.transport} | ${Math.round(f.rate).toLocaleString('en-US')} | ${fmt(f.p99, 3)} | ${fmt(f.cpuUs, 1)} | ${ours === undefined ? '–' : fmt(cpuPerEventUs(ours), 1)} |`
          }),
          '',
        ]
      : []),
    ...(rows.some((r) => r.store === 'on')
      ? [
          'The database (store `on`): its size per stored event (warm-up included) after the stop and at the end of the',
          'measured run, how many committed events the full-text index (built off the hot path, every 250 ms) had not',
          'reached at that moment, and the stop (SIGINT → exit; the index is caught up at close).',
          '',
          storeTable(rows),
          '',
        ]
      : []),
    `Targets${OUTPUTS === 'full' ? '' : ' (they are set for the full setup; shown here for comparison)'}:`,
    '',
    ...verdicts,
    '',
    ...rows
      .filter((r) => r.profile !== undefined)
      .flatMap((r) => [
        `Server self time during ${r.scenario.kind} over ${r.transport} (\`--cpu-prof\`; the profiler slows the server down):`,
        '',
        '```',
        ...r.profile!,
        '```',
        '',
      ]),
    ...rows
      .filter((r) => r.syscalls !== undefined)
      .flatMap((r) => [
        `Server system calls per event during ${r.scenario.kind} over ${r.transport} (\`--strace\`, all threads; strace slows the server down a lot, read the counts, not the rate):`,
        '',
        '```',
        ...r.syscalls!,
        '```',
        '',
      ]),
  ].join('\n')
  process.stdout.write(`\n${report}`)
  const resultsDir = join(ROOT, 'bench', 'results')
  mkdirSync(resultsDir, { recursive: true })
  const suffix = STORE_MODES.includes('on')
    ? ''
    : STORE_MODES.includes('memory')
      ? '-memory'
      : '-nostore'
  const name = `observatory${OUTPUTS === 'full' ? '' : '-stdout'}${suffix}-latest.md`
  writeFileSync(join(resultsDir, name), report)
  process.stderr.write(`written to bench/results/${name}\n`)
  const failed = (r: Row) =>
    r.errors > 0 ||
    r.log !== 'ok' ||
    (r.reader !== 'ok' && r.reader !== 'n/a') ||
    r.storeCheck !== 'ok'
  if (rows.some(failed)) process.exitCode = 1
  if (args.python !== undefined || process.env[ORIGINAL_ENV] !== undefined) {
    const code = await compareWithOriginal({
      original: args.python,
      rounds: Math.max(1, Number(args['python-rounds']) || 2),
      quick: QUICK,
      cpuProf: args['cpu-prof'] === true,
    })
    if (code !== 0) process.exitCode = code
  }
}

await main()

/**
 * # The observatory against the Python original, side by side
 *
 *   node --import tsx bench/python-original.ts [--original DIR] [--rounds 2] [--quick] [--cpu-prof]
 *   (or OBSERVATORY_PYTHON_ORIGINAL=DIR; also `npm run bench:observatory -- --python DIR`)
 *
 * DIR is a checkout of https://github.com/edu-samples/claude-code-hooks-observatory (its
 * `unix-socket-observatory/server.py` is run). Without one the benchmark prints why and exits 0: the original is
 * not part of this repository. It needs a Python 3.10+ that can import `yaml` and `pygments` (the original imports
 * them at start even for JSONL output); the first of `python3`, `/usr/bin/python3`, `python3.11`, `python3.12` that
 * can is used.
 *
 * Both servers run as child processes on a Unix socket in a temporary directory, each with stdout to a file and
 * one output-socket reader attached (socat, or a small Node reader, writing to a file):
 *
 * - original: `server.py --socket IN --output-socket OUT --tee` (stdout + output socket), stderr to a file (it
 *   logs every request there);
 * - ours: `observatory serve --socket IN --port 0 --output-socket OUT --tee --no-store --quiet` (stdout + output
 *   socket; no log file and no history, as the original has neither; `--ours-store memory`: `--no-db` instead).
 *
 * The load generator is this process, 16 concurrent clients on raw node:net sockets, the same events as
 * bench/observatory.ts (bench/lib/hook-events.ts: each client an agent sending its Bash calls' PreToolUse, then
 * PostToolUse):
 *
 * - `close`: one request per connection (connect, POST, read the answer, close), what every curl hook does;
 * - `keepalive`: 16 connections each sending its next event when the previous one was answered. The original
 *   speaks HTTP/1.0 (`BaseHTTPRequestHandler`'s default) and closes every connection after its answer: a client
 *   then reconnects, and that connect counts in the next request's latency.
 *
 * Rounds are interleaved (round 1: close original, close ours, keepalive original, keepalive ours; round 2 …),
 * each run on a fresh server after a warm-up. After each run every event id must be in stdout and at the reader
 * exactly once. Reported: events/s, p50/p99 (first byte written, or connect, → whole answer read), the server's
 * CPU per event (user + system of the whole process, from /proc), and ours/original ratios per round. The
 * machine may be shared: ratios from the same round are what to compare, not absolute figures across runs.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import type { Socket } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DB_ENV, PORT_ENV, SOCKET_ENV, TOKEN_ENV } from '../src/observatory/defaults.ts'
import { HookTraffic, openSocket } from './lib/hook-events.ts'
import { readCpuSeconds } from './lib/proc.ts'
import { topSelfTime } from './lib/profile.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'src/cli/main.ts')
export const ORIGINAL_ENV = 'OBSERVATORY_PYTHON_ORIGINAL'

type Kind = 'close' | 'keepalive'
type Who = 'original' | 'ours'

export interface CompareOptions {
  original: string | undefined
  rounds: number
  quick: boolean
  cpuProf: boolean
  /** Our store: `off` (`--no-store`, the default: the original keeps no history either) or `memory` (`--no-db`). */
  oursStore?: 'off' | 'memory'
}

/** The store flag ours runs with (set by compareWithOriginal). */
let oursStoreFlag = '--no-store'

const CONCURRENCY = 16
const TARGET_RATIO = 2

// ---- the client ----------------------------------------------------------------------------------------

/** One connection, at most one request in flight. Answers are `200` heads with `Content-Length: 0`. */
class Connection {
  readonly socket: Socket
  #text = ''
  #resolve: ((ok: boolean) => void) | undefined
  #closing = false

  constructor(socket: Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      this.#text += chunk
      const end = this.#text.indexOf('\r\n\r\n')
      if (end === -1) return
      const head = this.#text.slice(0, end)
      this.#text = this.#text.slice(end + 4)
      // The original answers `HTTP/1.0 200 OK`, ours `HTTP/1.1 200 OK`.
      const ok = /^HTTP\/1\.[01] 200 /.test(head) && /\r\nContent-Length: 0/i.test(head)
      // HTTP/1.0 without keep-alive, or `Connection: close`: the server closes after this answer.
      if (head.startsWith('HTTP/1.0') || /\r\nConnection: *close/i.test(head)) this.#closing = true
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

  get usable(): boolean {
    return !this.#closing && !this.socket.destroyed && this.socket.readyState === 'open'
  }

  send(request: string): Promise<boolean> {
    if (!this.usable) return Promise.resolve(false)
    return new Promise((resolve) => {
      this.#resolve = resolve
      this.socket.write(request, 'latin1')
    })
  }
}

interface RunResult {
  latencies: Float64Array
  seconds: number
  errors: number
  ids: string[]
}

async function drive(path: string, kind: Kind, tag: string, events: number): Promise<RunResult> {
  const latencies = new Float64Array(events)
  const ids: string[] = []
  let count = 0
  let errors = 0
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, sender) => {
      // The same traffic as bench/observatory.ts: each client an agent, a call's Pre then its Post.
      const traffic = new HookTraffic(sender, tag)
      let conn: Connection | undefined
      while (next < events) {
        const id = `${tag}-${next++}`
        ids.push(id)
        const request = traffic.next(id)
        const t0 = performance.now()
        let ok = false
        try {
          // keepalive: reuse the connection while the server keeps it (the original closes every one).
          if (kind === 'close' || conn === undefined || !conn.usable) {
            conn?.socket.destroy()
            conn = new Connection(await openSocket({ path }))
          }
          ok = await conn.send(request)
          if (kind === 'close') {
            conn.socket.destroy()
            conn = undefined
          }
        } catch {
          conn = undefined
        }
        latencies[count++] = performance.now() - t0
        if (!ok) errors++
      }
      conn?.socket.destroy()
    }),
  )
  return {
    latencies: latencies.subarray(0, count),
    seconds: (performance.now() - started) / 1000,
    errors,
    ids,
  }
}

// ---- the servers -------------------------------------------------------------------------------------

const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat'].find((p) => existsSync(p))

function findPython(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3', 'python3.11', 'python3.12']) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys, yaml, pygments; assert sys.version_info >= (3, 10)'],
      {
        stdio: 'ignore',
      },
    )
    if (probe.status === 0) return candidate
  }
  return undefined
}

interface Running {
  child: ChildProcess
  path: string
  stdoutFile: string
  readerFile: string
  reader: ChildProcess
  errFile: string
  profileDir: string | undefined
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

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

async function start(
  who: Who,
  dir: string,
  python: string,
  serverPy: string,
  cpuProf: boolean,
): Promise<Running> {
  const path = join(dir, 'in.sock')
  const out = join(dir, 'out.sock')
  const stdoutFile = join(dir, 'stdout.jsonl')
  const errFile = join(dir, 'stderr.txt')
  const stdout = openSync(stdoutFile, 'w')
  const stderr = openSync(errFile, 'w')
  const profileDir = cpuProf && who === 'ours' ? join(dir, 'prof') : undefined
  let child: ChildProcess
  if (who === 'original') {
    child = spawn(
      python,
      ['-u', serverPy, '--socket', path, '--output-socket', out, '--tee', '--mode', '0600'],
      {
        stdio: ['ignore', stdout, stderr],
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
    )
  } else {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: '',
      XDG_STATE_HOME: join(dir, 'state'),
    }
    for (const name of [DB_ENV, TOKEN_ENV, SOCKET_ENV, PORT_ENV]) delete env[name]
    const nodeArgs = ['--import', 'tsx']
    if (profileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
    child = spawn(
      process.execPath,
      [
        ...nodeArgs,
        CLI,
        'serve',
        '--socket',
        path,
        '--port',
        '0',
        '--output-socket',
        out,
        '--tee',
        oursStoreFlag,
        '--quiet',
      ],
      { cwd: ROOT, stdio: ['ignore', stdout, stderr], env },
    )
  }
  closeSync(stdout)
  closeSync(stderr)
  await waitFor(
    () => child.exitCode !== null || (existsSync(path) && existsSync(out)),
    `${who} to listen`,
  )
  if (child.exitCode !== null) throw new Error(`${who} exited at start:\n${readText(errFile)}`)
  // Ours prints its banner once both sockets listen; the original has bound both once the files exist.
  if (who === 'ours') await waitFor(() => /Press Ctrl\+C/.test(readText(errFile)), 'the banner')
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
  // The original accepts readers between requests (serve_forever polls every 0.1 s): wait for it to say so.
  await waitFor(() => /Output reader connected \(1 total\)/.test(readText(errFile)), 'the reader')
  return { child, path, stdoutFile, readerFile, reader, errFile, profileDir }
}

async function stop(running: Running): Promise<void> {
  const exited = new Promise<void>((resolve) => running.child.on('close', () => resolve()))
  running.child.kill('SIGINT')
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
  const reader = running.reader
  if (reader.exitCode === null) {
    const done = new Promise<void>((resolve) => reader.on('close', () => resolve()))
    const kill = setTimeout(() => reader.kill('SIGKILL'), 5_000)
    await done
    clearTimeout(kill)
  }
}

function lineCount(file: string): number {
  if (!existsSync(file)) return 0
  const buffer = readFileSync(file)
  let n = 0
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) n++
  return n
}

/** Every expected id in exactly one line, and no other line. */
function checkIds(file: string, expected: readonly string[]): string {
  const text = existsSync(file) ? readFileSync(file, 'latin1') : ''
  const seen = new Map<string, number>()
  let lines = 0
  for (const match of text.matchAll(/"id":"([^"]+)"/g)) {
    lines++
    seen.set(match[1]!, (seen.get(match[1]!) ?? 0) + 1)
  }
  const newlines = text.split('\n').length - 1
  let missing = 0
  let doubled = 0
  for (const id of expected) {
    const n = seen.get(id) ?? 0
    if (n === 0) missing++
    else if (n > 1) doubled++
  }
  if (missing > 0 || doubled > 0 || lines !== expected.length || newlines !== expected.length) {
    return `${missing} missing, ${doubled} duplicated, ${newlines} lines for ${expected.length}`
  }
  return 'ok'
}

// ---- one run -------------------------------------------------------------------------------------------

interface Row {
  round: number
  kind: Kind
  who: Who
  events: number
  rate: number
  p50: number
  p99: number
  cpuUsPerEvent: number
  errors: number
  stdout: string
  reader: string
  profile?: string[]
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function runOne(
  who: Who,
  kind: Kind,
  round: number,
  events: number,
  warmup: number,
  python: string,
  serverPy: string,
  cpuProf: boolean,
): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-vs-py-'))
  try {
    const running = await start(who, dir, python, serverPy, cpuProf)
    const tag = `${who[0]}${round}${kind[0]}`
    const warm = await drive(running.path, kind, `${tag}w`, warmup)
    const cpu0 = readCpuSeconds(running.child.pid!) ?? Number.NaN
    const window0 = Number(process.hrtime.bigint() / 1000n)
    const result = await drive(running.path, kind, tag, events)
    const window1 = Number(process.hrtime.bigint() / 1000n)
    const cpu = (readCpuSeconds(running.child.pid!) ?? Number.NaN) - cpu0
    const expected = [...warm.ids, ...result.ids]
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && lineCount(running.readerFile) < expected.length) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await stop(running)
    const sorted = Float64Array.from(result.latencies).sort()
    const row: Row = {
      round,
      kind,
      who,
      events: result.latencies.length,
      rate: result.latencies.length / result.seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpuUsPerEvent: (cpu / result.latencies.length) * 1e6,
      errors: result.errors + warm.errors,
      stdout: checkIds(running.stdoutFile, expected),
      reader: checkIds(running.readerFile, expected),
    }
    if (running.profileDir !== undefined)
      row.profile = topSelfTime(running.profileDir, [window0, window1], { top: 20, root: ROOT })
    return row
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- the report ----------------------------------------------------------------------------------------

const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '–')
const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const once = (check: string): string => (check === 'ok' ? 'exactly once' : check)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export async function compareWithOriginal(options: CompareOptions): Promise<number> {
  oursStoreFlag = options.oursStore === 'memory' ? '--no-db' : '--no-store'
  const dirArg = options.original ?? process.env[ORIGINAL_ENV]
  if (dirArg === undefined || dirArg === '') {
    process.stdout.write(
      `Python original: skipped (no checkout given: --original DIR or ${ORIGINAL_ENV}=DIR, ` +
        'DIR a clone of https://github.com/edu-samples/claude-code-hooks-observatory)\n',
    )
    return 0
  }
  const serverPy = [
    join(dirArg, 'unix-socket-observatory', 'server.py'),
    join(dirArg, 'server.py'),
  ].find((p) => existsSync(p))
  if (serverPy === undefined) {
    process.stdout.write(
      `Python original: skipped (no unix-socket-observatory/server.py under ${dirArg})\n`,
    )
    return 0
  }
  const python = findPython()
  if (python === undefined) {
    process.stdout.write(
      'Python original: skipped (no python3 ≥ 3.10 that can import yaml and pygments, which server.py needs)\n',
    )
    return 0
  }
  const events: Record<Kind, number> = options.quick
    ? { close: 3_000, keepalive: 5_000 }
    : { close: 10_000, keepalive: 20_000 }
  const warmup = options.quick ? 500 : 2_000
  const rows: Row[] = []
  const loadBefore = loadavg()
  for (let round = 1; round <= options.rounds; round++) {
    for (const kind of ['close', 'keepalive'] as const) {
      for (const who of ['original', 'ours'] as const) {
        process.stderr.write(`round ${round}: ${kind}, ${who}…\n`)
        const row = await runOne(
          who,
          kind,
          round,
          events[kind],
          warmup,
          python,
          serverPy,
          options.cpuProf,
        )
        rows.push(row)
        process.stderr.write(
          `  ${int(row.rate)} events/s, p50 ${fmt(row.p50, 2)} ms, p99 ${fmt(row.p99, 2)} ms, ` +
            `${fmt(row.cpuUsPerEvent, 1)} µs CPU/event; stdout ${row.stdout}; reader ${row.reader}\n`,
        )
        if (row.profile !== undefined) process.stderr.write(`    ${row.profile.join('\n    ')}\n`)
      }
    }
  }
  const loadAfter = loadavg()

  const lines = [
    '| round | pattern | server | events | events/s | p50 ms | p99 ms | server CPU µs/event | errors | stdout | reader |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.round} | ${r.kind} | ${r.who} | ${int(r.events)} | ${int(r.rate)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ` +
        `${fmt(r.cpuUsPerEvent, 1)} | ${r.errors} | ${once(r.stdout)} | ${once(r.reader)} |`,
    )
  }
  const ratios = [
    '| pattern | round | events/s ours ÷ original | p99 ours ÷ original | CPU/event ours ÷ original |',
    '|---|---:|---:|---:|---:|',
  ]
  const verdicts: string[] = []
  for (const kind of ['close', 'keepalive'] as const) {
    const rateRatios: number[] = []
    const p99Ratios: number[] = []
    for (let round = 1; round <= options.rounds; round++) {
      const o = rows.find((r) => r.round === round && r.kind === kind && r.who === 'original')
      const u = rows.find((r) => r.round === round && r.kind === kind && r.who === 'ours')
      if (o === undefined || u === undefined) continue
      rateRatios.push(u.rate / o.rate)
      p99Ratios.push(u.p99 / o.p99)
      ratios.push(
        `| ${kind} | ${round} | ${fmt(u.rate / o.rate, 2)}× | ${fmt(u.p99 / o.p99, 2)}× | ${fmt(u.cpuUsPerEvent / o.cpuUsPerEvent, 2)}× |`,
      )
    }
    if (kind === 'close') {
      const rate = median(rateRatios)
      const p99 = median(p99Ratios)
      verdicts.push(
        `- one request per connection over the Unix socket ≥ ${TARGET_RATIO}× the original's events/s: ` +
          `${rate >= TARGET_RATIO ? 'met' : 'missed'} (median ${fmt(rate, 2)}×); p99 no worse than the original's: ` +
          `${p99 <= 1 ? 'met' : 'missed'} (median ${fmt(p99, 2)}×)`,
      )
    }
  }
  const report = [
    '# The observatory against the Python original',
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${python} · ${availableParallelism()} × ${cpus()[0]?.model ?? '?'} · ` +
      `load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after${options.quick ? ' · --quick' : ''}`,
    '',
    `Original: \`${serverPy.replace(dirArg, 'DIR')} --socket IN --output-socket OUT --tee\`; ours: \`observatory serve`,
    `--socket IN --port 0 --output-socket OUT --tee ${oursStoreFlag} --quiet\`. Both: stdout to a file, one reader on the output socket`,
    `(${SOCAT !== undefined ? 'socat' : 'a Node reader'} to a file). Client: this process, ${CONCURRENCY} concurrent connections on raw node:net,`,
    `Bash calls' PreToolUse then PostToolUse events (400–480 bytes, bench/lib/hook-events.ts); ${warmup.toLocaleString('en-US')} warm-up events per run. The original closes every`,
    'connection (HTTP/1.0): its keep-alive clients reconnect, and the connect counts in the latency.',
    'CPU: user + system of the server process over the measured run, per event. The original drops a reader',
    'whose socket buffer is full (`sendall` on a non-blocking socket raises); lines it missed are shown, not failed.',
    '',
    lines.join('\n'),
    '',
    ratios.join('\n'),
    '',
    ...verdicts,
    '',
  ].join('\n')
  process.stdout.write(`\n${report}`)
  const resultsDir = join(ROOT, 'bench', 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, 'python-original-latest.md'), report)
  process.stderr.write('written to bench/results/python-original-latest.md\n')
  // The original's reader is lossy by design: `sendall` on its non-blocking reader socket raises when the
  // reader's buffer is full, and the reader is dropped. That is reported, not counted as a failure; ours must
  // deliver every line to a reader that keeps up.
  const failed = rows.some(
    (r) => r.errors > 0 || r.stdout !== 'ok' || (r.who === 'ours' && r.reader !== 'ok'),
  )
  return failed ? 1 : 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      original: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'ours-store': { type: 'string', default: 'off' },
    },
  })
  const oursStore = values['ours-store']
  if (oursStore !== 'off' && oursStore !== 'memory') {
    throw new Error(`--ours-store must be off or memory, not "${oursStore}"`)
  }
  process.exitCode = await compareWithOriginal({
    original: values.original,
    rounds: Math.max(1, Number(values.rounds) || 2),
    quick: values.quick === true,
    cpuProf: values['cpu-prof'] === true,
    oursStore,
  })
}

/**
 * Scenarios and load generators. wrk when it is installed (C, one event loop per thread, little CPU per request);
 * autocannon (Node.js) otherwise. Both run as a child process so they can be pinned to their own core.
 */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './servers.ts'

export interface Scenario {
  readonly name: string
  /** One line for the report. */
  readonly title: string
  readonly connections: number
  readonly pipelining: number
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** File holding the request body (POST). */
  readonly bodyFile?: string
  /** GET /users/{id} with ids cycling 1..1000. */
  readonly usersCycle?: boolean
}

export const ECHO_BODY_FILE = join(ROOT, 'bench', 'fixtures', 'echo-1k.txt')

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'hello',
    title: 'GET / → "Hello, World!" (text), 50 keep-alive connections',
    connections: 50,
    pipelining: 1,
    method: 'GET',
    path: '/',
    headers: {},
  },
  {
    name: 'users',
    title:
      'GET /users/{id} → {"id":N,"name":"user N"} (route with a path parameter), 50 connections',
    connections: 50,
    pipelining: 1,
    method: 'GET',
    path: '/users/1',
    headers: {},
    usersCycle: true,
  },
  {
    name: 'echo',
    title: 'POST /echo with a 1 KB JSON body, parsed and sent back, 50 connections',
    connections: 50,
    pipelining: 1,
    method: 'POST',
    path: '/echo',
    headers: { 'Content-Type': 'application/json' },
    bodyFile: ECHO_BODY_FILE,
  },
  {
    name: 'pipelined',
    title: 'GET / pipelined 16 deep, 50 connections',
    connections: 50,
    pipelining: 16,
    method: 'GET',
    path: '/',
    headers: {},
  },
  {
    name: 'close',
    title: 'GET / with Connection: close (a new TCP connection per request), 50 connections',
    connections: 50,
    pipelining: 1,
    method: 'GET',
    path: '/',
    headers: { Connection: 'close' },
  },
  {
    name: 'conns1000',
    title: 'GET / on 1,000 keep-alive connections',
    connections: 1000,
    pipelining: 1,
    method: 'GET',
    path: '/',
    headers: {},
  },
]

export interface LoadResult {
  /** Responses per second over the run. */
  readonly rps: number
  readonly requests: number
  /** Latency percentiles in milliseconds (undefined when the generator did not report them). */
  readonly p50: number | undefined
  readonly p99: number | undefined
  /** Socket errors + timeouts + non-2xx responses. */
  readonly errors: number
  readonly errorDetail: string
}

export interface Generator {
  readonly name: 'wrk' | 'autocannon'
  readonly version: string
  run(options: {
    scenario: Scenario
    port: number
    seconds: number
    cpu: number | undefined
    threads: number
  }): Promise<LoadResult>
}

export function findWrk(): string | undefined {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 })
  if (r.error !== undefined) return undefined
  const line = `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? ''
  return /^wrk/.test(line) ? line.replace(/ Copyright.*$/, '') : undefined
}

/** Runs a child process, bounded in time, and returns its stdout. */
function runChild(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t
    })
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      err = (err + t).slice(-2000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${err.trim()}`))
    })
  })
}

const pin = (cpu: number | undefined, command: string, args: string[]): [string, string[]] =>
  cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]]

/** wrk's durations: `812.00us`, `1.23ms`, `2.01s`, `1.5m`. Returns milliseconds. */
export function parseWrkDuration(text: string): number | undefined {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  switch (m[2]) {
    case 'us':
      return n / 1000
    case 'ms':
      return n
    case 's':
      return n * 1000
    default:
      return n * 60_000
  }
}

export function parseWrkOutput(text: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)
  if (rps === null) throw new Error(`cannot read wrk's output:\n${text}`)
  const requests = /(\d+) requests in/.exec(text)
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text)
    return m === null ? undefined : parseWrkDuration(m[1]!)
  }
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)
  const parts: string[] = []
  let errors = 0
  if (sock !== null) {
    const names = ['connect', 'read', 'write', 'timeout']
    names.forEach((name, i) => {
      const n = Number(sock[i + 1])
      errors += n
      if (n > 0) parts.push(`${name} ${n}`)
    })
  }
  if (non2xx !== null) {
    errors += Number(non2xx[1])
    parts.push(`non-2xx ${non2xx[1]}`)
  }
  const p50 = pct('50')
  let p99 = pct('99')
  // wrk sometimes prints "99% 0.00us" (seen with pipelining, where it keeps one sample per batch): not a value.
  if (p99 !== undefined && p50 !== undefined && p99 < p50) p99 = undefined
  return {
    rps: Number(rps[1]),
    requests: requests === null ? 0 : Number(requests[1]),
    p50,
    p99,
    errors,
    errorDetail: parts.join(', '),
  }
}

export function wrkGenerator(version: string): Generator {
  const dir = join(ROOT, 'bench', 'wrk')
  return {
    name: 'wrk',
    version,
    async run({ scenario, port, seconds, cpu, threads }) {
      const args = [
        `-t${Math.min(threads, scenario.connections)}`,
        `-c${scenario.connections}`,
        `-d${seconds}s`,
        '--timeout',
        '4s',
        '--latency',
      ]
      for (const [name, value] of Object.entries(scenario.headers)) {
        if (scenario.bodyFile === undefined || name !== 'Content-Type')
          args.push('-H', `${name}: ${value}`)
      }
      let scriptArgs: string[] = []
      if (scenario.bodyFile !== undefined) {
        args.push('-s', join(dir, 'echo.lua'))
        scriptArgs = [scenario.bodyFile]
      } else if (scenario.pipelining > 1) {
        args.push('-s', join(dir, 'pipeline.lua'))
        scriptArgs = [String(scenario.pipelining)]
      } else if (scenario.usersCycle === true) {
        args.push('-s', join(dir, 'users.lua'))
      }
      args.push(`http://127.0.0.1:${port}${scenario.usersCycle === true ? '/' : scenario.path}`)
      if (scriptArgs.length > 0) args.push('--', ...scriptArgs)
      const [command, all] = pin(cpu, 'wrk', args)
      const out = await runChild(command, all, (seconds + 20) * 1000)
      return parseWrkOutput(out)
    },
  }
}

export function autocannonGenerator(version: string): Generator {
  const worker = join(ROOT, 'bench', 'lib', 'autocannon-worker.mjs')
  return {
    name: 'autocannon',
    version,
    async run({ scenario, port, seconds, cpu }) {
      const spec = {
        url: `http://127.0.0.1:${port}`,
        path: scenario.path,
        connections: scenario.connections,
        duration: seconds,
        pipelining: scenario.pipelining,
        method: scenario.method,
        headers: scenario.headers,
        bodyFile: scenario.bodyFile,
        usersCycle: scenario.usersCycle === true,
      }
      const [command, all] = pin(cpu, process.execPath, [worker, JSON.stringify(spec)])
      const out = await runChild(command, all, (seconds + 30) * 1000)
      const r = JSON.parse(out.trim().split('\n').pop()!) as {
        rps: number
        total: number
        p50: number
        p99: number
        errors: number
        timeouts: number
        non2xx: number
      }
      const parts: string[] = []
      // autocannon's `errors` already includes timeouts.
      if (r.errors > 0) parts.push(`errors ${r.errors} (timeouts ${r.timeouts})`)
      if (r.non2xx > 0) parts.push(`non-2xx ${r.non2xx}`)
      return {
        rps: r.rps,
        requests: r.total,
        p50: r.p50,
        p99: r.p99,
        errors: r.errors + r.non2xx,
        errorDetail: parts.join(', '),
      }
    },
  }
}

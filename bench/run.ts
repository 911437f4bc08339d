/**
 * # HTTP server benchmark harness (`npm run bench`)
 *
 * Starts every server in its own child process, loads it from another process with wrk (or autocannon when wrk
 * is not installed), and writes a Markdown report and an SVG chart to bench/results/.
 *
 *   node --import tsx bench/run.ts [--quick] [--only ours-raw,node-http] [--scenarios hello,echo]
 *                                  [--duration 10] [--warmup 2] [--rounds 3] [--generator wrk|autocannon]
 *                                  [--no-pin] [--threads N]
 *
 * Method:
 * - Pinning: with `taskset` and at least two cores, servers run on core 1 and the load generator on core 0, so
 *   neither steals the other's CPU (the generator is then single-threaded).
 * - Every run starts a fresh server process: no run inherits another's heap, connections or peak memory.
 *   The server is warmed up with the same load (default 2 s), then measured (default 10 s).
 * - Interleaving: for each round, for each scenario, every server in turn (A B C … then the next round), so a
 *   slow drift of the machine (thermal, a neighbour) spreads over all servers instead of hitting one.
 *   Reported figures are medians over rounds; errors are totals.
 * - Before round 1 every server is started once and checked (hello, users, echo, Connection: close, pipelining);
 *   a server that answers wrong is left out with the reason in the report.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  autocannonGenerator,
  findWrk,
  type Generator,
  type LoadResult,
  SCENARIOS,
  type Scenario,
  wrkGenerator,
} from './lib/load.ts'
import { probeServer } from './lib/probe.ts'
import { MemorySampler, readCpuSeconds, readListenOverflows } from './lib/proc.ts'
import {
  compactNumber,
  fmtInt,
  fmtMs,
  markdownReport,
  type RunRecord,
  svgChart,
} from './lib/report.ts'
import {
  bunVersion,
  type PreparedServer,
  packageVersion,
  prepareServers,
  ROOT,
  SERVER_DEFS,
  startServer,
  stopServer,
} from './lib/servers.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    scenarios: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    generator: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    threads: { type: 'string' },
    baseline: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
})

if (args.help) {
  process.stdout.write(
    [
      'usage: node --import tsx bench/run.ts [options]   (npm run bench -- [options])',
      '  --quick                 1 round, 1 s warm-up + 3 s per run (a smoke test)',
      '  --only a,b              servers to run',
      '  --scenarios a,b         scenarios to run',
      '  --duration S            measured seconds per run (default 10)',
      '  --warmup S              warm-up seconds per run (default 2; 0 for none)',
      '  --rounds N              interleaved rounds, medians reported (default 3)',
      '  --generator wrk|autocannon   default: wrk when installed',
      '  --no-pin                do not pin with taskset',
      '  --threads N             wrk threads (default 1 when pinned)',
      '  --baseline DIR          also run our servers from another checkout (a git worktree of an older',
      '                          commit: `git worktree add /tmp/base HEAD~3`), as <name>@base, in the same',
      '                          interleaved rounds: before/after ratios from one run',
      `servers: ${SERVER_DEFS.map((s) => s.name).join(', ')}`,
      `scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
      '',
    ].join('\n'),
  )
  process.exit(0)
}

function positive(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`--${name} must be a number ≥ ${min} (got ${text})\n`)
    process.exit(2)
  }
  return n
}

function pickList<T extends { name: string }>(
  flag: string,
  text: string | undefined,
  all: readonly T[],
): T[] {
  if (text === undefined) return [...all]
  const wanted = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const unknown = wanted.filter((w) => !all.some((x) => x.name === w))
  if (unknown.length > 0) {
    process.stderr.write(
      `--${flag}: unknown ${unknown.join(', ')} (known: ${all.map((x) => x.name).join(', ')})\n`,
    )
    process.exit(2)
  }
  return all.filter((x) => wanted.includes(x.name))
}

const quick = args.quick === true
const duration = Math.round(positive('duration', args.duration, quick ? 3 : 10))
const warmup = Math.round(positive('warmup', args.warmup, quick ? 1 : 2, 0))
const rounds = Math.round(positive('rounds', args.rounds, quick ? 1 : 3))
const scenarios = pickList('scenarios', args.scenarios, SCENARIOS)
const serverNames = pickList('only', args.only, SERVER_DEFS).map((s) => s.name)

// ---- machine, pinning, load generator -------------------------------------------------------------------

const cores = availableParallelism()
const tasksetWorks =
  spawnSync('taskset', ['-c', '1', 'true'], { timeout: 5000 }).status === 0 && cores >= 2
const pinning = tasksetWorks && args['no-pin'] !== true
const SERVER_CPU = pinning ? 1 : undefined
const LOADGEN_CPU = pinning ? 0 : undefined
const threads = Math.round(positive('threads', args.threads, pinning ? 1 : Math.max(1, cores >> 1)))

let generator: Generator
const wrkVersion = findWrk()
if (args.generator !== undefined && args.generator !== 'wrk' && args.generator !== 'autocannon') {
  process.stderr.write('--generator must be wrk or autocannon\n')
  process.exit(2)
}
if (args.generator === 'wrk' && wrkVersion === undefined) {
  process.stderr.write('--generator wrk: wrk is not installed (apt-get install wrk)\n')
  process.exit(2)
}
if (wrkVersion !== undefined && args.generator !== 'autocannon') {
  generator = wrkGenerator(wrkVersion)
} else {
  generator = autocannonGenerator(`autocannon ${packageVersion('autocannon') ?? '?'}`)
}

const cpuModel = (() => {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m !== null) return m[1]!.trim()
  } catch {}
  return cpus()[0]?.model ?? 'unknown CPU'
})()

const log = (text: string) => process.stderr.write(`${text}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---- prepare and check the servers ------------------------------------------------------------------------

const started = Date.now()
const loadAtStart = loadavg()
log(
  `bench: ${generator.version}, ${pinning ? 'servers on core 1, load on core 0' : 'no pinning'}, ` +
    `${rounds} round(s) × ${scenarios.length} scenario(s), ${warmup} s warm-up + ${duration} s per run`,
)
const prep = await prepareServers(serverNames, args.baseline)
for (const s of prep.skipped) log(`skip ${s.name}: ${s.reason}`)

const servers: PreparedServer[] = []
const probeNotes: string[] = []
const skipped = prep.skipped.map((s) => ({ label: s.label, reason: s.reason }))
for (const server of prep.ready) {
  try {
    const running = await startServer(server, SERVER_CPU)
    try {
      const facts = await probeServer(running.port)
      if (!facts.closeHeader) {
        probeNotes.push(
          `${server.label} closes the connection after a \`Connection: close\` request without saying \`Connection: close\` in its response (allowed: RFC 9112 §9.6 says SHOULD).${generator.name === 'wrk' ? ' wrk then expects the connection to stay open and counts the close as a read error, so its close row shows about one read error per response although every response arrived.' : ''}`,
        )
      }
      servers.push(server)
      log(`ok   ${server.name} (${server.how})`)
    } finally {
      await stopServer(running)
    }
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, ' ').slice(0, 300)
    skipped.push({ label: server.label, reason: `failed its check: ${reason}` })
    log(`skip ${server.name}: ${reason}`)
  }
}
if (servers.length === 0) {
  log('bench: no server passed its check')
  prep.cleanup()
  process.exit(1)
}
const estimate = rounds * scenarios.length * servers.length * (warmup + duration + 1)
log(`bench: ${servers.length} servers, about ${Math.ceil(estimate / 60)} min`)

// ---- the runs ---------------------------------------------------------------------------------------------

async function runOne(
  server: PreparedServer,
  scenario: Scenario,
  round: number,
): Promise<RunRecord> {
  const base = { server: server.name, scenario: scenario.name, round }
  let running: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    running = await startServer(server, SERVER_CPU)
    const load = { scenario, port: running.port, cpu: LOADGEN_CPU, threads }
    if (warmup > 0) await generator.run({ ...load, seconds: warmup })
    const overflows0 = readListenOverflows()
    const pid = running.pid
    const sampler = new MemorySampler(pid, 100)
    const cpu0 = readCpuSeconds(pid)
    const t0 = process.hrtime.bigint()
    let result: LoadResult
    let peak: number | undefined
    try {
      result = await generator.run({ ...load, seconds: duration })
    } finally {
      peak = sampler.stop()
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    const cpu1 = readCpuSeconds(pid)
    const overflows1 = readListenOverflows()
    if (running.exited !== undefined) throw new Error(`server ${running.exited} during the run`)
    return {
      ...base,
      rps: result.rps,
      p50: result.p50,
      p99: result.p99,
      errors: result.errors,
      errorDetail: result.errorDetail,
      peakRssKiB: peak,
      serverCpu: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / wall : undefined,
      cpuPerRequestUs:
        cpu0 !== undefined && cpu1 !== undefined && result.requests > 0
          ? ((cpu1 - cpu0) / result.requests) * 1e6
          : undefined,
      listenOverflows:
        overflows0 !== undefined && overflows1 !== undefined ? overflows1 - overflows0 : undefined,
    }
  } catch (error) {
    const message = (error as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 300)
    return {
      ...base,
      rps: undefined,
      p50: undefined,
      p99: undefined,
      errors: 0,
      errorDetail: '',
      peakRssKiB: undefined,
      serverCpu: undefined,
      cpuPerRequestUs: undefined,
      listenOverflows: undefined,
      failure: message,
    }
  } finally {
    if (running !== undefined) await stopServer(running)
  }
}

const records: RunRecord[] = []
for (let round = 1; round <= rounds; round++) {
  for (const scenario of scenarios) {
    for (const server of servers) {
      const r = await runOne(server, scenario, round)
      records.push(r)
      const what = `[${round}/${rounds}] ${scenario.name.padEnd(9)} ${server.name.padEnd(14)}`
      if (r.rps === undefined) log(`${what} FAILED: ${r.failure}`)
      else
        log(
          `${what} ${fmtInt(r.rps).padStart(9)} req/s  p50 ${fmtMs(r.p50).padStart(8)}  p99 ${fmtMs(r.p99).padStart(8)}` +
            `  err ${r.errors}  rss ${r.peakRssKiB === undefined ? '–' : Math.round(r.peakRssKiB / 1024)} MiB` +
            `  cpu ${r.serverCpu === undefined ? '–' : Math.round(r.serverCpu * 100)}%` +
            `  ${r.cpuPerRequestUs === undefined ? '–' : r.cpuPerRequestUs.toFixed(1)} µs/req`,
        )
      // Let TIME_WAIT sockets and the previous server's exit settle before the next server starts.
      await sleep(scenario.name === 'close' ? 500 : 150)
    }
  }
}
prep.cleanup()

// ---- the report -------------------------------------------------------------------------------------------

const now = new Date()
const pad = (n: number) => String(n).padStart(2, '0')
const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`
const loadAtEnd = loadavg()
const elapsed = (Date.now() - started) / 1000
const peers = ['fastify', 'hono', '@hono/node-server', 'express']
  .map((p) => `${p} ${packageVersion(p) ?? '?'}`)
  .join(', ')
const bun = bunVersion()
const busy = loadAtStart[0]! > 0.5
const warnings: string[] = []
if (quick)
  warnings.push('Quick run (1 round, short runs): a smoke test of the harness, not a measurement.')
if (busy)
  warnings.push(
    `The machine was not idle (1-minute load average ${loadAtStart[0]!.toFixed(2)} at the start): figures are noisy.`,
  )
if (!pinning) warnings.push('No CPU pinning: servers and the load generator shared cores.')

const header: [string, string][] = [
  ['date', `${now.toISOString().replace('T', ' ').slice(0, 16)} UTC`],
  [
    'machine',
    `${cpuModel}, ${cores} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
  ],
  [
    'load average',
    `${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${loadAtEnd.map((x) => x.toFixed(2)).join(' ')} at end`,
  ],
  ['Node.js', process.version],
  ['bun', bun ?? 'not available'],
  ['peers', peers],
  [
    'load generator',
    `${generator.version}${generator.name === 'wrk' ? `, ${threads} thread(s)` : ' (Node.js, one process)'}`,
  ],
  ['pinning', pinning ? 'servers on core 1, load generator on core 0 (taskset)' : 'off'],
  ['runs', `${warmup} s warm-up, then ${duration} s measured; a fresh server process per run`],
  ['rounds', `${rounds}, interleaved (every server in turn per scenario); medians reported`],
  ['total time', `${Math.round(elapsed)} s`],
]

const notes = [
  'req/s is responses per second as the load generator counted them; "× node:http" divides by node:http\'s median in the same scenario.',
  "p50/p99 are the load generator's latency percentiles." +
    (generator.name === 'wrk'
      ? ' With pipelining, wrk records one latency per batch of 16 (when its last response arrives).'
      : ' autocannon records whole milliseconds, and its latency is not meaningful in the close scenario (it includes reconnect waits).'),
  'errors = socket errors (connect, read, write) + timeouts (4 s) + non-2xx responses, summed over rounds.',
  "peak RSS is the server process's VmHWM from /proc (the peak since it started: warm-up and run of that scenario only), median over rounds.",
  "server CPU is the server's user+system time during the measured run divided by its length. Near 100% the server is the bottleneck; well below it something else limits the figure (the load generator, the kernel, or other processes on the machine).",
  "CPU µs/req is that CPU time divided by the responses counted: the server's cost per request. It moves less than req/s when other processes compete for the machine, so compare it too when a run was noisy.",
  "accept-queue drops (shown only where there were any) is how much the kernel's TcpExt ListenOverflows counter grew during the measured run: connections whose handshake completed while the server's accept queue was full (Node's default listen backlog is 511). Their first request waits for a TCP retransmission (about 1 s), which is what pushes p99 towards 1 s in conns1000, where 1,000 connections open at once at the start of each run.",
  'echo parses the JSON body and serializes it again in every real server (as an application would); net-floor copies the bytes back.',
  'net-floor (not a real server) answers from canned bytes without parsing HTTP properly: it is the ceiling node:net allows on this machine, not a competitor.',
  'Everything runs over loopback on one machine: no network latency, and the load generator competes for memory bandwidth and the kernel with the server.',
  ...probeNotes,
  ...prep.notes,
]

const title = 'HTTP/1.1 server benchmarks'
const md = markdownReport({
  title,
  header,
  warnings,
  scenarios,
  servers,
  skipped,
  records,
  rounds,
  svgName: `${stamp}.svg`,
  notes,
})
const svg = svgChart({
  title: `${title}: requests per second (median${rounds > 1 ? ` of ${rounds}` : ''}, higher is better)`,
  subtitle: `${now.toISOString().slice(0, 10)} · ${cpuModel}, ${cores} cores · Node ${process.version} · ${generator.version} · ${pinning ? 'pinned' : 'not pinned'}${quick || busy ? ' · NOISY' : ''}`,
  scenarios,
  servers,
  records,
})

const dir = join(ROOT, 'bench', 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, `${stamp}.md`), md)
writeFileSync(join(dir, `${stamp}.svg`), svg)
writeFileSync(join(dir, 'latest.md'), md.replace(`(${stamp}.svg)`, '(latest.svg)'))
writeFileSync(join(dir, 'latest.svg'), svg)

const failed = records.filter((r) => r.rps === undefined)
const withErrors = records.filter((r) => r.errors > 0)
log(
  `bench: done in ${Math.round(elapsed)} s; wrote bench/results/${stamp}.md, ${stamp}.svg, latest.md, latest.svg` +
    (failed.length > 0 ? `; ${failed.length} run(s) FAILED` : '') +
    (withErrors.length > 0 ? `; ${withErrors.length} run(s) had errors` : ''),
)
const hello = records.filter((r) => r.scenario === scenarios[0]!.name && r.rps !== undefined)
if (hello.length > 0) {
  log(
    `${scenarios[0]!.name}: ${servers
      .map((s) => {
        const r = hello.find((x) => x.server === s.name)
        return `${s.name} ${r?.rps === undefined ? '–' : compactNumber(r.rps)}`
      })
      .join(', ')}`,
  )
}
process.exitCode = failed.length > 0 ? 1 : 0

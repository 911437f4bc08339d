/**
 * The raw engine's two read paths side by side (src/transport/socket-reader.ts): one shared buffer for every
 * connection, or node:net's `'data'` events. Same server (bench/servers/ours-raw.ts), same load, interleaved
 * A B A B…, medians of the rounds; reports req/s and the server's CPU time per request.
 *
 *   node --import tsx bench/read-path.bench.ts [--rounds 3] [--duration 5] [--scenarios hello,echo,pipelined,close]
 */
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { autocannonGenerator, findWrk, SCENARIOS, wrkGenerator } from './lib/load.ts'
import { readCpuSeconds } from './lib/proc.ts'
import { median } from './lib/report.ts'
import { prepareServers, startServer, stopServer } from './lib/servers.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    scenarios: { type: 'string', default: 'hello,echo,pipelined,close' },
  },
})
const rounds = Math.max(1, Number(values.rounds))
const seconds = Math.max(1, Number(values.duration))
const scenarios = SCENARIOS.filter((s) => values.scenarios.split(',').includes(s.name))

const wrk = findWrk()
const generator = wrk !== undefined ? wrkGenerator(wrk) : autocannonGenerator('autocannon')
const pin =
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-c', '1', 'true'], { timeout: 5000 }).status === 0
const prepared = await prepareServers(['ours-raw'])
const base = prepared.ready[0]
if (base === undefined) throw new Error('ours-raw could not be prepared')
const variants = [
  { name: 'shared-buffer', server: base },
  { name: 'stream', server: { ...base, args: [...base.args, '--read-path', 'stream'] } },
]

console.log(`${generator.version}; ${pin ? 'server on core 1, load on core 0' : 'not pinned'}`)
console.log(`${rounds} rounds × ${seconds} s per run, interleaved\n`)
console.log('| scenario | read path | req/s (median) | CPU µs/req (median) | req/s vs stream |')
console.log('| --- | --- | ---: | ---: | ---: |')
try {
  for (const scenario of scenarios) {
    const results = new Map<string, { rps: number[]; cpu: number[] }>()
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const running = await startServer(variant.server, pin ? 1 : undefined)
        try {
          const load = { scenario, port: running.port, cpu: pin ? 0 : undefined, threads: 1 }
          await generator.run({ ...load, seconds: 1 })
          const cpu0 = readCpuSeconds(running.pid) ?? 0
          const result = await generator.run({ ...load, seconds })
          const cpu1 = readCpuSeconds(running.pid) ?? 0
          const entry = results.get(variant.name) ?? { rps: [], cpu: [] }
          entry.rps.push(result.rps)
          entry.cpu.push(((cpu1 - cpu0) / Math.max(1, result.requests)) * 1e6)
          results.set(variant.name, entry)
        } finally {
          await stopServer(running)
        }
      }
    }
    const streamRps = median(results.get('stream')?.rps ?? []) ?? 0
    for (const variant of variants) {
      const r = results.get(variant.name)!
      const rps = median(r.rps) ?? 0
      const cpu = median(r.cpu) ?? 0
      console.log(
        `| ${scenario.name} | ${variant.name} | ${Math.round(rps).toLocaleString('en-US')} | ${cpu.toFixed(1)} | ${(rps / streamRps).toFixed(2)}× |`,
      )
    }
  }
} finally {
  prepared.cleanup()
}

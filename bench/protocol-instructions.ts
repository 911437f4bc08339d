/**
 * Instructions per request of the protocol core, counted by valgrind's callgrind: unlike time, the count does
 * not move with whatever else the machine is doing, so a change of 1% can be seen (wall-clock runs on a shared
 * 2-core machine vary by 10–20%). The `why` comments in src/protocol quote figures from this script.
 *
 *   node --import tsx bench/protocol-instructions.ts [--requests 100000] [--bundle FILE]
 *
 * `--bundle`: measure an esbuild bundle of another version of src/protocol (to compare before and after).
 * `--buffer-body`: encode the body with Buffer.from per request and pass the bytes, as the transport did before
 * respond() took strings (use it for bundles older than that).
 *
 * What it runs: one kept-alive ServerConnection, fed alternately a curl-like GET (one header line) and a
 * browser-like GET (six), each parsed to PAUSED and answered with respond(200, "Hello, World!") as the
 * transport does. The protocol is bundled with esbuild first, node runs with --single-threaded (no
 * concurrent compiler or GC threads, whose work callgrind would count too), and a run with no requests is
 * subtracted, leaving the per-request cost. Needs valgrind (Debian: apt-get install valgrind).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { callgrindArgs, collectedInstructions, requireValgrind } from './lib/callgrind.ts'
import { ROOT } from './lib/servers.ts'

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    bundle: { type: 'string' },
    'buffer-body': { type: 'boolean', default: false },
  },
})
const requests = Math.max(1000, Number(values.requests))

requireValgrind('protocol-instructions')

const dir = mkdtempSync(join(tmpdir(), 'protocol-instructions-'))
try {
  const esbuild = await import('esbuild')
  const bundle = values.bundle ?? join(dir, 'protocol.mjs')
  if (values.bundle === undefined) {
    await esbuild.build({
      entryPoints: [join(ROOT, 'src', 'protocol', 'index.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    })
  }
  const script = join(dir, 'cycle.mjs')
  writeFileSync(
    script,
    `const { ServerConnection, NEED_DATA, PAUSED } = await import(${JSON.stringify(resolve(bundle))})
const n = Number(process.argv[2])
const requests = [
  Buffer.from('GET / HTTP/1.1\\r\\nHost: 127.0.0.1:34567\\r\\n\\r\\n', 'latin1'),
  Buffer.from('GET /events?since=1700000000 HTTP/1.1\\r\\nHost: localhost:8765\\r\\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\\r\\nAccept: text/html,application/xhtml+xml\\r\\n' +
    'Accept-Language: en-US,en;q=0.9\\r\\nAccept-Encoding: gzip, deflate, br\\r\\nConnection: keep-alive\\r\\n\\r\\n', 'latin1'),
]
const conn = new ServerConnection({ date: () => 'Sun, 22 Nov 2026 05:00:00 GMT' })
const headers = [['Content-Type', 'text/plain; charset=utf-8']]
let total = 0
for (let i = 0; i < n; i++) {
  conn.receiveData(requests[i & 1])
  for (;;) {
    const event = conn.nextEvent()
    if (event === NEED_DATA || event === PAUSED) break
    if (event.type === 'request') total += event.target.length
  }
  total += conn.respond({ type: 'response', status: 200, headers }, ${values['buffer-body'] ? "Buffer.from('Hello, World!')" : "'Hello, World!'"}).length
}
if (total < 0) console.log(total)
`,
  )
  const count = (n: number): number => {
    const r = spawnSync('valgrind', callgrindArgs(process.execPath, [script, String(n)]), {
      encoding: 'utf8',
      timeout: 600_000,
    })
    return collectedInstructions(r.stderr)
  }
  const base = count(0)
  const loaded = count(requests)
  const perRequest = (loaded - base) / requests
  process.stdout.write(
    `${Math.round(perRequest).toLocaleString('en-US')} instructions per request ` +
      `(parse + respond, ${requests.toLocaleString('en-US')} requests, Node ${process.version})\n`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}

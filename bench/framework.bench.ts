/**
 * What the framework costs per request: requests/s of `GET /users/{id}` served by a bare transport handler doing
 * the same work (route match with the same Router, JSON body) and by an `App` route, over keep-alive loopback
 * connections, measured with autocannon.
 *
 * Each server runs in its own process, and so does autocannon (bench/framework-load.mjs), so neither shares an
 * event loop with the other. The two servers take turns (`--rounds` each, default 2; 1 s warm-up, then
 * `--duration` seconds, default 5); the best rounds are compared, and so is each round's framework run with the
 * bare run just before it (the median of those ratios is the steadier figure on a busy machine).
 *
 * Run: node --import tsx bench/framework.bench.ts [--duration 5] [--rounds 2] [--connections 50]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { App } from '../src/framework/index.ts'
import { Router } from '../src/router/index.ts'
import { createServer, type Handler, type Response, silentLogger } from '../src/transport/index.ts'

const SELF = fileURLToPath(import.meta.url)
const LOAD = fileURLToPath(new URL('./framework-load.mjs', import.meta.url))
const JSON_HEADERS = [['content-type', 'application/json']] as const

/** The bare server: the transport's Handler with the same router and the same JSON answer. */
function bareHandler(): Handler {
  const router = new Router<(id: string) => Response>()
  router.add('GET', '/users/{id}', (id) => ({
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({ id: Number(id), name: `user ${id}` }),
  }))
  const notFound: Response = { status: 404, headers: JSON_HEADERS, body: '{"error":"Not Found"}' }
  return (request) => {
    const match = router.match(request.method, request.path)
    if (match.kind !== 'found') return notFound
    return match.value(match.params.id!)
  }
}

function frameworkHandler(): Handler {
  const app = new App({ logger: silentLogger })
  app.get('/users/{id}', (c) => ({ id: Number(c.params.id), name: `user ${c.params.id}` }))
  return app.handler
}

async function serve(kind: string): Promise<void> {
  const handler = kind === 'bare' ? bareHandler() : frameworkHandler()
  const server = createServer(handler, { logger: silentLogger })
  const address = await server.listen({ port: 0, host: '127.0.0.1' })
  if (address.transport !== 'tcp') throw new Error('no TCP address')
  process.stdout.write(`LISTENING ${address.port}\n`)
  process.once('SIGTERM', () => void server.close({ timeout: 1000 }).then(() => process.exit(0)))
}

interface LoadResult {
  rps: number
  total: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

function startServer(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (data: string) => {
      out += data
      const match = /LISTENING (\d+)/.exec(out)
      if (match) resolve({ child, port: Number(match[1]) })
    })
    child.once('exit', (code) =>
      reject(new Error(`${kind} server exited (${code}) before listening`)),
    )
  })
}

function load(port: number, duration: number, connections: number): Promise<LoadResult> {
  const spec = JSON.stringify({ url: `http://127.0.0.1:${port}`, duration, connections })
  const child = spawn(process.execPath, [LOAD, spec], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      out += data
    })
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`autocannon exited with ${code}`))
      else resolve(JSON.parse(out.trim()) as LoadResult)
    })
  })
}

async function measure(kind: string, duration: number, connections: number): Promise<LoadResult> {
  const { child, port } = await startServer(kind)
  try {
    const check = await fetch(`http://127.0.0.1:${port}/users/7`)
    const body = await check.text()
    if (body !== '{"id":7,"name":"user 7"}') throw new Error(`${kind} answered ${body}`)
    await load(port, 1, connections) // warm-up: let the JIT settle
    return await load(port, duration, connections)
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
    },
  })
  if (values.serve !== undefined) return serve(values.serve)
  const duration = Number(values.duration)
  const rounds = Number(values.rounds)
  const connections = Number(values.connections)
  const best: Record<string, LoadResult | undefined> = {}
  const ratios: number[] = []
  let lastBare = 0
  for (let round = 1; round <= rounds; round++) {
    for (const kind of ['bare', 'framework']) {
      const result = await measure(kind, duration, connections)
      process.stdout.write(
        `round ${round} ${kind.padEnd(9)} ${Math.round(result.rps).toLocaleString('en-US').padStart(8)} req/s  ` +
          `p50 ${result.p50} ms  p99 ${result.p99} ms  errors ${result.errors}  non-2xx ${result.non2xx}\n`,
      )
      if (best[kind] === undefined || result.rps > best[kind].rps) best[kind] = result
      if (kind === 'framework') ratios.push(result.rps / lastBare)
      else lastBare = result.rps
    }
  }
  ratios.sort((a, b) => a - b)
  const median = ratios[Math.floor(ratios.length / 2)]!
  const bare = best.bare!.rps
  const framework = best.framework!.rps
  process.stdout.write(
    `\nGET /users/{id}, ${connections} keep-alive connections, ${duration} s, best of ${rounds}:\n` +
      `  bare transport handler ${Math.round(bare).toLocaleString('en-US')} req/s\n` +
      `  framework App          ${Math.round(framework).toLocaleString('en-US')} req/s\n` +
      `  framework / bare       ${((framework / bare) * 100).toFixed(1)} % (best vs best); ` +
      `median of the per-round ratios ${(median * 100).toFixed(1)} %\n`,
  )
}

await main()

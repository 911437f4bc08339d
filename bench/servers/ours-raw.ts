/**
 * ours-raw: the transport's handler API with nothing on top. Routing is a tiny manual match, as a hand-written
 * handler would do it. Started by bench/run.ts (bundled with esbuild first, so no TS loader runs in the measured
 * process); prints `LISTENING <port>` when ready.
 */
import {
  createServer,
  type Handler,
  type Request,
  type Response,
  silentLogger,
} from '../../src/transport/index.ts'

const TEXT = [['Content-Type', 'text/plain; charset=utf-8']] as const
const JSON_TYPE = [['Content-Type', 'application/json']] as const

async function echo(req: Request): Promise<Response> {
  const body = await req.body()
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  const value: unknown = JSON.parse(text)
  return { status: 200, headers: JSON_TYPE, body: JSON.stringify(value) }
}

// Synchronous where it can be: the transport answers a handler that returns a value (not a Promise) in the
// same tick, so pipelined responses leave together.
const handler: Handler = (req) => {
  const path = req.path
  if (req.method === 'GET') {
    if (path === '/') return { status: 200, headers: TEXT, body: 'Hello, World!' }
    if (path.startsWith('/users/') && path.indexOf('/', 7) === -1 && path.length > 7) {
      const id = path.slice(7)
      return {
        status: 200,
        headers: JSON_TYPE,
        body: JSON.stringify({ id: Number(id), name: `user ${id}` }),
      }
    }
  } else if (req.method === 'POST' && path === '/echo') {
    return echo(req)
  }
  return { status: 404, headers: TEXT, body: 'Not Found' }
}

// `--read-path stream` turns off the shared read buffer (bench/read-path.bench.ts compares the two).
const flag = process.argv.indexOf('--read-path')
const readPath = flag !== -1 && process.argv[flag + 1] === 'stream' ? 'stream' : 'shared-buffer'
const server = createServer(handler, { logger: silentLogger, readPath })
const address = await server.listen({ port: 0, host: '127.0.0.1' })
if (address.transport === 'tcp') process.stdout.write(`LISTENING ${address.port}\n`)

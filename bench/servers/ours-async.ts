/**
 * ours-async: the transport's handler API with an `async` handler for every route (as most applications write
 * them), otherwise the same as ours-raw. The handler always returns a Promise, so these rows measure the
 * transport's asynchronous path: the promise hop per request and the batching of responses that complete in
 * the same turn of the event loop (pipelined). Prints `LISTENING <port>` when ready.
 */
import { createServer, type Handler, silentLogger } from '../../src/transport/index.ts'

const TEXT = [['Content-Type', 'text/plain; charset=utf-8']] as const
const JSON_TYPE = [['Content-Type', 'application/json']] as const

const handler: Handler = async (req) => {
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
    const body = await req.body()
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
    return { status: 200, headers: JSON_TYPE, body: JSON.stringify(JSON.parse(text)) }
  }
  return { status: 404, headers: TEXT, body: 'Not Found' }
}

const server = createServer(handler, { logger: silentLogger })
const address = await server.listen({ port: 0, host: '127.0.0.1' })
if (address.transport === 'tcp') process.stdout.write(`LISTENING ${address.port}\n`)

/**
 * ingest-floor: the least a hook ingest server can do on this project's transport: read the request body and
 * answer the observatory's `200 {}`, nothing else (no JSON parse, no sessions, no outputs). What it costs per
 * event is the floor under `observatory serve`'s cost in bench/observatory.ts (HTTP parsing, the socket reads and
 * writes, the event loop). `node --import tsx bench/servers/ingest-floor.ts [--socket PATH]`: prints
 * `LISTENING <port>` (TCP, 127.0.0.1) and serves the Unix socket too when asked.
 */
import { createServer, type Handler, silentLogger } from '../../src/transport/index.ts'

const JSON_TYPE = [['Content-Type', 'application/json']] as const

const handler: Handler = async (req) => {
  await req.body()
  return { status: 200, headers: JSON_TYPE, body: '{}' }
}

const server = createServer(handler, { logger: silentLogger })
const address = await server.listen({ port: 0, host: '127.0.0.1' })
const flag = process.argv.indexOf('--socket')
if (flag !== -1) await server.listen({ path: process.argv[flag + 1]! })
if (address.transport === 'tcp') process.stdout.write(`LISTENING ${address.port}\n`)

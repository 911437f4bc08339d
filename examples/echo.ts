/**
 * An echo server: every method on every path gets 200 with the request's body as the response body, its
 * Content-Type passed through. A small server to point curl at while reading the wire trace.
 *
 *   node --import tsx examples/echo.ts --host 127.0.0.1 --port 8080 [--unix /tmp/echo.sock] [--trace]
 *   curl -d 'hello' -H 'Content-Type: text/plain' http://127.0.0.1:8080/anything
 *
 * Stops cleanly on SIGINT (Ctrl-C) or SIGTERM: requests in flight finish, then the process exits with 0.
 */
import { parseArgs } from 'node:util'
import { createServer, type ListenerAddress } from '../src/transport/index.ts'

const usage = 'usage: echo.ts [--host HOST] [--port PORT] [--unix PATH] [--trace]'

let values: { host?: string; port?: string; unix?: string; trace?: boolean }
try {
  values = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      unix: { type: 'string' },
      trace: { type: 'boolean' },
    },
  }).values
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}\n`)
  process.exit(2)
}
const port = Number(values.port ?? '8080')
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a number from 0 to 65535\n${usage}\n`)
  process.exit(2)
}

const server = createServer(
  async (request) => {
    const body = await request.body()
    const type = request.headers.get('content-type')
    return { status: 200, headers: type === undefined ? [] : [['Content-Type', type]], body }
  },
  { trace: values.trace === true },
)

function describe(address: ListenerAddress): string {
  if (address.transport === 'unix') return `unix:${address.path}`
  const host = address.family === 'IPv6' ? `[${address.host}]` : address.host
  return `http://${host}:${address.port}`
}

try {
  const addresses = [await server.listen({ port, host: values.host ?? '127.0.0.1' })]
  if (values.unix !== undefined) addresses.push(await server.listen({ path: values.unix }))
  for (const address of addresses) process.stdout.write(`echo: listening on ${describe(address)}\n`)
} catch (error) {
  process.stderr.write(`echo: ${(error as Error).message}\n`)
  await server.close({ timeout: 0 })
  process.exit(1)
}
server.closeOnSignals((signal) => {
  process.stdout.write(`echo: ${signal}, closed\n`)
})

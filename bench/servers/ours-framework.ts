/**
 * ours-framework: the benchmark's routes on this project's framework (App from src/framework) served by our
 * transport, written as an application would write them. bench/run.ts bundles it with esbuild and skips the
 * row (with a note) when src/framework/index.ts does not exist or does not export App.
 * Prints `LISTENING <port>` when ready.
 */
import { App } from '../../src/framework/index.ts'
import { createServer, silentLogger } from '../../src/transport/index.ts'

const app = new App({ logger: silentLogger })
app.get('/', (c) => c.text('Hello, World!'))
app.get('/users/{id}', (c) => {
  const id = c.params.id
  return c.json({ id: Number(id), name: `user ${id}` })
})
app.post('/echo', async (c) => c.json(await c.json()))

const server = createServer(app.handler, { logger: silentLogger })
const address = await server.listen({ port: 0, host: '127.0.0.1' })
if (address.transport === 'tcp') process.stdout.write(`LISTENING ${address.port}\n`)

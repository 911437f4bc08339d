// hono on @hono/node-server: idiomatic routes (Hono's default SmartRouter), Web Request/Response adapted to node:http.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.text('Hello, World!'))
app.get('/users/:id', (c) => {
  const id = c.req.param('id')
  return c.json({ id: Number(id), name: `user ${id}` })
})
app.post('/echo', async (c) => c.json(await c.req.json()))
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`LISTENING ${info.port}\n`)
})

// fastify: idiomatic routes (find-my-way router, built-in JSON body parser and serializer).
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', (_req, reply) => {
  reply.type('text/plain; charset=utf-8').send('Hello, World!')
})
app.get('/users/:id', (req) => {
  const id = req.params.id
  return { id: Number(id), name: `user ${id}` }
})
app.post('/echo', (req) => req.body)
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`LISTENING ${app.server.address().port}\n`)

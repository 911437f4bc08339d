// express 5: idiomatic routes with express.json() for the body.
import express from 'express'

const app = express()
app.get('/', (_req, res) => {
  res.type('text/plain').send('Hello, World!')
})
app.get('/users/:id', (req, res) => {
  const id = req.params.id
  res.json({ id: Number(id), name: `user ${id}` })
})
app.post('/echo', express.json(), (req, res) => {
  res.json(req.body)
})
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`)
})

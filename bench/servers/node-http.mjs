// node-http: node:http with a hand-written route match (the baseline every ratio is relative to).
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (req.method === 'GET') {
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Hello, World!')
      return
    }
    if (path.startsWith('/users/') && path.length > 7 && path.indexOf('/', 7) === -1) {
      const id = path.slice(7)
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ id: Number(id), name: `user ${id}` }))
      return
    }
  } else if (req.method === 'POST' && path === '/echo') {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(value))
    })
    return
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
  res.end('Not Found')
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`)
})

// net-floor (NOT a real server): a node:net responder that does the least work that still answers the
// benchmark's requests. It finds the end of each head with indexOf, sniffs the method and path, skips a body by
// a crude Content-Length search, and writes canned bytes. No validation, no limits, no timeouts, no HTTP
// semantics beyond that. It marks the ceiling that node:net itself allows on this machine: nothing built on
// node:net can be faster, so "ours-raw vs net-floor" is the part of the cost that is ours.
import { createServer } from 'node:net'

const HELLO = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!',
  'latin1',
)
const HELLO_CLOSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!',
  'latin1',
)
const NOT_FOUND = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1')

function json(body) {
  const b = Buffer.from(body)
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n`,
      'latin1',
    ),
    b,
  ])
}

const server = createServer({ noDelay: true }, (socket) => {
  let buf = Buffer.alloc(0)
  socket.on('error', () => {})
  socket.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    const out = []
    let close = false
    for (;;) {
      const end = buf.indexOf('\r\n\r\n')
      if (end === -1) break
      const head = buf.latin1Slice(0, end).toLowerCase()
      let bodyLength = 0
      const cl = head.indexOf('content-length:')
      if (cl !== -1) bodyLength = Number.parseInt(head.slice(cl + 15), 10)
      if (buf.length < end + 4 + bodyLength) break
      const sp = head.indexOf(' ')
      const path = head.slice(sp + 1, head.indexOf(' ', sp + 1))
      close = head.includes('connection: close')
      if (head.startsWith('get / ')) out.push(close ? HELLO_CLOSE : HELLO)
      else if (path.startsWith('/users/')) {
        const id = path.slice(7)
        out.push(json(JSON.stringify({ id: Number(id), name: `user ${id}` })))
      } else if (head.startsWith('post '))
        out.push(json(buf.subarray(end + 4, end + 4 + bodyLength)))
      else out.push(NOT_FOUND)
      buf = buf.subarray(end + 4 + bodyLength)
      if (close) break
    }
    if (out.length === 1) socket.write(out[0])
    else if (out.length > 1) socket.write(Buffer.concat(out))
    if (close) socket.end()
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`)
})

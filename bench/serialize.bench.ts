/**
 * Response serialization: head + body as one buffer (what `ServerConnection.respond()` does: one
 * `Buffer.allocUnsafe` and two copies), as `Buffer.concat([head, body])`, or as two buffers written together
 * (`socket.cork(); write(head); write(body); uncork()`, which libuv sends with one writev system call).
 * respond()'s comment claims the single buffer wins for small responses; this file measures it.
 *
 *   node --import tsx --expose-gc bench/serialize.bench.ts
 *
 * Part 1 (CPU only): the cost of producing the bytes (respond() today: allocUnsafe, head.copy, out.set; and the
 * same with out.set for both). The writev arm copies nothing here, so it wins by
 * construction; the question is what the copy saves later.
 * Part 2 (through a real socket): 64 responses per iteration written to a loopback TCP socket, then waiting until
 * the reading side (in the same process) has received every byte. Same bytes on the wire in every arm; what
 * differs is the number of buffers handed to libuv, the copies, and the system calls.
 */
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { bench, do_not_optimize, group, run, summary } from 'mitata'

/** A typical head, as respond() produces it (~170 bytes). */
const headFor = (length: number): Buffer =>
  Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Sun, 22 Nov 2026 02:40:00 GMT\r\n' +
      `Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: ${length}\r\n\r\n`,
    'latin1',
  )
const bodies = [
  { name: '13 B body', body: Buffer.from('Hello, World!') },
  { name: '1 KB body', body: Buffer.alloc(1024, 0x61) },
  { name: '16 KB body', body: Buffer.alloc(16 * 1024, 0x62) },
].map((b) => ({ ...b, head: headFor(b.body.length) }))

function single(h: Buffer, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(h.length + b.length)
  h.copy(out, 0)
  out.set(b, h.length)
  return out
}

/** The same with TypedArray#set for the head too (Buffer#copy goes through more argument checking). */
function singleSet(h: Buffer, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(h.length + b.length)
  out.set(h, 0)
  out.set(b, h.length)
  return out
}

// ---- part 1: producing the bytes ------------------------------------------------------------------------

for (const { name, body, head } of bodies) {
  group(`build: ${name}`, () => {
    summary(() => {
      bench(`allocUnsafe + copy (${name})`, () => do_not_optimize(single(head, body)))
      bench(`allocUnsafe + set (${name})`, () => do_not_optimize(singleSet(head, body)))
      bench(`Buffer.concat (${name})`, () => do_not_optimize(Buffer.concat([head, body])))
      bench(`[head, body] for writev (${name})`, () => do_not_optimize([head, body]))
    })
  })
}

// ---- part 2: through a socket -----------------------------------------------------------------------------

const BATCH = 64

const sink: Server = createServer((socket) => {
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length
    if (waiting !== undefined && received >= target) {
      const w = waiting
      waiting = undefined
      w()
    }
  })
})
let received = 0
let target = 0
let waiting: (() => void) | undefined

sink.listen(0, '127.0.0.1')
await once(sink, 'listening')
const address = sink.address()
if (address === null || typeof address === 'string') throw new Error('no address')
const client: Socket = connect({ port: address.port, host: '127.0.0.1', noDelay: true })
await once(client, 'connect')

/** Writes a batch with `write`, then resolves when the sink has read all of it. */
function batch(bytes: number, write: () => void): Promise<void> {
  target = received + bytes * BATCH
  for (let i = 0; i < BATCH; i++) write()
  if (received >= target) return Promise.resolve()
  return new Promise((resolve) => {
    waiting = resolve
  })
}

for (const { name, body, head } of bodies) {
  const size = head.length + body.length
  group(`socket, ${BATCH} responses per iteration: ${name}`, () => {
    summary(() => {
      bench(`one buffer, allocUnsafe + copy (${name})`, () =>
        batch(size, () => client.write(single(head, body))),
      )
      bench(`Buffer.concat, one write (${name})`, () =>
        batch(size, () => client.write(Buffer.concat([head, body]))),
      )
      bench(`cork + 2 writes = writev (${name})`, () =>
        batch(size, () => {
          client.cork()
          client.write(head)
          client.write(body)
          client.uncork()
        }),
      )
      bench(`2 writes, no cork (${name})`, () =>
        batch(size, () => {
          client.write(head)
          client.write(body)
        }),
      )
    })
  })
}

// A sanity check before the timed runs: every arm delivers the same number of bytes.
const first = bodies[0]!
await batch(first.head.length + first.body.length, () =>
  client.write(single(first.head, first.body)),
)

await run()
client.destroy()
sink.close()

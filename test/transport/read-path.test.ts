/**
 * The two ways the raw engine reads its sockets (src/transport/socket-reader.ts): every connection read into one
 * shared, reused buffer, or node:net's `'data'` events. With the shared buffer, bytes the server keeps past one
 * read (a head cut in two, body pieces the handler reads later) must be copied before another connection's read
 * overwrites them. These tests interleave connections so that a missed copy shows up as corrupted requests.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { sharedBufferSupported } from '../../src/transport/socket-reader.ts'
import type { Handler } from '../../src/transport/types.ts'
import { echoHandler, Harness, parseEcho, sleep } from './helpers.ts'

const PATHS = ['shared-buffer', 'stream'] as const

/** Answers with the method, target and a hash of the body, after a delay the request asks for. */
const slowHashHandler: Handler = async (request) => {
  const delay = Number(request.headers.get('x-delay') ?? '0')
  if (delay > 0) await sleep(delay)
  const body = await request.body()
  const digest = createHash('sha256').update(body).digest('hex')
  return {
    status: 200,
    headers: [['Content-Type', 'text/plain']],
    body: `${request.target} ${body.length} ${digest}`,
  }
}

it('the shared buffer is available on the Node.js versions this project supports', (t) => {
  const major = Number(process.versions.node.split('.')[0])
  if (major < 20 || major > 24) {
    t.skip(
      `Node.js ${process.versions.node} is outside 20–24; the stream path is used if it is missing`,
    )
    return
  }
  assert.equal(sharedBufferSupported(), true)
})

for (const readPath of PATHS) {
  describe(`read path: ${readPath}`, { timeout: 120_000 }, () => {
    it('reports the path in use', async (t) => {
      const h = new Harness(t)
      const { server } = await h.server(echoHandler, { readPath })
      assert.equal(server.readPath, readPath === 'stream' ? 'stream' : 'shared-buffer')
    })

    it('a head cut in two survives another connection reading in between', async (t) => {
      const h = new Harness(t)
      const { port } = await h.server(echoHandler, { readPath })
      const a = await h.client(port)
      const b = await h.client(port)
      a.socket.setNoDelay(true)
      b.socket.setNoDelay(true)
      await a.write('GET /first-connection-path?aaaa=1 HTTP/1.1\r\nHost: a-host\r\nX-A: ')
      await sleep(20)
      // b's request is longer than a's half, so its read overwrites every byte a's half occupied.
      await b.write(
        `POST /second HTTP/1.1\r\nHost: b-host\r\nX-B: ${'b'.repeat(200)}\r\nContent-Length: 5\r\n\r\nbbbbb`,
      )
      const echoB = parseEcho(await b.response())
      assert.equal(echoB.body, 'bbbbb')
      await a.write('alpha\r\n\r\n')
      const echoA = parseEcho(await a.response())
      assert.equal(echoA.target, '/first-connection-path?aaaa=1')
      assert.deepEqual(echoA.headers, ['Host', 'a-host', 'X-A', 'alpha'])
    })

    it('body pieces read late by the handler are the bytes the client sent', async (t) => {
      const h = new Harness(t)
      const { port } = await h.server(slowHashHandler, { readPath })
      const a = await h.client(port)
      const b = await h.client(port)
      a.socket.setNoDelay(true)
      b.socket.setNoDelay(true)
      const bodyA = Buffer.from('A'.repeat(3000))
      // The handler waits 150 ms before asking for the body: the body sits in the server meanwhile.
      await a.write(
        `POST /a HTTP/1.1\r\nHost: t\r\nX-Delay: 150\r\nContent-Length: ${bodyA.length * 2}\r\n\r\n`,
      )
      await a.write(bodyA)
      await sleep(30)
      await b.write(
        `POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\n${'B'.repeat(4000)}`,
      )
      await sleep(30)
      await a.write(bodyA)
      const expected = createHash('sha256')
        .update(Buffer.concat([bodyA, bodyA]))
        .digest('hex')
      assert.equal((await a.response()).body.toString(), `/a 6000 ${expected}`)
      const expectedB = createHash('sha256').update('B'.repeat(4000)).digest('hex')
      assert.equal((await b.response()).body.toString(), `/b 4000 ${expectedB}`)
    })

    it('a large body read slowly (reading paused and resumed) arrives intact', async (t) => {
      const h = new Harness(t)
      const { port } = await h.server(
        async (request) => {
          const hash = createHash('sha256')
          let n = 0
          for await (const piece of request.stream()) {
            hash.update(piece)
            n += piece.length
            if (n % 7 === 0) await sleep(1)
            else await new Promise((r) => setImmediate(r))
          }
          return { status: 200, body: `${n} ${hash.digest('hex')}` }
        },
        { readPath },
      )
      const body = Buffer.alloc(4 * 1024 * 1024)
      for (let i = 0; i < body.length; i++) body[i] = (i * 131 + (i >> 9)) & 0xff
      const client = await h.client(port)
      const other = await h.client(port)
      void client.write(`POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`)
      void client.write(body)
      // Meanwhile another connection keeps the shared buffer busy.
      for (let i = 0; i < 20; i++) {
        await other.write(`GET /other/${i} HTTP/1.1\r\nHost: t\r\n\r\n`)
        assert.equal((await other.response()).status, 200)
      }
      const response = await client.response({ ms: 60_000 })
      const expected = createHash('sha256').update(body).digest('hex')
      assert.equal(response.body.toString(), `${body.length} ${expected}`)
    })

    it('property: interleaved connections, pipelined requests cut anywhere, all answered exactly', async (t) => {
      const h = new Harness(t)
      const { port } = await h.server(slowHashHandler, { readPath })
      const request = fc.record({
        path: fc.stringMatching(/^\/[a-z0-9]{0,12}$/),
        body: fc.uint8Array({ maxLength: 600 }),
        delay: fc.integer({ min: 0, max: 5 }),
      })
      const connection = fc.record({
        requests: fc.array(request, { minLength: 1, maxLength: 4 }),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      })
      await fc.assert(
        fc.asyncProperty(fc.array(connection, { minLength: 2, maxLength: 4 }), async (plans) => {
          const clients = await Promise.all(plans.map(() => h.client(port)))
          const wires = plans.map((plan) =>
            Buffer.concat(
              plan.requests.map((r) =>
                Buffer.concat([
                  Buffer.from(
                    `POST ${r.path} HTTP/1.1\r\nHost: t\r\nX-Delay: ${r.delay}\r\n` +
                      `Content-Length: ${r.body.length}\r\n\r\n`,
                  ),
                  r.body,
                ]),
              ),
            ),
          )
          // Split each connection's bytes at its cut points, then send the pieces round-robin.
          const pieces = wires.map((wire, i) => {
            const cuts = [...new Set(plans[i]!.cuts.map((c) => c % (wire.length + 1)))].sort(
              (x, y) => x - y,
            )
            const out: Buffer[] = []
            let from = 0
            for (const cut of [...cuts, wire.length]) {
              if (cut > from) out.push(wire.subarray(from, cut))
              from = Math.max(from, cut)
            }
            return out
          })
          for (let round = 0; pieces.some((p) => round < p.length); round++) {
            for (let i = 0; i < clients.length; i++) {
              const piece = pieces[i]![round]
              if (piece !== undefined) {
                await clients[i]!.write(piece)
                await sleep(1)
              }
            }
          }
          for (let i = 0; i < clients.length; i++) {
            for (const r of plans[i]!.requests) {
              const response = await clients[i]!.response()
              const digest = createHash('sha256').update(r.body).digest('hex')
              assert.equal(response.body.toString(), `${r.path} ${r.body.length} ${digest}`)
            }
            clients[i]!.destroy()
          }
        }),
        { numRuns: 12 },
      )
    })
  })
}

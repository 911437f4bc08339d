/**
 * A request may reach the server in any number of pieces: one byte at a time, split at every offset of its
 * head, its body cut anywhere. The answer must be the same as when it arrives whole.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { echoHandler, Harness, parseEcho, sleep } from './helpers.ts'

describe('requests written in pieces', { timeout: 120_000 }, () => {
  it('a request written one byte at a time, with pauses, is answered', async (t) => {
    const h = new Harness(t)
    const received: number[] = []
    const { port } = await h.server(echoHandler, {
      trace: (text) => {
        if (text.includes('<<<')) received.push(text.length)
      },
    })
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    const request =
      'POST /one/byte?at=a-time HTTP/1.1\r\nHost: test\r\nX-Long: abc def\r\n' +
      'Content-Length: 11\r\n\r\nhello world'
    for (const char of request) {
      await client.write(char)
      await sleep(2)
    }
    const echo = parseEcho(await client.response())
    assert.equal(echo.method, 'POST')
    assert.equal(echo.target, '/one/byte?at=a-time')
    assert.equal(echo.path, '/one/byte')
    assert.equal(echo.query, 'at=a-time')
    assert.deepEqual(echo.headers, ['Host', 'test', 'X-Long', 'abc def', 'Content-Length', '11'])
    assert.equal(echo.body, 'hello world')
    // The server really read it in many pieces (the trace prints once per chunk read).
    assert.ok(received.length > 10, `only ${received.length} reads`)
  })

  it('a head split at every offset is answered the same, on one kept-alive connection', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(echoHandler)
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    const head =
      'GET /split/here?q=1&r=%20 HTTP/1.1\r\nHost: test\r\nAccept: */*\r\n' +
      'X-Folded-Not: a , b\r\nConnection: keep-alive\r\n\r\n'
    for (let cut = 1; cut < head.length; cut++) {
      await client.write(head.slice(0, cut))
      await sleep(1)
      await client.write(head.slice(cut))
      const response = await client.response()
      const echo = parseEcho(response)
      assert.equal(echo.target, '/split/here?q=1&r=%20', `cut at ${cut}`)
      assert.deepEqual(
        echo.headers,
        ['Host', 'test', 'Accept', '*/*', 'X-Folded-Not', 'a , b', 'Connection', 'keep-alive'],
        `cut at ${cut}`,
      )
      assert.ok(!client.ended, `the connection closed after the request cut at ${cut}`)
    }
  })

  it('bodies (Content-Length and chunked) cut at arbitrary places arrive whole', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(echoHandler)
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.boolean(),
        fc.uniqueArray(fc.integer({ min: 1, max: 4000 }), { maxLength: 8 }),
        async (body, chunked, cuts) => {
          const bytes = Buffer.from(body)
          let wire: Buffer
          if (chunked) {
            // Three chunks of uneven sizes (some may be empty and are then left out), an extension, a trailer.
            const a = bytes.subarray(0, bytes.length >> 2)
            const b = bytes.subarray(bytes.length >> 2)
            const parts = [a, b]
              .filter((p) => p.length > 0)
              .map((p) =>
                Buffer.concat([
                  Buffer.from(`${p.length.toString(16)};ext=1\r\n`),
                  p,
                  Buffer.from('\r\n'),
                ]),
              )
            wire = Buffer.concat([
              Buffer.from('POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n'),
              ...parts,
              Buffer.from('0\r\nX-Trailer: t\r\n\r\n'),
            ])
          } else {
            wire = Buffer.concat([
              Buffer.from(
                `POST /l HTTP/1.1\r\nHost: test\r\nContent-Length: ${bytes.length}\r\n\r\n`,
              ),
              bytes,
            ])
          }
          const offsets = [...cuts.filter((c) => c < wire.length)].sort((x, y) => x - y)
          let from = 0
          for (const at of [...offsets, wire.length]) {
            await client.write(wire.subarray(from, at))
            from = at
            await new Promise((resolve) => setImmediate(resolve))
          }
          const echo = parseEcho(await client.response())
          assert.equal(echo.body, bytes.toString('latin1'))
        },
      ),
      { numRuns: 40 },
    )
    assert.ok(!client.ended)
  })
})

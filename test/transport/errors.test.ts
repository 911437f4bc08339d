/**
 * Failures: handlers that throw, reject or return what HTTP cannot carry, clients that break the protocol or
 * vanish mid-request. The server answers what can be answered, closes what must be closed, and keeps serving.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Handler } from '../../src/transport/types.ts'
import { eventually, get, Harness, header, recordingLogger, sleep } from './helpers.ts'

describe('handler errors', { timeout: 60_000 }, () => {
  const cases: [string, Handler][] = [
    [
      'a handler that throws',
      () => {
        throw new Error('secret detail 42')
      },
    ],
    ['an async handler that rejects', async () => Promise.reject(new Error('secret detail 42'))],
  ]
  for (const [name, handler] of cases) {
    it(`${name} → 500 without details, logged; the connection stays usable`, async (t) => {
      const h = new Harness(t)
      const recorded = recordingLogger()
      const { port } = await h.server(
        (request) => (request.path === '/ok' ? { status: 200, body: 'fine' } : handler(request)),
        { logger: recorded.logger },
      )
      const client = await h.client(port)
      await client.write(get('/boom'))
      const response = await client.response()
      assert.equal(response.status, 500)
      assert.equal(response.body.toString(), 'Internal Server Error\n')
      assert.doesNotMatch(response.body.toString(), /secret|at |\.ts/)
      const errors = recorded.lines.filter((l) => l.level === 'error')
      assert.equal(errors.length, 1)
      assert.match(errors[0]!.message, /GET \/boom/)
      assert.match(errors[0]!.message, /secret detail 42/)
      // A handler's bug is not the connection's fault: it stays open.
      assert.equal(header(response, 'connection'), 'keep-alive')
      await client.write(get('/ok'))
      assert.equal((await client.response()).body.toString(), 'fine')
    })
  }

  it("a handler returning an invalid header value ('a\\r\\nb') → 500, logged", async (t) => {
    const h = new Harness(t)
    const recorded = recordingLogger()
    const { port } = await h.server(
      (request) =>
        request.path === '/stream'
          ? {
              status: 200,
              headers: { 'X-Injected': 'a\r\nSet-Cookie: evil=1' },
              body: (async function* () {
                yield Buffer.from('never sent')
              })(),
            }
          : { status: 200, headers: [['X-Injected', 'a\r\nb']], body: 'never sent' },
      { logger: recorded.logger },
    )
    const client = await h.client(port)
    for (const path of ['/bytes', '/stream']) {
      await client.write(get(path))
      const response = await client.response()
      assert.equal(response.status, 500, path)
      assert.equal(header(response, 'x-injected'), undefined)
      assert.equal(header(response, 'set-cookie'), undefined)
      assert.equal(response.body.toString(), 'Internal Server Error\n')
    }
    const errors = recorded.lines.filter((l) => l.level === 'error')
    assert.equal(errors.length, 2)
    for (const line of errors) assert.match(line.message, /invalid response/)
  })
})

describe('protocol errors', { timeout: 60_000 }, () => {
  const cases: [string, string, number][] = [
    ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', 400],
    ['a bad Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n', 400],
    ['a missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['an unsupported version', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
    [
      'a header section over the limit',
      `GET / HTTP/1.1\r\nHost: a\r\nX: ${'v'.repeat(3000)}\r\n\r\n`,
      431,
    ],
    ['a body over maxBodySize', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n', 413],
    [
      'a transfer coding we do not implement',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      501,
    ],
    [
      'an expectation we cannot meet',
      'POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx',
      417,
    ],
  ]
  for (const [name, request, status] of cases) {
    it(`${name} → ${status}, Connection: close, closed`, async (t) => {
      const h = new Harness(t)
      let called = false
      const { port } = await h.server(
        () => {
          called = true
          return { status: 200 }
        },
        { limits: { maxHeaderSize: 2048, maxBodySize: 4096 } },
      )
      const client = await h.client(port)
      await client.write(request)
      const response = await client.response()
      assert.equal(response.status, status, response.body.toString())
      assert.equal(header(response, 'connection'), 'close')
      assert.equal(header(response, 'content-type'), 'text/plain; charset=utf-8')
      await client.serverClosed()
      assert.ok(client.drained)
      assert.equal(called, false, 'the handler is not called for a broken request')
    })
  }

  it('a broken chunked body while the handler reads it → the hinted status and close', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: await request.body(),
    }))
    const client = await h.client(port)
    await client.write(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZZ\r\n',
    )
    const response = await client.response()
    assert.equal(response.status, 400)
    assert.equal(header(response, 'connection'), 'close')
    await client.serverClosed()
  })
})

describe('clients that vanish', { timeout: 60_000 }, () => {
  it('a client reset mid-body aborts the handler; the server keeps serving', async (t) => {
    const h = new Harness(t)
    let aborted = false
    let bodyFailed = false
    const { port } = await h.server(async (request) => {
      if (request.path === '/ok') return { status: 200, body: 'still here' }
      request.signal.addEventListener('abort', () => {
        aborted = true
      })
      try {
        await request.body()
      } catch {
        bodyFailed = true
        throw new Error('client gone')
      }
      return { status: 200 }
    })
    const client = await h.client(port)
    await client.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nsome')
    await sleep(20)
    client.socket.resetAndDestroy()
    await eventually(() => aborted && bodyFailed, 'the handler to see the client leave')

    const other = await h.client(port)
    await other.write(get('/ok'))
    assert.equal((await other.response()).body.toString(), 'still here')
  })

  it('a client that closes its side while its whole request is answered: the handler is told (signal)', async (t) => {
    const h = new Harness(t)
    let aborted = false
    const { port } = await h.server(async (request) => {
      if (request.path === '/ok') return { status: 200, body: 'still here' }
      // A handler that holds the request open (a long poll, an approval waiting for a person).
      await new Promise<void>((resolve) => {
        request.signal.addEventListener('abort', () => {
          aborted = true
          resolve()
        })
      })
      return { status: 200 }
    })
    const client = await h.client(port)
    await client.write(get('/wait'))
    await sleep(20)
    client.socket.end() // FIN: what curl's --max-time does, from the server's side
    await eventually(() => aborted, 'the handler to see the client leave')

    const other = await h.client(port)
    await other.write(get('/ok'))
    assert.equal((await other.response()).body.toString(), 'still here')
  })

  it('a client destroyed mid-head, or mid-response stream, never crashes the server', async (t) => {
    const h = new Harness(t)
    let streamStopped = false
    const { server, port } = await h.server((request) => {
      if (request.path === '/ok') return { status: 200, body: 'ok' }
      return {
        status: 200,
        body: (async function* () {
          try {
            // Bounded: 20,000 × 16 KiB would be 312 MiB; the client leaves long before.
            for (let i = 0; i < 20_000; i++) {
              yield Buffer.alloc(16 * 1024, 0x62)
              await new Promise((resolve) => setImmediate(resolve))
            }
          } finally {
            streamStopped = true
          }
        })(),
      }
    })
    const midHead = await h.client(port)
    await midHead.write('GET /half HTTP/1.1\r\nHost:')
    midHead.destroy()

    const midStream = await h.client(port)
    await midStream.write(get('/stream'))
    await midStream.until(() => midStream.receivedBytes > 100_000, 'part of the stream')
    midStream.socket.resetAndDestroy()
    await eventually(() => streamStopped, 'the response stream to stop')
    await eventually(() => server.connectionCount === 0, 'both connections to be gone')

    const other = await h.client(port)
    await other.write(get('/ok'))
    assert.equal((await other.response()).body.toString(), 'ok')
  })
})

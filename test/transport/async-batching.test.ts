/**
 * Responses that async handlers complete in the same turn of the event loop leave in one write, as sync
 * handlers' do (outbox.ts `flushSoon`); order holds, a slow handler does not hold back the responses before it,
 * and a client that does not read still meets backpressure. Also `body()` read whole (request.ts `collect`):
 * pieces arriving over several reads, the limit while it waits, and a body consumed before it arrives.
 *
 * Writes are counted by wrapping `net.Socket.prototype.write` for the server's sockets (every write the outbox
 * makes goes through it), so a regression to one write per response fails here.
 */
import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { describe, it } from 'node:test'
import { get, Harness, header, sleep } from './helpers.ts'

/** Counts `write` calls on sockets other than `exclude` (the test's clients) while installed. */
function countServerWrites(exclude: () => readonly Socket[]): {
  count: () => number
  restore: () => void
} {
  const original = Socket.prototype.write
  let writes = 0
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    if (!exclude().includes(this)) writes++
    return (original as (...a: unknown[]) => boolean).apply(this, args)
  } as typeof Socket.prototype.write
  return {
    count: () => writes,
    restore: () => {
      Socket.prototype.write = original
    },
  }
}

async function nested(depth: number): Promise<number> {
  if (depth === 0) return 0
  await Promise.resolve()
  return 1 + (await nested(depth - 1))
}

describe('async handlers: one write per turn', { timeout: 60_000 }, () => {
  it('16 pipelined requests to an async handler are answered in one write, in order', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      // Handlers settle after different numbers of microtask hops: the batch must still be one write.
      const n = Number(request.path.slice(3)) || 0
      await nested(n % 5)
      return { status: 200, body: `response to ${request.path}` }
    })
    const client = await h.client(port)
    // One request first: the connection is set up and the server's first read is done.
    await client.write(get('/r/x'))
    await client.response()
    const spy = countServerWrites(() => [client.socket])
    try {
      let batch = ''
      for (let i = 0; i < 16; i++) batch += get(`/r/${i}`)
      await client.write(batch)
      const responses = await client.responses(16)
      responses.forEach((response, i) => {
        assert.equal(response.status, 200)
        assert.equal(response.body.toString(), `response to /r/${i}`)
        assert.equal(header(response, 'connection'), 'keep-alive')
      })
      assert.equal(spy.count(), 1, `${spy.count()} writes for 16 pipelined responses`)
    } finally {
      spy.restore()
    }
  })

  it('one request at a time to an async handler: one write each, no waiting for a tick', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async () => ({ status: 200, body: 'ok' }))
    const client = await h.client(port)
    const spy = countServerWrites(() => [client.socket])
    try {
      for (let i = 0; i < 5; i++) {
        await client.write(get('/'))
        assert.equal((await client.response()).body.toString(), 'ok')
      }
      assert.equal(spy.count(), 5)
    } finally {
      spy.restore()
    }
  })

  it('a handler waiting for I/O does not hold back the responses before it', async (t) => {
    const h = new Harness(t)
    let release: (() => void) | undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const { port } = await h.server(async (request) => {
      if (request.path === '/slow') await held
      return { status: 200, body: request.path }
    })
    const client = await h.client(port)
    await client.write(get('/a') + get('/b') + get('/slow') + get('/c'))
    // /a and /b arrive while /slow is still pending.
    const first = await client.responses(2)
    assert.deepEqual(
      first.map((r) => r.body.toString()),
      ['/a', '/b'],
    )
    await sleep(50)
    assert.equal(client.text.includes('/slow'), false, 'nothing past the pending response')
    release!()
    const rest = await client.responses(2)
    assert.deepEqual(
      rest.map((r) => r.body.toString()),
      ['/slow', '/c'],
    )
  })

  it('a client that never reads meets backpressure with an async handler (bounded answers)', async (t) => {
    const h = new Harness(t)
    const big = Buffer.alloc(64 * 1024, 0x61)
    let calls = 0
    const { port } = await h.server(async () => {
      calls++
      await Promise.resolve()
      return { status: 200, body: big }
    })
    const greedy = await h.client(port)
    greedy.socket.pause()
    const requests = 3000
    greedy.socket.write(get('/big').repeat(requests))
    let last = -1
    for (let i = 0; i < 40 && calls !== last; i++) {
      last = calls
      await sleep(500)
    }
    assert.equal(calls, last, 'the server kept calling the handler for a stalled client')
    // Answering everything would buffer 3000 × 64 KiB = 188 MiB; the kernel's socket buffers hold a few MiB.
    assert.ok(calls < requests / 2, `${calls} of ${requests} requests answered to a stalled reader`)
    greedy.socket.resume()
    await greedy.until(() => calls > last, 'the server to resume')
  })

  it('a streamed response behind batched ones keeps its place', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      await Promise.resolve()
      if (request.path === '/stream') {
        return {
          status: 200,
          body: (async function* () {
            yield Buffer.from('st')
            await Promise.resolve()
            yield Buffer.from('ream')
          })(),
        }
      }
      return { status: 200, body: request.path }
    })
    const client = await h.client(port)
    await client.write(get('/a') + get('/stream') + get('/b') + get('/c'))
    const responses = await client.responses(4)
    assert.deepEqual(
      responses.map((r) => r.body.toString()),
      ['/a', 'stream', '/b', '/c'],
    )
  })

  it('an async handler that throws in a pipelined batch: 500 in its place, the others intact', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      await Promise.resolve()
      if (request.path === '/boom') throw new Error('boom')
      return { status: 200, body: request.path }
    })
    const client = await h.client(port)
    await client.write(get('/a') + get('/boom') + get('/c'))
    const responses = await client.responses(3)
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 500, 200],
    )
    assert.equal(responses[2]!.body.toString(), '/c')
  })
})

describe('body() read whole', { timeout: 60_000 }, () => {
  it('collects pieces that arrive over several reads, asked for before any arrived', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      const body = await request.body()
      return { status: 200, body: `${body.length}:${Buffer.from(body).toString()}` }
    })
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n')
    for (const part of ['one', 'two', 'six']) {
      await sleep(20)
      await client.write(part)
    }
    assert.equal((await client.response()).body.toString(), '9:onetwosix')
  })

  it('a body past the limit while body() waits → 413; the connection closes', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => ({
      status: 200,
      body: await request.body(5),
    }))
    const client = await h.client(port)
    client.socket.setNoDelay(true)
    await client.write(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n',
    )
    await sleep(20)
    await client.write('3\r\ndef\r\n0\r\n\r\n')
    const response = await client.response()
    assert.equal(response.status, 413)
    await client.serverClosed()
  })

  it('body() when the whole body came with the head, and body() twice: the same bytes', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(async (request) => {
      await sleep(5)
      const a = await request.body()
      const b = await request.body()
      return { status: 200, body: `${a === b}:${Buffer.from(a).toString()}` }
    })
    const client = await h.client(port)
    await client.write(
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' + get('/next'),
    )
    const [first, second] = await client.responses(2)
    assert.equal(first!.body.toString(), 'true:hello')
    assert.equal(second!.body.toString(), 'true:')
  })
})

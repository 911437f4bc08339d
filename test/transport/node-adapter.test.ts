/**
 * The node:http adapter beyond the byte-for-byte table of engines.test.ts: Unix sockets and peer identity,
 * graceful shutdown, maxConnections, the abort signal, streamed request bodies.
 */
import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createNodeHttpServer } from '../../src/transport/node-adapter.ts'
import { peerCredentialsAvailable } from '../../src/transport/peer-credentials.ts'
import type { HttpServer } from '../../src/transport/server.ts'
import type { Handler, Peer } from '../../src/transport/types.ts'
import { ListenError } from '../../src/transport/unix-socket.ts'
import {
  eventually,
  get,
  Harness,
  header,
  RawClient,
  recordingLogger,
  sleep,
  type Target,
} from './helpers.ts'

async function start(
  h: Harness,
  handler: Handler,
  listen: Parameters<HttpServer['listen']>[0] = { port: 0, host: '127.0.0.1' },
  options: Parameters<typeof createNodeHttpServer>[1] = {},
): Promise<{ server: HttpServer; target: Target }> {
  const server = h.own(
    createNodeHttpServer(handler, { logger: recordingLogger().logger, ...options }),
  )
  const address = await server.listen(listen)
  const target: Target =
    address.transport === 'tcp'
      ? { port: address.port, host: address.host }
      : { path: address.path }
  return { server, target }
}

describe('node:http adapter', { timeout: 60_000 }, () => {
  it('serves a Unix socket with the mode asked for, and knows the peer', async (t) => {
    const h = new Harness(t)
    const path = join(h.tempDir(), 'node.sock')
    const { target } = await start(
      h,
      (request) => ({ status: 200, body: JSON.stringify(request.peer) }),
      { path, mode: 0o600 },
    )
    assert.equal(statSync(path).mode & 0o777, 0o600)
    const client = await h.client(target)
    await client.write(get('/'))
    const peer = JSON.parse((await client.response()).body.toString()) as Peer
    assert.equal(peer.transport, 'unix')
    if (peer.transport === 'unix' && peerCredentialsAvailable()) {
      assert.equal(peer.pid, process.pid)
      assert.equal(peer.uid, process.getuid?.())
    }
    // A second server on the same path is refused, as with the raw engine.
    const second = h.own(createNodeHttpServer(() => ({ status: 200 })))
    await assert.rejects(second.listen({ path }), (error: unknown) => {
      assert.ok(error instanceof ListenError)
      assert.equal(error.code, 'EADDRINUSE')
      return true
    })
  })

  it('knows a TCP peer', async (t) => {
    const h = new Harness(t)
    const { target } = await start(h, (request) => ({
      status: 200,
      body: JSON.stringify(request.peer),
    }))
    const client = await h.client(target)
    await client.write(get('/'))
    const peer = JSON.parse((await client.response()).body.toString()) as Peer
    assert.deepEqual(peer, {
      transport: 'tcp',
      address: '127.0.0.1',
      port: client.socket.localPort,
      family: 'IPv4',
    })
  })

  it('shuts down gracefully: in-flight requests finish with Connection: close, idle ones close', async (t) => {
    const h = new Harness(t)
    let started = 0
    const path = join(h.tempDir(), 'closing.sock')
    const { server, target } = await start(h, async (request) => {
      if (request.path === '/slow') {
        started++
        await sleep(200)
      }
      return { status: 200, body: request.path }
    })
    await server.listen({ path })
    const idle = await h.client(target)
    await idle.write(get('/fast'))
    assert.equal((await idle.response()).status, 200)
    const busy = [await h.client(target), await h.client({ path })]
    await Promise.all(busy.map((c) => c.write(get('/slow'))))
    await eventually(() => started === 2, 'both slow handlers to start')

    const closed = server.close()
    await idle.serverClosed()
    assert.ok(idle.drained)
    await assert.rejects(RawClient.connect(target), { code: 'ECONNREFUSED' })
    for (const client of busy) {
      const response = await client.response()
      assert.equal(response.body.toString(), '/slow')
      assert.equal(header(response, 'connection'), 'close')
      await client.serverClosed()
    }
    await closed
    assert.equal(server.connectionCount, 0)
    assert.equal(existsSync(path), false)
  })

  it('cuts a handler that never finishes after the close timeout, aborting its signal', async (t) => {
    const h = new Harness(t)
    let aborted = false
    const { server, target } = await start(
      h,
      (request) =>
        new Promise(() => {
          request.signal.addEventListener('abort', () => {
            aborted = true
          })
        }),
    )
    const client = await h.client(target)
    await client.write(get('/forever'))
    await eventually(() => server.connectionCount === 1, 'the connection to be accepted')
    await sleep(20)
    await server.close({ timeout: 200 })
    await client.serverClosed()
    assert.equal(client.receivedBytes, 0)
    assert.ok(aborted)
  })

  it('answers a connection beyond maxConnections with 503 and Retry-After', async (t) => {
    const h = new Harness(t)
    const { server, target } = await start(
      h,
      () => ({ status: 200, body: 'ok' }),
      { port: 0, host: '127.0.0.1' },
      { maxConnections: 1 },
    )
    const first = await h.client(target)
    await first.write(get('/'))
    assert.equal((await first.response()).status, 200)
    const second = await h.client(target)
    const refused = await second.response()
    assert.equal(refused.status, 503)
    assert.equal(header(refused, 'retry-after'), '1')
    await second.serverClosed()
    assert.equal(server.connectionCount, 1)
  })

  it('streams a request body and enforces the limit of stream()', async (t) => {
    const h = new Harness(t)
    const { target } = await start(h, async (request) => {
      const pieces: number[] = []
      for await (const chunk of request.stream(10)) pieces.push(chunk.length)
      return { status: 200, body: pieces.join(',') }
    })
    const ok = await h.client(target)
    await ok.write('POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')
    await sleep(20)
    await ok.write('4\r\ndefg\r\n0\r\n\r\n')
    const response = await ok.response()
    assert.equal(response.status, 200)
    assert.equal(
      response.body
        .toString()
        .split(',')
        .reduce((a, b) => a + Number(b), 0),
      7,
    )
    const tooBig = await h.client(target)
    await tooBig.write(
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nB\r\n0123456789A\r\n0\r\n\r\n',
    )
    const refused = await tooBig.response()
    assert.equal(refused.status, 413)
    assert.equal(header(refused, 'connection'), 'close')
  })

  it('aborts the signal when the client leaves mid-request', async (t) => {
    const h = new Harness(t)
    let aborted = false
    const { target } = await start(h, async (request) => {
      request.signal.addEventListener('abort', () => {
        aborted = true
      })
      await request.body()
      return { status: 200 }
    })
    const client = await h.client(target)
    await client.write('POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc')
    await sleep(20)
    client.socket.resetAndDestroy()
    await eventually(() => aborted, 'the signal to abort')
  })
})

/**
 * How the server closes a connection (RFC 9112 §9.6). When the client asked to close and sent its whole
 * request, nothing more can come from it: the socket closes as soon as the response is written. Otherwise
 * (an error answered early, a body left unread) the server half-closes and keeps reading for a while, so
 * that bytes still arriving do not make the kernel reset the connection before the client has read the
 * response ("lingering close").
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { Handler } from '../../src/transport/types.ts'
import { eventually, Harness, RawClient, sleep, withTimeout } from './helpers.ts'

const hello: Handler = () => ({ status: 200, body: 'hello' })
// Long enough that a lingering connection is still open when the test looks.
const LINGER_MS = 20_000

/**
 * A client that keeps its side open when the server closes its own (a plain net socket answers the server's
 * FIN with its own at once, which would end any linger before a test could see it).
 */
async function halfOpenClient(t: TestContext, port: number): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  t.after(() => socket.destroy())
  await withTimeout(once(socket, 'connect'), 'connect')
  return new RawClient(socket)
}

/**
 * After the response: the server has half-closed (FIN) but keeps the socket open and keeps reading what the
 * client still sends (`more`), without a reset; the socket goes once the client closes its side.
 */
async function expectLinger(
  server: { readonly connectionCount: number },
  client: RawClient,
  more: string | Uint8Array,
): Promise<void> {
  await client.serverClosed()
  await sleep(300)
  assert.equal(server.connectionCount, 1)
  assert.equal(client.closed, false)
  await client.write(more)
  await sleep(100)
  assert.equal(client.error, undefined)
  client.socket.end()
  await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
}

describe('closing', { timeout: 60_000 }, () => {
  it('Connection: close from the client: the server closes right after the response', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(hello, { lingerTimeout: LINGER_MS })
    const client = await halfOpenClient(t, port)
    await client.write('GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    const response = await client.response()
    assert.equal(response.body.toString(), 'hello')
    // The client never closes its side; the server's socket is gone anyway, long before the linger timeout.
    await client.serverClosed()
    await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
  })

  it('HTTP/1.0 without keep-alive, with a body read whole: closed right after the response', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(
      async (request) => ({ status: 200, body: await request.body() }),
      { lingerTimeout: LINGER_MS },
    )
    const client = await halfOpenClient(t, port)
    await client.write('POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc')
    assert.equal((await client.response()).body.toString(), 'abc')
    await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
  })

  it('an error answered before the request is complete: the server lingers, reading', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(hello, { lingerTimeout: LINGER_MS })
    const client = await halfOpenClient(t, port)
    await client.write('GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n')
    const response = await client.response()
    assert.equal(response.status, 400)
    await expectLinger(server, client, 'more bytes the server reads and drops')
  })

  it('Connection: close with bytes sent after the request: the server lingers', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(hello, { lingerTimeout: LINGER_MS })
    const client = await halfOpenClient(t, port)
    // Not allowed after "close" (RFC 9112 §9.6), but it happens: the extra bytes must not turn into a reset.
    await client.write(
      'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /again HTTP/1.1\r\nHost: t\r\n\r\n',
    )
    assert.equal((await client.response()).body.toString(), 'hello')
    await expectLinger(server, client, 'GET /third HTTP/1.1\r\nHost: t\r\n\r\n')
  })

  it('a body left unread after Connection: close: the server lingers', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(hello, { lingerTimeout: LINGER_MS })
    const client = await halfOpenClient(t, port)
    await client.write(
      'POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 100000\r\n\r\nstart',
    )
    assert.equal((await client.response()).body.toString(), 'hello')
    // The rest of the body still arrives and is read, not answered with a reset.
    await expectLinger(server, client, Buffer.alloc(50_000, 0x61))
  })
})

describe('closing after the client half-closed', { timeout: 60_000 }, () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 0x62)
  const bigHandler: Handler = () => ({ status: 200, body: big })

  it('a request then FIN: the response arrives whole, then the server closes', async (t) => {
    const h = new Harness(t)
    const { server, target } = await h.server(
      hello,
      { lingerTimeout: LINGER_MS },
      {
        path: join(h.tempDir(), 's.sock'),
      },
    )
    const client = await h.client(target)
    await client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    client.socket.end()
    assert.equal((await client.response()).body.toString(), 'hello')
    await client.serverClosed()
    assert.equal(client.error, undefined)
    await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
  })

  it('a large response to a client that half-closed and reads late arrives whole', async (t) => {
    const h = new Harness(t)
    const { server, target } = await h.server(
      bigHandler,
      { lingerTimeout: LINGER_MS },
      {
        path: join(h.tempDir(), 's.sock'),
      },
    )
    const client = await h.client(target)
    client.socket.pause()
    await client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    client.socket.end()
    await sleep(200)
    client.socket.resume()
    const response = await client.response()
    assert.equal(response.status, 200)
    assert.equal(response.body.length, big.length)
    await client.serverClosed()
    assert.equal(client.error, undefined)
    await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
  })

  it('lingering with a large response still being written: the client FIN does not cut it', async (t) => {
    const h = new Harness(t)
    const { server, target } = await h.server(
      bigHandler,
      { lingerTimeout: LINGER_MS },
      {
        path: join(h.tempDir(), 's.sock'),
      },
    )
    const client = await h.client(target)
    client.socket.pause()
    // The handler answers without reading the body; Connection: close, body incomplete: the server lingers.
    await client.write(
      'POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 10\r\n\r\nstart',
    )
    await sleep(100)
    await client.write('12345')
    client.socket.end()
    // The server reads the rest of the body and the FIN while its response is still queued.
    await sleep(200)
    client.socket.resume()
    const response = await client.response()
    assert.equal(response.status, 200)
    assert.equal(response.body.length, big.length)
    await client.serverClosed()
    await eventually(() => server.connectionCount === 0, 'no connection left', 5000)
  })
})

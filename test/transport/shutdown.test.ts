/**
 * Graceful shutdown: stop accepting, close idle connections at once, let in-flight requests finish (their
 * responses say `Connection: close`), cut what is still running after the timeout, remove Unix socket files.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ListenError } from '../../src/transport/unix-socket.ts'
import { eventually, get, Harness, header, RawClient, sleep } from './helpers.ts'

describe('graceful shutdown', { timeout: 60_000 }, () => {
  it('finishes in-flight requests, closes idle connections, refuses new ones, removes the socket file', async (t) => {
    const h = new Harness(t)
    let started = 0
    const { server, port } = await h.server(async (request) => {
      if (request.path === '/slow') {
        started++
        await sleep(200)
        return { status: 200, body: `done ${request.query}` }
      }
      return { status: 200, body: 'fast' }
    })
    const path = join(h.tempDir(), 'shutdown.sock')
    await server.listen({ path })

    const idle = await h.client(port)
    await idle.write(get('/fast'))
    assert.equal(header(await idle.response(), 'connection'), 'keep-alive')

    const busy = [await h.client(port), await h.client(port), await h.client({ path })]
    await Promise.all(busy.map((c, i) => c.write(get(`/slow?${i}`))))
    await eventually(() => started === 3, 'the three slow handlers to start')

    const closed = server.close()
    let closeResolved = false
    void closed.then(() => {
      closeResolved = true
    })

    // The idle connection is closed at once, without a response.
    await idle.serverClosed()
    assert.ok(idle.drained)
    // New connections are refused, over TCP and over the Unix socket.
    await assert.rejects(RawClient.connect({ port }), { code: 'ECONNREFUSED' })
    await assert.rejects(RawClient.connect({ path }), (error: NodeJS.ErrnoException) =>
      ['ENOENT', 'ECONNREFUSED'].includes(error.code ?? ''),
    )
    assert.equal(closeResolved, false, 'close() resolved with requests in flight')

    // Each in-flight request gets its complete response, saying the connection closes, then the close.
    for (const [i, client] of busy.entries()) {
      const response = await client.response()
      assert.equal(response.status, 200)
      assert.equal(response.body.toString(), `done ${i}`)
      assert.equal(header(response, 'connection'), 'close')
      await client.serverClosed()
    }
    await closed
    assert.equal(server.connectionCount, 0)
    assert.equal(existsSync(path), false, 'the socket file is removed')
    await assert.rejects(server.listen({ port: 0, host: '127.0.0.1' }), ListenError)
  })

  it('cuts a handler that never finishes after the timeout', async (t) => {
    const h = new Harness(t)
    let aborted = false
    const { server, port } = await h.server(
      (request) =>
        new Promise(() => {
          request.signal.addEventListener('abort', () => {
            aborted = true
          })
        }),
    )
    const client = await h.client(port)
    await client.write(get('/forever'))
    await eventually(() => server.connectionCount === 1, 'the connection to be accepted')
    await sleep(20)
    await server.close({ timeout: 300 })
    assert.equal(server.connectionCount, 0)
    await client.serverClosed()
    assert.equal(client.receivedBytes, 0, 'no response was ever written')
    assert.ok(aborted, "the handler's signal is aborted")
  })

  it('a pipelined request behind an in-flight one during shutdown is not started', async (t) => {
    const h = new Harness(t)
    const paths: string[] = []
    const { server, port } = await h.server(async (request) => {
      paths.push(request.path)
      await sleep(100)
      return { status: 200, body: request.path }
    })
    const client = await h.client(port)
    await client.write(get('/first') + get('/second'))
    await eventually(() => paths.length === 1, 'the first handler to start')
    const closed = server.close()
    const response = await client.response()
    assert.equal(response.body.toString(), '/first')
    assert.equal(header(response, 'connection'), 'close')
    await client.serverClosed()
    await closed
    assert.deepEqual(paths, ['/first'])
  })
})

/**
 * Timeouts, seen from the client: a head that trickles in too slowly (slowloris) gets 408 and a close, an idle
 * kept-alive connection is closed, a body that stalls gets 408. Short timeouts keep the tests quick; nothing
 * asserts how long anything took, only what the client received.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { eventually, get, Harness, header, recordingLogger, sleep } from './helpers.ts'

describe('timeouts', { timeout: 120_000 }, () => {
  it('answers a slowloris head with 408 and closes, while serving another client', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(() => ({ status: 200, body: 'fast' }), { headersTimeout: 300 })
    const slow = await h.client(port)
    slow.socket.setNoDelay(true)
    const head = `${get('/slow', 'X-Padding: '.concat('p'.repeat(400), '\r\n'))}`
    let sent = 0
    let servedMeanwhile = false
    // One byte every 20 ms: the whole head would take ~9 s, far past the 300 ms allowed.
    while (sent < head.length && !slow.ended) {
      await slow.write(head[sent++]!)
      await sleep(20)
      if (sent === 5) {
        const other = await h.client(port)
        await other.write(get('/other'))
        const response = await other.response()
        assert.equal(response.body.toString(), 'fast')
        servedMeanwhile = true
      }
    }
    assert.ok(servedMeanwhile)
    assert.ok(sent < head.length, 'the server waited for the whole trickled head')
    const response = await slow.response()
    assert.equal(response.status, 408)
    assert.equal(header(response, 'connection'), 'close')
    await slow.serverClosed()
  })

  it('closes a silent connection after headersTimeout without an answer', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(() => ({ status: 200 }), { headersTimeout: 200 })
    const silent = await h.client(port)
    await silent.serverClosed()
    assert.equal(silent.receivedBytes, 0, 'a connection that sent nothing gets nothing')
    await eventually(() => server.connectionCount === 0, 'the server to drop the connection')
  })

  it('closes an idle kept-alive connection after keepAliveTimeout', async (t) => {
    const h = new Harness(t)
    // headersTimeout far longer: the close must come from keepAliveTimeout, not from waiting for a next head.
    const { port } = await h.server(() => ({ status: 200, body: 'x' }), {
      keepAliveTimeout: 300,
      headersTimeout: 60_000,
    })
    const client = await h.client(port)
    await client.write(get('/'))
    const response = await client.response()
    assert.equal(response.status, 200)
    assert.equal(header(response, 'connection'), 'keep-alive')
    // Keep-Alive announces the timeout in whole seconds, rounded down (as node:http does).
    assert.equal(header(response, 'keep-alive'), 'timeout=0')
    await client.serverClosed(10_000)
    assert.ok(client.drained, 'the server closed without sending anything more')
  })

  it('fails a body that stalls past bodyTimeout: the handler sees it, the client gets 408', async (t) => {
    const h = new Harness(t)
    const recorded = recordingLogger()
    let failure: unknown
    const { port } = await h.server(
      async (request) => {
        try {
          await request.body()
        } catch (error) {
          failure = error
          throw error
        }
        return { status: 200, body: 'complete' }
      },
      { bodyTimeout: 300, logger: recorded.logger },
    )
    const client = await h.client(port)
    await client.write(
      'POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly ten b',
    )
    const response = await client.response()
    assert.equal(response.status, 408)
    assert.equal(header(response, 'connection'), 'close')
    assert.match(response.body.toString(), /^Request Timeout: /)
    await client.serverClosed()
    assert.equal((failure as { status?: number }).status, 408)
    // A client that is too slow is not a server error: nothing at error level.
    assert.deepEqual(
      recorded.lines.filter((l) => l.level === 'error'),
      [],
    )
  })

  it('a body that keeps arriving before bodyTimeout is read whole', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server(
      async (request) => ({ status: 200, body: await request.body() }),
      { bodyTimeout: 5000 },
    )
    const client = await h.client(port)
    await client.write('POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\n')
    for (const piece of ['ab', 'cd', 'ef']) {
      await sleep(20)
      await client.write(piece)
    }
    const response = await client.response()
    assert.equal(response.body.toString(), 'abcdef')
  })
})

/**
 * Pipelining (RFC 9112 §9.3.2): requests sent back to back without waiting are answered in order, a broken
 * request is only reported after the good ones before it, and a client that never reads its responses cannot
 * make the server buffer without bound.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { get, Harness, header, sleep, WAIT_MS } from './helpers.ts'

describe('pipelining', { timeout: 120_000 }, () => {
  it('answers 100 requests sent in one write, in order, sync and async handlers mixed', async (t) => {
    const h = new Harness(t)
    const { port } = await h.server((request) => {
      const n = Number(request.path.slice('/r/'.length))
      const body = `response to ${request.path}`
      // Every third handler is async and finishes after a varying delay: order must still hold.
      if (n % 3 === 0) {
        return sleep((7 * n) % 13).then(() => ({ status: 200, body }))
      }
      return { status: 200, body }
    })
    const client = await h.client(port)
    let batch = ''
    for (let i = 0; i < 100; i++) batch += get(`/r/${i}`)
    await client.write(batch)
    const responses = await client.responses(100)
    responses.forEach((response, i) => {
      assert.equal(response.status, 200)
      assert.equal(response.body.toString(), `response to /r/${i}`)
      assert.equal(header(response, 'connection'), 'keep-alive')
    })
    assert.ok(client.drained)
    assert.ok(!client.ended)
  })

  it('answers the good requests of a batch, then 400 for the bad one last, then closes', async (t) => {
    const h = new Harness(t)
    const seen: string[] = []
    const { port } = await h.server((request) => {
      seen.push(request.path)
      return { status: 200, body: request.path }
    })
    const client = await h.client(port)
    await client.write(
      get('/a') +
        get('/b') +
        get('/c') +
        'GET /bad HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n' +
        get('/never'),
    )
    const responses = await client.responses(4)
    assert.deepEqual(
      responses.map((r) => [r.status, r.body.toString('latin1').split(':')[0]]),
      [
        [200, '/a'],
        [200, '/b'],
        [200, '/c'],
        [400, 'Bad Request'],
      ],
    )
    assert.equal(header(responses[3]!, 'connection'), 'close')
    await client.serverClosed()
    assert.ok(client.drained, 'nothing after the 400')
    assert.deepEqual(seen, ['/a', '/b', '/c'])
  })

  it('stops reading from a client that never reads its responses; others are still served', async (t) => {
    const h = new Harness(t)
    const big = Buffer.alloc(64 * 1024, 0x61)
    let calls = 0
    const { port } = await h.server((request) => {
      if (request.path === '/big') {
        calls++
        return { status: 200, body: big }
      }
      return { status: 200, body: 'small' }
    })
    const greedy = await h.client(port)
    // The greedy client never reads: pause its socket so the kernel's receive buffer fills up.
    greedy.socket.pause()
    const requests = 3000
    const one = get('/big')
    // Written without waiting for completion: the socket may never be able to send it all.
    greedy.socket.write(one.repeat(requests))
    // Wait until the server has stopped calling the handler (no new call for 500 ms, bounded).
    const rssBefore = process.memoryUsage().rss
    let last = -1
    for (let i = 0; i < 40 && calls !== last; i++) {
      last = calls
      await sleep(500)
    }
    assert.equal(calls, last, 'the server kept reading requests from the stalled client')
    // Answering everything would buffer 3000 × 64 KiB = 188 MiB; the kernel's socket buffers hold a few MiB.
    assert.ok(
      calls < requests / 2,
      `${calls} of ${requests} requests were answered to a stalled reader`,
    )
    const growth = process.memoryUsage().rss - rssBefore
    console.log(
      `# stalled reader: ${calls} of ${requests} requests answered, RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`,
    )

    // Meanwhile another client is served at once.
    const other = await h.client(port)
    await other.write(get('/small'))
    const response = await other.response({ ms: WAIT_MS })
    assert.equal(response.body.toString(), 'small')

    // When the greedy client finally reads, the server resumes: more requests get answered.
    greedy.socket.resume()
    await greedy.until(() => calls > last, 'the server to resume reading')
    assert.ok(calls > last)
  })
})

/**
 * Many clients at once: 1,000 concurrent keep-alive connections against a server in its own process (so its
 * memory is measured apart from the clients'), and the maxConnections policy (503 + Retry-After, then close).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { Child, eventually, get, Harness, header, RawClient } from './helpers.ts'

const CLIENTS = 1000

/** The soft limit on open files of processes started from here, or 0 when it cannot be read. */
function openFileLimit(): number {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out)
  } catch {
    return 0
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)

interface Report {
  peakRss: number
  rss: number
  connections: number
  requests: number
}

describe('many clients', { timeout: 180_000 }, () => {
  it(`serves ${CLIENTS} concurrent keep-alive clients, two requests each`, async (t) => {
    // Each process holds one descriptor per connection (clients here, the server in its child), plus a margin.
    const limit = openFileLimit()
    if (limit < CLIENTS + 200) {
      const reason = `ulimit -n is ${limit}, below the ${CLIENTS + 200} descriptors this test needs`
      console.log(`# skipped: ${reason}`)
      t.skip(reason)
      return
    }
    const child = new Child('test/transport/fixtures/serve.ts', [], t)
    const { port } = JSON.parse((await child.line(/^\{"port".*/))[0]) as { port: number }
    child.send('report')
    const idle = JSON.parse((await child.line(/^\{"peakRss".*/))[0]) as Report

    const clients: RawClient[] = []
    try {
      // Connect in batches: a thousand SYNs at once can overflow the listen backlog (retransmits take 1 s+).
      for (let i = 0; i < CLIENTS; i += 100) {
        const batch = Array.from({ length: Math.min(100, CLIENTS - i) }, () =>
          RawClient.connect({ port }),
        )
        clients.push(...(await Promise.all(batch)))
      }
      for (const round of [0, 1]) {
        await Promise.all(clients.map((c, i) => c.write(get(`/client/${i}/${round}`))))
        const responses = await Promise.all(clients.map((c) => c.response({ ms: 60_000 })))
        responses.forEach((response, i) => {
          assert.equal(response.status, 200)
          assert.equal(response.body.toString(), `ok /client/${i}/${round}`)
          assert.equal(header(response, 'connection'), 'keep-alive')
        })
      }
      child.send('report')
      const busy = JSON.parse((await child.line(/^\{"peakRss".*/))[0]) as Report
      // Every client is still connected: the two requests each went over one kept-alive connection.
      assert.equal(busy.connections, CLIENTS)
      assert.equal(busy.requests, 2 * CLIENTS)
      assert.ok(clients.every((c) => !c.ended))
      console.log(
        `# ${CLIENTS} concurrent keep-alive clients, ${2 * CLIENTS} requests: server peak RSS ` +
          `${mib(busy.peakRss)} MiB (${mib(idle.rss)} MiB before the clients connected)`,
      )
    } finally {
      for (const client of clients) client.destroy()
    }
    child.send('close')
    const exit = await child.exited
    assert.equal(exit.code, 0, child.stderr)
  })

  it('answers a connection beyond maxConnections with 503 and Retry-After, then closes it', async (t) => {
    const h = new Harness(t)
    const { server, port } = await h.server(() => ({ status: 200, body: 'served' }), {
      maxConnections: 2,
    })
    const first = await h.client(port)
    const second = await h.client(port)
    // A request on each makes sure the server has accepted both before the third arrives.
    for (const c of [first, second]) {
      await c.write(get('/'))
      assert.equal((await c.response()).status, 200)
    }
    assert.equal(server.connectionCount, 2)

    const third = await h.client(port)
    await third.write(get('/'))
    const refused = await third.response()
    assert.equal(refused.status, 503)
    assert.equal(header(refused, 'retry-after'), '1')
    assert.equal(header(refused, 'connection'), 'close')
    await third.serverClosed()
    assert.equal(server.connectionCount, 2, 'the refused connection is not counted')

    // Kept connections still work; once one closes, a new connection is accepted again.
    await first.write(get('/again'))
    assert.equal((await first.response()).status, 200)
    second.destroy()
    await eventually(() => server.connectionCount === 1, 'the server to see the close')
    const fourth = await h.client(port)
    await fourth.write(get('/'))
    assert.equal((await fourth.response()).status, 200)
  })
})

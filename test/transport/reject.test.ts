/**
 * `onReject`: every request a server answers itself, before any handler saw it, is reported once, with its
 * status, a short reason and the request line when it was read. The same on both engines (the raw one and the
 * node:http adapter). The handler's own answers, and the body errors it meets, are never reported.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createNodeHttpServer } from '../../src/transport/node-adapter.ts'
import { createServer, type HttpServer, type ServerOptions } from '../../src/transport/server.ts'
import type { Handler, RejectInfo } from '../../src/transport/types.ts'
import { eventually, get, Harness, RawClient, recordingLogger, type Target } from './helpers.ts'

const handler: Handler = async (request) => {
  if (request.path === '/read') {
    const body = await request.body()
    return { status: 200, body: `read ${body.length}\n` }
  }
  if (request.path === '/missing') return { status: 404, body: 'no\n' }
  return { status: 200, body: 'ok\n' }
}

type Engine = 'raw' | 'node'

async function start(
  h: Harness,
  engine: Engine,
  options: ServerOptions = {},
): Promise<{ target: Target; rejects: RejectInfo[]; server: HttpServer }> {
  const rejects: RejectInfo[] = []
  const all: ServerOptions = {
    logger: recordingLogger().logger,
    limits: { maxBodySize: 1000, maxHeaderSize: 4096 },
    onReject: (info) => rejects.push(info),
    ...options,
  }
  const server = h.own(
    engine === 'raw' ? createServer(handler, all) : createNodeHttpServer(handler, all),
  )
  const address = await server.listen({ port: 0, host: '127.0.0.1' })
  assert.ok(address.transport === 'tcp')
  return { target: { port: address.port, host: address.host }, rejects, server }
}

/** Send `bytes` on a new connection; the status line of what comes back before the server closes. */
async function refused(h: Harness, target: Target, bytes: string): Promise<number> {
  const client = await h.client(target)
  await client.write(bytes)
  await client.serverClosed()
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(client.text)
  assert.ok(status, `a status line in ${JSON.stringify(client.text)}`)
  return Number(status[1])
}

for (const engine of ['raw', 'node'] as const) {
  describe(`onReject (${engine} engine)`, { timeout: 60_000 }, () => {
    it('a malformed request line: 400, reported without a request line', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine)
      assert.equal(await refused(h, target, '\x16\x03\x01 not http\r\n\r\n'), 400)
      await eventually(() => rejects.length === 1, 'one report')
      const [info] = rejects
      assert.equal(info!.status, 400)
      assert.ok(info!.reason.length > 0, 'a reason')
      assert.equal(info!.method, undefined)
      assert.equal(info!.target, undefined)
      assert.equal(info!.peer.transport, 'tcp')
    })

    it('CONNECT: 501, reported with the request line', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine)
      assert.equal(
        await refused(
          h,
          target,
          'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        ),
        501,
      )
      await eventually(() => rejects.length === 1, 'one report')
      assert.deepEqual(
        { ...rejects[0], peer: undefined, reason: undefined },
        {
          status: 501,
          reason: undefined,
          method: 'CONNECT',
          target: 'example.com:443',
          version: '1.1',
          peer: undefined,
        },
      )
    })

    it('a declared body past maxBodySize: 413, reported with the request line', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine)
      const client = await h.client(target)
      await client.write('POST /read?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n')
      assert.equal((await client.response()).status, 413)
      await eventually(() => rejects.length === 1, 'one report')
      assert.deepEqual(
        { ...rejects[0], peer: undefined },
        {
          status: 413,
          reason: 'body of 1001 bytes exceeds 1000',
          method: 'POST',
          target: '/read?x=1',
          version: '1.1',
          peer: undefined,
        },
      )
    })

    it('a header section past maxHeaderSize: 431, reported', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine)
      const status = await refused(h, target, get('/', `X-Big: ${'a'.repeat(8000)}\r\n`))
      assert.equal(status, 431)
      await eventually(() => rejects.length === 1, 'one report')
      assert.equal(rejects[0]!.status, 431)
      // The raw engine had read the request line; node's parser does not say.
      if (engine === 'raw') assert.equal(`${rejects[0]!.method} ${rejects[0]!.target}`, 'GET /')
    })

    it('a head that never completes: 408, reported', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine, { headersTimeout: 300 })
      assert.equal(await refused(h, target, 'GET /slow HTTP/1.1\r\nHost: a\r\n'), 408)
      await eventually(() => rejects.length === 1, 'one report')
      assert.equal(rejects[0]!.status, 408)
      if (engine === 'raw') assert.equal(rejects[0]!.target, '/slow')
    })

    it('a connection that sends nothing is no request: not reported', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine, { headersTimeout: 300 })
      const client = await h.client(target)
      await client.serverClosed()
      assert.deepEqual(rejects, [])
    })

    it('a connection past maxConnections: 503, reported', async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine, { maxConnections: 1 })
      const first = await h.client(target)
      await first.write(get('/'))
      assert.equal((await first.response()).status, 200)
      const second = await RawClient.connect(target)
      t.after(() => second.destroy())
      await second.serverClosed()
      assert.match(second.text, /^HTTP\/1\.1 503 /)
      await eventually(() => rejects.length === 1, 'one report')
      assert.equal(rejects[0]!.status, 503)
      assert.equal(rejects[0]!.reason, 'too many open connections')
    })

    it("the handler's own answers and the body errors it meets are not reported", async (t) => {
      const h = new Harness(t)
      const { target, rejects } = await start(h, engine)
      const client = await h.client(target)
      await client.write(get('/missing'))
      assert.equal((await client.response()).status, 404)
      // Chunked past the limit: the handler's body() fails, and the handler's answer is the 413.
      const chunk = 'x'.repeat(600)
      await client.write(
        'POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
          `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
      )
      assert.equal((await client.response()).status, 413)
      const ok = await h.client(target)
      await ok.write(get('/'))
      assert.equal((await ok.response()).status, 200)
      assert.deepEqual(rejects, [])
    })

    it('a throwing onReject is logged and changes nothing for the client', async (t) => {
      const h = new Harness(t)
      const recorded = recordingLogger()
      const { target } = await start(h, engine, {
        logger: recorded.logger,
        onReject: () => {
          throw new Error('reporter broke')
        },
      })
      const client = await h.client(target)
      await client.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n')
      assert.equal((await client.response()).status, 413)
      const errors = recorded.lines.filter((l) => l.level === 'error').map((l) => l.message)
      assert.equal(errors.length, 1, errors.join('\n'))
      assert.match(errors[0]!, /onReject failed: reporter broke/)
      const next = await h.client(target)
      await next.write(get('/'))
      assert.equal((await next.response()).status, 200)
    })
  })
}

describe('onReject (raw engine): refusals only the raw engine makes', { timeout: 60_000 }, () => {
  it('an HTTP/1.1 request without Host: 400 with the request line', async (t) => {
    const h = new Harness(t)
    const { target, rejects } = await start(h, 'raw')
    const client = await h.client(target)
    await client.write('GET /no-host HTTP/1.1\r\n\r\n')
    assert.equal((await client.response()).status, 400)
    await eventually(() => rejects.length === 1, 'one report')
    assert.equal(rejects[0]!.method, 'GET')
    assert.equal(rejects[0]!.target, '/no-host')
    assert.equal(rejects[0]!.reason, 'HTTP/1.1 request without a Host header')
  })
})

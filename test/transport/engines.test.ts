/**
 * One Handler, two engines: the raw one (server.ts, our parser on node:net) and the node:http adapter
 * (node-adapter.ts, llhttp underneath). One table of requests runs against both; each response must match in
 * status, reason, header fields (names lower-cased, in order, all but Date) and body bytes.
 *
 * Every case here is identical. Left out, because node:http answers them itself before any handler runs, with
 * its own bytes: malformed requests (node's 400 has no body and no Date), oversized header sections (431),
 * a head that times out (408), unknown transfer codings and expectations. Those are protocol-core behaviour,
 * tested against the raw engine alone (test/protocol/, errors.test.ts). CONNECT is in the table: node hands it
 * over apart, and the adapter answers it with the raw engine's 501 (neither engine tunnels).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createNodeHttpServer } from '../../src/transport/node-adapter.ts'
import type { Handler } from '../../src/transport/types.ts'
import { Harness, headerList, type ParsedResponse, RawClient, recordingLogger } from './helpers.ts'

const MiB = 1024 * 1024
const BIG = Buffer.alloc(MiB)
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + (i >> 8)) & 0xff

const handler: Handler = async (request) => {
  switch (request.path) {
    case '/':
      return {
        status: 200,
        headers: [['Content-Type', 'text/plain; charset=utf-8']],
        body: 'hello\n',
      }
    case '/echo': {
      const body = await request.body()
      return {
        status: 200,
        headers: [
          ['Content-Type', request.headers.get('content-type') ?? 'application/octet-stream'],
        ],
        body,
      }
    }
    case '/no-content':
      // The handler's Content-Length is dropped: a 204 has none (RFC 9110 §8.6).
      return {
        status: 204,
        headers: [
          ['X-Reason', 'nothing'],
          ['Content-Length', '0'],
        ],
      }
    case '/not-modified':
      return { status: 304, headers: [['ETag', '"v1"']], body: 'not sent' }
    case '/missing':
      return { status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'no such thing\n' }
    case '/headers':
      return {
        status: 200,
        headers: [
          ['Set-Cookie', 'a=1; Path=/'],
          ['X-Multi', 'one'],
          ['Set-Cookie', 'b=2'],
          ['x-multi', 'two'],
          ['Cache-Control', 'no-store'],
        ],
        body: JSON.stringify(request.headers.raw),
      }
    case '/stream':
      return {
        status: 200,
        headers: [['Content-Type', 'text/plain']],
        body: (async function* () {
          for (const piece of ['first ', 'second ', 'third']) {
            await new Promise((resolve) => setImmediate(resolve))
            yield Buffer.from(piece)
          }
        })(),
      }
    case '/big':
      return { status: 200, headers: [['Content-Type', 'application/octet-stream']], body: BIG }
    case '/unicode':
      return {
        status: 200,
        headers: [['Content-Type', 'text/plain; charset=utf-8']],
        body: 'héllo wörld — ✓ 🎉 日本語\n',
      }
    case '/query':
      return {
        status: 200,
        headers: [['Content-Type', 'application/json']],
        body: JSON.stringify({
          method: request.method,
          target: request.target,
          path: request.path,
          query: request.query,
          version: request.version,
          contentLength: request.contentLength ?? null,
          hasBody: request.hasBody,
        }),
      }
    case '/error':
      throw new Error('boom')
    case '/limited':
      return { status: 200, body: await request.body(8) }
    case '/reason':
      return { status: 299, reason: 'Fine Thanks', body: 'custom' }
    case '/invalid':
      return { status: 200, headers: [['X-Bad', 'a\r\nb']], body: 'never' }
    default:
      return { status: 500, body: 'unknown test path' }
  }
}

interface Case {
  name: string
  request: string | Buffer
  /** The response answers HEAD (no body follows). */
  head?: boolean
  /** The status both engines must give, and whether the connection must then close, where that is the point. */
  expect?: { status: number; closed: boolean }
}

const chunkedBody =
  'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '4\r\na,b,\r\n6;ext=1\r\nc\r\nd,e\r\n0\r\nX-Trailer: 1\r\n\r\n'

const cases: Case[] = [
  { name: 'GET', request: 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: 'HEAD', request: 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n', head: true },
  {
    name: 'POST echo (Content-Length)',
    request:
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"a":[1,2,3]}',
  },
  { name: 'POST echo (chunked)', request: chunkedBody },
  {
    name: 'POST echo 1 MiB',
    request: Buffer.concat([
      Buffer.from(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${BIG.length}\r\n\r\n`),
      BIG,
    ]),
  },
  { name: '204 drops Content-Length', request: 'GET /no-content HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: '304 has no body', request: 'GET /not-modified HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: '404 with a body', request: 'GET /missing HTTP/1.1\r\nHost: t\r\n\r\n' },
  {
    name: 'repeated header names, both ways',
    request:
      'GET /headers HTTP/1.1\r\nHost: t\r\nAccept: a\r\nX-Dup: 1\r\naccept: b\r\nX-DUP: 2\r\nCookie: c=1\r\n\r\n',
  },
  {
    name: 'streaming response (HTTP/1.1: chunked)',
    request: 'GET /stream HTTP/1.1\r\nHost: t\r\n\r\n',
  },
  { name: 'streaming response (HTTP/1.0: until close)', request: 'GET /stream HTTP/1.0\r\n\r\n' },
  {
    name: 'streaming response to HEAD',
    request: 'HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n',
    head: true,
  },
  { name: '1 MiB response', request: 'GET /big HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: 'unicode body', request: 'GET /unicode HTTP/1.1\r\nHost: t\r\n\r\n' },
  {
    name: 'query string',
    request: 'GET /query?a=1&b=%20x&c&d=%E2%9C%93 HTTP/1.1\r\nHost: t\r\n\r\n',
  },
  { name: 'empty query', request: 'GET /query? HTTP/1.1\r\nHost: t\r\n\r\n' },
  {
    name: 'absolute-form target',
    request: 'GET http://example.com/query?z=9 HTTP/1.1\r\nHost: example.com\r\n\r\n',
  },
  { name: 'handler error → 500', request: 'GET /error HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: 'invalid header value → 500', request: 'GET /invalid HTTP/1.1\r\nHost: t\r\n\r\n' },
  {
    name: 'body over the handler limit → 413',
    request: 'POST /limited HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n01234567890123456789',
  },
  {
    name: 'body over maxBodySize → 413 before the handler',
    request: `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${3 * MiB}\r\n\r\n`,
  },
  { name: 'custom reason phrase', request: 'GET /reason HTTP/1.1\r\nHost: t\r\n\r\n' },
  { name: 'HTTP/1.0 without keep-alive', request: 'GET / HTTP/1.0\r\n\r\n' },
  { name: 'HTTP/1.0 with keep-alive', request: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' },
  { name: 'Connection: close', request: 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' },
  {
    name: 'POST with Content-Length: 0',
    request: 'POST /query HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n',
  },
  // RFC 9110 §9.3.6: a 2xx would switch the connection to a tunnel; an origin server refuses, and closes.
  {
    name: 'CONNECT → 501 and close, on both (no tunnel)',
    request: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    expect: { status: 501, closed: true },
  },
]

interface Engine {
  name: string
  port: number
}

async function exchange(engine: Engine, c: Case): Promise<ParsedResponse & { closed: boolean }> {
  const client = await RawClient.connect({ port: engine.port })
  try {
    await client.write(c.request)
    const response = await client.response({ head: c.head })
    const closes = /close/i.test(headerList(response).find(([n]) => n === 'connection')?.[1] ?? '')
    if (closes) await client.serverClosed()
    return { ...response, closed: client.ended }
  } finally {
    client.destroy()
  }
}

describe('raw engine and node:http adapter answer alike', { timeout: 120_000 }, () => {
  const h = new Harness()
  const engines: Engine[] = []
  const options = { limits: { maxBodySize: 2 * MiB } }

  before(async () => {
    const raw = await h.server(handler, { ...options, logger: recordingLogger().logger })
    const node = h.own(
      createNodeHttpServer(handler, { ...options, logger: recordingLogger().logger }),
    )
    const address = await node.listen({ port: 0, host: '127.0.0.1' })
    assert.equal(address.transport, 'tcp')
    engines.push({ name: 'raw', port: raw.port })
    engines.push({ name: 'node:http', port: address.transport === 'tcp' ? address.port : 0 })
  })
  after(() => h.dispose())

  for (const c of cases) {
    it(c.name, async () => {
      const [raw, node] = [await exchange(engines[0]!, c), await exchange(engines[1]!, c)]
      for (const r of [raw, node]) {
        const date = r.headers.find(([n]) => n.toLowerCase() === 'date')?.[1]
        assert.match(date ?? '', /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/)
      }
      assert.equal(node.version, raw.version)
      assert.equal(node.status, raw.status)
      assert.equal(node.reason, raw.reason)
      assert.deepEqual(headerList(node, ['date']), headerList(raw, ['date']))
      assert.equal(node.chunked, raw.chunked)
      assert.equal(node.closeDelimited, raw.closeDelimited)
      assert.ok(
        node.body.equals(raw.body),
        `bodies differ: ${node.body.length} vs ${raw.body.length}`,
      )
      assert.equal(node.closed, raw.closed)
      if (c.expect !== undefined) {
        assert.equal(raw.status, c.expect.status)
        assert.equal(raw.closed, c.expect.closed)
      }
    })
  }

  it('Expect: 100-continue: the same interim and final responses', async () => {
    const results: [ParsedResponse, ParsedResponse][] = []
    for (const engine of engines) {
      const client = await RawClient.connect({ port: engine.port })
      try {
        await client.write(
          'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
        )
        const interim = await client.response()
        await client.write('hello')
        results.push([interim, await client.response()])
      } finally {
        client.destroy()
      }
    }
    const [raw, node] = results as [
      [ParsedResponse, ParsedResponse],
      [ParsedResponse, ParsedResponse],
    ]
    assert.equal(raw[0].status, 100)
    for (const i of [0, 1] as const) {
      assert.equal(node[i].status, raw[i].status)
      assert.deepEqual(headerList(node[i], ['date']), headerList(raw[i], ['date']))
      assert.ok(node[i].body.equals(raw[i].body))
    }
  })

  it('Expect: 100-continue unanswered: no 100, Connection: close, on both', async () => {
    const results: ParsedResponse[] = []
    for (const engine of engines) {
      const client = await RawClient.connect({ port: engine.port })
      try {
        await client.write(
          'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n',
        )
        results.push(await client.response())
        await client.serverClosed()
      } finally {
        client.destroy()
      }
    }
    const [raw, node] = results as [ParsedResponse, ParsedResponse]
    assert.equal(raw.status, 200)
    assert.equal(node.status, raw.status)
    assert.deepEqual(headerList(node, ['date']), headerList(raw, ['date']))
    assert.deepEqual(
      headerList(raw).find(([n]) => n === 'connection'),
      ['connection', 'close'],
    )
  })

  it('pipelined requests: the same responses in the same order', async () => {
    const batch =
      'GET / HTTP/1.1\r\nHost: t\r\n\r\n' +
      'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc' +
      'GET /query?n=3 HTTP/1.1\r\nHost: t\r\n\r\n' +
      'GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
    const results: ParsedResponse[][] = []
    for (const engine of engines) {
      const client = await RawClient.connect({ port: engine.port })
      try {
        await client.write(batch)
        results.push(await client.responses(4))
        await client.serverClosed()
      } finally {
        client.destroy()
      }
    }
    const [raw, node] = results as [ParsedResponse[], ParsedResponse[]]
    raw.forEach((r, i) => {
      assert.equal(node[i]!.status, r.status)
      assert.deepEqual(headerList(node[i]!, ['date']), headerList(r, ['date']))
      assert.ok(node[i]!.body.equals(r.body))
    })
  })
})

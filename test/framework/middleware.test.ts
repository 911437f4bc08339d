import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  App,
  bodyLimit,
  cors,
  type RequestLogEntry,
  rateLimit,
  requestId,
  requestLogger,
  TokenBuckets,
} from '../../src/framework/index.ts'
import type { Peer } from '../../src/transport/types.ts'
import { call, memoryLogger } from './helpers.ts'

function appWith(): App {
  return new App({ logger: memoryLogger() })
}

describe('cors', () => {
  const ORIGIN = 'https://app.example'
  function corsApp(options: Parameters<typeof cors>[0]): App {
    const app = appWith()
    app.use(cors(options))
    app.get('/data', () => ({ ok: true }))
    app.get('/boom', () => {
      throw new Error('x')
    })
    return app
  }

  test('allowed origin: ACAO echoed, Vary: Origin, exposed headers, credentials', async () => {
    const app = corsApp({ origin: [ORIGIN], credentials: true, exposeHeaders: ['x-total'] })
    const r = await call(app.handler, '/data', { headers: { origin: ORIGIN } })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN)
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true')
    assert.equal(r.headers.get('access-control-expose-headers'), 'x-total')
    assert.equal(r.headers.get('vary'), 'Origin')
    // Error responses carry them too, so the browser can read the error.
    const boom = await call(app.handler, '/boom', { headers: { origin: ORIGIN } })
    assert.equal(boom.status, 500)
    assert.equal(boom.headers.get('access-control-allow-origin'), ORIGIN)
  })

  test('other origin: no CORS headers but Vary; no Origin: untouched', async () => {
    const app = corsApp({ origin: [ORIGIN] })
    const other = await call(app.handler, '/data', { headers: { origin: 'https://evil.example' } })
    assert.equal(other.status, 200)
    assert.equal(other.headers.get('access-control-allow-origin'), undefined)
    assert.equal(other.headers.get('vary'), 'Origin')
    const none = await call(app.handler, '/data')
    assert.equal(none.headers.get('vary'), undefined)
  })

  test('preflight: 204 with Allow-Methods/Headers/Max-Age, without reaching a route', async () => {
    const app = corsApp({ origin: (origin) => origin.endsWith('.example'), maxAge: 60 })
    const r = await call(app.handler, '/data', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type, x-token',
      },
    })
    assert.equal(r.status, 204)
    assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN)
    assert.equal(
      r.headers.get('access-control-allow-methods'),
      'GET, HEAD, PUT, PATCH, POST, DELETE',
    )
    assert.equal(r.headers.get('access-control-allow-headers'), 'content-type, x-token')
    assert.equal(r.headers.get('access-control-max-age'), '60')
    assert.equal(r.headers.get('vary'), 'Origin, Access-Control-Request-Headers')

    const denied = await call(app.handler, '/data', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'PUT' },
    })
    assert.equal(denied.status, 204) // the app's own OPTIONS answer
    assert.equal(denied.headers.get('allow'), 'GET, HEAD, OPTIONS')
    assert.equal(denied.headers.get('access-control-allow-origin'), undefined)
  })

  test("'*' without credentials sends '*'; with credentials it echoes the origin", async () => {
    const star = await call(corsApp({ origin: '*' }).handler, '/data', {
      headers: { origin: ORIGIN },
    })
    assert.equal(star.headers.get('access-control-allow-origin'), '*')
    assert.equal(star.headers.get('vary'), undefined)
    const creds = await call(corsApp({ origin: '*', credentials: true }).handler, '/data', {
      headers: { origin: ORIGIN },
    })
    assert.equal(creds.headers.get('access-control-allow-origin'), ORIGIN)
  })
})

describe('rate limit', () => {
  test('burst, then 429 with Retry-After and RateLimit headers; refills with the clock', async () => {
    let now = 1_000_000
    const app = appWith()
    app.use(rateLimit({ capacity: 2, refillPerSecond: 0.5, now: () => now }))
    app.get('/', () => 'ok')
    const first = await call(app.handler, '/')
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('ratelimit-policy'), '"default";q=2;w=4')
    assert.equal(first.headers.get('ratelimit'), '"default";r=1;t=2')
    assert.equal((await call(app.handler, '/')).headers.get('ratelimit'), '"default";r=0;t=4')
    const limited = await call(app.handler, '/')
    assert.equal(limited.status, 429)
    assert.deepEqual(limited.json(), { error: 'Too Many Requests' })
    assert.equal(limited.headers.get('retry-after'), '2')
    assert.equal(limited.headers.get('ratelimit'), '"default";r=0;t=4')
    now += 1000
    const still = await call(app.handler, '/')
    assert.deepEqual([still.status, still.headers.get('retry-after')], [429, '1'])
    now += 1000
    assert.equal((await call(app.handler, '/')).status, 200)
  })

  test('keys: each peer address and each unix uid has its own bucket', async () => {
    const app = appWith()
    app.use(rateLimit({ capacity: 1, refillPerSecond: 0.001, now: () => 0 }))
    app.get('/', () => 'ok')
    const a: Peer = { transport: 'tcp', address: '10.0.0.1', port: 1, family: 'IPv4' }
    const b: Peer = { transport: 'tcp', address: '10.0.0.2', port: 1, family: 'IPv4' }
    const u1: Peer = { transport: 'unix', path: '/tmp/s', uid: 1000, gid: 1000, pid: 1 }
    const u2: Peer = { transport: 'unix', path: '/tmp/s', uid: 1001, gid: 1001, pid: 2 }
    for (const peer of [a, b, u1, u2])
      assert.equal((await call(app.handler, '/', { peer })).status, 200)
    for (const peer of [a, b, u1, u2])
      assert.equal((await call(app.handler, '/', { peer })).status, 429)
  })

  test('memory is bounded: full buckets are dropped, and at most maxKeys are kept', () => {
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1, maxKeys: 100 })
    for (let i = 0; i < 1000; i++) buckets.take(`client-${i}`, 0)
    assert.equal(buckets.size, 100)
    // Two seconds later every bucket is full again: idle ones go as new requests come in.
    for (let i = 0; i < 40; i++) buckets.take('busy', 2000 + i)
    assert.ok(buckets.size < 100, `size ${buckets.size}`)
    for (let i = 0; i < 100; i++) buckets.take('busy', 3000)
    assert.equal(buckets.size, 1)
    assert.throws(() => new TokenBuckets({ capacity: 0, refillPerSecond: 1 }), RangeError)
    assert.throws(() => new TokenBuckets({ capacity: 1, refillPerSecond: 0 }), RangeError)
  })
})

describe('request id', () => {
  test('a sane incoming id is kept; others are replaced; the response carries it', async () => {
    let n = 0
    const app = new App({ logger: memoryLogger(), generateRequestId: () => `gen-${++n}` })
    app.use(requestId())
    app.get('/', (c) => ({ id: c.requestId }))
    app.get('/boom', () => {
      throw new Error('x')
    })
    const kept = await call(app.handler, '/', { headers: { 'x-request-id': 'abc-123' } })
    assert.deepEqual(
      [kept.json(), kept.headers.get('x-request-id')],
      [{ id: 'abc-123' }, 'abc-123'],
    )
    for (const bad of ['has space', 'x'.repeat(129), '', 'quote"s', 'semi;colon']) {
      const r = await call(app.handler, '/', { headers: { 'x-request-id': bad } })
      assert.match(r.headers.get('x-request-id') ?? '', /^gen-\d+$/, bad)
    }
    const boom = await call(app.handler, '/boom', { headers: { 'x-request-id': 'trace-9' } })
    assert.deepEqual(boom.json(), { error: 'Internal Server Error', requestId: 'trace-9' })
    assert.equal(boom.headers.get('x-request-id'), 'trace-9')
  })

  test('trustIncoming: false and a custom generator and header', async () => {
    const app = appWith()
    app.use(requestId({ trustIncoming: false, header: 'Request-Id', generate: () => 'mine' }))
    app.get('/', (c) => c.requestId)
    const r = await call(app.handler, '/', { headers: { 'request-id': 'theirs' } })
    assert.deepEqual([r.text, r.headers.get('request-id')], ['mine', 'mine'])
  })

  test('without the middleware, ids come from the app generator (a UUID by default)', async () => {
    const app = appWith()
    app.get('/', (c) => c.requestId)
    assert.match((await call(app.handler, '/')).text, /^[0-9a-f-]{36}$/)
  })
})

describe('body limit', () => {
  test('413 from the declared length before reading; chunked cut at the limit; route option wins', async () => {
    const app = appWith()
    let read = 0
    const uploads = app.route('/up')
    uploads.use(bodyLimit(5))
    uploads.post('/', async (c) => {
      read++
      return (await c.bytes()).length
    })
    uploads.post('/large', async (c) => (await c.bytes()).length, { bodyLimit: 50 })
    assert.equal((await call(app.handler, '/up', { method: 'POST', body: '12345' })).text, '5')
    const declared = await call(app.handler, '/up', { method: 'POST', body: '123456' })
    assert.deepEqual(declared.json(), {
      error: 'Content Too Large',
      detail: 'request body exceeds 5 bytes',
    })
    assert.equal(read, 1)
    const chunked = await call(app.handler, '/up', {
      method: 'POST',
      body: '123456',
      chunked: true,
    })
    assert.equal(chunked.status, 413)
    assert.equal(
      (await call(app.handler, '/up/large', { method: 'POST', body: '1234567' })).text,
      '7',
    )
    assert.throws(() => bodyLimit(-1), RangeError)
  })
})

describe('request logger', () => {
  test('one entry per request with method, path, route, status, duration and request id', async () => {
    const entries: RequestLogEntry[] = []
    let clock = 0
    const app = new App({ logger: memoryLogger(), generateRequestId: () => 'rid' })
    app.use(requestLogger({ destination: (e) => entries.push(e), now: () => (clock += 1.5) }))
    app.get('/users/{id:int}', (c) => ({ id: c.params.id }))
    app.get('/boom', () => {
      throw new Error('x')
    })
    await call(app.handler, '/users/3?secret=1')
    await call(app.handler, '/missing')
    await call(app.handler, '/boom')
    assert.deepEqual(
      entries.map(({ time: _time, ...rest }) => rest),
      [
        {
          method: 'GET',
          path: '/users/3',
          route: '/users/{id:int}',
          status: 200,
          durationMs: 1.5,
          requestId: 'rid',
        },
        {
          method: 'GET',
          path: '/missing',
          route: null,
          status: 404,
          durationMs: 1.5,
          requestId: 'rid',
        },
        {
          method: 'GET',
          path: '/boom',
          route: '/boom',
          status: 500,
          durationMs: 1.5,
          requestId: 'rid',
        },
      ],
    )
    assert.match(entries[0]!.time, /^\d{4}-\d\d-\d\dT/)
  })

  test('writes JSON lines to a writable', async () => {
    const lines: string[] = []
    const app = appWith()
    app.use(requestLogger({ destination: { write: (line: string) => lines.push(line) } }))
    app.get('/', () => 'ok')
    await call(app.handler, '/')
    assert.equal(lines.length, 1)
    assert.ok(lines[0]!.endsWith('\n'))
    assert.equal((JSON.parse(lines[0]!) as RequestLogEntry).status, 200)
  })
})

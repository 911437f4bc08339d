import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { App, HttpError, type Middleware, RouteError } from '../../src/framework/index.ts'
import { RouteError as RouterRouteError } from '../../src/router/index.ts'
import { call, memoryLogger } from './helpers.ts'

function quietApp(): { app: App; log: ReturnType<typeof memoryLogger> } {
  const log = memoryLogger()
  return { app: new App({ logger: log }), log }
}

describe('routing through the app', () => {
  test('found, 404, 405 with Allow, OPTIONS 204 with Allow, HEAD runs GET, bad path 400', async () => {
    const { app } = quietApp()
    app.get('/users', () => [{ id: 1 }])
    app.post('/users', () => ({ created: true }))
    app.delete('/users/{id:int}', (c) => ({ deleted: c.params.id }))

    const ok = await call(app.handler, '/users')
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.json(), [{ id: 1 }])
    assert.equal(ok.headers.get('content-type'), 'application/json')

    const missing = await call(app.handler, '/nope')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.json(), { error: 'Not Found' })

    const wrong = await call(app.handler, '/users', { method: 'PUT' })
    assert.equal(wrong.status, 405)
    assert.deepEqual(wrong.json(), { error: 'Method Not Allowed' })
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')

    const options = await call(app.handler, '/users', { method: 'OPTIONS' })
    assert.equal(options.status, 204)
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
    assert.equal(options.text, '')

    const head = await call(app.handler, '/users', { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-type'), 'application/json')

    const bad = await call(app.handler, '/users/%zz')
    assert.equal(bad.status, 400)
    assert.equal((bad.json() as { error: string }).error, 'Bad Request')

    const star = await call(app.handler, '*', { method: 'OPTIONS' })
    assert.equal(star.status, 204)
    assert.equal(star.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, POST')
  })

  test('params are typed from the pattern and percent-decoded once', async () => {
    const { app } = quietApp()
    app.get('/files/{owner}/{*path}', (c) => {
      const owner: string = c.params.owner
      const path: string = c.params.path
      // @ts-expect-error: not a parameter of this pattern
      void c.params.nope
      return { owner, path }
    })
    app.get('/n/{id:int}', (c) => ({ id: c.params.id }))
    const r = await call(app.handler, '/files/J%C3%BCrgen/a/b%2Fc.txt')
    assert.deepEqual(r.json(), { owner: 'Jürgen', path: 'a/b/c.txt' })
    assert.deepEqual((await call(app.handler, '/n/42')).json(), { id: '42' })
    assert.equal((await call(app.handler, '/n/x')).status, 404)
  })

  test('query keeps repeated keys; cookies never throw', async () => {
    const { app } = quietApp()
    app.get('/q', (c) => ({
      tag: c.query.get('tag'),
      tags: c.query.getAll('tag'),
      space: c.query.get('s'),
      missing: c.query.get('missing'),
      bad: c.query.get('bad'),
    }))
    app.get('/c', (c) => ({ ...c.cookies }))
    const q = await call(app.handler, '/q?tag=a&tag=b&s=x+y%21&bad=%zz')
    assert.deepEqual(q.json(), {
      tag: 'a',
      tags: ['a', 'b'],
      space: 'x y!',
      missing: null,
      bad: '%zz',
    })

    const c = await call(app.handler, '/c', {
      headers: {
        cookie: 'sid=abc; theme="dark"; sid=second; junk; =x; enc=a%20b; broken=%E0%A4%A',
      },
    })
    assert.deepEqual(c.json(), { sid: 'abc', theme: 'dark', enc: 'a b', broken: '%E0%A4%A' })
  })

  test('c.header reads request headers case-insensitively; c.set/get keeps per-request state', async () => {
    const app = new App<{ user: string }>({ logger: memoryLogger() })
    app.use(async (c, next) => {
      c.set('user', c.header('X-User') ?? 'anonymous')
      await next()
    })
    app.get('/me', (c) => ({ user: c.get('user') }))
    assert.deepEqual((await call(app.handler, '/me', { headers: { 'x-user': 'ada' } })).json(), {
      user: 'ada',
    })
    assert.deepEqual((await call(app.handler, '/me')).json(), { user: 'anonymous' })
  })

  test('groups prefix their routes and scope their middleware', async () => {
    const { app } = quietApp()
    const seen: string[] = []
    app.group('/api', (api) => {
      api.use(async (c, next) => {
        seen.push(`api ${c.path}`)
        await next()
      })
      api.get('/', () => 'api root')
      const users = api.route('/users')
      users.use(async (_c, next) => {
        seen.push('users')
        await next()
      })
      users.get('/{id:int}', (c) => ({ id: c.params.id }))
    })
    app.get('/outside', () => 'outside')
    assert.equal((await call(app.handler, '/api')).text, 'api root')
    assert.deepEqual((await call(app.handler, '/api/users/7')).json(), { id: '7' })
    assert.equal((await call(app.handler, '/outside')).text, 'outside')
    assert.deepEqual(seen, ['api /api', 'api /api/users/7', 'users'])
    assert.throws(() => app.route('/bad/'), /prefix/)
    assert.throws(() => app.route('/x').get('nope', () => 1), RouterRouteError)
  })

  test('registration mistakes throw at registration, naming the route', () => {
    const { app } = quietApp()
    app.get('/users/{id}', () => 1)
    assert.throws(
      () => app.get('/users/{name}', () => 2),
      (error: unknown) =>
        error instanceof RouteError && /GET \/users\/\{name\}/.test(error.message),
    )
    assert.throws(() => app.get('/a/{', () => 1), RouteError)
    assert.throws(() => app.on('get', '/x', () => 1), /case-sensitive/)
    // @ts-expect-error: a handler is required
    assert.throws(() => app.get('/no-handler'), /handler function is required/)
    assert.throws(() => app.get('/bad-mw', 5 as unknown as Middleware, () => 1), /not a function/)
  })

  test('all() answers the usual methods; on() takes extension methods', async () => {
    const { app } = quietApp()
    app.all('/any', (c) => c.method)
    app.on('PROPFIND', '/dav', () => 'props')
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      assert.equal((await call(app.handler, '/any', { method })).text, method)
    }
    assert.equal((await call(app.handler, '/dav', { method: 'PROPFIND' })).text, 'props')
  })
})

describe('response kinds', () => {
  test('object, array, string, bytes, stream, Response, undefined, status and headers', async () => {
    const { app } = quietApp()
    app.get('/object', () => ({ a: 1 }))
    app.get('/number', () => 42)
    app.get('/null', () => null)
    app.get('/string', () => 'hé')
    app.get('/bytes', () => Buffer.from([1, 2, 3]))
    app.get('/stream', () =>
      (async function* () {
        yield Buffer.from('ab')
        yield Buffer.from('cd')
      })(),
    )
    app.get('/response', () => ({
      status: 418,
      headers: { 'x-tea': 'yes' },
      body: 'short and stout',
    }))
    app.get('/status-json', () => ({ status: 'ok' }))
    app.get('/empty', () => undefined)
    app.post('/created', (c) => {
      c.status(201).setHeader('location', '/things/1')
      return { id: 1 }
    })
    app.get('/accepted', (c) => {
      c.status(202)
    })
    app.get('/json-helper', (c) => c.json({ status: 200 }, 203))
    app.get('/text-helper', (c) => c.text('plain', 200, { 'x-a': 'b' }))
    app.get('/html', (c) => c.html('<p>hi</p>'))
    app.get('/redirect', (c) => c.redirect('/docs', 308))
    app.get('/cookie', (c) => {
      c.setCookie('sid', 'a b', { httpOnly: true, path: '/' }).setCookie('theme', 'dark')
      return 'ok'
    })

    const object = await call(app.handler, '/object')
    assert.deepEqual([object.status, object.text], [200, '{"a":1}'])
    assert.equal((await call(app.handler, '/number')).text, '42')
    assert.equal((await call(app.handler, '/null')).text, 'null')
    const text = await call(app.handler, '/string')
    assert.equal(text.text, 'hé')
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8')
    const bytes = await call(app.handler, '/bytes')
    assert.deepEqual([...bytes.bytes], [1, 2, 3])
    assert.equal(bytes.headers.get('content-type'), 'application/octet-stream')
    assert.equal((await call(app.handler, '/stream')).text, 'abcd')
    const response = await call(app.handler, '/response')
    assert.deepEqual(
      [response.status, response.text, response.headers.get('x-tea')],
      [418, 'short and stout', 'yes'],
    )
    assert.deepEqual((await call(app.handler, '/status-json')).json(), { status: 'ok' })
    assert.equal((await call(app.handler, '/empty')).status, 204)
    const created = await call(app.handler, '/created', { method: 'POST' })
    assert.deepEqual([created.status, created.headers.get('location')], [201, '/things/1'])
    assert.equal((await call(app.handler, '/accepted')).status, 202)
    const helper = await call(app.handler, '/json-helper')
    assert.deepEqual([helper.status, helper.json()], [203, { status: 200 }])
    const textHelper = await call(app.handler, '/text-helper')
    assert.deepEqual(
      [textHelper.headers.get('content-type'), textHelper.headers.get('x-a')],
      ['text/plain; charset=utf-8', 'b'],
    )
    assert.equal(
      (await call(app.handler, '/html')).headers.get('content-type'),
      'text/html; charset=utf-8',
    )
    const redirect = await call(app.handler, '/redirect')
    assert.deepEqual([redirect.status, redirect.headers.get('location')], [308, '/docs'])
    assert.deepEqual((await call(app.handler, '/cookie')).headers.getAll('set-cookie'), [
      'sid=a%20b; Path=/; HttpOnly',
      'theme=dark',
    ])
  })

  test('a synchronous handler without middleware answers without a Promise', async () => {
    const { app } = quietApp()
    app.get('/sync/{id}', (c) => ({ id: c.params.id }))
    app.get('/async', async () => ({ ok: true }))
    app.get('/throws', () => {
      throw new HttpError(409)
    })
    assert.equal((await call(app.handler, '/sync/1')).sync, true)
    assert.equal((await call(app.handler, '/missing')).sync, true)
    assert.equal((await call(app.handler, '/sync/1', { method: 'POST' })).sync, true)
    assert.equal((await call(app.handler, '/throws')).sync, true)
    assert.equal((await call(app.handler, '/async')).sync, false)
    app.use(async (_c, next) => next())
    assert.equal((await call(app.handler, '/sync/1')).sync, false)
  })
})

describe('request bodies', () => {
  test('json() never throws synchronously: a wrong Content-Type is a rejected Promise (415)', async () => {
    const { app } = quietApp()
    let threw = false
    app.post('/typed', (c) => {
      let pending: Promise<unknown>
      try {
        pending = c.json()
      } catch {
        threw = true
        return c.json({ threw: true }, 500)
      }
      return pending.then(
        () => c.json({ ok: true }),
        (error: HttpError) => c.json({ status: error.status }, 200),
      )
    })
    const r = await call(app.handler, '/typed', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '1',
    })
    assert.equal(threw, false)
    assert.deepEqual(r.json(), { status: 415 })
  })

  test('json(): content-type policy, empty, malformed, not UTF-8, limits', async () => {
    const { app } = quietApp()
    app.post('/echo', async (c) => {
      const first = await c.json()
      assert.equal(await c.json(), first, 'a second read returns the same value')
      return c.json(first)
    })
    app.post('/small', async (c) => c.json(await c.json()), { bodyLimit: 8 })
    app.post('/text', async (c) => c.text(await c.text()))
    app.post('/bytes', async (c) => (await c.bytes()).length)

    const json = { 'content-type': 'application/json' }
    const ok = await call(app.handler, '/echo', {
      method: 'POST',
      headers: json,
      body: '{"a":[1,2]}',
    })
    assert.deepEqual(ok.json(), { a: [1, 2] })
    for (const type of [
      'application/json; charset=UTF-8',
      'application/problem+json',
      'APPLICATION/JSON',
    ]) {
      const r = await call(app.handler, '/echo', {
        method: 'POST',
        headers: { 'content-type': type },
        body: '1',
      })
      assert.equal(r.status, 200, type)
    }
    const untyped = await call(app.handler, '/echo', { method: 'POST', body: '"no type"' })
    assert.equal(untyped.text, '"no type"')

    const form = await call(app.handler, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    })
    assert.equal(form.status, 415)
    assert.deepEqual(form.json(), {
      error: 'Unsupported Media Type',
      detail: 'expected Content-Type: application/json, got application/x-www-form-urlencoded',
    })
    const latin1 = await call(app.handler, '/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: '1',
    })
    assert.equal(latin1.status, 415)

    const empty = await call(app.handler, '/echo', { method: 'POST', headers: json })
    assert.equal(empty.status, 400)
    assert.deepEqual(empty.json(), { error: 'Malformed JSON', detail: 'the request body is empty' })

    const malformed = await call(app.handler, '/echo', {
      method: 'POST',
      headers: json,
      body: '{"a":}',
    })
    assert.equal(malformed.status, 400)
    const body = malformed.json() as { error: string; detail: string }
    assert.equal(body.error, 'Malformed JSON')
    assert.match(body.detail, /JSON/)

    const notUtf8 = await call(app.handler, '/echo', {
      method: 'POST',
      headers: json,
      body: Uint8Array.from([0x22, 0xff, 0x22]),
    })
    assert.deepEqual(notUtf8.json(), {
      error: 'Malformed JSON',
      detail: 'the request body is not valid UTF-8',
    })

    const tooBig = await call(app.handler, '/small', {
      method: 'POST',
      headers: json,
      body: '"0123456789"',
    })
    assert.equal(tooBig.status, 413)
    assert.deepEqual(tooBig.json(), {
      error: 'Content Too Large',
      detail: 'request body exceeds 8 bytes',
    })
    const chunkedTooBig = await call(app.handler, '/small', {
      method: 'POST',
      headers: json,
      body: '"0123456789"',
      chunked: true,
    })
    assert.equal(chunkedTooBig.status, 413)

    assert.equal(
      (await call(app.handler, '/text', { method: 'POST', body: 'héllo' })).text,
      'héllo',
    )
    assert.equal((await call(app.handler, '/bytes', { method: 'POST', body: 'abc' })).text, '3')
  })

  test('the app-wide bodyLimit applies to routes without their own', async () => {
    const app = new App({ logger: memoryLogger(), bodyLimit: 4 })
    app.post('/b', async (c) => (await c.bytes()).length)
    app.post('/big', async (c) => (await c.bytes()).length, { bodyLimit: 100 })
    assert.equal((await call(app.handler, '/b', { method: 'POST', body: '12345' })).status, 413)
    assert.equal((await call(app.handler, '/big', { method: 'POST', body: '12345' })).text, '5')
    assert.throws(() => new App({ bodyLimit: -1 }), RangeError)
  })
})

describe('middleware', () => {
  test('onion order: before in order, after in reverse, route middleware inside global', async () => {
    const { app } = quietApp()
    const order: string[] = []
    const mark =
      (name: string): Middleware =>
      async (_c, next) => {
        order.push(`${name} before`)
        await next()
        order.push(`${name} after`)
      }
    app.use(mark('global 1'), mark('global 2'))
    app.get('/x', mark('route'), (c) => {
      order.push('handler')
      return c.text('done')
    })
    const r = await call(app.handler, '/x')
    assert.equal(r.text, 'done')
    assert.deepEqual(order, [
      'global 1 before',
      'global 2 before',
      'route before',
      'handler',
      'route after',
      'global 2 after',
      'global 1 after',
    ])
  })

  test('global middleware run for 404s and 405s, see c.res and can replace it or add headers', async () => {
    const { app } = quietApp()
    const statuses: number[] = []
    app.use(async (c, next) => {
      await next()
      statuses.push(c.res?.status ?? 0)
      c.setHeader('x-seen', 'yes')
    })
    app.use(async (c, next) => {
      await next()
      if (c.res?.status === 404) c.res = c.json({ error: 'custom' }, 404)
    })
    app.get('/here', () => 'here')
    const missing = await call(app.handler, '/gone')
    assert.deepEqual(missing.json(), { error: 'custom' })
    assert.equal(missing.headers.get('x-seen'), 'yes')
    const wrong = await call(app.handler, '/here', { method: 'DELETE' })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get('x-seen'), 'yes')
    assert.deepEqual(statuses, [404, 405])
  })

  test('a middleware may answer without next(); one that does neither is a 500', async () => {
    const { app, log } = quietApp()
    app.get(
      '/blocked',
      (c) => (c.header('x-key') === 'k' ? undefined : c.json({ error: 'no key' }, 401)),
      () => 'secret',
    )
    app.get(
      '/forgot',
      function forgetful() {},
      () => 'never',
    )
    const blocked = await call(app.handler, '/blocked')
    assert.deepEqual([blocked.status, blocked.json()], [401, { error: 'no key' }])
    const forgot = await call(app.handler, '/forgot')
    assert.equal(forgot.status, 500)
    assert.match(
      log.lines.join('\n'),
      /middleware forgetful neither called next\(\) nor returned a response/,
    )
  })

  test('errors inside are answered where thrown; outer middleware still run', async () => {
    const { app } = quietApp()
    const seen: unknown[] = []
    app.use(async (c, next) => {
      await next()
      seen.push(c.res?.status, c.error instanceof HttpError)
    })
    app.get('/teapot', () => {
      throw new HttpError(418, 'I refuse')
    })
    const r = await call(app.handler, '/teapot')
    assert.deepEqual([r.status, r.json()], [418, { error: 'I refuse' }])
    assert.deepEqual(seen, [418, true])
  })
})

describe('errors and hooks', () => {
  test('HttpError: status, exposed message and details, headers; hidden for 5xx', async () => {
    const { app } = quietApp()
    app.get('/conflict', () => {
      throw new HttpError(409, 'Name taken', {
        details: { name: 'ada' },
        headers: { 'x-why': 'dup' },
      })
    })
    app.get('/unavailable', () => {
      throw new HttpError(503, 'database at 10.0.0.5 is down', { headers: { 'retry-after': '5' } })
    })
    const conflict = await call(app.handler, '/conflict')
    assert.deepEqual(
      [conflict.status, conflict.json()],
      [409, { error: 'Name taken', name: 'ada' }],
    )
    assert.equal(conflict.headers.get('x-why'), 'dup')
    const unavailable = await call(app.handler, '/unavailable')
    assert.deepEqual(unavailable.json(), { error: 'Service Unavailable' })
    assert.equal(unavailable.headers.get('retry-after'), '5')
    assert.throws(() => new HttpError(200), RangeError)
    assert.equal(new HttpError(404).message, 'Not Found')
  })

  test('an unexpected error is a 500 with the request id and no stack; the log has both', async () => {
    const log = memoryLogger()
    const app = new App({ logger: log, generateRequestId: () => 'req-1' })
    app.get('/boom', () => {
      throw new Error('secret internals')
    })
    app.get('/async-boom', async () => {
      throw new TypeError('async internals')
    })
    app.get('/bigint', () => ({ n: 1n }))
    const boom = await call(app.handler, '/boom')
    assert.equal(boom.status, 500)
    assert.deepEqual(boom.json(), { error: 'Internal Server Error', requestId: 'req-1' })
    assert.doesNotMatch(boom.text, /secret|at /)
    assert.equal(log.lines.length, 1)
    assert.match(
      log.lines[0]!,
      /^error request req-1: GET \/boom failed with 500: Error: secret internals\n\s+at /,
    )
    assert.equal((await call(app.handler, '/async-boom')).status, 500)
    assert.equal((await call(app.handler, '/bigint')).status, 500)
    assert.equal(log.lines.length, 3)
  })

  test('onError replaces the default; undefined or a failing hook fall back to it', async () => {
    const { app, log } = quietApp()
    app.onError(async (error, c) => {
      if (error instanceof RangeError) return c.json({ error: 'out of range' }, 422)
      if (error instanceof SyntaxError) throw new Error('hook broke')
      return undefined
    })
    app.get('/range', () => {
      throw new RangeError('x')
    })
    app.get('/http', () => {
      throw new HttpError(404, 'User not found')
    })
    app.get('/syntax', () => {
      throw new SyntaxError('bad')
    })
    app.get('/other', () => {
      throw new Error('other')
    })
    assert.deepEqual((await call(app.handler, '/range')).json(), { error: 'out of range' })
    assert.deepEqual((await call(app.handler, '/http')).json(), { error: 'User not found' })
    assert.equal((await call(app.handler, '/other')).status, 500)
    const syntax = await call(app.handler, '/syntax')
    assert.equal(syntax.status, 500)
    assert.match(log.lines.join('\n'), /onError hook failed: Error: hook broke/)
    assert.equal(log.lines.filter((l) => l.includes('failed with 500')).length, 2)
  })

  test('a synchronous onError hook keeps the sync path synchronous', async () => {
    const { app } = quietApp()
    app.onError((error) => (error instanceof HttpError ? { status: 410, body: 'gone' } : undefined))
    app.get('/x', () => {
      throw new HttpError(404)
    })
    const r = await call(app.handler, '/x')
    assert.deepEqual([r.status, r.text, r.sync], [410, 'gone', true])
  })

  test('notFound replaces the 404', async () => {
    const { app } = quietApp()
    app.notFound((c) => c.json({ error: `no route for ${c.path}` }, 404))
    assert.deepEqual((await call(app.handler, '/x')).json(), { error: 'no route for /x' })
  })
})

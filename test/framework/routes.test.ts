/**
 * Route registration (src/framework/routes.ts): the `RouteTable` on its own (what `add` prepares per route, what
 * `unmatched` answers), then the registration API (`get/post/…`, `on`, groups) through an `App`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import { type AnyMiddleware, NO_MIDDLEWARE } from '../../src/framework/compose.ts'
import { Context } from '../../src/framework/context.ts'
import { App, RouteError } from '../../src/framework/index.ts'
import { type RouteRecord, RouteTable } from '../../src/framework/routes.ts'
import { call, makeRequest, memoryLogger } from './helpers.ts'

const ENV = { generateRequestId: () => 'req' }

function found(table: RouteTable, method: string, path: string): RouteRecord {
  const match = table.match(method, path)
  assert.equal(match.kind, 'found', `${method} ${path}`)
  return (match as { value: RouteRecord }).value
}

/** `table.unmatched` for a request, as the app calls it. */
function unmatched(table: RouteTable, method: string, target: string, notFound?: () => string) {
  const request = makeRequest(target, { method })
  const match = table.match(request.method, request.path)
  assert.notEqual(match.kind, 'found')
  const c = new Context(request, {}, undefined, 1024, ENV)
  return table.unmatched(c, match as Exclude<typeof match, { kind: 'found' }>, notFound)
}

function quietApp(): App {
  return new App({ logger: memoryLogger() })
}

describe('RouteTable', () => {
  test('add() prepares each route once: terminal, middleware (group first), body limit, direct', () => {
    const table = new RouteTable(100)
    const handler = () => 'h'
    const group: AnyMiddleware = async (_c, next) => next()
    const own: AnyMiddleware = async (_c, next) => next()

    table.add(['GET'], '/plain', [handler], NO_MIDDLEWARE)
    const plain = found(table, 'GET', '/plain')
    assert.equal(plain.run, handler) // called as is: nothing wrapped
    assert.equal(plain.direct, true)
    assert.deepEqual(plain.middleware, [])
    assert.equal(plain.bodyLimit, 100)
    assert.deepEqual(plain.options, {})
    assert.equal(plain.method, 'GET')
    assert.equal(plain.pattern, '/plain')

    const options = { bodyLimit: 5, summary: 'with middleware' }
    table.add(['POST'], '/plain', [own, handler, options], [group])
    const wrapped = found(table, 'POST', '/plain')
    assert.deepEqual(wrapped.middleware, [group, own])
    assert.equal(wrapped.direct, false)
    assert.equal(wrapped.run, handler)
    assert.equal(wrapped.bodyLimit, 5)
    assert.equal(wrapped.options, options)

    table.add(['GET'], '/group-only', [handler], [group])
    assert.equal(found(table, 'GET', '/group-only').direct, false)

    // Schemas for request parts: validation runs before the handler, so not direct.
    table.add(['PUT'], '/plain', [handler, { schema: { body: z.object({}) } }], NO_MIDDLEWARE)
    const validated = found(table, 'PUT', '/plain')
    assert.notEqual(validated.run, handler)
    assert.equal(validated.direct, false)
    // A response schema is documentation only.
    table.add(['PATCH'], '/plain', [handler, { schema: { response: z.string() } }], NO_MIDDLEWARE)
    const documented = found(table, 'PATCH', '/plain')
    assert.equal(documented.run, handler)
    assert.equal(documented.direct, true)
  })

  test('add() registers one record per method, listed by routes() in registration order', () => {
    const table = new RouteTable(100)
    const handler = () => 'h'
    table.add(['GET', 'POST'], '/a', [handler, { tags: ['t'] }], NO_MIDDLEWARE)
    table.add(['DELETE'], '/b/{id:int}', [handler], NO_MIDDLEWARE)
    assert.deepEqual(table.routes(), [
      { method: 'GET', pattern: '/a', options: { tags: ['t'] } },
      { method: 'POST', pattern: '/a', options: { tags: ['t'] } },
      { method: 'DELETE', pattern: '/b/{id:int}', options: {} },
    ])
    assert.notEqual(found(table, 'GET', '/a'), found(table, 'POST', '/a'))
    assert.equal(found(table, 'GET', '/a').run, found(table, 'POST', '/a').run)
  })

  test('add() refuses mistakes, naming the route', () => {
    const table = new RouteTable(100)
    const handler = () => 'h'
    assert.throws(
      () => table.add(['GET'], '/x', [], NO_MIDDLEWARE),
      (error: unknown) =>
        error instanceof RouteError && /handler function is required/.test(error.message),
    )
    assert.throws(
      () => table.add(['GET'], '/x', [{}], NO_MIDDLEWARE),
      /handler function is required/,
    )
    assert.throws(
      () => table.add(['GET', 'POST'], '/x', [handler, 'nope', handler], NO_MIDDLEWARE),
      { name: 'TypeError', message: 'middleware #2 of GET,POST /x is not a function' },
    )
    assert.throws(
      () => table.add(['GET'], '/x', [handler, { bodyLimit: -1 }], NO_MIDDLEWARE),
      (error: unknown) => error instanceof RouteError && /bodyLimit/.test(error.message),
    )
    assert.throws(() => table.add(['GET'], '/x/{', [handler], NO_MIDDLEWARE), RouteError)
    assert.deepEqual(table.routes(), []) // nothing half-registered
    table.add(['GET'], '/x', [handler], NO_MIDDLEWARE)
    assert.throws(() => table.add(['GET'], '/x', [handler], NO_MIDDLEWARE), RouteError)
  })

  test('unmatched(): 404 (or notFound), 405 and OPTIONS with Allow, OPTIONS *, 400', () => {
    const table = new RouteTable(100)
    table.add(['GET', 'POST'], '/users', [() => 'h'], NO_MIDDLEWARE)
    assert.deepEqual(unmatched(table, 'GET', '/nope'), {
      status: 404,
      headers: [['content-type', 'application/json']],
      body: '{"error":"Not Found"}',
    })
    assert.equal(
      unmatched(table, 'GET', '/nope', () => 'custom'),
      'custom',
    )
    const notAllowed = () => 'not called for a 405'
    assert.deepEqual(unmatched(table, 'DELETE', '/users', notAllowed), {
      status: 405,
      headers: [
        ['content-type', 'application/json'],
        ['allow', 'GET, HEAD, OPTIONS, POST'],
      ],
      body: '{"error":"Method Not Allowed"}',
    })
    assert.deepEqual(unmatched(table, 'OPTIONS', '/users'), {
      status: 204,
      headers: [['allow', 'GET, HEAD, OPTIONS, POST']],
    })
    assert.deepEqual(unmatched(table, 'OPTIONS', '*'), {
      status: 204,
      headers: [['allow', 'GET, HEAD, OPTIONS, POST']],
    })
    // The OPTIONS * answer is cached, and forgotten when a route is added.
    table.add(['PROPFIND'], '/dav', [() => 'h'], NO_MIDDLEWARE)
    assert.deepEqual(unmatched(table, 'OPTIONS', '*'), {
      status: 204,
      headers: [['allow', 'GET, HEAD, OPTIONS, POST, PROPFIND']],
    })
    const bad = unmatched(table, 'GET', '/users/%zz') as { status: number; body: string }
    assert.equal(bad.status, 400)
    assert.equal(JSON.parse(bad.body).error, 'Bad Request')
  })
})

describe('route registration through the app', () => {
  test('each method reaches its own handler; all() covers five; on() any method', async () => {
    const app = quietApp()
    app.get('/m', () => 'get')
    app.post('/m', () => 'post')
    app.put('/m', () => 'put')
    app.patch('/m', () => 'patch')
    app.delete('/m', () => 'delete')
    app.options('/m', () => 'options')
    app.all('/all', (c) => `all ${c.method}`)
    // (on()'s union of argument lists gives the handler no contextual type: annotate it.)
    app.on(['PROPFIND', 'MKCOL'], '/dav', (c: Context) => `dav ${c.method}`)
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      assert.equal((await call(app.handler, '/m', { method })).text, method.toLowerCase())
    }
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      assert.equal((await call(app.handler, '/all', { method })).text, `all ${method}`)
    }
    assert.equal((await call(app.handler, '/dav', { method: 'MKCOL' })).text, 'dav MKCOL')
    assert.deepEqual(
      app.routes().map((r) => `${r.method} ${r.pattern}`),
      [
        ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => `${m} /m`),
        ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => `${m} /all`),
        'PROPFIND /dav',
        'MKCOL /dav',
      ],
    )
    // all() leaves OPTIONS automatic.
    const options = await call(app.handler, '/all', { method: 'OPTIONS' })
    assert.equal(options.status, 204)
    assert.equal(options.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT')
  })

  test('HEAD runs the GET route unless a HEAD route exists', async () => {
    const app = quietApp()
    app.get('/a', (c) => ({ method: c.method }))
    app.get('/b', () => 'get b')
    app.head('/b', () => ({ status: 200, headers: [['x-head', 'own']] }))
    const a = await call(app.handler, '/a', { method: 'HEAD' })
    assert.equal(a.status, 200)
    assert.deepEqual(a.json(), { method: 'HEAD' }) // the transport, not the app, drops the body
    const b = await call(app.handler, '/b', { method: 'HEAD' })
    assert.equal(b.headers.get('x-head'), 'own')
    assert.equal((await call(app.handler, '/b')).text, 'get b')
    // No GET route: HEAD is not allowed.
    app.post('/c', () => 'post')
    const c = await call(app.handler, '/c', { method: 'HEAD' })
    assert.equal(c.status, 405)
    assert.equal(c.headers.get('allow'), 'OPTIONS, POST')
  })

  test('405 when the path exists for another method, 404 when not; notFound only replaces the 404', async () => {
    const app = quietApp()
    app.get('/users/{id:int}', (c) => ({ id: c.params.id }))
    app.notFound((c) => c.json({ missing: c.path }, 404))
    const wrong = await call(app.handler, '/users/1', { method: 'POST' })
    assert.equal(wrong.status, 405)
    assert.deepEqual(wrong.json(), { error: 'Method Not Allowed' })
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, OPTIONS')
    const missing = await call(app.handler, '/users/x', { method: 'POST' })
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.json(), { missing: '/users/x' })
  })

  test('groups: prefixes join, middleware apply to routes registered after use(), outer first', async () => {
    const app = quietApp()
    const seen: string[] = []
    const mark =
      (name: string) =>
      async (_c: unknown, next: () => Promise<void>): Promise<void> => {
        seen.push(name)
        await next()
      }
    const api = app.route('/api')
    api.get('/before', () => 'before')
    api.use(mark('api'))
    api.get('/', () => 'root')
    const v1 = api.route('/v1')
    v1.use(mark('v1'))
    v1.get('/items/{id}', (c) => c.params.id)
    api.use(mark('api late')) // only for api routes registered from now on, v1's included
    v1.get('/late', () => 'late')
    app.get('/top', () => 'top')
    assert.deepEqual(
      app.routes().map((r) => r.pattern),
      ['/api/before', '/api', '/api/v1/items/{id}', '/api/v1/late', '/top'],
    )
    const expect = async (path: string, text: string, marks: string[]) => {
      seen.length = 0
      assert.equal((await call(app.handler, path)).text, text)
      assert.deepEqual(seen, marks, path)
    }
    await expect('/api/before', 'before', [])
    await expect('/api', 'root', ['api'])
    await expect('/api/v1/items/7', '7', ['api', 'v1'])
    await expect('/api/v1/late', 'late', ['api', 'api late', 'v1'])
    await expect('/top', 'top', [])

    assert.throws(() => app.route('api'), TypeError)
    assert.throws(() => app.route('/api/'), TypeError)
    assert.throws(
      () => api.get('x', () => 1),
      (error: unknown) => error instanceof RouteError && /must start with '\/'/.test(error.message),
    )
    assert.equal(
      app.group('/g', (g) => g.get('/', () => 'g')),
      app,
    )
    assert.equal((await call(app.handler, '/g')).text, 'g')
  })

  test('registering a route refreshes the OpenAPI document', () => {
    const app = quietApp()
    app.get('/one', () => 1)
    assert.deepEqual(Object.keys(app.openapiDocument().paths ?? {}), ['/one'])
    app.get('/two', () => 2)
    assert.deepEqual(Object.keys(app.openapiDocument().paths ?? {}), ['/one', '/two'])
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as v from 'valibot'
import { z } from 'zod'
import { App, type StandardSchemaV1 } from '../../src/framework/index.ts'
import { call, memoryLogger } from './helpers.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

function post(app: App, path: string, body: string) {
  return call(app.handler, path, { method: 'POST', headers: JSON_HEADERS, body })
}

/** The same checks against a body schema from each library. */
const libraries: [string, StandardSchemaV1<unknown, { name: string }>][] = [
  ['zod', z.object({ name: z.string().min(1).max(100) })],
  ['valibot', v.object({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)) })],
]

for (const [library, schema] of libraries) {
  describe(`body validation with ${library}`, () => {
    const app = new App({ logger: memoryLogger() })
    app.post(
      '/users',
      (c) => {
        const name: string = c.valid.body.name
        return c.json({ name }, 201)
      },
      { schema: { body: schema } },
    )

    test('a valid body reaches the handler as c.valid.body', async () => {
      const r = await post(app, '/users', '{"name":"Ada"}')
      assert.deepEqual([r.status, r.json()], [201, { name: 'Ada' }])
    })

    test('missing, wrong type, too long: 422 with issues naming the field', async () => {
      for (const body of ['{}', '{"name":42}', `{"name":"${'x'.repeat(101)}"}`, '{"name":""}']) {
        const r = await post(app, '/users', body)
        assert.equal(r.status, 422, body)
        const answer = r.json() as {
          error: string
          issues: { in: string; path: string; message: string }[]
        }
        assert.equal(answer.error, 'Validation failed')
        assert.equal(answer.issues.length, 1, body)
        assert.equal(answer.issues[0]!.in, 'body')
        assert.equal(answer.issues[0]!.path, 'name')
        assert.equal(typeof answer.issues[0]!.message, 'string')
      }
    })

    test('not an object, or no body at all: 422; malformed JSON stays 400', async () => {
      const array = await post(app, '/users', '[1]')
      assert.equal(array.status, 422)
      // zod reports the root; valibot's object accepts an array as an object and reports the missing key.
      assert.ok(
        ['', 'name'].includes((array.json() as { issues: { path: string }[] }).issues[0]!.path),
      )
      assert.equal((await post(app, '/users', '{"name":')).status, 400)
      const noBody = await call(app.handler, '/users', { method: 'POST' })
      assert.equal(noBody.status, 422)
    })
  })
}

describe('params, query and headers validation', () => {
  test('zod coerces; every failing part is reported at once', async () => {
    const app = new App({ logger: memoryLogger() })
    app.get(
      '/items/{id}',
      (c) => {
        const id: number = c.valid.params.id
        const tags: string[] = c.valid.query.tag
        const page: number = c.valid.query.page
        return { id, tags, page, key: c.valid.headers['x-api-key'] }
      },
      {
        schema: {
          params: z.object({ id: z.coerce.number().int().positive() }),
          query: z.object({
            tag: z
              .union([z.string(), z.array(z.string())])
              .transform((t) => (Array.isArray(t) ? t : [t])),
            page: z.coerce.number().default(1),
          }),
          headers: z.object({ 'x-api-key': z.string().min(3) }),
        },
      },
    )
    const ok = await call(app.handler, '/items/7?tag=a&tag=b', { headers: { 'X-Api-Key': 'abc' } })
    assert.deepEqual(ok.json(), { id: 7, tags: ['a', 'b'], page: 1, key: 'abc' })

    const bad = await call(app.handler, '/items/-1?page=x')
    assert.equal(bad.status, 422)
    const issues = (bad.json() as { issues: { in: string; path: string }[] }).issues
    assert.deepEqual(
      issues.map((i) => `${i.in}:${i.path}`),
      ['params:id', 'query:tag', 'query:page', 'headers:x-api-key'],
    )
  })

  test('valibot query schema; async validation is awaited', async () => {
    const app = new App({ logger: memoryLogger() })
    app.get('/search', (c) => ({ q: c.valid.query.q }), {
      schema: { query: v.object({ q: v.pipe(v.string(), v.minLength(2)) }) },
    })
    app.post('/async', (c) => ({ name: c.valid.body.name }), {
      schema: {
        body: z.object({
          name: z.string().refine(async (name) => name !== 'taken', { message: 'name is taken' }),
        }),
      },
    })
    assert.deepEqual((await call(app.handler, '/search?q=hi')).json(), { q: 'hi' })
    assert.equal((await call(app.handler, '/search?q=h')).status, 422)
    assert.equal((await post(app, '/async', '{"name":"free"}')).status, 200)
    const taken = await post(app, '/async', '{"name":"taken"}')
    assert.deepEqual(taken.json(), {
      error: 'Validation failed',
      issues: [{ in: 'body', path: 'name', message: 'name is taken' }],
    })
  })

  test('validation runs after route middleware (auth before 422)', async () => {
    const app = new App({ logger: memoryLogger() })
    app.post(
      '/secure',
      (c, next) =>
        c.header('authorization') === undefined ? c.json({ error: 'login' }, 401) : next(),
      (c) => c.valid.body,
      { schema: { body: z.object({ a: z.number() }) } },
    )
    assert.equal((await post(app, '/secure', '{}')).status, 401)
    const r = await call(app.handler, '/secure', {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: 'x' },
      body: '{}',
    })
    assert.equal(r.status, 422)
  })
})

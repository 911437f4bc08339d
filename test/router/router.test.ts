import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type MatchResult, type RouteEntry, RouteError, Router } from '../../src/router/index.ts'
import { implementations, register } from './implementations.ts'
import {
  type Expected,
  matchCases,
  registrationErrorCases,
  registrationOkCases,
} from './router.cases.ts'

function check(result: MatchResult<string>, expected: Expected): void {
  switch (expected.kind) {
    case 'found': {
      assert.equal(result.kind, 'found', `expected found, got ${JSON.stringify(result)}`)
      if (result.kind !== 'found') return
      assert.equal(result.value, expected.route)
      assert.equal(result.pattern, expected.route.slice(expected.route.indexOf(' ') + 1))
      // Spread: the real router's params object has no prototype, which deepStrictEqual would compare.
      assert.deepEqual({ ...result.params }, expected.params ?? {})
      return
    }
    case 'method-not-allowed':
      assert.deepEqual(result, { kind: 'method-not-allowed', allow: expected.allow })
      return
    case 'not-found':
      assert.deepEqual(result, { kind: 'not-found' })
      return
    case 'bad-path':
      assert.equal(result.kind, 'bad-path', `expected bad-path, got ${JSON.stringify(result)}`)
      if (result.kind === 'bad-path') assert.ok(result.reason.length > 0)
  }
}

for (const impl of implementations) {
  describe(impl.name, () => {
    describe('match', () => {
      for (const c of matchCases) {
        test(`${c.name}: ${c.method} ${JSON.stringify(c.path)}`, () => {
          const router = impl.create()
          register(router, c.routes)
          check(router.match(c.method, c.path), c.expect)
        })
      }
    })

    describe('registration errors', () => {
      for (const c of registrationErrorCases) {
        test(`${c.name}: ${c.method} ${c.pattern}`, () => {
          const router = impl.create()
          register(router, c.before ?? [])
          assert.throws(
            () => router.add(c.method, c.pattern, 'x'),
            (error: unknown) => {
              assert.ok(error instanceof RouteError, `not a RouteError: ${String(error)}`)
              assert.ok(
                error.message.includes(`${c.method} ${c.pattern}`),
                `message does not name the route: ${error.message}`,
              )
              assert.ok(
                error.message.includes(c.message),
                `message lacks ${JSON.stringify(c.message)}: ${error.message}`,
              )
              assert.equal(error.method, c.method)
              assert.equal(error.pattern, c.pattern)
              return true
            },
          )
          // A failed add leaves the router as it was.
          assert.equal(router.routes().length, (c.before ?? []).length)
        })
      }
      for (const routes of registrationOkCases) {
        test(`accepted: ${routes.join(', ')}`, () => {
          const router = impl.create()
          register(router, routes)
          assert.equal(router.routes().length, routes.length)
        })
      }
    })

    test('routes() lists entries in registration order', () => {
      const router = impl.create()
      router.add('POST', '/b', 'one')
      router.add('GET', '/a/{id}', 'two')
      assert.deepEqual(
        router.routes().map((r) => ({ ...r })),
        [
          { method: 'POST', pattern: '/b', value: 'one' },
          { method: 'GET', pattern: '/a/{id}', value: 'two' },
        ],
      )
    })
  })
}

describe('Router specifics', () => {
  test('a static match returns one prebuilt, frozen result (no allocation per call)', () => {
    const router = new Router<string>()
    router.add('GET', '/health', 'h')
    const first = router.match('GET', '/health')
    assert.equal(router.match('GET', '/health'), first)
    assert.equal(router.match('HEAD', '/health'), first)
    assert.ok(Object.isFrozen(first))
  })

  test('a 405 for one path returns its prebuilt allow list', () => {
    const router = new Router<string>()
    router.add('GET', '/users/{id}', 'u')
    const first = router.match('POST', '/users/1')
    assert.equal(router.match('PUT', '/users/2'), first)
  })

  test('params have no prototype: only pattern names are keys, any identifier works', () => {
    const router = new Router<string>()
    router.add('GET', '/q/{__proto__}/{constructor}', 'q')
    router.add('GET', '/p/{id}', 'p')
    const p = router.match('GET', '/p/1')
    assert.ok(p.kind === 'found')
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(p.params)), null)
    assert.equal(p.params.constructor, undefined)
    assert.equal(p.params.toString, undefined)
    const q = router.match('GET', '/q/a/b')
    assert.ok(q.kind === 'found')
    assert.deepEqual(Object.entries(q.params), [
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ])
  })

  test('routes() returns a copy', () => {
    const router = new Router<number>()
    router.add('GET', '/a', 1)
    const list = router.routes() as RouteEntry<number>[]
    list.pop()
    assert.equal(router.routes().length, 1)
  })

  test('a failed add does not half-register the route', () => {
    const router = new Router<string>()
    router.add('GET', '/a/{id}', 'first')
    assert.throws(() => router.add('GET', '/a/{name}', 'second'), RouteError)
    assert.equal(router.match('GET', '/a/1').kind, 'found')
    assert.throws(() => router.add('GET', '/b/{x}/{x}', 'dup'), RouteError)
    assert.deepEqual(router.match('GET', '/b/1/2'), { kind: 'not-found' })
  })

  test('RouteError is an Error with a stable name', () => {
    const error = new RouteError('GET', '/x', 'why')
    assert.ok(error instanceof Error)
    assert.equal(error.name, 'RouteError')
    assert.equal(error.message, 'Cannot register GET /x: why')
  })
})

describe('bounded work on hostile paths', () => {
  // Bounds are generous (a blow-up would take minutes); the point is that work tracks the tree, not the path.
  const router = new Router<string>()
  for (let i = 0; i < 50; i++) {
    router.add('GET', `/r${i}/{a}/{b:int}/c`, `s${i}`)
    router.add('GET', `/r${i}/{a:int}/{b}/d`, `t${i}`)
  }
  // Every level offers int, param and static branches that fail only at the very end.
  let deep = ''
  for (let i = 0; i < 30; i++) {
    deep += '/{p' + i + '}'
    router.add('GET', deep + '/end', `deep${i}`)
    router.add('POST', deep.replaceAll('}', ':int}') + '/stop', `int${i}`)
  }
  router.add('GET', '/w/{*rest}', 'wild')

  const timed = (path: string): MatchResult<string> => {
    const started = performance.now()
    const result = router.match('GET', path)
    assert.ok(performance.now() - started < 1000, `too slow for a ${path.length}-char path`)
    return result
  }

  test('100,000 segments', () => {
    assert.equal(timed('/r1' + '/1'.repeat(100_000)).kind, 'not-found')
    assert.equal(timed('/1'.repeat(100_000)).kind, 'not-found')
    assert.equal(timed('/'.repeat(100_000)).kind, 'not-found')
  })

  test('a wildcard takes 100,000 segments in one slice', () => {
    const result = timed('/w' + '/x'.repeat(100_000))
    assert.ok(result.kind === 'found')
    assert.equal(result.params.rest?.length, 200_000 - 1)
  })

  test('a one-megabyte segment and a megabyte of percent-encoding', () => {
    assert.equal(timed('/r1/' + '9'.repeat(1_000_000) + '/x/c').kind, 'not-found')
    assert.equal(timed('/' + '%41'.repeat(300_000)).kind, 'not-found')
    assert.equal(timed('/w/' + '%zz'.repeat(300_000)).kind, 'bad-path')
  })

  test('deep backtracking over int and param branches', () => {
    const path = '/1'.repeat(30) + '/nope'
    assert.deepEqual(timed(path), { kind: 'not-found' })
    const ok = timed('/1'.repeat(30) + '/end')
    assert.ok(ok.kind === 'found')
    assert.equal(ok.value, 'deep29')
    assert.deepEqual(timed('/1'.repeat(30) + '/stop'), {
      kind: 'method-not-allowed',
      allow: ['OPTIONS', 'POST'],
    })
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type MatchResult, RouteError, Router } from '../../src/router/index.ts'
import { implementations, register } from './implementations.ts'
import { LinearRouter } from './linear-router.ts'
import { matchCases } from './router.cases.ts'

const KINDS = new Set(['found', 'method-not-allowed', 'not-found', 'bad-path'])

/** Every route the shared table uses, registered at once (skipping the few that conflict with each other). */
function everyTableRoute(): Router<string> {
  const router = new Router<string>()
  for (const c of matchCases) {
    for (const route of c.routes) {
      try {
        register(router, [route])
      } catch (error) {
        if (!(error instanceof RouteError)) throw error
      }
    }
  }
  return router
}

/** Segments that stress the parser: percent edge cases, empty, dots, digits, multi-byte text. */
const trickySegment = fc.oneof(
  fc.constantFrom('', 'users', 'items', 'files', 'a', 'b', '1', '007', '..', '.', '%', '%2', '%zz'),
  fc.constantFrom(
    '%2F',
    '%2f',
    '%C3',
    '%A9',
    '%C3%A9',
    '%FF',
    '%00',
    '%25',
    '%ED%A0%80',
    'caf%C3%A9',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
)
const trickyPath = fc.array(trickySegment, { maxLength: 8 }).map((s) => '/' + s.join('/'))
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'X')

describe('properties', () => {
  test('match never throws, whatever the path', () => {
    const router = everyTableRoute()
    fc.assert(
      fc.property(method, fc.oneof(fc.string({ unit: 'binary' }), trickyPath), (m, path) => {
        assert.ok(KINDS.has(router.match(m, path).kind))
      }),
      { numRuns: 3000 },
    )
  })

  // A static segment as a client would send it: encodeURIComponent of any text, minus what patterns refuse.
  const staticSegment = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 8 })
    .map((text) => encodeURIComponent(text).replaceAll('*', '%2A'))
    .filter((segment) => segment !== '.' && segment !== '..')
  const staticPattern = fc
    .array(staticSegment, { minLength: 1, maxLength: 4 })
    .map((s) => '/' + s.join('/'))

  for (const impl of implementations) {
    test(`${impl.name}: every registered static route is found at its own path`, () => {
      fc.assert(
        fc.property(fc.uniqueArray(staticPattern, { maxLength: 20 }), (patterns) => {
          const router = impl.create()
          for (const pattern of patterns) router.add('GET', pattern, pattern)
          for (const pattern of patterns) {
            const result = router.match('GET', pattern)
            assert.ok(result.kind === 'found', `${pattern}: ${JSON.stringify(result)}`)
            assert.equal(result.value, pattern)
            assert.equal(result.pattern, pattern)
            // Hex digits in either case name the same octet.
            assert.equal(router.match('GET', lowerHex(pattern)).kind, 'found')
          }
        }),
        { numRuns: 300 },
      )
    })

    test(`${impl.name}: params round-trip through encodeURIComponent`, () => {
      const router = impl.create()
      router.add('GET', '/x/{value}/y', 'param')
      router.add('GET', '/n/{id:int}', 'int')
      router.add('GET', '/w/{*rest}', 'wildcard')
      const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 })
      fc.assert(
        fc.property(
          text,
          fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 5 }),
          (value, parts) => {
            const one = router.match('GET', `/x/${encodeURIComponent(value)}/y`)
            assert.ok(one.kind === 'found')
            assert.equal(one.params.value, value)

            const rest = router.match('GET', '/w/' + parts.map(encodeURIComponent).join('/'))
            assert.ok(rest.kind === 'found')
            assert.equal(rest.params.rest, parts.join('/'))
          },
        ),
        { numRuns: 1000 },
      )
      fc.assert(
        fc.property(fc.stringMatching(/^[0-9]{1,30}$/), (digits) => {
          const result = router.match('GET', `/n/${digits}`)
          assert.ok(result.kind === 'found')
          assert.equal(result.params.id, digits)
        }),
      )
    })
  }

  // Differential test: small alphabets make random routes collide, overlap and backtrack often.
  const patternSegment = fc.constantFrom('a', 'b', '1', '', '{p}', '{n:int}', '{*w}', '*')
  const pattern = fc.array(patternSegment, { minLength: 1, maxLength: 4 }).map((segments) => {
    let k = 0
    // Number the names so that one pattern never repeats a name.
    return (
      '/' +
      segments.map((s) => s.replace(/\{(\*?)(\w)/, (_m, star, c) => `{${star}${c}${k++}`)).join('/')
    )
  })
  const route = fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS'), pattern)
  const pathSegment = fc.constantFrom('a', 'b', '1', '22', '', 'x', '%61', '%2F', '%31')
  const path = fc.array(pathSegment, { maxLength: 5 }).map((s) => '/' + s.join('/'))

  test('the tree agrees with the linear reference on random tables and paths', () => {
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 12 }),
        fc.array(fc.tuple(method, path), { maxLength: 20 }),
        (routes, requests) => {
          const tree = new Router<string>()
          const linear = new LinearRouter<string>()
          for (const [m, p] of routes) {
            const outcomes = [tree, linear].map((router) => {
              try {
                router.add(m, p, `${m} ${p}`)
                return 'ok'
              } catch (error) {
                assert.ok(error instanceof RouteError)
                return error.message
              }
            })
            assert.equal(outcomes[0], outcomes[1])
          }
          for (const [m, p] of requests) {
            const expected = linear.match(m, p)
            const actual = tree.match(m, p)
            assert.deepEqual(plain(actual), plain(expected), `${m} ${p}`)
            checkAllow(tree, p, actual)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})

/** Each method in a 405's `allow` does find a route on that path (OPTIONS only when one is registered). */
function checkAllow(router: Router<string>, path: string, result: MatchResult<string>): void {
  if (result.kind !== 'method-not-allowed') return
  assert.ok(result.allow.includes('OPTIONS'))
  for (const m of result.allow) {
    const again = router.match(m, path)
    if (m === 'OPTIONS' && again.kind === 'method-not-allowed') {
      assert.deepEqual(again.allow, result.allow)
      continue
    }
    assert.equal(again.kind, 'found', `${m} ${path} is in Allow but not found`)
  }
}

function plain(result: MatchResult<string>): unknown {
  return result.kind === 'found' ? { ...result, params: { ...result.params } } : result
}

/** The pattern with its percent-encoded hex digits in lower case (the rest of the text unchanged). */
function lowerHex(pattern: string): string {
  return pattern.replace(/%[0-9A-F]{2}/g, (triplet) => triplet.toLowerCase())
}

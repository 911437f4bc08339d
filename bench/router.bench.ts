/**
 * Router matching cost with 10 routes and with 1,000: a segment tree should cost about the same for both,
 * because a lookup walks the path's segments, not the route list.
 *
 * Run: node --import tsx bench/router.bench.ts
 */
import { bench, do_not_optimize, group, run, summary } from 'mitata'
import { Router } from '../src/router/index.ts'

/** Ten realistic routes for one resource: collection, search, item, nested items, typed ids. */
function addResource(router: Router<string>, name: string): void {
  const base = `/api/v1/${name}`
  const routes: [string, string][] = [
    ['GET', base],
    ['POST', base],
    ['GET', `${base}/search`],
    ['GET', `${base}/{id}`],
    ['PUT', `${base}/{id}`],
    ['DELETE', `${base}/{id}`],
    ['GET', `${base}/{id}/sub`],
    ['GET', `${base}/{id}/sub/{subId}`],
    ['PATCH', `${base}/{id}/sub/{subId}`],
    ['GET', `${base}/{id:int}/sub/{subId}/items/{itemId}`],
  ]
  for (const [method, pattern] of routes) router.add(method, pattern, `${method} ${pattern}`)
}

const small = new Router<string>()
addResource(small, 'resource42')

const large = new Router<string>()
for (let i = 0; i < 100; i++) addResource(large, `resource${i}`)

if (small.routes().length !== 10 || large.routes().length !== 1000) throw new Error('route count')

/** The same requests against both routers; each is checked once so the benchmark measures real answers. */
const lookups: [label: string, method: string, path: string, kind: string][] = [
  ['static hit', 'GET', '/api/v1/resource42/search', 'found'],
  ['param hit', 'GET', '/api/v1/resource42/123', 'found'],
  ['deep param hit', 'GET', '/api/v1/resource42/123/sub/456/items/789', 'found'],
  ['404', 'GET', '/api/v2/resource42/123', 'not-found'],
  ['405', 'POST', '/api/v1/resource42/123', 'method-not-allowed'],
]

for (const [label, method, path, kind] of lookups) {
  for (const router of [small, large]) {
    const result = router.match(method, path)
    if (result.kind !== kind) throw new Error(`${label}: expected ${kind}, got ${result.kind}`)
  }
  group(label, () => {
    summary(() => {
      bench(`${label}, 10 routes`, () => do_not_optimize(small.match(method, path)))
      bench(`${label}, 1,000 routes`, () => do_not_optimize(large.match(method, path)))
    })
  })
}

await run()

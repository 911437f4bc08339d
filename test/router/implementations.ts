/**
 * The routers the shared tables run against (hono's approach: several routers behind one interface, one table).
 * Add an implementation here and every table and property test covers it.
 */
import { type MatchResult, type RouteEntry, Router } from '../../src/router/index.ts'
import { LinearRouter } from './linear-router.ts'

/** What the shared tables need from a router. */
export interface RouterUnderTest {
  add(method: string, pattern: string, value: string): void
  match(method: string, path: string): MatchResult<string>
  routes(): ReadonlyArray<RouteEntry<string>>
}

export const implementations: ReadonlyArray<{ name: string; create: () => RouterUnderTest }> = [
  { name: 'Router (segment tree)', create: () => new Router<string>() },
  { name: 'LinearRouter (reference)', create: () => new LinearRouter<string>() },
]

/** Registers `'METHOD /pattern'` strings, each as its own value. */
export function register(router: RouterUnderTest, routes: readonly string[]): void {
  for (const route of routes) {
    const space = route.indexOf(' ')
    router.add(route.slice(0, space), route.slice(space + 1), route)
  }
}

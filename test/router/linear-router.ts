/**
 * A second router, written for obviousness rather than speed: it tries every route against the path and keeps
 * the best match. It shares pattern parsing and path canonicalization with the real router (those have tests of
 * their own) and re-implements everything else, precedence, HEAD and 405, so that the two can be checked
 * against each other on the shared table and on random inputs.
 *
 * Precedence, stated without a tree: give each matched segment a rank (static 3, `{x:int}` 2, `{x}` 1,
 * wildcard 0); the route with the lexicographically greatest list of ranks wins. That is the order in which the
 * real router's depth-first search meets the routes.
 */
import { BAD_PATH_START, canonicalizePath, decodeValue } from '../../src/router/path.ts'
import {
  type ParsedPattern,
  parsePattern,
  RouteError,
  validateMethod,
} from '../../src/router/pattern.ts'
import type { MatchResult, RouteEntry } from '../../src/router/router.ts'

interface LinearRoute<T> {
  readonly entry: RouteEntry<T>
  readonly parsed: ParsedPattern
}

interface Candidate<T> {
  readonly route: LinearRoute<T>
  readonly ranks: number[]
  readonly values: string[]
}

export class LinearRouter<T> {
  readonly #routes: LinearRoute<T>[] = []

  add(method: string, pattern: string, value: T): void {
    validateMethod(method, pattern)
    const parsed = parsePattern(method, pattern)
    for (const other of this.#routes) {
      if (other.entry.method !== method || other.parsed.shape !== parsed.shape) continue
      const problem =
        other.entry.pattern === pattern
          ? 'this route is already registered'
          : `it matches exactly the same paths as ${method} ${other.entry.pattern}`
      throw new RouteError(method, pattern, problem)
    }
    this.#routes.push({ entry: { method, pattern, value }, parsed })
  }

  match(method: string, path: string): MatchResult<T> {
    if (!path.startsWith('/')) return BAD_PATH_START
    const canonical = canonicalizePath(path)
    if (typeof canonical !== 'string') return canonical
    const segments = canonical.slice(1).split('/')

    let best: Candidate<T> | null = null
    const allow = new Set<string>()
    for (const route of this.#routes) {
      const matched = matchSegments(route.parsed, segments)
      if (matched === null) continue
      const routeMethod = route.entry.method
      allow.add(routeMethod)
      if (routeMethod === 'GET') allow.add('HEAD')
      const usable = routeMethod === method || (method === 'HEAD' && routeMethod === 'GET')
      if (!usable) continue
      const candidate = { route, ...matched }
      const order = best === null ? 1 : compareRanks(candidate.ranks, best.ranks)
      // Equal ranks mean the same shape: only HEAD and GET can tie, and a HEAD route beats the GET fallback.
      if (order > 0 || (order === 0 && routeMethod === method)) best = candidate
    }

    if (best !== null) {
      const params: Record<string, string> = {}
      best.route.parsed.paramNames.forEach((name, i) => {
        params[name] = decodeValue(best.values[i]!)
      })
      const { value, pattern } = best.route.entry
      return { kind: 'found', value, params, pattern }
    }
    if (allow.size === 0) return { kind: 'not-found' }
    allow.add('OPTIONS')
    return { kind: 'method-not-allowed', allow: [...allow].sort() }
  }

  routes(): ReadonlyArray<RouteEntry<T>> {
    return this.#routes.map((route) => route.entry)
  }
}

function matchSegments(
  parsed: ParsedPattern,
  segments: readonly string[],
): { ranks: number[]; values: string[] } | null {
  const ranks: number[] = []
  const values: string[] = []
  for (const [i, segment] of parsed.segments.entries()) {
    if (segment.kind === 'wildcard') {
      if (i >= segments.length) return null
      ranks.push(0)
      values.push(segments.slice(i).join('/'))
      return { ranks, values }
    }
    const text = segments[i]
    if (text === undefined) return null
    if (segment.kind === 'static') {
      if (text !== segment.text) return null
      ranks.push(3)
    } else {
      if (text === '' || (segment.int && !/^[0-9]+$/.test(text))) return null
      ranks.push(segment.int ? 2 : 1)
      values.push(text)
    }
  }
  return segments.length === parsed.segments.length ? { ranks, values } : null
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

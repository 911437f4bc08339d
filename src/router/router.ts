/**
 * A segment-tree router: pure data in, pure data out, no I/O.
 *
 * Work happens at registration: patterns are parsed, validated and folded into a tree of segments, conflicts are
 * refused, and the answers that never change (the result for a static route, the `Allow` list of each path) are
 * built once. Matching then walks the tree one segment at a time and never throws: a path the router cannot
 * read comes back as `{ kind: 'bad-path' }`.
 *
 * See docs/router.md for the precedence and decoding rules with a diagram.
 */
import { BAD_PATH_START, type BadPath, canonicalizePath, decodeValue } from './path.ts'
import { type ParsedPattern, parsePattern, RouteError, validateMethod } from './pattern.ts'

/** A route was found for the method and path. */
export interface Found<T> {
  readonly kind: 'found'
  readonly value: T
  /**
   * Parameter values, percent-decoded once, keyed by the names in the pattern. The object has no prototype, so
   * only the pattern's own names are keys (`params.constructor` is `undefined`). Results for static routes are
   * shared between calls and frozen: read them, do not mutate them.
   */
  readonly params: Readonly<Record<string, string>>
  /** The pattern as registered, e.g. `/users/{id:int}` (useful as a metrics label). */
  readonly pattern: string
}

/**
 * The path exists, but not for this method. RFC 9110 §15.5.6: a 405 response MUST carry `Allow`; `allow` is that
 * list, sorted, with `HEAD` wherever `GET` is registered and always `OPTIONS`, because the framework answers
 * `OPTIONS` itself for paths that do not register it (this same result, sent as 204 with `Allow`).
 */
export interface MethodNotAllowed {
  readonly kind: 'method-not-allowed'
  readonly allow: readonly string[]
}

/** No route matches the path under any method: 404. */
export interface NotFound {
  readonly kind: 'not-found'
}

/** What `Router.match` answers. `bad-path` (malformed percent-encoding, no leading `/`) means 400. */
export type MatchResult<T> = Found<T> | MethodNotAllowed | NotFound | BadPath

/** One registered route, as `routes()` lists it (for OpenAPI generation and debugging). */
export interface RouteEntry<T> {
  readonly method: string
  readonly pattern: string
  readonly value: T
}

const NOT_FOUND: NotFound = Object.freeze({ kind: 'not-found' })

/** Prototype of every params object: frozen, itself without a prototype, so no key is inherited. */
const PARAMS_PROTO: object = Object.freeze(Object.create(null))
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(PARAMS_PROTO))

/** Up to this many static children are scanned in an array; past it a node looks them up in its Map. */
const LINEAR_SCAN_MAX = 8

interface Route<T> {
  readonly entry: RouteEntry<T>
  readonly parsed: ParsedPattern
  /** Built once for routes without parameters, so a static match allocates nothing. */
  readonly staticResult: Found<T> | null
}

/** One tree node: everything that can follow a given sequence of segments. */
class Node<T> {
  /** Static children keyed by canonical segment text (`''` is the child for a trailing slash). */
  readonly statics = new Map<string, Node<T>>()
  /** The same children as parallel arrays, for the linear scan that needs no key string. */
  readonly staticKeys: string[] = []
  readonly staticNodes: Node<T>[] = []
  /** `{name:int}`: one child, whatever the names in the patterns that share it. */
  intChild: Node<T> | null = null
  /** `{name}`. */
  paramChild: Node<T> | null = null
  /** `{*name}`: a leaf; it consumes the rest of the path. */
  wildcardChild: Node<T> | null = null
  /** Routes that end here, by method. `null` while none does. */
  routes: Map<string, Route<T>> | null = null
  /** The answer for a method this node lacks; rebuilt whenever a route is added here. */
  notAllowed: MethodNotAllowed = Object.freeze({ kind: 'method-not-allowed', allow: [] })

  /** The static child for `key`, created on first use. */
  addStatic(key: string): Node<T> {
    let child = this.statics.get(key)
    if (child === undefined) {
      child = new Node<T>()
      this.statics.set(key, child)
      this.staticKeys.push(key)
      this.staticNodes.push(child)
    }
    return child
  }
}

/**
 * Maps a method and a raw path to a registered value.
 *
 * ```ts
 * const router = new Router<Handler>()
 * router.add('GET', '/users/{id:int}', showUser)
 * router.match('GET', '/users/42')  // { kind: 'found', value: showUser, params: { id: '42' }, pattern: '/users/{id:int}' }
 * router.match('HEAD', '/users/42') // the GET route: HEAD is answered like GET (RFC 9110 §9.3.2)
 * router.match('POST', '/users/42') // { kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'OPTIONS'] }
 * router.match('GET', '/users/me')  // { kind: 'not-found' }: `me` is not digits
 * ```
 */
export class Router<T> {
  readonly #root = new Node<T>()
  /** Fully static routes by canonical path: one Map lookup answers most requests. */
  readonly #staticPaths = new Map<string, Node<T>>()
  /** `method + ' ' + shape` of every route, to refuse a second route that matches exactly the same paths. */
  readonly #shapes = new Map<string, Route<T>>()
  readonly #entries: RouteEntry<T>[] = []
  /**
   * Scratch space reused by every match (matching is synchronous, so calls cannot interleave):
   * `#captures[2k]` and `#captures[2k + 1]` are the start and end offsets of the k-th parameter on the branch
   * being tried, and `#seen[0, #seenCount)` are the nodes where the path ended but the method was missing
   * (for 405). A count instead of `#seen.length = 0`: truncating an array is a surprisingly costly call.
   */
  readonly #captures: number[] = []
  readonly #seen: Node<T>[] = []
  #seenCount = 0

  /**
   * Registers `value` for `method` and `pattern`. Throws a `RouteError` naming the route when the method is not an
   * upper-case token, the pattern is malformed (see `pattern.ts`), or the method already has a route that matches
   * exactly the same paths (`/a/{id}` and `/a/{name}`; also `/users` and `/us%65rs`). `/a/{id}` and
   * `/a/{id:int}` do not conflict: digits go to the typed one, anything else to the other.
   * The router is unchanged when `add` throws.
   */
  add(method: string, pattern: string, value: T): void {
    validateMethod(method, pattern)
    const parsed = parsePattern(method, pattern)
    const shapeKey = method + ' ' + parsed.shape
    const existing = this.#shapes.get(shapeKey)
    if (existing !== undefined) {
      const problem =
        existing.entry.pattern === pattern
          ? 'this route is already registered'
          : `it matches exactly the same paths as ${method} ${existing.entry.pattern}`
      throw new RouteError(method, pattern, problem)
    }

    const entry: RouteEntry<T> = Object.freeze({ method, pattern, value })
    const staticResult: Found<T> | null =
      parsed.paramNames.length === 0
        ? Object.freeze({ kind: 'found', value, params: NO_PARAMS, pattern })
        : null
    const route: Route<T> = { entry, parsed, staticResult }

    let node = this.#root
    for (const segment of parsed.segments) {
      if (segment.kind === 'static') node = node.addStatic(segment.text)
      else if (segment.kind === 'wildcard') node = node.wildcardChild ??= new Node<T>()
      else if (segment.int) node = node.intChild ??= new Node<T>()
      else node = node.paramChild ??= new Node<T>()
    }
    node.routes ??= new Map()
    node.routes.set(method, route)
    node.notAllowed = Object.freeze({ kind: 'method-not-allowed', allow: allowList(node.routes) })

    if (parsed.staticPath !== null) this.#staticPaths.set(parsed.staticPath, node)
    this.#shapes.set(shapeKey, route)
    this.#entries.push(entry)
    // Keep the scratch array packed with small integers, sized for the route with the most parameters.
    while (this.#captures.length < parsed.paramNames.length * 2) this.#captures.push(0)
  }

  /**
   * Finds the route for `method` and `path`. `path` is the raw request path: before `?`, not percent-decoded.
   * Never throws.
   *
   * - Per segment, a static segment beats `{name:int}`, which beats `{name}`, which beats `{*wildcard}`. When a
   *   preferred branch fails further down, the next one is tried (backtracking), so with `/a/b/d` and `/a/{x}/c`
   *   registered, `/a/b/c` finds the second. Every tree node is visited at most once per call.
   * - `HEAD` gets the `GET` route where no `HEAD` route is registered (RFC 9110 §9.3.2).
   * - `OPTIONS` with no `OPTIONS` route gets `method-not-allowed`, whose `allow` the framework sends with 204.
   * - `/users/` is not `/users`; an empty segment (`//`) never matches a parameter.
   */
  match(method: string, path: string): MatchResult<T> {
    if (path.charCodeAt(0) !== 0x2f /* / */) return BAD_PATH_START

    let canonical = path
    if (path.indexOf('%') !== -1) {
      const result = canonicalizePath(path)
      if (typeof result !== 'string') return result
      canonical = result
    }

    // Fast path: a fully static route beats any other route matching the same path (it wins at every segment).
    const staticNode = this.#staticPaths.get(canonical)
    if (staticNode !== undefined) {
      const route = routeFor(staticNode, method)
      // Fully static routes always carry a prebuilt result.
      if (route !== undefined) return route.staticResult!
      // Otherwise a parameter route may still serve this method here: fall through to the tree.
    }

    this.#seenCount = 0
    const route = this.#search(this.#root, method, canonical, 1, 0)
    if (route !== null) return route.staticResult ?? this.#found(route, canonical)

    const seen = this.#seen
    const count = this.#seenCount
    if (count === 0) return NOT_FOUND
    if (count === 1) return seen[0]!.notAllowed
    // Several routes match the path under other methods (say `/a/b` for POST and `/a/{x}` for PUT): every one
    // of their methods would succeed on this path, so `Allow` is the union.
    const union = new Set<string>()
    for (let i = 0; i < count; i++) for (const m of seen[i]!.notAllowed.allow) union.add(m)
    return { kind: 'method-not-allowed', allow: [...union].sort() }
  }

  /** Every registered route in registration order (a copy; the entries are frozen). */
  routes(): ReadonlyArray<RouteEntry<T>> {
    return this.#entries.slice()
  }

  /**
   * Depth-first search in precedence order. `start` is the offset of the current segment (just past a `/`),
   * `depth` the number of parameters captured so far on this branch. Returns the first route found for
   * `method`, or `null` after recording in `#seen` the nodes where the path ended without that method.
   *
   * Bounded work: each node sits at a fixed segment depth, so it is reached at most once per call, and the
   * recursion is never deeper than the longest pattern, whatever the number of segments in the path.
   */
  #search(
    node: Node<T>,
    method: string,
    path: string,
    start: number,
    depth: number,
  ): Route<T> | null {
    let end = path.indexOf('/', start)
    const last = end === -1
    if (last) end = path.length

    const child = staticChild(node, path, start, end)
    if (child !== undefined) {
      const found = last
        ? this.#end(child, method)
        : this.#search(child, method, path, end + 1, depth)
      if (found !== null) return found
    }

    // Parameters never match an empty segment.
    if (end > start) {
      const intChild = node.intChild
      if (intChild !== null && isDigits(path, start, end)) {
        this.#captures[2 * depth] = start
        this.#captures[2 * depth + 1] = end
        const found = last
          ? this.#end(intChild, method)
          : this.#search(intChild, method, path, end + 1, depth + 1)
        if (found !== null) return found
      }
      const paramChild = node.paramChild
      if (paramChild !== null) {
        this.#captures[2 * depth] = start
        this.#captures[2 * depth + 1] = end
        const found = last
          ? this.#end(paramChild, method)
          : this.#search(paramChild, method, path, end + 1, depth + 1)
        if (found !== null) return found
      }
    }

    const wildcard = node.wildcardChild
    if (wildcard !== null) {
      this.#captures[2 * depth] = start
      this.#captures[2 * depth + 1] = path.length
      return this.#end(wildcard, method)
    }
    return null
  }

  /** The path ends at `node`: its route for `method`, or `null` (remembering the node if it has other methods). */
  #end(node: Node<T>, method: string): Route<T> | null {
    if (node.routes === null) return null
    const route = routeFor(node, method)
    if (route !== undefined) return route
    this.#seen[this.#seenCount++] = node
    return null
  }

  /** Builds the result for a route with parameters from the offsets the search left in `#captures`. */
  #found(route: Route<T>, path: string): Found<T> {
    const names = route.parsed.paramNames
    const params: Record<string, string> = Object.create(PARAMS_PROTO)
    for (let i = 0; i < names.length; i++) {
      // Decode after matching, once: `%2F` inside a parameter becomes `/` here, too late to split a segment.
      params[names[i]!] = decodeValue(path.slice(this.#captures[2 * i], this.#captures[2 * i + 1]))
    }
    return { kind: 'found', value: route.entry.value, params, pattern: route.entry.pattern }
  }
}

/** The route a node has for `method`; for HEAD, its GET route when HEAD itself is not registered. */
function routeFor<T>(node: Node<T>, method: string): Route<T> | undefined {
  const routes = node.routes
  if (routes === null) return undefined
  const route = routes.get(method)
  if (route !== undefined || method !== 'HEAD') return route
  return routes.get('GET')
}

/** The static child for `path[start, end)`, comparing in place while there are few children (no substring). */
function staticChild<T>(
  node: Node<T>,
  path: string,
  start: number,
  end: number,
): Node<T> | undefined {
  const keys = node.staticKeys
  if (keys.length > LINEAR_SCAN_MAX) return node.statics.get(path.slice(start, end))
  const length = end - start
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (key.length === length && path.startsWith(key, start)) return node.staticNodes[i]
  }
  return undefined
}

/** `path[start, end)` is one or more ASCII digits. (Canonical form has already decoded `%31` to `1`.) */
function isDigits(path: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = path.charCodeAt(i)
    if (code < 0x30 || code > 0x39) return false
  }
  return true
}

/** Sorted `Allow` values for a node's routes: its methods, HEAD where GET is, and OPTIONS always. */
function allowList(routes: ReadonlyMap<string, unknown>): readonly string[] {
  const methods = new Set(routes.keys())
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  return Object.freeze([...methods].sort())
}

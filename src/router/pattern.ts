/**
 * Route patterns: their syntax, and every mistake in one reported at registration, never at request time.
 *
 * ```text
 * /users                 static segments
 * /users/{id}            a parameter: one whole, non-empty segment
 * /users/{id:int}        a typed parameter: ASCII digits only (the value stays a string)
 * /files/{*path}         a wildcard: the rest of the path, slashes included, possibly empty; last segment only
 * /files/*               shorthand for /files/{*wildcard}
 * /users/                a trailing slash is a segment of its own: this is not /users
 * ```
 */
import { canonicalizePath } from './path.ts'

/** A route was registered with a mistake in it. The message names the method and the pattern. */
export class RouteError extends Error {
  override name = 'RouteError'
  /** The method the failing route was registered under. */
  readonly method: string
  /** The pattern exactly as it was passed to `add`. */
  readonly pattern: string

  constructor(method: string, pattern: string, problem: string) {
    super(`Cannot register ${method} ${pattern}: ${problem}`)
    this.method = method
    this.pattern = pattern
  }
}

/** One segment of a parsed pattern. Static text is kept in canonical form (see `path.ts`). */
export type Segment = StaticSegment | NamedSegment

interface StaticSegment {
  readonly kind: 'static'
  readonly text: string
}

/** A segment that captures a value: a parameter (`int` for `{name:int}`) or the wildcard. */
type NamedSegment =
  | { readonly kind: 'param'; readonly name: string; readonly int: boolean }
  | { readonly kind: 'wildcard'; readonly name: string }

/** What the router needs to know about a pattern once it is known to be valid. */
export interface ParsedPattern {
  readonly segments: readonly Segment[]
  /** Parameter names in the order their values appear in a path; the wildcard, if any, is last. */
  readonly paramNames: readonly string[]
  /**
   * The pattern with parameter names erased: `/a/{}/b`, `/a/{:int}`, `/files/{*}`. Two patterns with the same
   * shape match exactly the same paths, so one method cannot have both.
   */
  readonly shape: string
  /** The canonical path when every segment is static (the router's fast-path key), otherwise `null`. */
  readonly staticPath: string | null
}

/** tchar from RFC 9110 §5.6.2: a method is a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Identifier-like, so a name can be used as `params.name` in handler code. */
const PARAM_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/
/** pchar (RFC 3986 §3.3) minus `*` (see `parseStatic`); `%` is checked as triplets separately. */
const NOT_PCHAR = /[^A-Za-z0-9\-._~!$&'()+,;=:@%]/
const NON_ASCII = /[^\x00-\x7f]+/g

/**
 * Throws unless `method` is an upper-case token. Methods are case-sensitive (RFC 9110 §9.1), so `get` would be a
 * different method from `GET` that no client sends: refusing lower case catches the typo at startup.
 */
export function validateMethod(method: string, pattern: string): void {
  if (!TOKEN.test(method)) {
    throw new RouteError(method, pattern, 'the method must be a token (RFC 9110 §9.1), like GET')
  }
  if (method !== method.toUpperCase()) {
    throw new RouteError(
      method,
      pattern,
      `methods are case-sensitive (RFC 9110 §9.1); register '${method.toUpperCase()}', not '${method}'`,
    )
  }
}

/** Parses and validates a pattern, throwing a `RouteError` that names the route for the first mistake found. */
export function parsePattern(method: string, pattern: string): ParsedPattern {
  const fail = (problem: string): never => {
    throw new RouteError(method, pattern, problem)
  }
  if (!pattern.startsWith('/')) fail("a pattern must start with '/'")

  const parts = pattern.slice(1).split('/')
  const segments: Segment[] = []
  const paramNames: string[] = []
  const shape: string[] = []
  let allStatic = true

  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    const isLast = i === parts.length - 1

    if (part === '*' || part.startsWith('{')) {
      const segment = part === '*' ? wildcardShorthand : parseParam(part, fail)
      if (segment.kind === 'wildcard' && !isLast) {
        fail(`the wildcard '${part}' must be the last segment`)
      }
      if (paramNames.includes(segment.name)) fail(`duplicate parameter name '${segment.name}'`)
      paramNames.push(segment.name)
      segments.push(segment)
      shape.push(segment.kind === 'wildcard' ? '{*}' : segment.int ? '{:int}' : '{}')
      allStatic = false
      continue
    }

    // An empty segment is fine last (`/` and `/users/` end in one) but nowhere else: `/a//b` is a typo.
    if (part === '' && !isLast) fail("empty segment ('//')")
    const text = parseStatic(part, fail)
    segments.push({ kind: 'static', text })
    shape.push(text)
  }

  const joined = '/' + shape.join('/')
  return { segments, paramNames, shape: joined, staticPath: allStatic ? joined : null }
}

const wildcardShorthand: NamedSegment = { kind: 'wildcard', name: 'wildcard' }

function parseParam(part: string, fail: (problem: string) => never): NamedSegment {
  if (!part.endsWith('}') || part.indexOf('{', 1) !== -1 || part.indexOf('}') !== part.length - 1) {
    fail(`a parameter must be a whole segment, like '{id}', not '${part}'`)
  }
  const inner = part.slice(1, -1)
  if (inner.startsWith('*')) {
    const name = inner.slice(1)
    if (name.includes(':')) fail(`a wildcard takes no type: '${part}'`)
    checkName(name, part, fail)
    return { kind: 'wildcard', name }
  }
  const colon = inner.indexOf(':')
  const name = colon === -1 ? inner : inner.slice(0, colon)
  checkName(name, part, fail)
  if (colon === -1) return { kind: 'param', name, int: false }
  const type = inner.slice(colon + 1)
  if (type !== 'int') fail(`unknown parameter type '${type}' in '${part}' (supported: int)`)
  return { kind: 'param', name, int: true }
}

function checkName(name: string, part: string, fail: (problem: string) => never): void {
  if (name === '') fail(`empty parameter name in '${part}'`)
  if (!PARAM_NAME.test(name)) {
    fail(
      `invalid parameter name '${name}' in '${part}' (letters, digits, _ and $; not starting with a digit)`,
    )
  }
}

/** Validates one static segment and returns its canonical text. */
function parseStatic(part: string, fail: (problem: string) => never): string {
  if (part.includes('{') || part.includes('}')) {
    fail(`a parameter must be a whole segment, like '{id}', not '${part}'`)
  }
  // `*` is a legal path character, but `/files/a*` is far more likely a glob that will never match than a
  // literal star. A literal one can still be registered as `%2A`.
  if (part.includes('*')) {
    fail(`'*' is a wildcard only as a whole last segment; write %2A for a literal '*' in '${part}'`)
  }
  // Non-ASCII text (`/café`) is registered as its UTF-8 percent-encoding, which is how clients send it.
  let encoded: string
  try {
    encoded = part.replace(NON_ASCII, (text) => encodeURIComponent(text))
  } catch {
    return fail(`'${part}' contains a lone UTF-16 surrogate`)
  }
  const bad = NOT_PCHAR.exec(encoded)
  if (bad !== null) {
    fail(`${JSON.stringify(bad[0])} cannot appear in a path segment; percent-encode it`)
  }
  const text = canonicalizePath(encoded)
  if (typeof text !== 'string') return fail(`${text.reason} in '${part}'`)
  // Clients remove `.` and `..` segments before sending (RFC 3986 §5.2.4), so such a route is unreachable.
  if (text === '.' || text === '..') {
    fail(`'${part}' is a dot-segment, which clients remove before sending (RFC 3986 §5.2.4)`)
  }
  return text
}

/**
 * Safety checks for the TCP listener, and the middleware that applies them ({@link tcpGuard}).
 *
 * DNS rebinding: a web page the user visits can make the browser send requests to 127.0.0.1 under the page's
 * own host name (the attacker's DNS answers 127.0.0.1 after the page loads). The browser then puts that name in
 * the Host header, so a server on loopback that only accepts loopback names in Host cannot be reached that way.
 * This is the defence Jupyter, the Docker daemon's HTTP API and many local dev servers use.
 *
 * Unix sockets need none of this: browsers cannot reach them, and their file mode decides who may connect.
 */
import { timingSafeEqual } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { Middleware } from '../../framework/index.ts'
import type { Request } from '../../transport/index.ts'

/** The host name in a Host header value, lower-cased, without port or IPv6 brackets. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase()
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    return close === -1 ? value : value.slice(1, close)
  }
  const colon = value.lastIndexOf(':')
  return colon === -1 ? value : value.slice(0, colon)
}

/** True for names that can only mean this machine: localhost (RFC 6761 §6.3), 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (isIPv4(name)) return name.startsWith('127.')
  if (isIPv6(name))
    return name === '::1' || name === '0:0:0:0:0:0:0:1' || name.startsWith('::ffff:127.')
  return false
}

/**
 * Build the Host check. Accepted: loopback names, the address the server is bound to (unless it is a wildcard),
 * and every name given with --allow-host (compared without port, case-insensitively).
 */
export function hostChecker(
  allowHosts: readonly string[],
  bindAddress: string,
): (host: string | undefined) => boolean {
  const allowed = new Set(allowHosts.map((h) => hostName(h)))
  const bind = hostName(
    bindAddress.includes(':') && !bindAddress.startsWith('[') ? `[${bindAddress}]` : bindAddress,
  )
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') allowed.add(bind)
  return (host) => {
    if (host === undefined) return false
    const name = hostName(host)
    return isLoopbackName(name) || allowed.has(name)
  }
}

/**
 * Build the bearer-token check (RFC 6750 §2.1: `Authorization: Bearer <token>`). The comparison takes the same
 * time whatever the first wrong character, so the token cannot be guessed a byte at a time by timing.
 */
export function tokenChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = Buffer.from(token, 'utf8')
  return (authorization) => {
    if (authorization === undefined) return false
    const match = /^Bearer[ \t]+(.+?)[ \t]*$/i.exec(authorization)
    if (match === null) return false
    const given = Buffer.from(match[1]!, 'latin1')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}

/** What a browser says about where a request comes from (all absent for curl and Claude Code's hooks). */
export interface RequestOrigin {
  method: string
  /** The Host header: the origin the browser is talking to (a browser cannot set it). */
  host: string | undefined
  /** `Origin` (RFC 6454 §7): sent by browsers with every POST and every cross-origin fetch. */
  origin: string | undefined
  /** Fetch Metadata: `Sec-Fetch-Site` (same-origin, same-site, cross-site, none), `-Mode` and `-Dest`. */
  fetchSite: string | undefined
  fetchMode: string | undefined
  fetchDest: string | undefined
}

/**
 * Is this request from the observatory's own origin (or from no browser page at all)?
 *
 * The observatory's origin is `http://` + the Host the request was sent to: scheme, host and port (RFC 6454 §4),
 * so a page on another local port (`http://localhost:3000`, `http://127.0.0.1:8080`) is another origin, though it
 * is "same-site" to a browser and its Host check passes. Refused:
 * - an `Origin` that is not exactly that origin (and `null`: sandboxed frames, `file:` pages);
 * - a `Sec-Fetch-Site` other than `same-origin` or `none` (typed in, a bookmark), except for a plain top-level
 *   navigation (GET or HEAD, mode `navigate`, not into an `<object>` or `<embed>`), so that a link to the page
 *   still opens it: the Fetch Metadata resource isolation policy. Navigating only reads the page.
 * Hooks send neither header and pass.
 */
export function sameOriginRequest(request: RequestOrigin): boolean {
  const site = request.fetchSite?.trim().toLowerCase()
  if (site !== undefined && site !== 'same-origin' && site !== 'none' && !isNavigation(request)) {
    return false
  }
  if (request.origin === undefined) return true
  if (request.host === undefined) return false
  try {
    const from = new URL(request.origin)
    const own = new URL(`http://${request.host.trim()}`)
    return from.protocol === 'http:' && from.host === own.host
  } catch {
    return false // "null" and anything unparsable
  }
}

function isNavigation(request: RequestOrigin): boolean {
  const dest = request.fetchDest?.trim().toLowerCase()
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    request.fetchMode?.trim().toLowerCase() === 'navigate' &&
    dest !== 'object' &&
    dest !== 'embed'
  )
}

// ---------------------------------------------------------------------------------------------------------------
// The middleware
// ---------------------------------------------------------------------------------------------------------------

/** What {@link tcpGuard} checks requests against. */
export interface GuardOptions {
  /** Extra Host names accepted on TCP. */
  allowHosts: readonly string[]
  /** The TCP bind address (accepted as a Host name unless it is a wildcard). */
  bindAddress: string
  /** When set, TCP requests (all but the health check) need `Authorization: Bearer <token>`. */
  token?: string | undefined
}

/**
 * TCP guards (Unix sockets are guarded by their file mode):
 * - Host allow-list, against DNS rebinding (`hostChecker`). A request without Host is accepted only where HTTP
 *   allows it, HTTP/1.0 (RFC 9112 §3.2 requires Host in HTTP/1.1; the protocol core answers 400 without one): a
 *   browser always sends Host, so rebinding cannot hide behind its absence;
 * - requests from other origins' web pages: any web page may POST to 127.0.0.1 with a "simple" request (no
 *   preflight) and would add fake events; browsers mark such requests with `Origin` (RFC 6454 §7) and
 *   `Sec-Fetch-Site` (Fetch Metadata), which hooks (curl, Claude Code's HTTP hooks) never send, so any origin
 *   other than the observatory's own (scheme, host and port) is refused (`sameOriginRequest`);
 * - the bearer token, when one is set, on everything except `GET /health` (and its HEAD).
 */
export function tcpGuard(options: GuardOptions): Middleware {
  const hostOk = hostChecker(options.allowHosts, options.bindAddress)
  const tokenOk = options.token === undefined ? undefined : tokenChecker(options.token)
  return async (c, next) => {
    const req = c.req
    if (req.peer.transport !== 'tcp') {
      await next()
      return undefined
    }
    const headers = req.headers
    const host = headers.get('host')
    if (host === undefined ? req.version !== '1.0' : !hostOk(host)) {
      return c.json(
        { error: 'Forbidden', message: 'Host header not allowed (use --allow-host)' },
        403,
      )
    }
    const sameOrigin = sameOriginRequest({
      method: req.method,
      host,
      origin: headers.get('origin'),
      fetchSite: headers.get('sec-fetch-site'),
      fetchMode: headers.get('sec-fetch-mode'),
      fetchDest: headers.get('sec-fetch-dest'),
    })
    if (!sameOrigin) {
      return c.json(
        { error: 'Forbidden', message: 'requests from other origins are not accepted' },
        403,
      )
    }
    if (tokenOk !== undefined && !isHealthCheck(req) && !tokenOk(headers.get('authorization'))) {
      return c.json({ error: 'Unauthorized' }, 401, [
        ['WWW-Authenticate', 'Bearer realm="observatory"'],
      ])
    }
    await next()
    return undefined
  }
}

/** The one request open without the token: a liveness probe, which reads nothing and writes nothing. */
function isHealthCheck(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && req.path === '/health'
}

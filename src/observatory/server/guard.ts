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
import { createHmac, timingSafeEqual } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import {
  type Context,
  type Middleware,
  parseCookies,
  serializeCookie,
} from '../../framework/index.ts'
import type { Request, Response } from '../../transport/index.ts'

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

// ---------------------------------------------------------------------------------------------------------------
// The dashboard's token cookie
// ---------------------------------------------------------------------------------------------------------------

/** The cookie that stands in for the bearer token on the dashboard's own reads. */
export const TOKEN_COOKIE = 'observatory_token'

/**
 * The cookie's value for `token`: an HMAC of it, never the token itself. Browsers send a host's cookies to every
 * port of that host (RFC 6265 §8.5), so any other server on 127.0.0.1 that the user opens sees this cookie; the
 * token would let that server POST events here, the HMAC only opens what the cookie opens (reads, and a
 * same-origin page's decision on an approval).
 */
export function tokenCookieValue(token: string): string {
  return createHmac('sha256', token).update('observatory dashboard cookie v1').digest('base64url')
}

/** `Set-Cookie` for `token`: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Path=/. */
export function tokenCookie(token: string): string {
  return serializeCookie(TOKEN_COOKIE, tokenCookieValue(token), {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
  })
}

/** Build the check of a `Cookie` header: does it hold the {@link TOKEN_COOKIE} for `token`? Timing-safe. */
export function tokenCookieChecker(token: string): (cookieHeader: string | undefined) => boolean {
  const expected = Buffer.from(tokenCookieValue(token), 'utf8')
  return (cookieHeader) => {
    const value = parseCookies(cookieHeader)[TOKEN_COOKIE]
    return value !== undefined && sameText(value, expected)
  }
}

/** Timing-safe equality of a string (as UTF-8) with `expected`. */
function sameText(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given, 'utf8')
  return bytes.length === expected.length && timingSafeEqual(bytes, expected)
}

/**
 * Where `GET /path?token=T&x=1` is sent once the cookie is set: the same path and query without `token`. A path
 * that a browser would read as another host (`//evil.example`, `/\evil.example`) becomes `/`: no open redirect.
 */
export function withoutToken(path: string, query: string): string {
  const params = new URLSearchParams(query)
  params.delete('token')
  const rest = params.toString()
  const safe = path.startsWith('/') && !/^\/[/\\]/.test(path) ? path : '/'
  return rest === '' ? safe : `${safe}?${rest}`
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

/**
 * May the dashboard's cookie stand in for the token on this write? Only for a person's decision on an approval
 * (`POST /api/approvals/{id}`), and only from a page of the observatory's own origin, positively so: the browser's
 * `Origin` must be there (browsers send it with every POST; {@link sameOriginRequest} has checked it is exactly
 * ours) and `Sec-Fetch-Site`, when sent, must be `same-origin`. A request with neither header (curl holding a
 * stolen cookie, say) is not a page's and needs the bearer token.
 */
export function cookieMayWrite(request: RequestOrigin & { path: string }): boolean {
  if (request.method !== 'POST' || !APPROVAL_DECISION.test(request.path)) return false
  if (request.origin === undefined || request.origin.trim() === '') return false
  const site = request.fetchSite?.trim().toLowerCase()
  return site === undefined || site === 'same-origin'
}

/** `POST /api/approvals/{id}`: one path segment after the collection. */
const APPROVAL_DECISION = /^\/api\/approvals\/[^/]+$/

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
 * - the bearer token, when one is set, on everything except `GET /health` (and its HEAD). The dashboard cannot
 *   send a header with its navigations, EventSource and fetches, so it gets a cookie instead, as Jupyter does:
 *   `GET <any page>?token=T` with the right token sets {@link TOKEN_COOKIE} (HttpOnly, SameSite=Strict) and
 *   redirects (303) to the same URL without the token; a wrong one gets a 401 page and no cookie. The cookie is
 *   accepted in place of the header for GET and HEAD (reads), and for one write: a person's decision on an
 *   approval (`POST /api/approvals/{id}`) sent by a page of this origin ({@link cookieMayWrite}); always after the
 *   Host and origin checks above, which are unchanged. Hooks (POST) always need the header.
 */
export function tcpGuard(options: GuardOptions): Middleware {
  const hostOk = hostChecker(options.allowHosts, options.bindAddress)
  const token = options.token
  const tokenOk = token === undefined ? undefined : tokenChecker(token)
  const cookieOk = token === undefined ? undefined : tokenCookieChecker(token)
  const tokenBytes = token === undefined ? undefined : Buffer.from(token, 'utf8')
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
    const from: RequestOrigin = {
      method: req.method,
      host,
      origin: headers.get('origin'),
      fetchSite: headers.get('sec-fetch-site'),
      fetchMode: headers.get('sec-fetch-mode'),
      fetchDest: headers.get('sec-fetch-dest'),
    }
    if (!sameOriginRequest(from)) {
      return c.json(
        { error: 'Forbidden', message: 'requests from other origins are not accepted' },
        403,
      )
    }
    if (token === undefined || tokenOk === undefined || cookieOk === undefined) {
      await next()
      return undefined
    }
    const read = req.method === 'GET' || req.method === 'HEAD'
    if (read && tokenBytes !== undefined && c.query.has('token')) {
      // The URL the banner prints: swap the token in the query for the cookie.
      if (!sameText(c.query.get('token') ?? '', tokenBytes)) return unauthorized(c)
      return {
        status: 303,
        headers: [
          ['Location', withoutToken(req.path, req.query)],
          ['Set-Cookie', tokenCookie(token)],
          ['Cache-Control', 'no-store'],
          ['Referrer-Policy', 'no-referrer'],
        ],
      }
    }
    if (
      !isHealthCheck(req) &&
      !tokenOk(headers.get('authorization')) &&
      !((read || cookieMayWrite({ ...from, path: req.path })) && cookieOk(headers.get('cookie')))
    ) {
      return unauthorized(c)
    }
    await next()
    return undefined
  }
}

/**
 * 401: JSON for clients, a page saying what to do for a browser's navigation (Fetch Metadata `navigate`, or an
 * `Accept` that asks for HTML first). Never sets a cookie.
 */
function unauthorized(c: Context): Response {
  const challenge: [string, string] = ['WWW-Authenticate', 'Bearer realm="observatory"']
  const navigating =
    c.header('sec-fetch-mode')?.trim().toLowerCase() === 'navigate' ||
    /^\s*text\/html/i.test(c.header('accept') ?? '')
  if (!navigating) return c.json({ error: 'Unauthorized' }, 401, [challenge])
  return {
    status: 401,
    headers: [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Cache-Control', 'no-store'],
      ['Content-Security-Policy', "default-src 'none'"],
      challenge,
    ],
    body: UNAUTHORIZED_PAGE,
  }
}

const UNAUTHORIZED_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Unauthorized: Claude Code hooks observatory</title></head>
<body>
<h1>This observatory needs its token</h1>
<p>It was started with <code>--token</code>. Open the address it printed when it started, the one ending in
<code>?token=…</code> (<code>Live page: http://…/?token=…</code>): this browser then keeps a cookie and the
dashboard works without the token in the address.</p>
</body>
</html>
`

/** The one request open without the token: a liveness probe, which reads nothing and writes nothing. */
function isHealthCheck(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && req.path === '/health'
}

import type { Context } from '../context.ts'
import type { Middleware } from '../types.ts'

/** Options of {@link cors}. */
export interface CorsOptions {
  /**
   * Origins allowed to read responses: `'*'` (any, without credentials), a list of exact origins
   * (`https://app.example.com`, scheme and port included), or a function deciding per request.
   */
  origin: '*' | readonly string[] | ((origin: string, c: Context) => boolean)
  /** Methods a preflight allows. Default GET, HEAD, PUT, PATCH, POST, DELETE. */
  methods?: readonly string[]
  /** Request headers a preflight allows. Default: the ones the preflight asks for. */
  allowHeaders?: readonly string[]
  /** Response headers scripts may read beyond the safelisted ones. */
  exposeHeaders?: readonly string[]
  /** Allow cookies and HTTP authentication (`Access-Control-Allow-Credentials: true`). */
  credentials?: boolean
  /** Seconds a browser may cache a preflight answer. Default 600. */
  maxAge?: number
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']

/**
 * Cross-origin resource sharing (Fetch standard, §3.2). Off unless installed. For an allowed origin, responses
 * carry `Access-Control-Allow-Origin` (and the credentials/expose headers when configured); a preflight
 * (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 with the `Access-Control-Allow-*` headers
 * without reaching any route. A disallowed origin gets no CORS headers, so the browser blocks the read.
 * Responses that depend on the origin say `Vary: Origin` so shared caches keep them apart.
 *
 * ```ts
 * app.use(cors({ origin: ['https://app.example.com'], credentials: true }))
 * app.use(cors({ origin: (origin) => origin.endsWith('.example.com') }))
 * ```
 */
export function cors(options: CorsOptions): Middleware {
  const { origin: allowed } = options
  const credentials = options.credentials === true
  // '*' cannot be combined with credentials (Fetch §3.2.5): then the origin is echoed back instead.
  const wildcard = allowed === '*' && !credentials
  const list = Array.isArray(allowed) ? new Set<string>(allowed) : undefined
  const methods = (options.methods ?? DEFAULT_METHODS).join(', ')
  const allowHeaders = options.allowHeaders?.join(', ')
  const exposeHeaders = options.exposeHeaders?.join(', ')
  const maxAge = String(options.maxAge ?? 600)

  const isAllowed = (origin: string, c: Context): boolean => {
    if (allowed === '*') return true
    if (list !== undefined) return list.has(origin)
    return (allowed as (origin: string, c: Context) => boolean)(origin, c)
  }

  return async function corsMiddleware(c, next) {
    const origin = c.header('origin')
    if (origin === undefined) {
      await next()
      return
    }
    const ok = isAllowed(origin, c)
    const requestMethod = c.header('access-control-request-method')
    if (c.req.method === 'OPTIONS' && requestMethod !== undefined) {
      if (!ok) {
        await next()
        if (!wildcard) c.appendHeader('vary', 'Origin')
        return
      }
      const requested = c.header('access-control-request-headers')
      const headers: [string, string][] = [
        ['access-control-allow-origin', wildcard ? '*' : origin],
        ['access-control-allow-methods', methods],
        ['access-control-max-age', maxAge],
      ]
      if (allowHeaders !== undefined) headers.push(['access-control-allow-headers', allowHeaders])
      else if (requested !== undefined) headers.push(['access-control-allow-headers', requested])
      if (credentials) headers.push(['access-control-allow-credentials', 'true'])
      const vary = wildcard ? [] : ['Origin']
      if (allowHeaders === undefined) vary.push('Access-Control-Request-Headers')
      if (vary.length > 0) headers.push(['vary', vary.join(', ')])
      return { status: 204, headers }
    }
    await next()
    if (!wildcard) c.appendHeader('vary', 'Origin')
    if (!ok) return
    c.setHeader('access-control-allow-origin', wildcard ? '*' : origin)
    if (credentials) c.setHeader('access-control-allow-credentials', 'true')
    if (exposeHeaders !== undefined) c.setHeader('access-control-expose-headers', exposeHeaders)
  }
}

import type { Middleware } from '../types.ts'

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /** Header read from the request and set on the response. Default `X-Request-Id`. */
  header?: string
  /** Use a well-formed incoming id (default true). Turn off when clients are not trusted to pick ids. */
  trustIncoming?: boolean
  /** Makes ids; default: the app's generator (`randomUUID`). */
  generate?: () => string
}

/** What an incoming id may look like: 1 to 128 characters, no spaces, quotes or separators that split logs. */
const SANE_ID = /^[A-Za-z0-9._:@+=/~-]{1,128}$/

/**
 * Gives every request an id: the incoming `X-Request-Id` when it is sane (1–128 characters of
 * `A-Z a-z 0-9 . _ : @ + = / ~ -`), a new one otherwise. The id is `c.requestId` (in logs and 500 bodies) and is
 * sent back in the same header.
 *
 * ```ts
 * app.use(requestId())                                  // first, so later middleware log the id
 * app.use(requestId({ trustIncoming: false }))          // always a fresh id
 * ```
 */
export function requestId(options: RequestIdOptions = {}): Middleware {
  const header = options.header ?? 'X-Request-Id'
  const trust = options.trustIncoming ?? true
  const generate = options.generate
  return async function requestIdMiddleware(c, next) {
    const incoming = trust ? c.header(header) : undefined
    if (incoming !== undefined && SANE_ID.test(incoming)) c.requestId = incoming
    else if (generate !== undefined) c.requestId = generate()
    c.setHeader(header, c.requestId)
    await next()
  }
}

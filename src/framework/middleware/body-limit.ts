import { HttpError } from '../http-error.ts'
import type { Middleware } from '../types.ts'

/**
 * Caps request bodies at `bytes` for the routes it wraps (a group, or the whole app), unless a route sets its
 * own `bodyLimit` option. A declared `Content-Length` above the cap is refused with 413 before anything is read;
 * a chunked body is cut off at the cap when the handler reads it (also 413).
 *
 * ```ts
 * app.route('/uploads').use(bodyLimit(10 * 1024 * 1024)).post('/', (c) => c.bytes().then((b) => b.length))
 * ```
 */
export function bodyLimit(bytes: number): Middleware {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`bodyLimit must be a non-negative integer, got ${bytes}`)
  }
  return async function bodyLimitMiddleware(c, next) {
    if (c.route?.options.bodyLimit === undefined) c.bodyLimit = bytes
    const declared = c.req.contentLength
    if (declared !== undefined && declared > c.bodyLimit) {
      throw new HttpError(413, undefined, {
        details: { detail: `request body exceeds ${c.bodyLimit} bytes` },
      })
    }
    await next()
  }
}

import type { HeaderInit } from '../protocol/index.ts'
import { reasonPhrase } from '../protocol/index.ts'
import type { Response } from '../transport/index.ts'
import { JSON_TYPE, pairsOf } from './response.ts'

/** Options of {@link HttpError}. */
export interface HttpErrorOptions {
  /**
   * Send `message` and `details` to the client. Default: true below 500, false from 500 on (a server error's
   * message may describe internals; the client gets the reason phrase instead).
   */
  expose?: boolean
  /** Extra members merged into the JSON body (e.g. `{ issues: [...] }`), when exposed. */
  details?: Readonly<Record<string, unknown>>
  /** Headers sent with the error response (e.g. `Retry-After`, `WWW-Authenticate`). */
  headers?: HeaderInit
  cause?: unknown
}

/**
 * An error that is an HTTP answer. Throw it from a handler or middleware; the app turns it into a JSON response
 * `{"error": message, ...details}` with its status.
 *
 * ```ts
 * app.get('/users/{id:int}', (c) => {
 *   const user = users.get(Number(c.params.id))
 *   if (user === undefined) throw new HttpError(404, 'User not found') // → 404 {"error":"User not found"}
 *   return user
 * })
 * throw new HttpError(409, 'Name taken', { details: { name: 'ada' } }) // → 409 {"error":"Name taken","name":"ada"}
 * ```
 */
export class HttpError extends Error {
  override name = 'HttpError'
  /** A 4xx or 5xx status. */
  readonly status: number
  /** Whether `message` and `details` reach the client. */
  readonly expose: boolean
  /** Extra JSON members of the response body. */
  readonly details: Readonly<Record<string, unknown>> | undefined
  /** Headers of the response. */
  readonly headers: HeaderInit | undefined

  /** `message` defaults to the reason phrase (`Not Found`). Throws a RangeError for a status outside 400–599. */
  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer from 400 to 599, got ${status}`)
    }
    super(message ?? reasonPhrase(status), { cause: options.cause })
    this.status = status
    this.expose = options.expose ?? status < 500
    this.details = options.details
    this.headers = options.headers
  }

  /** The JSON response for this error. */
  toResponse(): Response {
    const body: Record<string, unknown> = {
      error: this.expose ? this.message : reasonPhrase(this.status),
    }
    if (this.expose && this.details !== undefined) {
      for (const [key, value] of Object.entries(this.details))
        if (key !== 'error') body[key] = value
    }
    const headers: [string, string][] = [['content-type', JSON_TYPE]]
    if (this.headers !== undefined) {
      for (const pair of pairsOf(this.headers)) {
        if (pair[0].toLowerCase() !== 'content-type') headers.push(pair)
      }
    }
    return { status: this.status, headers, body: JSON.stringify(body) }
  }
}

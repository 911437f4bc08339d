/** Types shared by the app, its route groups, the middleware and the OpenAPI generator. */
import type { Context, Variables } from './context.ts'
import type { PathParams } from './params.ts'
import type { HandlerResult } from './response.ts'
import type { StandardSchemaV1 } from './standard-schema.ts'
import type { RouteSchemas, Validated } from './validation.ts'

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown }

/** Calls the rest of the chain; resolves when the response is in `c.res`. Never rejects for handler errors. */
export type Next = () => Promise<void>

/**
 * Onion-style middleware: work before `await next()` runs on the way in, work after it on the way out, with
 * the response in `c.res`. Returning a value without calling `next()` answers the request (short-circuit).
 *
 * ```ts
 * const timing: Middleware = async (c, next) => {
 *   const start = performance.now()
 *   await next()
 *   c.setHeader('server-timing', `app;dur=${(performance.now() - start).toFixed(1)}`)
 * }
 * ```
 */
export type Middleware<Vars extends object = Variables> = (
  c: Context<Readonly<Record<string, string>>, Validated, Vars>,
  next: Next,
) => HandlerResult | Promise<HandlerResult>

/** A route handler: its context's `params` are typed from `Pattern`, `valid` from the route's schemas. */
export type RouteHandler<
  Pattern extends string,
  Schemas extends RouteSchemas = RouteSchemas,
  Vars extends object = Variables,
> = (
  c: Context<PathParams<Pattern>, Validated<Schemas>, Vars>,
) => HandlerResult | Promise<HandlerResult>

/** `app.onError` hook: turns any thrown value into a result (an `HttpError`'s own response is the default). */
export type ErrorHandler<Vars extends object = Variables> = (
  error: unknown,
  c: Context<Readonly<Record<string, string>>, Validated, Vars>,
) => HandlerResult | Promise<HandlerResult>

/** `app.notFound` hook. */
export type NotFoundHandler<Vars extends object = Variables> = (
  c: Context<Readonly<Record<string, string>>, Validated, Vars>,
) => HandlerResult | Promise<HandlerResult>

/** One documented response of an operation. */
export interface DocumentedResponse {
  readonly description: string
  /** Body schema: JSON Schema, or a Standard Schema converted when its library can. */
  readonly schema?: JsonSchema | StandardSchemaV1
  /** Media type of the body. Default `application/json`. */
  readonly contentType?: string
}

/** OpenAPI details a route can state beyond what its schemas say. */
export interface OpenApiRouteOptions {
  /** JSON Schema of the request body, used instead of converting `schema.body`. */
  readonly body?: JsonSchema
  /** JSON Schema of the success response, used instead of converting `schema.response`. */
  readonly response?: JsonSchema
  /** Status of the success response. Default 200. */
  readonly status?: number
  /** More responses by status (`404: { description: 'User not found' }`). */
  readonly responses?: Readonly<Record<number, DocumentedResponse>>
  readonly operationId?: string
  readonly deprecated?: boolean
}

/** The last, optional argument of `app.get(...)` and the other route methods. */
export interface RouteOptions<Schemas extends RouteSchemas = RouteSchemas> {
  /** Validation: each part's schema; failures answer 422 before the handler runs. */
  readonly schema?: Schemas
  /** Largest body `c.json()`/`c.text()`/`c.bytes()` accept, in bytes (413 past it). Default: the app's. */
  readonly bodyLimit?: number
  /** One line for the docs page. */
  readonly summary?: string
  /** Longer text for the docs page (CommonMark). */
  readonly description?: string
  /** Groups the operation on the docs page. */
  readonly tags?: readonly string[]
  /** Leave this route out of the OpenAPI document. */
  readonly hidden?: boolean
  readonly openapi?: OpenApiRouteOptions
}

/**
 * The application framework: `App` (routes, middleware, errors, validation, OpenAPI, docs page) on the
 * project's transport. See docs/framework.md.
 */

export { RouteError } from '../router/index.ts'
export {
  App,
  type AppOptions,
  type JoinPath,
  type NoSchemas,
  type RouteGroup,
  type RouteInfo,
  type RouteMethod,
} from './app.ts'
export { Context, isJsonMediaType, type MatchedRoute, type Variables } from './context.ts'
export { type CookieOptions, parseCookies, serializeCookie } from './cookies.ts'
export { HttpError, type HttpErrorOptions } from './http-error.ts'
export * from './middleware/index.ts'
export {
  buildOpenApiDocument,
  type DocumentedRoute,
  ERROR_BODY_SCHEMA,
  type OpenApiDocument,
  type OpenApiInfo,
  VALIDATION_ERROR_SCHEMA,
} from './openapi.ts'
export type { PathParams } from './params.ts'
export {
  type HandlerResult,
  isResponse,
  jsonResponse,
  redirectResponse,
  textResponse,
} from './response.ts'
export { isStandardSchema, type StandardSchemaV1 } from './standard-schema.ts'
export type {
  DocumentedResponse,
  ErrorHandler,
  JsonSchema,
  Middleware,
  Next,
  NotFoundHandler,
  OpenApiRouteOptions,
  RouteHandler,
  RouteOptions,
} from './types.ts'
export {
  queryObject,
  type RequestPart,
  type RouteSchemas,
  type Validated,
  type ValidationIssue,
  validationError,
} from './validation.ts'

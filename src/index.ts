/**
 * hooks-observatory's public library API: what a user of the HTTP/1.1 server and of the framework needs. The
 * observatory itself is an application of these; run it with the CLI.
 *
 * Each floor is also an entry point of its own, for readers and for advanced uses (package.json `exports`):
 * `hooks-observatory/protocol` (the sans-IO core: ServerConnection, events, limits), `/transport` (the servers,
 * cluster and peer credentials), `/router` and `/framework`. Those export each floor's index as the code base
 * uses it.
 *
 * The transport's request and response types are called `Request` and `Response` inside the code base; here they
 * are `HttpRequest` and `HttpResponse`, so that importing them does not hide the fetch API's globals of those
 * names in a user's module.
 */

// The framework: routes, middleware, validation, OpenAPI and its docs page.
export {
  App,
  type AppOptions,
  bodyLimit,
  buildOpenApiDocument,
  Context,
  type CookieOptions,
  type CorsOptions,
  cors,
  type DocumentedResponse,
  type ErrorHandler,
  type HandlerResult,
  HttpError,
  type HttpErrorOptions,
  isResponse,
  type JsonSchema,
  jsonResponse,
  type Middleware,
  type Next,
  type NotFoundHandler,
  type OpenApiDocument,
  type OpenApiInfo,
  type OpenApiRouteOptions,
  type PathParams,
  parseCookies,
  type RateLimitOptions,
  type RequestIdOptions,
  type RequestLogEntry,
  type RequestLoggerOptions,
  RouteError,
  type RouteGroup,
  type RouteHandler,
  type RouteInfo,
  type RouteMethod,
  type RouteOptions,
  type RouteSchemas,
  rateLimit,
  redirectResponse,
  requestId,
  requestLogger,
  type StandardSchemaV1,
  serializeCookie,
  textResponse,
  type Validated,
  type ValidationIssue,
  type Variables,
  validationError,
} from './framework/index.ts'
// Limits the server enforces (413, 414, 431…), and header fields as handlers see them.
export {
  DEFAULT_LIMITS,
  HeaderFields,
  type HeaderInit,
  type ProtocolLimits,
} from './protocol/index.ts'
// The server: the raw-socket engine and the same handlers on node:http.
export {
  type Body,
  type ClusterOptions,
  createNodeHttpServer,
  createServer,
  type Handler,
  type HttpServer,
  isClusterWorker,
  ListenError,
  type ListenerAddress,
  type ListenOptions,
  type Logger,
  type NodeServerOptions,
  type Peer,
  peerCredentialsAvailable,
  type RejectInfo,
  type Request as HttpRequest,
  RequestBodyError,
  type Response as HttpResponse,
  runCluster,
  type ServerOptions,
  silentLogger,
  stderrLogger,
} from './transport/index.ts'

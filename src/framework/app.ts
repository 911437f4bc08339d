/**
 * # The application
 *
 * An `App` wires the parts together and owns the app-wide settings (body limit, logger, request ids, the
 * `onError` and `notFound` hooks, OpenAPI and the docs page):
 *
 * - routes.ts: route registration (`get/post/…`, `on`, `route`/`group`, inherited from `Routes`) and the
 *   `RouteTable` of route records, each prepared once at registration;
 * - compose.ts: the `Composer`, which runs a request through the middleware (the onion, `next()`) and turns
 *   thrown errors into responses.
 *
 * Its `handler` is a transport `Handler`; for each request it:
 *
 * 1. matches the method and raw path (router: 404 / 405 / 400 answers come back as data, never thrown);
 * 2. builds a `Context` (cheap: every parsed part is lazy);
 * 3. runs the global middleware, then the route's (group middleware first), then validation, then the handler,
 *    onion-style: each middleware's code after `await next()` sees the response in `c.res`;
 * 4. converts what the handler returned (response.ts) and adds the headers set through `c.setHeader`.
 *
 * A thrown error becomes a response where it is thrown (through `onError`), so the middleware around it still
 * run and see that response: a logger logs the 500, CORS headers reach error responses.
 *
 * Hot path: a route without middleware or schemas, in an app without global middleware, calls the handler
 * directly, and when the handler returns a value (not a Promise) the `Response` goes back to the transport in the
 * same tick: no Promise, no closure per request (the transport accepts either).
 */
import { randomUUID } from 'node:crypto'
import type { Handler, Request, Response } from '../transport/index.ts'
import {
  createServer,
  type HttpServer,
  type ListenOptions,
  type Logger,
  type ServerOptions,
  stderrLogger,
} from '../transport/index.ts'
import {
  type AnyErrorHandler,
  type AnyHandler,
  type AnyMiddleware,
  Composer,
  NO_MIDDLEWARE,
} from './compose.ts'
import { Context, type ContextEnvironment, type Variables } from './context.ts'
import { DocsSite, locateSwaggerUi } from './docs.ts'
import { HttpError } from './http-error.ts'
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiInfo } from './openapi.ts'
import type { HandlerResult } from './response.ts'
import { JSON_TYPE } from './response.ts'
import { checkMiddleware, type Register, type RouteInfo, Routes, RouteTable } from './routes.ts'
import type { ErrorHandler, Middleware, NotFoundHandler } from './types.ts'

// Defined in routes.ts, exported from here as before the split.
export {
  type JoinPath,
  type NoSchemas,
  RouteGroup,
  type RouteInfo,
  type RouteMethod,
} from './routes.ts'

/** Options of `new App()`. */
export interface AppOptions {
  /** Default largest request body `c.json()` & co. accept, in bytes. Default 1 MiB. */
  bodyLimit?: number
  /** Where unexpected errors (5xx) are logged, with request id and stack. Default: stderr. */
  logger?: Logger
  /** Makes request ids (`c.requestId`) when the request-id middleware did not set one. Default `randomUUID`. */
  generateRequestId?: () => string
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null))

/**
 * An HTTP application on the project's transport.
 *
 * ```ts
 * import { z } from 'zod'
 * const app = new App()
 * app.use(requestId())
 * app.get('/', () => ({ message: 'hello' }))
 * app.get('/users/{id:int}', (c) => ({ id: Number(c.params.id) }), { summary: 'One user' })
 * app.post('/users', (c) => c.json({ name: c.valid.body.name }, 201), {
 *   schema: { body: z.object({ name: z.string().min(1) }) },
 * })
 * app.docs({ title: 'Users' })                  // GET /docs and GET /openapi.json
 * const server = await app.listen({ port: 8000, host: '127.0.0.1' })
 * // or: createServer(app.handler).listen({ port: 8000 })
 * ```
 */
export class App<Vars extends object = Variables> extends Routes<'', Vars> {
  /** The transport handler: `createServer(app.handler)`. */
  readonly handler: Handler

  readonly #table: RouteTable
  readonly #composer: Composer
  #notFound: AnyHandler | undefined
  readonly #bodyLimit: number
  readonly #logger: Logger
  readonly #env: ContextEnvironment
  #openapiPath: string | undefined
  #openapiInfo: OpenApiInfo = { title: 'API', version: '1.0.0' }
  #document: OpenApiDocument | undefined

  constructor(options: AppOptions = {}) {
    let register: Register = () => {}
    super('', (methods, path, args, group) => register(methods, path, args, group))
    const limit = options.bodyLimit ?? 1024 * 1024
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`bodyLimit must be a non-negative integer, got ${limit}`)
    }
    this.#bodyLimit = limit
    this.#logger = options.logger ?? stderrLogger()
    this.#env = { generateRequestId: options.generateRequestId ?? randomUUID }
    this.#table = new RouteTable(limit)
    this.#composer = new Composer(this.#logger)
    register = (methods, path, args, group) => {
      this.#table.add(methods, path, args, group)
      this.#document = undefined
    }
    this.handler = (request) => this.#dispatch(request)
  }

  /**
   * Global middleware, for every request (404s, 405s and preflights included), in the order added,
   * whenever the routes were registered.
   *
   * ```ts
   * app.use(async (c, next) => {
   *   const start = Date.now()
   *   await next()                          // the rest runs; c.res is the response
   *   c.setHeader('x-took-ms', String(Date.now() - start))
   * })
   * ```
   */
  use(...middleware: Middleware<Vars>[]): this {
    this.#composer.use(checkMiddleware(middleware))
    return this
  }

  /**
   * Turns thrown errors into responses before the default does (an `HttpError`'s own response; 500 JSON with
   * the request id for anything else). When the hook returns `undefined` or throws, the default applies.
   * Every response of 500 or more caused by an error is logged with its stack.
   *
   * ```ts
   * app.onError((err, c) => (err instanceof DbDown ? c.json({ error: 'try again later' }, 503) : undefined))
   * ```
   */
  onError(handler: ErrorHandler<Vars>): this {
    this.#composer.onError(handler as unknown as AnyErrorHandler)
    return this
  }

  /**
   * Answers requests no route matches (default: 404 `{"error":"Not Found"}`).
   *
   * ```ts
   * app.notFound((c) => c.json({ error: `no route for ${c.path}` }, 404))
   * ```
   */
  notFound(handler: NotFoundHandler<Vars>): this {
    this.#notFound = handler as unknown as AnyHandler
    return this
  }

  /** Every registered route, in registration order. */
  routes(): RouteInfo[] {
    return this.#table.routes()
  }

  /**
   * Serves the OpenAPI 3.1 document of the routes at `path` (default `/openapi.json`), built on first request
   * and rebuilt after routes are added.
   */
  openapi(options: { path?: string; info?: Partial<OpenApiInfo> } = {}): this {
    if (this.#openapiPath !== undefined) throw new Error('app.openapi() was already called')
    const path = options.path ?? '/openapi.json'
    this.#openapiInfo = { ...this.#openapiInfo, ...options.info }
    this.get(path, () => this.#openapiResponse(), { hidden: true })
    this.#openapiPath = path
    return this
  }

  /** The OpenAPI document of the routes registered so far. */
  openapiDocument(): OpenApiDocument {
    this.#document ??= buildOpenApiDocument(this.routes(), this.#openapiInfo)
    return this.#document
  }

  /**
   * The interactive docs page (Swagger UI, served offline from the swagger-ui-dist package) at `path`
   * (default `/docs`), reading the document served by `openapi()` (registered here if it was not).
   *
   * ```ts
   * app.docs({ title: 'Demo API' }) // GET /docs, /docs/init.js, /docs/assets/…, /openapi.json
   * ```
   */
  docs(
    options: {
      path?: string
      title?: string
      openapiPath?: string
      info?: Partial<OpenApiInfo>
    } = {},
  ): this {
    const dist = locateSwaggerUi()
    if (this.#openapiPath === undefined) {
      this.openapi({
        ...(options.openapiPath === undefined ? {} : { path: options.openapiPath }),
        info: { ...(options.title === undefined ? {} : { title: options.title }), ...options.info },
      })
    }
    const path = options.path ?? '/docs'
    const site = new DocsSite(
      dist,
      path,
      this.#openapiPath ?? '/openapi.json',
      options.title ?? this.#openapiInfo.title,
    )
    const routes = site.routes
    const hidden = { hidden: true } as const
    this.get(routes.page, () => site.page(), hidden)
    this.get(routes.init, () => site.init(), hidden)
    this.get(
      routes.asset,
      async (c) => {
        const response = await site.asset(
          c.params.version,
          c.params.file,
          c.header('if-none-match'),
        )
        if (response === undefined) throw new HttpError(404)
        return response
      },
      hidden,
    )
    return this
  }

  /**
   * Starts a server for this app (the transport's `createServer(app.handler, server)`), listening on `listen`;
   * resolves once it listens. The server logs through the app's logger unless `server.logger` is given.
   *
   * ```ts
   * const server = await app.listen({ port: 8000, host: '127.0.0.1' })
   * console.log(server.addresses[0])
   * server.closeOnSignals()
   * ```
   */
  async listen(listen: ListenOptions, server: ServerOptions = {}): Promise<HttpServer> {
    const http = createServer(this.handler, { logger: this.#logger, ...server })
    await http.listen(listen)
    return http
  }

  protected groupMiddleware(): readonly AnyMiddleware[] {
    return NO_MIDDLEWARE
  }

  // ---- requests ----------------------------------------------------------------------------------

  #dispatch(request: Request): Response | Promise<Response> {
    const match = this.#table.match(request.method, request.path)
    if (match.kind === 'found') {
      const route = match.value
      const c = new Context(request, match.params, route, route.bodyLimit, this.#env)
      return this.#composer.run(c, route.run, route.middleware, route.direct)
    }
    const c = new Context(request, NO_PARAMS, undefined, this.#bodyLimit, this.#env)
    const terminal = (ctx: Context): HandlerResult | Promise<HandlerResult> =>
      this.#table.unmatched(ctx, match, this.#notFound)
    return this.#composer.run(c, terminal, NO_MIDDLEWARE, true)
  }

  #openapiResponse(): Response {
    return {
      status: 200,
      headers: [
        ['content-type', JSON_TYPE],
        ['cache-control', 'no-cache'],
      ],
      body: JSON.stringify(this.openapiDocument()),
    }
  }
}

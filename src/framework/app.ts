/**
 * # The application: routes, middleware, errors, docs
 *
 * An `App` owns a `Router` whose values are route records (handler, route middleware, options). Its `handler`
 * is a transport `Handler`; for each request it:
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
import { reasonPhrase } from '../protocol/index.ts'
import type { MatchResult } from '../router/index.ts'
import { RouteError, Router } from '../router/index.ts'
import { type Logger, stderrLogger } from '../transport/logger.ts'
import { RequestBodyError } from '../transport/request.ts'
import {
  createServer,
  type HttpServer,
  type ListenOptions,
  type ServerOptions,
} from '../transport/server.ts'
import type { Handler, Request, Response } from '../transport/types.ts'
import { Context, type ContextEnvironment, type MatchedRoute, type Variables } from './context.ts'
import { DocsSite, locateSwaggerUi } from './docs.ts'
import { HttpError } from './http-error.ts'
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiInfo } from './openapi.ts'
import type { HandlerResult } from './response.ts'
import { JSON_TYPE } from './response.ts'
import type {
  ErrorHandler,
  Middleware,
  NotFoundHandler,
  RouteHandler,
  RouteOptions,
} from './types.ts'
import { type RouteSchemas, validateRequest } from './validation.ts'

/** Options of `new App()`. */
export interface AppOptions {
  /** Default largest request body `c.json()` & co. accept, in bytes. Default 1 MiB. */
  bodyLimit?: number
  /** Where unexpected errors (5xx) are logged, with request id and stack. Default: stderr. */
  logger?: Logger
  /** Makes request ids (`c.requestId`) when the request-id middleware did not set one. Default `randomUUID`. */
  generateRequestId?: () => string
}

/** Route schemas of a route that declares none: every `c.valid` part is `undefined`. */
export interface NoSchemas {
  readonly params?: undefined
  readonly query?: undefined
  readonly headers?: undefined
  readonly body?: undefined
  readonly response?: undefined
}

/** The full pattern of `path` registered under `Prefix` (`'/users' + '/'` is `/users`). */
export type JoinPath<Prefix extends string, Path extends string> = Prefix extends ''
  ? Path
  : Path extends '/' | ''
    ? Prefix
    : `${Prefix}${Path}`

/**
 * Registers a route: `(path, ...middleware, handler, options?)`. The handler's `c.params` is typed from the
 * pattern and `c.valid` from `options.schema`. Throws a `RouteError` naming the route for a malformed pattern or
 * a route that is already registered.
 */
export interface RouteMethod<Prefix extends string, Vars extends object, Self> {
  <Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    ...args: [...Middleware<Vars>[], RouteHandler<JoinPath<Prefix, Path>, Schemas, Vars>]
  ): Self
  <Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    ...args: [
      ...Middleware<Vars>[],
      RouteHandler<JoinPath<Prefix, Path>, Schemas, Vars>,
      RouteOptions<Schemas>,
    ]
  ): Self
}

/** A registered route as `app.routes()` lists it. */
export type RouteInfo = MatchedRoute

/** The methods `all()` registers. HEAD follows GET, and OPTIONS stays automatic (204 with `Allow`). */
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

type AnyHandler = (c: Context) => HandlerResult | Promise<HandlerResult>
type AnyErrorHandler = (error: unknown, c: Context) => HandlerResult | Promise<HandlerResult>
type AnyMiddleware = (
  c: Context,
  next: () => Promise<void>,
) => HandlerResult | Promise<HandlerResult>

interface RouteRecord extends RouteInfo {
  /** What runs after the middleware: validation (when the route has schemas), then the handler. */
  readonly run: AnyHandler
  /** Group middleware, then the route's own. */
  readonly middleware: readonly AnyMiddleware[]
  readonly bodyLimit: number
  /** No route middleware and no validation: the handler may answer synchronously. */
  readonly direct: boolean
}

type Register = (
  methods: readonly string[],
  path: string,
  args: readonly unknown[],
  groupMiddleware: readonly AnyMiddleware[],
) => void

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null))
const NO_MIDDLEWARE: readonly AnyMiddleware[] = Object.freeze([])

/** Route registration shared by the app and its groups. */
abstract class Routes<Prefix extends string, Vars extends object> {
  /** `GET` route; it answers `HEAD` too (the transport drops the body). */
  readonly get: RouteMethod<Prefix, Vars, this>
  readonly post: RouteMethod<Prefix, Vars, this>
  readonly put: RouteMethod<Prefix, Vars, this>
  readonly patch: RouteMethod<Prefix, Vars, this>
  readonly delete: RouteMethod<Prefix, Vars, this>
  /** An explicit `HEAD` route, used instead of the `GET` route for `HEAD`. */
  readonly head: RouteMethod<Prefix, Vars, this>
  /** An explicit `OPTIONS` route (otherwise OPTIONS is answered 204 with `Allow`). */
  readonly options: RouteMethod<Prefix, Vars, this>
  /** The same route for GET, POST, PUT, PATCH and DELETE. */
  readonly all: RouteMethod<Prefix, Vars, this>

  readonly #prefix: string
  readonly #register: Register

  constructor(prefix: string, register: Register) {
    this.#prefix = prefix
    this.#register = register
    const method = (methods: readonly string[]): RouteMethod<Prefix, Vars, this> =>
      ((path: string, ...args: unknown[]) => {
        this.#register(methods, this.#join(methods, path), args, this.groupMiddleware())
        return this
      }) as RouteMethod<Prefix, Vars, this>
    this.get = method(['GET'])
    this.post = method(['POST'])
    this.put = method(['PUT'])
    this.patch = method(['PATCH'])
    this.delete = method(['DELETE'])
    this.head = method(['HEAD'])
    this.options = method(['OPTIONS'])
    this.all = method(ALL_METHODS)
  }

  /**
   * A route for any method, or several (`app.on(['PUT', 'PATCH'], '/items/{id}', handler)`), including
   * extension methods such as `PROPFIND`.
   */
  on<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    methods: string | readonly string[],
    path: Path,
    ...args:
      | [...Middleware<Vars>[], RouteHandler<JoinPath<Prefix, Path>, Schemas, Vars>]
      | [
          ...Middleware<Vars>[],
          RouteHandler<JoinPath<Prefix, Path>, Schemas, Vars>,
          RouteOptions<Schemas>,
        ]
  ): this {
    const list = typeof methods === 'string' ? [methods] : methods
    this.#register(list, this.#join(list, path), args, this.groupMiddleware())
    return this
  }

  /**
   * Routes under a prefix; middleware added with the group's `use` applies to the group's routes only.
   *
   * ```ts
   * const users = app.route('/users')
   * users.use(requireLogin)
   * users.get('/', listUsers)            // GET /users
   * users.get('/{id:int}', (c) => c.params.id) // GET /users/{id:int}, params typed
   * ```
   */
  route<Sub extends string>(prefix: Sub): RouteGroup<`${Prefix}${Sub}`, Vars> {
    if (!prefix.startsWith('/') || prefix.endsWith('/')) {
      throw new TypeError(
        `a route prefix starts with '/' and does not end with one: got ${JSON.stringify(prefix)}`,
      )
    }
    return new RouteGroup(this.#prefix + prefix, this.#register, () => this.groupMiddleware())
  }

  /**
   * `fn(app.route(prefix))`, for registering a group in one block; returns `this`.
   *
   * ```ts
   * app.group('/admin', (admin) => {
   *   admin.use(requireAdmin)
   *   admin.delete('/users/{id:int}', removeUser)
   * })
   * ```
   */
  group<Sub extends string>(
    prefix: Sub,
    fn: (group: RouteGroup<`${Prefix}${Sub}`, Vars>) => void,
  ): this {
    fn(this.route(prefix))
    return this
  }

  /** Middleware of enclosing groups for routes registered here now (none at the app level: those are global). */
  protected abstract groupMiddleware(): readonly AnyMiddleware[]

  #join(methods: readonly string[], path: string): string {
    if (this.#prefix === '') return path
    if (path === '/' || path === '') return this.#prefix
    if (!path.startsWith('/')) {
      throw new RouteError(
        methods.join(','),
        this.#prefix + path,
        `a path under the prefix ${this.#prefix} must start with '/'`,
      )
    }
    return this.#prefix + path
  }
}

/**
 * Routes under a prefix, with their own middleware; made by `app.route()` / `app.group()`.
 *
 * ```ts
 * const v1 = app.route('/v1').use(requireApiKey)
 * v1.get('/items/{id}', (c) => ({ id: c.params.id })) // GET /v1/items/{id}, behind requireApiKey
 * ```
 */
export class RouteGroup<Prefix extends string, Vars extends object = Variables> extends Routes<
  Prefix,
  Vars
> {
  #middleware: readonly AnyMiddleware[] = NO_MIDDLEWARE
  readonly #outer: () => readonly AnyMiddleware[]

  /** Made by `app.route()`; not meant to be constructed directly. */
  constructor(prefix: string, register: Register, outer: () => readonly AnyMiddleware[]) {
    super(prefix, register)
    this.#outer = outer
  }

  /** Middleware for the routes this group registers from now on (after the enclosing groups' middleware). */
  use(...middleware: Middleware<Vars>[]): this {
    this.#middleware = [...this.#middleware, ...checkMiddleware(middleware)]
    return this
  }

  protected groupMiddleware(): readonly AnyMiddleware[] {
    const outer = this.#outer()
    if (outer.length === 0) return this.#middleware
    return [...outer, ...this.#middleware]
  }
}

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

  readonly #router = new Router<RouteRecord>()
  #middleware: readonly AnyMiddleware[] = NO_MIDDLEWARE
  #onError: AnyErrorHandler | undefined
  #notFound: AnyHandler | undefined
  readonly #bodyLimit: number
  readonly #logger: Logger
  readonly #env: ContextEnvironment
  #openapiPath: string | undefined
  #openapiInfo: OpenApiInfo = { title: 'API', version: '1.0.0' }
  #document: OpenApiDocument | undefined
  #allowAll: string | undefined

  constructor(options: AppOptions = {}) {
    let register: Register = () => {}
    super('', (methods, path, args, group) => register(methods, path, args, group))
    register = (methods, path, args, group) => this.#register(methods, path, args, group)
    const limit = options.bodyLimit ?? 1024 * 1024
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`bodyLimit must be a non-negative integer, got ${limit}`)
    }
    this.#bodyLimit = limit
    this.#logger = options.logger ?? stderrLogger()
    this.#env = { generateRequestId: options.generateRequestId ?? randomUUID }
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
    this.#middleware = [...this.#middleware, ...checkMiddleware(middleware)]
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
    this.#onError = handler as unknown as AnyErrorHandler
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
    return this.#router
      .routes()
      .map(({ method, pattern, value }) => ({ method, pattern, options: value.options }))
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

  // ---- registration ------------------------------------------------------------------------------

  #register(
    methods: readonly string[],
    pattern: string,
    args: readonly unknown[],
    group: readonly AnyMiddleware[],
  ): void {
    const where = `${methods.join(',')} ${pattern}`
    let options: RouteOptions = {}
    let end = args.length
    const last = args[end - 1]
    if (typeof last === 'object' && last !== null) {
      options = last as RouteOptions
      end -= 1
    }
    const handler = args[end - 1]
    if (typeof handler !== 'function') {
      throw new RouteError(methods.join(','), pattern, 'a handler function is required')
    }
    const own = checkMiddleware(args.slice(0, end - 1), where)
    const bodyLimit = options.bodyLimit ?? this.#bodyLimit
    if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 0) {
      throw new RouteError(methods.join(','), pattern, `bodyLimit must be a non-negative integer`)
    }
    const schemas = options.schema
    const validated =
      schemas !== undefined &&
      (schemas.params !== undefined ||
        schemas.query !== undefined ||
        schemas.headers !== undefined ||
        schemas.body !== undefined)
    const middleware = group.length === 0 ? own : [...group, ...own]
    const run = validated ? withValidation(schemas, handler as AnyHandler) : (handler as AnyHandler)
    for (const method of methods) {
      this.#router.add(method, pattern, {
        method,
        pattern,
        options,
        run,
        middleware,
        bodyLimit,
        direct: middleware.length === 0 && !validated,
      })
    }
    this.#document = undefined
    this.#allowAll = undefined
  }

  // ---- requests ----------------------------------------------------------------------------------

  #dispatch(request: Request): Response | Promise<Response> {
    const match = this.#router.match(request.method, request.path)
    if (match.kind === 'found') {
      const route = match.value
      const c = new Context(request, match.params, route, route.bodyLimit, this.#env)
      if (route.direct && this.#middleware.length === 0) return this.#direct(c, route.run)
      return this.#chain(c, route.run, route.middleware)
    }
    const c = new Context(request, NO_PARAMS, undefined, this.#bodyLimit, this.#env)
    const terminal = (ctx: Context): HandlerResult | Promise<HandlerResult> =>
      this.#unmatched(ctx, match)
    if (this.#middleware.length === 0) return this.#direct(c, terminal)
    return this.#chain(c, terminal, NO_MIDDLEWARE)
  }

  /** Runs `fn` without middleware; synchronous all the way when `fn` is. */
  #direct(c: Context, fn: AnyHandler): Response | Promise<Response> {
    let result: HandlerResult | Promise<HandlerResult>
    try {
      result = fn(c)
      if (!(result instanceof Promise)) return c.finalize(c.respond(result))
    } catch (error) {
      return this.#failed(c, error)
    }
    return result
      .then((value) => c.finalize(c.respond(value)))
      .catch((error: unknown) => this.#failed(c, error))
  }

  /** The error's response, finalized. */
  #failed(c: Context, error: unknown): Response | Promise<Response> {
    const response = this.#errorResponse(c, error)
    return response instanceof Promise ? response.then((r) => c.finalize(r)) : c.finalize(response)
  }

  /** Runs the middleware and `terminal`; resolves with the finalized response (never rejects). */
  #chain(
    c: Context,
    terminal: AnyHandler,
    routeMiddleware: readonly AnyMiddleware[],
  ): Promise<Response> {
    return this.#step(c, terminal, this.#middleware, routeMiddleware, 0).then(() =>
      c.finalize(c.res!),
    )
  }

  /**
   * Runs middleware number `index` (the terminal past the last one), leaving the response in `c.res`; never
   * rejects. Promises are awaited only when something returned one.
   */
  #step(
    c: Context,
    terminal: AnyHandler,
    global: readonly AnyMiddleware[],
    route: readonly AnyMiddleware[],
    index: number,
  ): Promise<void> {
    if (index === global.length + route.length) {
      let result: HandlerResult | Promise<HandlerResult>
      try {
        result = terminal(c)
        if (!(result instanceof Promise)) {
          c.res = c.respond(result)
          return RESOLVED
        }
      } catch (error) {
        return this.#answerError(c, error)
      }
      return result
        .then((value) => {
          c.res = c.respond(value)
        })
        .catch((error: unknown) => this.#answerError(c, error))
    }
    const middleware = index < global.length ? global[index]! : route[index - global.length]!
    let called = false
    const next = (): Promise<void> => {
      if (called) return Promise.reject(new Error('next() called more than once'))
      called = true
      return this.#step(c, terminal, global, route, index + 1)
    }
    let result: HandlerResult | Promise<HandlerResult>
    try {
      result = middleware(c, next)
      if (!(result instanceof Promise)) {
        afterMiddleware(c, middleware, result)
        return RESOLVED
      }
    } catch (error) {
      return this.#answerError(c, error)
    }
    return result
      .then((value) => afterMiddleware(c, middleware, value))
      .catch((error: unknown) => this.#answerError(c, error))
  }

  /** Puts the error's response in `c.res`. */
  #answerError(c: Context, error: unknown): Promise<void> {
    const response = this.#errorResponse(c, error)
    if (response instanceof Promise) {
      return response.then((value) => {
        c.res = value
      })
    }
    c.res = response
    return RESOLVED
  }

  /** 404, 405, OPTIONS (204 + Allow), 400 for unroutable paths. */
  #unmatched(
    c: Context,
    match: Exclude<MatchResult<RouteRecord>, { kind: 'found' }>,
  ): HandlerResult | Promise<HandlerResult> {
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ')
      if (c.req.method === 'OPTIONS') return { status: 204, headers: [['allow', allow]] }
      return {
        status: 405,
        headers: [
          ['content-type', JSON_TYPE],
          ['allow', allow],
        ],
        body: '{"error":"Method Not Allowed"}',
      }
    }
    if (match.kind === 'bad-path') {
      // RFC 9110 §9.3.7: `OPTIONS *` asks about the server as a whole.
      if (c.req.method === 'OPTIONS' && c.req.target === '*') {
        return { status: 204, headers: [['allow', this.#serverAllow()]] }
      }
      return new HttpError(400, 'Bad Request', { details: { detail: match.reason } }).toResponse()
    }
    return this.#notFound === undefined ? NOT_FOUND : this.#notFound(c)
  }

  /** Every method some route answers, for `OPTIONS *`. */
  #serverAllow(): string {
    if (this.#allowAll === undefined) {
      const methods = new Set(['OPTIONS'])
      for (const { method } of this.#router.routes()) {
        methods.add(method)
        if (method === 'GET') methods.add('HEAD')
      }
      this.#allowAll = [...methods].sort().join(', ')
    }
    return this.#allowAll
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

  // ---- errors ------------------------------------------------------------------------------------

  /** The response for a thrown value: the `onError` hook's, else the default. Logs 5xx with the stack. */
  #errorResponse(c: Context, error: unknown): Response | Promise<Response> {
    c.error = error
    const hook = this.#onError
    if (hook !== undefined) {
      let result: HandlerResult | Promise<HandlerResult>
      try {
        result = hook(error, c)
      } catch (hookError) {
        return this.#defaultError(c, error, hookError)
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => this.#hookResponse(c, error, value),
          (hookError: unknown) => this.#defaultError(c, error, hookError),
        )
      }
      return this.#hookResponse(c, error, result)
    }
    return this.#defaultError(c, error, undefined)
  }

  /** The hook's result as the response; `undefined` leaves the error to the default. */
  #hookResponse(c: Context, error: unknown, result: HandlerResult): Response {
    if (result === undefined) return this.#defaultError(c, error, undefined)
    try {
      return this.#logged(c, c.respond(result), error)
    } catch (hookError) {
      return this.#defaultError(c, error, hookError)
    }
  }

  #defaultError(c: Context, error: unknown, hookError: unknown): Response {
    if (hookError !== undefined) {
      this.#logger.error(
        `request ${c.requestId}: the onError hook failed: ${describeError(hookError)}`,
      )
    }
    let response: Response
    if (error instanceof HttpError) response = error.toResponse()
    else if (error instanceof RequestBodyError) {
      response = new HttpError(error.status, reasonPhrase(error.status), {
        details: { detail: error.message },
      }).toResponse()
    } else {
      response = {
        status: 500,
        headers: [['content-type', JSON_TYPE]],
        body: JSON.stringify({ error: 'Internal Server Error', requestId: c.requestId }),
      }
    }
    return this.#logged(c, response, error)
  }

  #logged(c: Context, response: Response, error: unknown): Response {
    if (response.status >= 500) {
      this.#logger.error(
        `request ${c.requestId}: ${c.req.method} ${c.req.target} failed with ${response.status}: ${describeError(error)}`,
      )
    }
    return response
  }
}

const RESOLVED: Promise<void> = Promise.resolve()

/** A middleware's result becomes the response; without one, the chain must have produced it. */
function afterMiddleware(c: Context, middleware: AnyMiddleware, result: HandlerResult): void {
  if (result !== undefined) c.res = c.respond(result)
  else if (c.res === undefined) {
    throw new Error(
      `middleware ${middleware.name || '(anonymous)'} neither called next() nor returned a response`,
    )
  }
}

const NOT_FOUND: Response = Object.freeze({
  status: 404,
  headers: Object.freeze([Object.freeze(['content-type', JSON_TYPE] as const)]),
  body: '{"error":"Not Found"}',
})

/** Validation first, then the handler with `c.valid` filled in. */
function withValidation(schemas: RouteSchemas, handler: AnyHandler): AnyHandler {
  return async (c) => {
    c.valid = await validateRequest(schemas, {
      params: c.params,
      query: c.req.query,
      headers: c.req.headers,
      // No body at all: the schema decides (an optional body schema accepts `undefined`).
      body: () => (c.req.hasBody ? c.json() : Promise.resolve(undefined)),
    })
    return handler(c)
  }
}

function checkMiddleware(list: readonly unknown[], where?: string): AnyMiddleware[] {
  list.forEach((item, index) => {
    if (typeof item !== 'function') {
      const place = where === undefined ? '' : ` of ${where}`
      throw new TypeError(`middleware #${index + 1}${place} is not a function`)
    }
  })
  return list as AnyMiddleware[]
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  try {
    return `non-Error value thrown: ${JSON.stringify(error)}`
  } catch {
    return `non-Error value thrown: ${String(error)}`
  }
}

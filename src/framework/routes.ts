/**
 * # Route registration: `get/post/…`, groups, the route table
 *
 * `Routes` is the registration API the app and its groups share: `get/post/put/patch/delete/head/options/all`,
 * `on`, `route` and `group`. Each call hands `(methods, full pattern, args, group middleware)` to a `Register`
 * function; the app's turns it into route records in a `RouteTable`.
 *
 * A `RouteTable` owns the `Router` whose values are route records. Everything a request needs is decided at
 * registration: the middleware list (group middleware first, then the route's own), the terminal (`run`:
 * validation when the route has schemas, then the handler), the body limit, and whether the handler may be
 * called directly (`direct`: no route middleware, no validation). For a request no route answers, `unmatched`
 * gives 404 (or the `notFound` hook's answer), 405 with `Allow`, 204 with `Allow` for OPTIONS, `OPTIONS *`,
 * or 400 for an unroutable path. `HEAD` runs the `GET` route where no `HEAD` route is registered (the router's
 * rule; the transport drops the body).
 */
import type { MatchResult } from '../router/index.ts'
import { RouteError, Router } from '../router/index.ts'
import type { Response } from '../transport/index.ts'
import type { AnyHandler, AnyMiddleware } from './compose.ts'
import { NO_MIDDLEWARE } from './compose.ts'
import type { Context, MatchedRoute, Variables } from './context.ts'
import { HttpError } from './http-error.ts'
import { type HandlerResult, JSON_TYPE } from './response.ts'
import type { Middleware, RouteHandler, RouteOptions } from './types.ts'
import { type RouteSchemas, validateRequest } from './validation.ts'

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

/** A route as the app runs it. */
export interface RouteRecord extends RouteInfo {
  /** What runs after the middleware: validation (when the route has schemas), then the handler. */
  readonly run: AnyHandler
  /** Group middleware, then the route's own. */
  readonly middleware: readonly AnyMiddleware[]
  readonly bodyLimit: number
  /** No route middleware and no validation: the handler may answer synchronously. */
  readonly direct: boolean
}

/** Receives every route registration: methods, the full pattern, `(...middleware, handler, options?)`. */
export type Register = (
  methods: readonly string[],
  path: string,
  args: readonly unknown[],
  groupMiddleware: readonly AnyMiddleware[],
) => void

/** Route registration shared by the app and its groups. */
export abstract class Routes<Prefix extends string, Vars extends object> {
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
 * The app's routes: a `Router` of route records, filled by `add`.
 *
 * ```ts
 * const table = new RouteTable(1024 * 1024)
 * table.add(['GET'], '/users/{id}', [handler], NO_MIDDLEWARE)
 * table.match('GET', '/users/42') // { kind: 'found', value: { run: handler, direct: true, … }, params }
 * ```
 */
export class RouteTable {
  readonly #router = new Router<RouteRecord>()
  /** Routes' `bodyLimit` unless they set their own. */
  readonly #bodyLimit: number
  /** `Allow` for `OPTIONS *`, cached until the next route is added. */
  #allowAll: string | undefined = undefined

  constructor(bodyLimit: number) {
    this.#bodyLimit = bodyLimit
  }

  /**
   * Registers `(...middleware, handler, options?)` for each of `methods` at `pattern`, behind `group`
   * middleware. Throws a `RouteError` (malformed pattern, duplicate, no handler, bad `bodyLimit`) or a
   * `TypeError` (a middleware that is not a function).
   */
  add(
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
    this.#allowAll = undefined
  }

  /** The router's answer for a request (never throws). */
  match(method: string, path: string): MatchResult<RouteRecord> {
    return this.#router.match(method, path)
  }

  /** Every registered route, in registration order. */
  routes(): RouteInfo[] {
    return this.#router
      .routes()
      .map(({ method, pattern, value }) => ({ method, pattern, options: value.options }))
  }

  /** 404 (`notFound`'s answer when set), 405, OPTIONS (204 + Allow), 400 for unroutable paths. */
  unmatched(
    c: Context,
    match: Exclude<MatchResult<RouteRecord>, { kind: 'found' }>,
    notFound: AnyHandler | undefined,
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
    return notFound === undefined ? NOT_FOUND : notFound(c)
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

/** `list`, checked to hold functions only (`where` names the route in the error). */
export function checkMiddleware(list: readonly unknown[], where?: string): AnyMiddleware[] {
  list.forEach((item, index) => {
    if (typeof item !== 'function') {
      const place = where === undefined ? '' : ` of ${where}`
      throw new TypeError(`middleware #${index + 1}${place} is not a function`)
    }
  })
  return list as AnyMiddleware[]
}

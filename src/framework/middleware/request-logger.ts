import type { Middleware } from '../types.ts'

/** One request, as the request logger reports it. */
export interface RequestLogEntry {
  /** When the request arrived (ISO 8601). */
  readonly time: string
  readonly method: string
  /** The path without the query string (queries may carry secrets). */
  readonly path: string
  /** The matched route pattern, `null` for 404/405/400 answers. */
  readonly route: string | null
  readonly status: number
  /** Milliseconds until the response was ready (a streamed body may still be flowing). */
  readonly durationMs: number
  readonly requestId: string
}

/** Options of {@link requestLogger}. */
export interface RequestLoggerOptions {
  /**
   * Where entries go: a writable (one JSON line per request) or a function of the entry.
   * Default: `process.stdout`.
   */
  destination?: { write(line: string): unknown } | ((entry: RequestLogEntry) => void)
  /** Clock in milliseconds, for tests. Default `performance.now`. */
  now?: () => number
}

/**
 * Logs one structured line per request, after the response is ready, errors included:
 * `{"time":"…","method":"GET","path":"/users/7","route":"/users/{id:int}","status":200,"durationMs":0.42,"requestId":"…"}`.
 *
 * ```ts
 * app.use(requestId(), requestLogger())                       // JSON lines on stdout
 * app.use(requestLogger({ destination: (e) => metrics.observe(e) }))
 * ```
 */
export function requestLogger(options: RequestLoggerOptions = {}): Middleware {
  const destination = options.destination ?? process.stdout
  const now = options.now ?? (() => performance.now())
  const emit =
    typeof destination === 'function'
      ? destination
      : (entry: RequestLogEntry) => {
          destination.write(`${JSON.stringify(entry)}\n`)
        }
  return async function requestLoggerMiddleware(c, next) {
    const time = new Date().toISOString()
    const start = now()
    try {
      await next()
    } finally {
      emit({
        time,
        method: c.req.method,
        path: c.req.path,
        route: c.route?.pattern ?? null,
        status: c.res?.status ?? 500,
        durationMs: Math.round((now() - start) * 100) / 100,
        requestId: c.requestId,
      })
    }
  }
}

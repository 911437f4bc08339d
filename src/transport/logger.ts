/** The few log calls the transport makes. Plug in any logger; the default writes warnings and errors to stderr. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Writes `warn` and `error` lines to stderr; `debug` only when `debug` is true. */
export function stderrLogger(options: { debug?: boolean } = {}): Logger {
  const write = (level: string, message: string): void => {
    process.stderr.write(`[${level}] ${message}\n`)
  }
  return {
    debug: options.debug === true ? (m) => write('debug', m) : () => {},
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
}

/** An error in one line for a log: its message, or (`withStack`) its stack. */
export function describeError(error: unknown, withStack = false): string {
  if (error instanceof Error) {
    return withStack && error.stack !== undefined ? error.stack : error.message
  }
  return String(error)
}

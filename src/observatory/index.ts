/**
 * The observatory: the application that receives Claude Code hook events and writes them as JSON lines.
 *
 * Rooms:
 *   server/    the HTTP app (/hook, /health, /stats, live page), the hub, startObservatory
 *   sinks/     where lines go: stdout, the log file, output-socket readers
 *   encoding/  JSON (lossless, Python-compatible) and YAML
 *   install/   `observatory install`: the hooks in Claude Code's settings.json
 *   query/     `observatory query`: read, filter and follow the logs
 *
 * This module is what the CLI needs to run `observatory serve`. `install` and `query` have their own entry points
 * (`install/index.ts`, `query/index.ts`), which the CLI imports only when that command runs, so that
 * `observatory query` does not load the server.
 */
export {
  DB_ENV,
  DEFAULT_BIND,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_MAX_BODY,
  DEFAULT_PORT,
  DEFAULT_RETAIN_MS,
  DEFAULT_SOCKET_MODE,
  DEFAULT_STALE_MS,
  PORT_ENV,
  SOCKET_ENV,
  TOKEN_ENV,
} from './defaults.ts'
export { UserError, type UserErrorCode, usageError } from './errors.ts'
export {
  defaultSocketPath,
  type ObservatoryIO,
  type ObservatoryOptions,
  type RunningObservatory,
  socketPathFrom,
  startObservatory,
} from './server/index.ts'
export { defaultStorePath } from './store/paths.ts'

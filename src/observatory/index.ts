/**
 * The observatory: the application that receives Claude Code hook events and writes them as JSON lines.
 *
 * Rooms:
 *   server/    the HTTP app (/hook, /health, /stats, the dashboard), the hub, the recorder, startObservatory
 *   sinks/     where lines go: stdout, the log file, output-socket readers
 *   encoding/  JSON (lossless, Python-compatible) and YAML
 *   install/   `observatory install`: the hooks in Claude Code's settings.json
 *   events/    the catalogue of Claude Code's hook events
 *   sessions/  the session model (pure: events in, state out)
 *   store/     SQLite: history, sessions, tool calls, full-text search
 *   api/       the JSON API; web/ the dashboard (browser code, bundled into dist/web)
 *   query/     `observatory query`: read, filter and follow the store or logs
 *   db/        `observatory db`: import logs, info, prune
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

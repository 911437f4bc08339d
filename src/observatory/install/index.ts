// What `observatory install` (and `db`) need from the rest of the observatory, so the CLI loads this room alone.
export {
  DB_ENV,
  DEFAULT_BIND,
  DEFAULT_PORT,
  DEFAULT_STALE_MS,
  PORT_ENV,
  SOCKET_ENV,
  TOKEN_ENV,
} from '../defaults.ts'
export { parseDuration } from '../duration.ts'
export { ALL_EVENTS } from '../events/index.ts'
export { socketPathFrom } from '../server/socket-path.ts'
export {
  type CommandIO,
  errnoCode,
  osReason,
  parseArgsError,
  terminalColumns,
  UserError,
  usageError,
  writeText,
} from './command-io.ts'
export { unifiedDiff } from './diff.ts'
export { type EventSelection, eventTable, selectEvents } from './events.ts'
export {
  DEFAULT_APPROVAL_HOOK_TIMEOUT,
  DEFAULT_EVENTS,
  DEFAULT_HOOK_TIMEOUT,
  EVENT_MATCHERS,
  type HookTarget,
  hookCommand,
  hookEntry,
  hookGroup,
  hookTimeout,
  hookUrl,
  installHooks,
  isObservatoryCommand,
  isObservatoryHook,
  isObservatoryUrl,
  shellQuote,
  type Transport,
  uninstallHooks,
  urlHost,
  usesHttpHook,
} from './hooks.ts'
export { type InstallOptions, runInstallWith } from './install.ts'
export { projectDirectory, repositoryRoot, type Scope, settingsPath } from './project.ts'
export {
  hasOwnTelemetry,
  installTelemetry,
  isHeaderSafeToken,
  TELEMETRY_PROTOCOL,
  TELEMETRY_RECORD_KEY,
  type TelemetryEditResult,
  type TelemetryTarget,
  telemetryEndpoint,
  telemetryEnv,
  uninstallTelemetry,
} from './telemetry.ts'

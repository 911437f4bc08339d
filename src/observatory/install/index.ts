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
export {
  DEFAULT_EVENTS,
  EVENT_MATCHERS,
  type HookTarget,
  hookCommand,
  hookEntry,
  hookGroup,
  hookUrl,
  installHooks,
  isObservatoryCommand,
  isObservatoryHook,
  isObservatoryUrl,
  shellQuote,
  type Transport,
  uninstallHooks,
  urlHost,
} from './hooks.ts'
export { type InstallOptions, runInstallWith } from './install.ts'

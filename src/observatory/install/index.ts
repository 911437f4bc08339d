export { CommandError, type CommandIO } from './command-io.ts'
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
} from './hooks.ts'
export { runInstall } from './install.ts'

/**
 * The events room: the catalogue of Claude Code's hook events (what each one carries, whether Claude Code runs
 * HTTP hooks for it, whether a hook's answer can change anything, which ones `observatory install` writes).
 * Advice only: names it does not know are accepted everywhere.
 */
export {
  ALL_EVENTS,
  COMMON_FIELDS,
  closestEvent,
  DEFAULT_EVENTS,
  EVENT_CATALOGUE,
  type EventInfo,
  type EventMatcher,
  eventInfo,
  installMatcher,
  isKnownEvent,
  supportsHttpHooks,
} from './catalogue.ts'

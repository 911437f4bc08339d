/**
 * The store room: events, sessions and tool calls in one SQLite file, with full-text search and retention
 * (store.ts); the fields of a log line (fields.ts); the default file (paths.ts); the contract (types.ts).
 */
export { eventFields, fieldsOfLine } from './fields.ts'
export { defaultStorePath } from './paths.ts'
export {
  SCHEMA_VERSION,
  Store,
  type StoreOptions,
  type StoreStats,
  searchTerms,
  searchText,
} from './store.ts'
export type {
  Appended,
  EventFields,
  EventPage,
  EventQuery,
  SessionQuery,
  StoredEvent,
  StoreInfo,
  StoreReader,
  StoreWriter,
  ToolStats,
} from './types.ts'

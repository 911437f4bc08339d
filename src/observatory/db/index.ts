/** `observatory db`: import logs into the store, rebuild their sessions (db.ts). */
export { type ImportResult, importLogs, rebuildSession } from './db.ts'

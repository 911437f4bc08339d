/**
 * `observatory db`: the store from the command line.
 *
 *   import LOG…   load JSON-lines logs (each with its rotated copies LOG.N … LOG.1 first, as `query` reads them)
 *                 into the store, skipping lines already there, then rebuild the summaries and tool calls of
 *                 every session the import touched
 *   info          where the store is, how many events and sessions, the time span, its size on disk
 *   prune         delete events older than a duration now (the server also prunes by --retain on its own)
 *
 * Sessions are rebuilt by replaying each touched session's stored events through a fresh session model: the same
 * code the server runs, so an imported history reads exactly like one the server recorded.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { logFiles } from '../query/index.ts'
import { replayLines, SessionModel } from '../sessions/index.ts'
import { fieldsOfLine, type Store } from '../store/index.ts'

export interface ImportResult {
  files: string[]
  imported: number
  duplicates: number
  unreadable: number
  sessions: number
}

/** Lines of one file, as they are (the store strips line ends). */
async function* fileLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path)
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  try {
    for await (const line of lines) yield line
  } finally {
    lines.close()
    input.destroy()
  }
}

/** Imports `logs` (and their rotated copies) into `store`; rebuilds the sessions they touch. */
export async function importLogs(
  store: Store,
  logs: readonly string[],
  options: { staleAfterMs: number; progress?: (file: string) => void },
): Promise<ImportResult> {
  const files: string[] = []
  for (const log of logs) files.push(...(await logFiles(log)))
  const touched = new Set<string>()
  const result: ImportResult = { files, imported: 0, duplicates: 0, unreadable: 0, sessions: 0 }
  for (const file of files) {
    options.progress?.(file)
    const counts = await store.importLines(fileLines(file), (line) => {
      const fields = fieldsOfLine(line)
      if (fields?.session_id) touched.add(fields.session_id)
      return fields
    })
    result.imported += counts.imported
    result.duplicates += counts.duplicates
    result.unreadable += counts.unreadable
  }
  for (const id of touched) rebuildSession(store, id, options.staleAfterMs)
  result.sessions = touched.size
  await store.flush()
  return result
}

/** Replays one session's stored events and stores its summary and tool calls anew. */
export function rebuildSession(store: Store, sessionId: string, staleAfterMs: number): void {
  const model = new SessionModel({ staleAfterMs, maxToolCalls: Number.MAX_SAFE_INTEGER })
  const last = replayLines(model, store.sessionEvents(sessionId))
  const detail = model.detail(sessionId, last)
  if (detail === undefined) return
  const { turns: _turns, tool_calls: calls, subagents: _subagents, ...summary } = detail
  store.putSession(summary)
  for (const call of calls) store.putToolCall(call)
}

/**
 * WAL checkpoints off the event loop.
 *
 * In WAL mode every commit appends to `events.db-wal`; a checkpoint copies those pages back into the database
 * file and fsyncs it. SQLite runs one by itself every 1,000 WAL pages, inside whichever commit crosses the line:
 * on the server that is the event loop, and the hook whose commit it is waits several milliseconds (measured: the
 * paced benchmark's p99 went from 1.4 ms without a WAL to 5 ms with one, the stalls about every 0.1 s).
 *
 * So the writer turns the automatic checkpoint off (`wal_autocheckpoint = 0`) and a worker thread, with a
 * connection of its own, runs `PRAGMA wal_checkpoint(PASSIVE)` a few times a second. A passive checkpoint never
 * waits for the writer and never blocks it (WAL lets both work at once); what it cannot copy yet, the next one
 * does. If the worker cannot start or stops, the writer is told (`onFailure`) and goes back to SQLite's automatic
 * checkpoints: correct, only slower.
 *
 * The worker's code is a few lines of plain JavaScript given to the Worker as a string, so it runs the same from
 * `dist/` and from the TypeScript sources (a loader such as tsx is not carried into worker threads on Node 20);
 * it loads the same better-sqlite3 the writer uses, by absolute path.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** How often the worker checkpoints. */
const EVERY_MS = 250

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.binding)
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs, fileMustExist: true })
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or locked for a moment: the next one will do.
  }
}
const timer = setInterval(checkpoint, workerData.everyMs)
parentPort.postMessage('ready')
parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  checkpoint()
  db.close()
  parentPort.close()
})
`

/** The writer's handle on its checkpointer. */
export interface Checkpointer {
  /** Stop the worker (after a last checkpoint) and release its connection. */
  stop(): Promise<void>
}

/**
 * Start a checkpointer for the database at `path`. `onFailure` is called once if the worker cannot start or stops
 * on an error (the writer then turns SQLite's own checkpoints back on).
 */
export function startCheckpointer(
  path: string,
  busyTimeoutMs: number,
  onFailure: (reason: string) => void,
): Checkpointer | undefined {
  let worker: Worker
  try {
    const binding = createRequire(import.meta.url).resolve('better-sqlite3')
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, busyTimeoutMs, binding, everyMs: EVERY_MS },
    })
  } catch (error) {
    onFailure((error as Error).message)
    return undefined
  }
  worker.unref()
  let stopping = false
  let failed = false
  worker.on('error', (error) => {
    failed = true
    if (!stopping) onFailure(error.message)
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    stop: async () => {
      stopping = true
      if (!failed) worker.postMessage('stop')
      const timer = setTimeout(() => void worker.terminate(), 2_000)
      await exited
      clearTimeout(timer)
    },
  }
}

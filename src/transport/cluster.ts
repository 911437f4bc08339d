/**
 * # Cluster mode: one server per core on the same sockets
 *
 * `runCluster({ workers, start, unixPaths })` runs `start()` in `workers` processes forked with node:cluster. Each
 * worker listens on the same addresses; the primary holds the listening sockets and hands each new connection to
 * a worker in turn (round-robin on Linux and macOS), so one slow worker does not stall the others.
 *
 *   primary:  check the Unix socket paths once (stale → removed, live → EADDRINUSE) → fork N workers →
 *             restart a worker that dies (after 100 ms, doubling up to 5 s while it keeps dying within 10 s) →
 *             on SIGINT/SIGTERM: forward the signal, wait for every worker, remove the socket files, exit 0.
 *   worker:   start() → listen (Unix paths with `workerListenOptions()`: the primary did the stale check, and a
 *             worker's probe would find its siblings' live socket) → on the signal, the application closes its
 *             server gracefully and the worker leaves the cluster once every connection is done.
 *
 * Under node:cluster the primary creates the socket file (bind happens where the listening handle lives). Its
 * umask is narrowed to 0o077 so the file never exists with more than owner permissions; the worker's `listen`
 * then sets the mode asked for (unix-socket.ts, `listenUnix`).
 */
import cluster, { type Worker } from 'node:cluster'
import { type Logger, stderrLogger } from './logger.ts'
import type { ListenOptions } from './server.ts'
import { prepareUnixSocketPath, removeUnixSocket } from './unix-socket.ts'

/** A worker that dies sooner than this after its start counts as a quick death (the backoff grows). */
const QUICK_DEATH_MS = 10_000

/** Set in the environment of the workers runCluster forks. */
export const CLUSTER_WORKER_ENV = 'OBSERVATORY_CLUSTER_WORKER'

export interface ClusterOptions {
  /** Worker processes to run (at least 1). */
  workers: number
  /** Runs in each worker: create the server and listen (see `workerListenOptions`). */
  start: () => Promise<void>
  logger?: Logger
  /** Unix socket paths the workers will listen on: checked (and a stale one removed) once, before forking. */
  unixPaths?: string[]
  /** Delay before the first restart of a dead worker, in ms. Default 100; doubles while deaths come quickly. */
  restartDelay?: number
  /** Longest restart delay, in ms. Default 5 000. */
  maxRestartDelay?: number
  /** After forwarding a signal, ms to wait for the workers before killing them. Default 30 000. */
  shutdownTimeout?: number
}

/** True in a worker started by `runCluster`. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[CLUSTER_WORKER_ENV] === '1'
}

/**
 * Listen options for use inside `start()`: in a cluster worker, Unix paths get `replaceStale: false` (the primary
 * already checked them; probing would find a sibling's live socket and refuse). Unchanged elsewhere.
 */
export function workerListenOptions(options: ListenOptions): ListenOptions {
  if ('path' in options && isClusterWorker()) return { ...options, replaceStale: false }
  return options
}

/**
 * In the primary: prepare the socket paths, fork the workers, supervise them until SIGINT/SIGTERM; resolves once
 * the workers are forked (the process exits with 0 when they have all exited after a signal). In a worker: run
 * `start()`; resolves when it has.
 */
export async function runCluster(options: ClusterOptions): Promise<void> {
  const logger = options.logger ?? stderrLogger()
  if (cluster.isWorker) {
    await runWorker(options, logger)
    return
  }
  await runPrimary(options, logger)
}

async function runWorker(options: ClusterOptions, logger: Logger): Promise<void> {
  try {
    await options.start()
  } catch (error) {
    logger.error(`worker ${process.pid} failed to start: ${describe(error)}`)
    process.exit(1)
  }
  // Listeners stay installed so that a second signal (a terminal's Ctrl-C reaches the whole process group,
  // and the primary forwards it too) cannot kill the worker by the default action mid-shutdown.
  let leaving = false
  const leave = (): void => {
    if (leaving) return
    leaving = true
    // Closes this worker's listeners, waits until their connections have ended (the application's graceful
    // close is under way), then disconnects from the primary; with nothing left to do, the process exits.
    cluster.worker?.disconnect()
  }
  process.on('SIGINT', leave)
  process.on('SIGTERM', leave)
}

async function runPrimary(options: ClusterOptions, logger: Logger): Promise<void> {
  const count = Math.max(1, Math.floor(options.workers))
  const baseDelay = options.restartDelay ?? 100
  const maxDelay = options.maxRestartDelay ?? 5_000
  const shutdownTimeout = options.shutdownTimeout ?? 30_000
  const paths = options.unixPaths ?? []
  for (const path of paths) await prepareUnixSocketPath(path)
  process.umask(process.umask() | 0o077)

  const workers = new Map<Worker, { slot: number; startedAt: number }>()
  /** Quick deaths in a row, per slot: the restart delay doubles with each. */
  const deaths = new Array<number>(count).fill(0)
  const restarts = new Set<NodeJS.Timeout>()
  let stopping: NodeJS.Signals | undefined

  const fork = (slot: number): void => {
    const worker = cluster.fork({ [CLUSTER_WORKER_ENV]: '1' })
    workers.set(worker, { slot, startedAt: Date.now() })
  }

  const finish = (): void => {
    for (const path of paths) removeUnixSocket(path)
    logger.info(`cluster: every worker has exited (${stopping})`)
    process.exit(0)
  }

  cluster.on('exit', (worker, code, signal) => {
    const info = workers.get(worker)
    workers.delete(worker)
    if (stopping !== undefined) {
      if (workers.size === 0) finish()
      return
    }
    if (info === undefined) return
    const lived = Date.now() - info.startedAt
    // A worker that ran for a while died of something new: start the backoff over.
    deaths[info.slot] = lived >= QUICK_DEATH_MS ? 1 : deaths[info.slot]! + 1
    const delay = Math.min(maxDelay, baseDelay * 2 ** (deaths[info.slot]! - 1))
    logger.warn(
      `cluster: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`,
    )
    const timer = setTimeout(() => {
      restarts.delete(timer)
      if (stopping === undefined) fork(info.slot)
    }, delay)
    restarts.add(timer)
  })

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      // A second signal: the user does not want to wait.
      for (const worker of workers.keys()) kill(worker, 'SIGKILL')
      return
    }
    stopping = signal
    for (const timer of restarts) clearTimeout(timer)
    restarts.clear()
    logger.info(`cluster: ${signal}, stopping ${workers.size} workers`)
    if (workers.size === 0) finish()
    for (const worker of workers.keys()) kill(worker, signal)
    setTimeout(() => {
      for (const worker of workers.keys()) kill(worker, 'SIGKILL')
    }, shutdownTimeout).unref()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  for (let slot = 0; slot < count; slot++) fork(slot)
}

function kill(worker: Worker, signal: NodeJS.Signals): void {
  try {
    worker.process.kill(signal)
  } catch {
    // already gone
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

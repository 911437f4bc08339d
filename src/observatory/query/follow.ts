/**
 * `--watch`: follow log files for new lines, like `tail -F`.
 *
 * Wake-ups come from `fs.watch` on each log's directory (fast) and from a periodic timer (the fallback for file
 * systems where `fs.watch` says nothing, e.g. network mounts). On each wake-up, per log:
 * 1. read the open file to its end, emitting complete lines; an incomplete last line stays buffered until its
 *    newline is written;
 * 2. look at the name again: when it now points to another file (different inode, e.g. the log was renamed to
 *    `FILE.1` and a new `FILE` created), the rest of the old file has just been read in step 1, its unterminated
 *    tail (if any) is emitted as a line, and reading continues at the start of the new file; when the file is
 *    shorter than what was read (truncated in place), reading restarts at its beginning;
 * 3. when the name is missing (between rename and re-create), keep the old file and wait.
 */
import { type FSWatcher, watch } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { errnoCode } from '../install/command-io.ts'
import { FileCursor } from './log-files.ts'

export interface FollowOptions {
  /** Stops following (the returned promise then resolves). */
  signal: AbortSignal
  /** Called for every new complete line, in order; following waits for the returned promise. */
  onLine: (line: string) => void | Promise<void>
  /** Period of the stat fallback, default 500 ms. */
  pollIntervalMs?: number
}

/** One followed log name. */
class Follower {
  readonly path: string
  private cursor: FileCursor | undefined
  private readonly onLine: FollowOptions['onLine']

  constructor(path: string, cursor: FileCursor | undefined, onLine: FollowOptions['onLine']) {
    this.path = path
    this.cursor = cursor
    this.onLine = onLine
  }

  private async drain(cursor: FileCursor): Promise<void> {
    for await (const lines of cursor.read()) {
      for (const line of lines) await this.onLine(line)
    }
  }

  async poll(): Promise<void> {
    if (this.cursor !== undefined) await this.drain(this.cursor)
    let info: Awaited<ReturnType<typeof stat>>
    try {
      info = await stat(this.path)
    } catch (err) {
      const code = errnoCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw err
    }
    const cursor = this.cursor
    if (cursor === undefined || info.ino !== cursor.ino) {
      if (cursor !== undefined) {
        await this.drain(cursor)
        const tail = cursor.takePartial()
        if (tail !== undefined) await this.onLine(tail)
        await cursor.close()
        this.cursor = undefined
      }
      try {
        this.cursor = await FileCursor.open(this.path)
      } catch {
        return
      }
      await this.drain(this.cursor)
    } else if (info.size < cursor.offset) {
      cursor.reset(0)
      await this.drain(cursor)
    }
  }

  async close(): Promise<void> {
    await this.cursor?.close()
    this.cursor = undefined
  }
}

/**
 * Follows each log until `signal` aborts. `logs` maps a log's path to a cursor on that file positioned after
 * what was already shown (possibly with a buffered partial line), or undefined when the file did not exist yet.
 * Resolves on abort; rejects when reading or `onLine` fails.
 */
export async function followLogs(
  logs: ReadonlyMap<string, FileCursor | undefined>,
  options: FollowOptions,
): Promise<void> {
  const { signal, onLine } = options
  const interval = options.pollIntervalMs ?? 500
  const followers = [...logs].map(([path, cursor]) => new Follower(path, cursor, onLine))
  if (signal.aborted) {
    await Promise.all(followers.map((f) => f.close()))
    return
  }

  return new Promise<void>((resolve, reject) => {
    let running = false
    let again = false
    let stopping = false
    let finished = false
    const watchers: FSWatcher[] = []

    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      stopping = true
      clearInterval(timer)
      signal.removeEventListener('abort', onAbort)
      for (const watcher of watchers) watcher.close()
      void Promise.all(followers.map((f) => f.close())).then(() =>
        err === undefined ? resolve() : reject(err),
      )
    }

    // Polls run one at a time; a wake-up during a poll schedules one more round.
    const tick = (): void => {
      if (stopping) return
      if (running) {
        again = true
        return
      }
      running = true
      void (async () => {
        try {
          do {
            again = false
            for (const follower of followers) {
              if (stopping) break
              await follower.poll()
            }
          } while (again && !stopping)
        } catch (err) {
          running = false
          finish(err)
          return
        }
        running = false
        if (stopping) finish()
      })()
    }

    const onAbort = (): void => {
      stopping = true
      if (!running) finish()
    }

    const timer = setInterval(tick, interval)
    signal.addEventListener('abort', onAbort, { once: true })

    const names = new Map<string, Set<string>>()
    for (const follower of followers) {
      const dir = dirname(follower.path)
      const set = names.get(dir) ?? new Set<string>()
      set.add(basename(follower.path))
      names.set(dir, set)
    }
    for (const [dir, files] of names) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          const name = filename?.toString()
          if (name === undefined || [...files].some((f) => name.startsWith(f))) tick()
        })
        watcher.on('error', () => watcher.close())
        watchers.push(watcher)
      } catch {
        // No fs.watch here: the timer alone drives following.
      }
    }
    tick()
  })
}

/**
 * The event log (`--log FILE`): every line appended to a JSONL file, with size-based rotation.
 *
 * The file is always valid JSONL, one complete line per event:
 *
 * - Lines never straddle files. Rotation (FILE → FILE.1 → … → FILE.N, the oldest deleted) happens between lines:
 *   a line that would push FILE past `maxBytes` goes to a fresh FILE. A single line larger than `maxBytes` gets a
 *   file of its own rather than being cut.
 * - A crash in the middle of a write can leave a partial last line. On open, the tail is repaired: the file is
 *   truncated back to just after its last "\n", and stderr says how many bytes were dropped.
 * - A failed write (disk full) is undone the same way, by truncating back to the size before it, so the next line
 *   does not get glued to a fragment.
 *
 * Writes go through one queue, so lines land in the order they were published even when publishes overlap.
 * Lines that arrive while a write is in flight are gathered into one batch and written with one syscall at the
 * next turn: at a high event rate the sink makes far fewer syscalls than there are events. Every line's promise
 * resolves only after the write that contains it returned (and, with `fsync`, after the fsync that covers it).
 *
 * why fs.write(fd) and not FileHandle.write: measured on Node 20 (300-byte lines, 7 runs, median), fs.write with a
 * callback did about 43,000 single-line writes/s against 35,000 for FileHandle.write (1.2-1.3x: the promise API
 * costs extra per call). With batches of 64 lines both reach about 2.3 million lines/s: batching, not the API, is
 * what carries 50,000 events/s, but the per-call cost is what the unbatched, low-rate case pays.
 */
import {
  close as closeCallback,
  fstat as fstatCallback,
  fsync as fsyncCallback,
  ftruncate as ftruncateCallback,
  open as openCallback,
  read as readCallback,
  write as writeCallback,
  writeSync,
} from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Sink } from '../server/hub.ts'

export interface LogFileOptions {
  /** The log file. Created if missing, appended to if present. */
  path: string
  /** Rotate before a line would make the file larger than this. Default 10 MiB; 0 disables rotation. */
  maxBytes?: number
  /** How many rotated files to keep (FILE.1 … FILE.maxFiles). Default 10; 0 keeps none. */
  maxFiles?: number
  /** fsync after each write, so an acknowledged event survives a power loss. Default false. */
  fsync?: boolean
  /** Permissions of a newly created log file. Default 0o600: hook payloads can hold prompts and secrets. */
  mode?: number
  /** Where tail repairs are reported. Default: stderr. */
  log?: (message: string) => void
  /** For log messages. Default "log-file". */
  name?: string
}

export interface LogFileCounters {
  linesWritten: number
  bytesWritten: number
  /** write(2) calls that carried lines; fewer than `linesWritten` when lines were batched. */
  writes: number
  fsyncs: number
  rotations: number
  /** Batches whose write failed (their publishes were rejected). */
  failures: number
}

/** The lines gathered while the previous write was in flight. One promise for all of them. */
interface Batch {
  lines: string[]
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

const MiB = 1024 * 1024
/** Largest single write: a huge backlog is written in slices rather than as one giant buffer. */
const MAX_WRITE = 4 * MiB
/** How far back the tail repair reads at a time while looking for the last "\n". */
const REPAIR_BLOCK = 64 * 1024
const NEWLINE = 0x0a

export class LogFileSink implements Sink {
  readonly name: string
  readonly lossless = true
  readonly path: string
  readonly #maxBytes: number
  readonly #maxFiles: number
  readonly #fsync: boolean
  readonly #mode: number
  readonly #log: (message: string) => void
  #fd: number
  /** Bytes in the current file, as far as this sink knows (it is the file's only writer). */
  #size: number
  /** Set when a failed write may have left a fragment that truncation could not remove. */
  #tailSuspect = false
  #gathering: Batch | undefined
  #running: Promise<void> | undefined
  /** A writer start is scheduled for the end of this event-loop turn. */
  #scheduled = false
  #closed = false
  #closing: Promise<void> | undefined
  readonly #counters: LogFileCounters = {
    linesWritten: 0,
    bytesWritten: 0,
    writes: 0,
    fsyncs: 0,
    rotations: 0,
    failures: 0,
  }

  /** Open (or create) the log, repairing a partial last line left by a crash. */
  static async open(options: LogFileOptions): Promise<LogFileSink> {
    const mode = options.mode ?? 0o600
    const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`))
    // 'a+': appends always go to the end (O_APPEND), and the file can be read for the tail repair.
    const fd = await fsOpen(options.path, 'a+', mode)
    try {
      const { size, dropped } = await repairTail(fd)
      if (dropped > 0) {
        log(
          `Log ${options.path}: dropped ${dropped} bytes of a partial last line (an interrupted write)`,
        )
      }
      return new LogFileSink(options, fd, size, mode, log)
    } catch (error) {
      await fsClose(fd).catch(() => {})
      throw error
    }
  }

  private constructor(
    options: LogFileOptions,
    fd: number,
    size: number,
    mode: number,
    log: (message: string) => void,
  ) {
    this.path = options.path
    this.name = options.name ?? 'log-file'
    this.#maxBytes = options.maxBytes ?? 10 * MiB
    this.#maxFiles = options.maxFiles ?? 10
    this.#fsync = options.fsync ?? false
    this.#mode = mode
    this.#log = log
    this.#fd = fd
    this.#size = size
  }

  get counters(): LogFileCounters {
    return { ...this.#counters }
  }

  /** Queue `line`; the promise resolves once it is in the file (and fsynced, with `fsync`). */
  write(line: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`log ${this.path} is closed`))
    let batch = this.#gathering
    if (batch === undefined) {
      batch = newBatch()
      this.#gathering = batch
    }
    batch.lines.push(line)
    // why: idle, the writer starts at the end of this event-loop turn, so every line published in the turn goes
    // in one write (under load, many requests complete per turn: a syscall per event was the cost that showed in
    // bench/observatory.ts). Busy: the line waits in the gathering batch, which the running loop picks up as soon
    // as the current write returns.
    if (this.#running === undefined && !this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#startDrain)
    }
    return batch.promise
  }

  readonly #startDrain = (): void => {
    this.#scheduled = false
    if (this.#running === undefined && this.#writeNow()) return
    this.#running ??= this.#drain()
  }

  /**
   * The common case done synchronously: no fsync, the file open and sound, the gathered lines under the size
   * limit and one write's worth. Returns false, having written nothing, when the general path must do it.
   *
   * why: the general path is three async functions deep (a handful of promises and microtask hops per batch);
   * with one request per connection a batch is usually one line, so that was paid per event. This path is
   * #append's synchronous write (see "why" there) without them: one 530-byte line per turn went from 4.7 to
   * 3.8 µs of CPU, write(2) included (A/B against the previous sink, same run, medians of 6 × 5,000 lines).
   */
  #writeNow(): boolean {
    const batch = this.#gathering
    if (batch === undefined || this.#fsync || this.#fd < 0 || this.#tailSuspect) return false
    const lines = batch.lines
    let bytes = 0
    for (let i = 0; i < lines.length; i++) bytes += Buffer.byteLength(lines[i]!, 'utf8')
    if (
      bytes > MAX_WRITE ||
      (this.#maxBytes > 0 && this.#size + bytes > this.#maxBytes) // rotation: the general path
    ) {
      return false
    }
    const buffer =
      lines.length === 1 ? Buffer.from(lines[0]!, 'utf8') : Buffer.from(lines.join(''), 'utf8')
    const before = this.#size
    let done = 0
    try {
      while (done < bytes) done += writeSync(this.#fd, buffer, done, bytes - done)
    } catch (error) {
      // Some bytes may be in the file, possibly ending mid-line: cut back as #append does, reject the batch.
      this.#gathering = undefined
      this.#running = this.#failed(batch, before, error)
      return true
    }
    this.#gathering = undefined
    this.#size = before + bytes
    this.#counters.writes++
    this.#counters.linesWritten += lines.length
    this.#counters.bytesWritten += bytes
    batch.resolve()
    return true
  }

  /** A synchronous write that failed part way: cut the file back, reject the batch, go on with what gathered. */
  async #failed(batch: Batch, before: number, error: unknown): Promise<void> {
    try {
      await fsTruncate(this.#fd, before)
    } catch {
      this.#tailSuspect = true
    }
    this.#counters.failures++
    batch.reject(error)
    // Lines gathered meanwhile waited for this (#running was set): write them, then say the writer is idle.
    if (this.#gathering !== undefined) await this.#drain()
    this.#running = undefined
  }

  /** Write what is queued, then close the file. Writes after this reject. */
  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= (async () => {
      if (this.#scheduled) this.#startDrain()
      if (this.#running !== undefined) await this.#running
      if (this.#fd >= 0) await fsClose(this.#fd)
      this.#fd = -1
    })()
    return this.#closing
  }

  /** The writer loop: one batch at a time, in order, until nothing is gathering. */
  async #drain(): Promise<void> {
    while (this.#gathering !== undefined) {
      const batch = this.#gathering
      this.#gathering = undefined
      try {
        await this.#writeLines(batch.lines)
        batch.resolve()
      } catch (error) {
        this.#counters.failures++
        batch.reject(error)
      }
    }
    this.#running = undefined
  }

  /** Append `lines` in as few writes as possible, rotating between lines when the size limit says so. */
  async #writeLines(lines: string[]): Promise<void> {
    if (this.#fd < 0) await this.#reopen()
    if (this.#tailSuspect) {
      this.#size = (await repairTail(this.#fd)).size
      this.#tailSuspect = false
    }
    let slice: string[] = []
    let sliceBytes = 0
    for (const line of lines) {
      const bytes = Buffer.byteLength(line, 'utf8')
      const pending = this.#size + sliceBytes
      if (this.#maxBytes > 0 && pending > 0 && pending + bytes > this.#maxBytes) {
        if (slice.length > 0) await this.#append(slice, sliceBytes)
        slice = []
        sliceBytes = 0
        await this.#rotate()
      } else if (slice.length > 0 && sliceBytes + bytes > MAX_WRITE) {
        await this.#append(slice, sliceBytes)
        slice = []
        sliceBytes = 0
      }
      slice.push(line)
      sliceBytes += bytes
    }
    if (slice.length > 0) await this.#append(slice, sliceBytes)
    if (this.#fsync) await this.#sync()
  }

  /** One buffer, one write (more only if the kernel takes less than all of it). Undone if it fails. */
  async #append(lines: string[], bytes: number): Promise<void> {
    const buffer = Buffer.allocUnsafe(bytes)
    let offset = 0
    for (const line of lines) offset += buffer.write(line, offset, 'utf8')
    const before = this.#size
    try {
      let done = 0
      if (this.#fsync) {
        while (done < bytes) done += await fsWrite(this.#fd, buffer, done, bytes - done)
      } else {
        // why: without fsync, an append lands in the page cache in a few microseconds. Done on the main thread
        // it costs less than the round trip through libuv's threadpool that fs.write makes, and every 200 waits
        // for this write: with 16 keep-alive clients, a log file and a reader, the server's CPU per event went
        // from about 47 to 43 µs (wrk, A/B on one machine). With fsync (milliseconds) the write stays off-thread.
        while (done < bytes) done += writeSync(this.#fd, buffer, done, bytes - done)
      }
    } catch (error) {
      // Some bytes of the buffer may be in the file now, possibly ending mid-line: cut them off again.
      try {
        await fsTruncate(this.#fd, before)
      } catch {
        this.#tailSuspect = true
      }
      throw error
    }
    this.#size = before + bytes
    this.#counters.writes++
    this.#counters.linesWritten += lines.length
    this.#counters.bytesWritten += bytes
  }

  async #sync(): Promise<void> {
    await fsFsync(this.#fd)
    this.#counters.fsyncs++
  }

  /** FILE.(N-1) → FILE.N, …, FILE → FILE.1 (renaming over FILE.N deletes the oldest), then a fresh FILE. */
  async #rotate(): Promise<void> {
    if (this.#fsync) await this.#sync()
    const fd = this.#fd
    this.#fd = -1
    await fsClose(fd)
    if (this.#maxFiles === 0) {
      await ignoreMissing(unlink(this.path))
    } else {
      for (let n = this.#maxFiles - 1; n >= 1; n--) {
        await ignoreMissing(rename(`${this.path}.${n}`, `${this.path}.${n + 1}`))
      }
      await rename(this.path, `${this.path}.1`)
    }
    await this.#reopen()
    // The renames are directory entries: with fsync, make them durable too (the log must not lose its newest
    // file name on a power cut). Not every platform can fsync a directory; that is not worth failing over.
    if (this.#fsync) await syncDirectory(dirname(this.path))
    this.#counters.rotations++
  }

  async #reopen(): Promise<void> {
    this.#fd = await fsOpen(this.path, 'a+', this.#mode)
    const { size, dropped } = await repairTail(this.#fd)
    if (dropped > 0) this.#log(`Log ${this.path}: dropped ${dropped} bytes of a partial last line`)
    this.#size = size
  }
}

function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { lines: [], promise, resolve, reject }
}

/**
 * Cut a partial last line off the file open as `fd`: truncate just after the last "\n" (to 0 when there is
 * none). Returns the resulting size and how many bytes were dropped.
 */
async function repairTail(fd: number): Promise<{ size: number; dropped: number }> {
  const size = await fsSize(fd)
  if (size === 0) return { size, dropped: 0 }
  const block = Buffer.allocUnsafe(Math.min(REPAIR_BLOCK, size))
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - block.length)
    const length = end - start
    await fsReadFully(fd, block, length, start)
    const newline = block.subarray(0, length).lastIndexOf(NEWLINE)
    if (newline >= 0) {
      const keep = start + newline + 1
      if (keep < size) await fsTruncate(fd, keep)
      return { size: keep, dropped: size - keep }
    }
    end = start
  }
  await fsTruncate(fd, 0)
  return { size: 0, dropped: size }
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const fd = await fsOpen(path, 'r', 0)
    try {
      await fsFsync(fd)
    } finally {
      await fsClose(fd)
    }
  } catch {
    // See the caller: best effort.
  }
}

async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

// The callback API wrapped by hand: one small promise per call, nothing else (see "why" at the top).

function fsOpen(path: string, flags: string, mode: number): Promise<number> {
  return new Promise((resolve, reject) => {
    openCallback(path, flags, mode, (error, fd) => (error ? reject(error) : resolve(fd)))
  })
}

function fsClose(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    closeCallback(fd, (error) => (error ? reject(error) : resolve()))
  })
}

function fsWrite(fd: number, buffer: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // position null: write at the current position, which O_APPEND makes the end of the file.
    writeCallback(fd, buffer, offset, length, null, (error, written) =>
      error ? reject(error) : resolve(written),
    )
  })
}

function fsFsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsyncCallback(fd, (error) => (error ? reject(error) : resolve()))
  })
}

function fsTruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    ftruncateCallback(fd, length, (error) => (error ? reject(error) : resolve()))
  })
}

function fsSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fstatCallback(fd, (error, stats) => (error ? reject(error) : resolve(stats.size)))
  })
}

/** Read exactly `length` bytes at `position` into the start of `buffer`. */
async function fsReadFully(
  fd: number,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  let done = 0
  while (done < length) {
    const read = await new Promise<number>((resolve, reject) => {
      readCallback(fd, buffer, done, length - done, position + done, (error, bytes) =>
        error ? reject(error) : resolve(bytes),
      )
    })
    if (read === 0) throw new Error('log file shrank while its tail was being checked')
    done += read
  }
}

/**
 * The output socket (`--output-socket PATH`): a Unix socket any number of readers connect to
 * (`socat - UNIX-CONNECT:PATH`, `nc -U PATH`), each receiving every line published after it connected, as JSONL.
 *
 * It is a lossy sink: a reader never slows the observatory down, and what a reader can cost in memory is bounded.
 *
 * **Queue.** Each reader has its own queue of whole lines (one encoded Buffer per line, shared by all readers). A
 * line stays in the queue, "waiting", until the kernel has taken its last byte. Lines are handed to the socket
 * one write request at a time, at most 64 KiB per request (a longer line goes in 64 KiB slices), and the next
 * request only once the previous one completed, i.e. once the kernel took all of it. So the sink always knows
 * where the kernel stands in the queue (at the end of the last completed request); Node's own write buffer never
 * holds more than the one request in flight. New lines are handed over at the end of the event-loop turn (or
 * when the request in flight completes), so a busy turn's lines reach a reader in one writev, not one per line.
 *
 * **Budget** (`maxBufferedBytes`, 1 MiB). When a line arrives, each connected reader gets it unless the bytes
 * waiting for that reader, the new line included and its largest waiting line left out, would exceed the budget;
 * then the reader is dropped (stderr: `Output reader dropped: too slow`). The largest line is left out so that
 * one event of any size never drops a reader: an idle reader always takes the next line, and a 2 MiB event
 * followed at once by small ones is fine. A reader that is behind, with more than the budget of other lines
 * waiting, is dropped. A reader's queue therefore never holds more than the budget plus one line.
 *
 * **Whole lines.** Readers only ever see whole lines, as long as they keep reading:
 *
 * 1. A dropped reader gets no new lines, and its queue is cut at the first line boundary after what was already
 *    handed to the socket: the lines of the write request in flight are kept (one only partly in it is kept
 *    whole, and its rest sent after), the later ones are discarded. Then the socket is ended, and closed as soon
 *    as the kernel took the last byte: on a Unix socket those bytes sit in the reader's receive queue, where
 *    closing our end does not discard them. The reader reads whole lines, then EOF; its last byte is "\n".
 * 2. A dropped reader that stops reading would hold its queue forever, so it is destroyed once the kernel has
 *    taken nothing from it for `dropGraceMs` (10 s). Not 10 s after the drop: a reader that reads steadily but
 *    slowly (4 KiB per 50 ms, `socat` into a slow pipe) needs 13 s for 1 MiB, and must not be cut mid-line.
 *    Progress is seen when a write request completes, so a dropped reader counts as reading if it reads at least
 *    64 KiB per `dropGraceMs`. A reader destroyed this way can still read what the kernel had taken, then EOF:
 *    whole lines, possibly followed by the first part of a line of the request that was in flight, never anything
 *    after that line.
 * 3. `close()` (shutdown) lets connected readers read everything queued for them. A reader not done after
 *    `closeGraceMs` (1 s) is cut like a dropped reader (it finishes the line in progress and gets no more), and any
 *    reader still there after another `closeGraceMs` is destroyed, possibly mid-line. A shutdown thus takes at
 *    most twice `closeGraceMs`.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { listenUnix, prepareUnixSocketPath, removeUnixSocket } from '../../transport/index.ts'
import type { Sink } from '../server/hub.ts'

export interface OutputSocketOptions {
  /** Where the socket file is created. A stale socket there is replaced; a live one is an error. */
  path: string
  /** The socket file's permissions. Default 0o660: owner and group may read the event stream. */
  mode?: number
  /**
   * Most bytes waiting for a reader (not yet taken by the kernel), not counting its largest waiting line, before
   * it is dropped. Default 1 MiB.
   */
  maxBufferedBytes?: number
  /**
   * How long a dropped reader may go without the kernel taking any of its bytes (seen per write request of at
   * most 64 KiB) before it is destroyed. Default 10 s.
   */
  dropGraceMs?: number
  /**
   * How long `close()` lets readers read what is queued for them before cutting them at the next line boundary;
   * after as long again, readers left are destroyed. Default 1 s.
   */
  closeGraceMs?: number
  /**
   * How long a line may wait for more lines before it is handed to the readers' sockets, in milliseconds.
   * Default 2. 0: at the end of the event-loop turn it was published in.
   */
  flushDelayMs?: number
  /** Where reader connect/disconnect/drop messages go. Default: stderr. */
  log?: (message: string) => void
  /** For log messages. Default "output-socket". */
  name?: string
}

export interface OutputSocketCounters {
  /** Readers receiving lines right now. */
  readersConnected: number
  /** Readers that ever connected. */
  readersAccepted: number
  /** Readers disconnected for being too slow. */
  readersDropped: number
  /**
   * Lines dropped readers missed: for each drop, the line that found the reader behind plus the lines discarded
   * from its queue. A dropped reader that reads to its EOF got every other line published before it was dropped.
   * One destroyed because it stopped reading also misses what was left of the lines being sent when it was
   * dropped (at most 64 KiB and one line); those are not counted.
   */
  linesDropped: number
  /** Dropped (or, during close, all) readers still being sent the rest of their queue. */
  readersFlushing: number
  /** Bytes queued for readers (connected or flushing) that the kernel has not taken yet. */
  bytesQueued: number
}

const MiB = 1024 * 1024
/** Most bytes handed to a reader's socket in one write request. */
const WRITE_CHUNK = 64 * 1024
/** Compact a Fifo's array once this many slots at its front are empty (and they are at least half of it). */
const FIFO_COMPACT = 1024

/** First in, first out, with O(1) `shift()` (`Array#shift` moves the whole array). */
class Fifo<T> {
  #items: (T | undefined)[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  /** The item `index` places from the front; `index` must be below `length`. */
  at(index: number): T {
    return this.#items[this.#head + index] as T
  }

  /** The newest item; the Fifo must not be empty. */
  last(): T {
    return this.#items[this.#items.length - 1] as T
  }

  push(item: T): void {
    this.#items.push(item)
  }

  /** Remove and return the oldest item; the Fifo must not be empty. */
  shift(): T {
    const item = this.#items[this.#head] as T
    this.#items[this.#head++] = undefined
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head >= FIFO_COMPACT && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Remove the newest item; the Fifo must not be empty. */
  pop(): void {
    this.#items.pop()
  }

  /** Keep the `count` oldest items. */
  truncate(count: number): void {
    this.#items.length = this.#head + count
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }
}

/** One connection and its queue. */
class Reader {
  readonly socket: Socket
  /**
   * `live`: gets new lines. `finishing` (close): gets none, is sent the rest of its queue, then ended. `cut`
   * (dropped, or not done in time at close): its queue ends at a line boundary; sent the rest, then ended.
   */
  state: 'live' | 'finishing' | 'cut' = 'live'
  /** Lines the kernel has not entirely taken yet, oldest first. */
  readonly lines = new Fifo<Buffer>()
  /**
   * Some of `lines`, in their order and in decreasing size, each one the largest of the lines from it on: the
   * first is the largest line waiting, the second the largest after it (a monotonic queue: O(1) per line).
   */
  readonly largest = new Fifo<Buffer>()
  /** Bytes of the oldest line the kernel has already taken. */
  headTaken = 0
  /** Bytes of `lines` the kernel has not taken yet. */
  waiting = 0
  /**
   * The write request in flight, 0 when none. It covers the queue from `headTaken` on: `flightLines` lines to
   * their end, then `flightOffset` bytes of the next one.
   */
  inFlight = 0
  flightLines = 0
  flightOffset = 0
  /** Dropped readers: destroys the reader when the kernel has taken nothing for `dropGraceMs`. */
  stallTimer: NodeJS.Timeout | undefined
  /** During close: the deadline for the reader to finish (cut, then destroyed). */
  closeTimer: NodeJS.Timeout | undefined
  /** The completion callback of this reader's write requests. */
  readonly written: (error?: Error | null) => void

  constructor(socket: Socket, written: (reader: Reader, error?: Error | null) => void) {
    this.socket = socket
    this.written = (error) => written(this, error)
  }

  /** Queue `line` for this reader. */
  enqueue(line: Buffer): void {
    this.lines.push(line)
    this.waiting += line.length
    while (this.largest.length > 0 && this.largest.last().length <= line.length) this.largest.pop()
    this.largest.push(line)
  }

  /** Bytes of the largest line waiting (of the oldest, only what the kernel has not taken). */
  largestWaiting(): number {
    if (this.largest.length === 0) return 0
    const largest = this.largest.at(0)
    if (largest === this.lines.at(0) && this.headTaken > 0) {
      const next = this.largest.length > 1 ? this.largest.at(1).length : 0
      return Math.max(largest.length - this.headTaken, next)
    }
    return largest.length
  }

  /**
   * Cut the queue at the first line boundary after what was handed to the socket: keep the lines of the request
   * in flight (a line partly in it, or partly taken, is kept whole), discard the others. Returns how many lines
   * were discarded.
   */
  cut(): number {
    const keep =
      this.inFlight > 0
        ? this.flightLines + (this.flightOffset > 0 ? 1 : 0)
        : this.headTaken > 0
          ? 1
          : 0
    const discarded = this.lines.length - keep
    for (let i = keep; i < this.lines.length; i++) this.waiting -= this.lines.at(i).length
    this.lines.truncate(keep)
    this.largest.clear()
    this.state = 'cut'
    return discarded
  }

  /** Forget the queue and the timers (the connection is closed). */
  release(): void {
    clearTimeout(this.stallTimer)
    clearTimeout(this.closeTimer)
    this.lines.clear()
    this.largest.clear()
    this.waiting = 0
    this.inFlight = 0
  }
}

export class OutputSocketSink implements Sink {
  readonly name: string
  readonly lossless = false
  readonly path: string
  readonly #server: Server
  readonly #maxBuffered: number
  readonly #dropGraceMs: number
  readonly #closeGraceMs: number
  readonly #flushDelayMs: number
  readonly #log: (message: string) => void
  /** Readers that get new lines. */
  readonly #readers = new Set<Reader>()
  /** Every open connection, including dropped readers still being sent the rest of their queue. */
  readonly #all = new Set<Reader>()
  #readersAccepted = 0
  #readersDropped = 0
  #linesDropped = 0
  #closing: Promise<void> | undefined
  /** A send to every idle reader is scheduled for the end of this event-loop turn. */
  #flushScheduled = false

  /** Create the socket file and start accepting readers. */
  static async listen(options: OutputSocketOptions): Promise<OutputSocketSink> {
    const sink = new OutputSocketSink(options)
    await prepareUnixSocketPath(options.path)
    await listenUnix(sink.#server, options.path, options.mode ?? 0o660)
    return sink
  }

  private constructor(options: OutputSocketOptions) {
    this.path = options.path
    this.name = options.name ?? 'output-socket'
    this.#maxBuffered = options.maxBufferedBytes ?? MiB
    this.#dropGraceMs = options.dropGraceMs ?? 10_000
    this.#closeGraceMs = options.closeGraceMs ?? 1_000
    this.#flushDelayMs = options.flushDelayMs ?? 2
    this.#log = options.log ?? ((message) => process.stderr.write(`${message}\n`))
    // A reader's EOF ends the connection (allowHalfOpen false, Node's default). From this side, a reader that
    // exited and one that merely shut down its sending half look the same: both send EOF. Keeping half-open
    // readers would leave exited ones counted as connected until the next event's write failed with EPIPE.
    this.#server = createServer({ allowHalfOpen: false }, (socket) => this.#accept(socket))
  }

  get counters(): OutputSocketCounters {
    let bytesQueued = 0
    for (const reader of this.#all) bytesQueued += reader.waiting
    return {
      readersConnected: this.#readers.size,
      readersAccepted: this.#readersAccepted,
      readersDropped: this.#readersDropped,
      linesDropped: this.#linesDropped,
      readersFlushing: this.#all.size - this.#readers.size,
      bytesQueued,
    }
  }

  /** Queue `line` for every reader, dropping each reader that is behind. Never waits. */
  write(line: string): void {
    if (this.#readers.size === 0 || this.#closing !== undefined) return
    // Encoded once, shared by all readers (sockets do not modify what they send).
    const data = Buffer.from(line, 'utf8')
    for (const reader of this.#readers) {
      const total = reader.waiting + data.length
      if (
        total > this.#maxBuffered &&
        total - Math.max(data.length, reader.largestWaiting()) > this.#maxBuffered
      ) {
        this.#drop(reader)
      } else {
        reader.enqueue(data)
      }
    }
    // why: lines wait up to flushDelayMs for company, so a reader gets one write for many events instead of one
    // per event-loop turn. With one request per connection a turn rarely holds more than one event, and the
    // reader's writes were 10.4% of the server's CPU (--cpu-prof, 16 clients, one request per connection); with
    // the 2 ms delay 3.5% (bench/sinks.bench.ts: at one event per 1 ms turn, half the writes), for a delay no
    // person watching a reader sees. Queue, budget and drop rules are unchanged: lines are queued (and counted)
    // at once, only their hand-over waits.
    if (!this.#flushScheduled && this.#readers.size > 0) {
      this.#flushScheduled = true
      if (this.#flushDelayMs > 0) setTimeout(this.#flush, this.#flushDelayMs).unref()
      else setImmediate(this.#flush)
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false
    for (const reader of this.#readers) this.#send(reader)
  }

  /**
   * Stop accepting readers, let connected ones read what is queued (see the module comment for the deadlines),
   * and remove the socket file.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    // Resolves once every connection has closed, which the deadlines below bound.
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const reader of this.#readers) reader.state = 'finishing'
    this.#readers.clear()
    for (const reader of this.#all) {
      reader.closeTimer = setTimeout(() => {
        if (reader.state === 'finishing') {
          reader.cut()
          this.#send(reader)
        }
        reader.closeTimer = setTimeout(() => reader.socket.destroy(), this.#closeGraceMs)
        reader.closeTimer.unref()
      }, this.#closeGraceMs)
      // The timers alone must not keep the process alive.
      reader.closeTimer.unref()
      this.#send(reader)
    }
    await serverClosed
    removeUnixSocket(this.path)
  }

  #accept(socket: Socket): void {
    if (this.#closing !== undefined) {
      socket.destroy()
      return
    }
    const reader = new Reader(socket, (r, error) => this.#written(r, error))
    this.#all.add(reader)
    this.#readers.add(reader)
    this.#readersAccepted++
    this.#log(`Output reader connected (${this.#readers.size} total)`)
    // A reader vanishing mid-write (EPIPE, ECONNRESET) is routine; 'close' follows and does the bookkeeping.
    socket.on('error', () => {})
    socket.on('close', () => {
      reader.release()
      this.#all.delete(reader)
      if (this.#readers.delete(reader)) {
        this.#log(`Output reader disconnected (${this.#readers.size} total)`)
      }
    })
    // Readers have nothing to say; whatever they send is read and thrown away so it cannot pile up.
    socket.resume()
  }

  /**
   * Hand `reader`'s socket the next write request (at most WRITE_CHUNK bytes of its queue), unless one is in
   * flight. A reader that gets no new lines and has nothing left is ended.
   */
  #send(reader: Reader): void {
    const { socket, lines } = reader
    // Not writable: ended already, or going away ('close' follows).
    if (reader.inFlight > 0 || !socket.writable) return
    if (lines.length === 0) {
      if (reader.state !== 'live') {
        // 'finish': the kernel has every byte. They stay in the reader's receive queue after we close our end, so
        // the connection is closed right then, without waiting for the reader to close its side.
        socket.once('finish', () => socket.destroy())
        socket.end()
      }
      return
    }
    const pieces: Buffer[] = []
    let bytes = 0
    let index = 0
    let offset = reader.headTaken
    while (bytes < WRITE_CHUNK && index < lines.length) {
      const line = lines.at(index)
      const take = Math.min(line.length - offset, WRITE_CHUNK - bytes)
      pieces.push(take === line.length ? line : line.subarray(offset, offset + take))
      bytes += take
      offset += take
      if (offset === line.length) {
        index++
        offset = 0
      }
    }
    reader.inFlight = bytes
    reader.flightLines = index
    reader.flightOffset = offset
    // The return value (false past the socket's own 16 KiB high-water mark) is ignored on purpose: one request
    // at a time, the next once this one completed, is this sink's flow control.
    // One buffer rather than a stream write per line under cork: the same bytes in one request (bench/sinks.bench.ts:
    // 0.97-0.98× the time per line, within noise; kept because it is the simpler of the two).
    socket.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes), reader.written)
  }

  /** A write request completed: the kernel has taken it. */
  #written(reader: Reader, error?: Error | null): void {
    // An error means the connection is going away; 'close' does the bookkeeping.
    if (error || reader.socket.destroyed || reader.inFlight === 0) return
    for (let i = 0; i < reader.flightLines; i++) {
      const line = reader.lines.shift()
      if (reader.largest.length > 0 && reader.largest.at(0) === line) reader.largest.shift()
    }
    reader.headTaken = reader.flightOffset
    reader.waiting -= reader.inFlight
    reader.inFlight = 0
    // The reader is reading: a dropped one gets dropGraceMs more.
    reader.stallTimer?.refresh()
    this.#send(reader)
  }

  #drop(reader: Reader): void {
    this.#readers.delete(reader)
    this.#readersDropped++
    // The line that found it behind, and those discarded from its queue.
    this.#linesDropped += 1 + reader.cut()
    this.#log(`Output reader dropped: too slow (${this.#readers.size} total)`)
    reader.stallTimer = setTimeout(() => reader.socket.destroy(), this.#dropGraceMs)
    // The timer alone must not keep the process alive.
    reader.stallTimer.unref()
    this.#send(reader)
  }
}

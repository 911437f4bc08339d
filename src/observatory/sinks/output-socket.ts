/**
 * The output socket (`--output-socket PATH`): a Unix socket any number of readers connect to
 * (`socat - UNIX-CONNECT:PATH`, `nc -U PATH`), each receiving every line published after it connected, as JSONL.
 *
 * It is a lossy sink: a reader never slows the observatory down. Each reader has a bounded buffer of unsent bytes
 * (1 MiB by default); a reader that falls so far behind that the next line would not fit is dropped.
 *
 * Readers only ever see whole lines. Two rules make that true:
 *
 * 1. A line is queued for a reader whole or not at all. The overflow check happens before `socket.write(line)`,
 *    and one `write()` call queues the whole buffer, so the queue is always a run of complete lines.
 * 2. A dropped reader is ended, not destroyed. Some bytes of its queue may already be in the kernel's socket
 *    buffer, and that boundary can fall in the middle of a line. Destroying the socket would discard the rest of
 *    that line from Node's queue, leaving the reader with a truncated last line. `socket.end()` instead stops new
 *    lines (the reader is no longer in the set), lets the queued whole lines flush, then sends EOF: the reader's
 *    last byte is a "\n".
 *
 * A dropped reader that stops reading entirely would keep its queue alive forever, so after `dropGraceMs` it is
 * destroyed anyway. That is the one case where it can end on a partial line, and it concerns a reader that has
 * not read anything for that long after being dropped.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { listenUnix, prepareUnixSocketPath, removeUnixSocket } from '../../transport/unix-socket.ts'
import type { Sink } from '../hub.ts'

export interface OutputSocketOptions {
  /** Where the socket file is created. A stale socket there is replaced; a live one is an error. */
  path: string
  /** The socket file's permissions. Default 0o660: owner and group may read the event stream. */
  mode?: number
  /** Most unsent bytes per reader before it is dropped. Default 1 MiB. */
  maxBufferedBytes?: number
  /** How long a dropped reader may take to read its queued lines before it is destroyed. Default 10 s. */
  dropGraceMs?: number
  /** How long `close()` lets readers read their queued lines before destroying them. Default 1 s. */
  closeGraceMs?: number
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
  /** Lines a connected reader did not get because its buffer was full (one per drop: the line that overflowed). */
  linesDropped: number
  /** Dropped (or, during close, all) readers still being sent the whole lines queued for them. */
  readersFlushing: number
}

const MiB = 1024 * 1024

export class OutputSocketSink implements Sink {
  readonly name: string
  readonly lossless = false
  readonly path: string
  readonly #server: Server
  readonly #maxBuffered: number
  readonly #dropGraceMs: number
  readonly #closeGraceMs: number
  readonly #log: (message: string) => void
  /** Readers that get new lines. */
  readonly #readers = new Set<Socket>()
  /** Every open connection, including dropped readers still flushing their queue. */
  readonly #sockets = new Set<Socket>()
  #readersAccepted = 0
  #readersDropped = 0
  #linesDropped = 0
  #closing: Promise<void> | undefined

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
    this.#log = options.log ?? ((message) => process.stderr.write(`${message}\n`))
    // A reader's EOF ends the connection (allowHalfOpen false, Node's default). From this side, a reader that
    // exited and one that merely shut down its sending half look the same: both send EOF. Keeping half-open
    // readers would leave exited ones counted as connected until the next event's write failed with EPIPE.
    this.#server = createServer({ allowHalfOpen: false }, (socket) => this.#accept(socket))
  }

  get counters(): OutputSocketCounters {
    return {
      readersConnected: this.#readers.size,
      readersAccepted: this.#readersAccepted,
      readersDropped: this.#readersDropped,
      linesDropped: this.#linesDropped,
      readersFlushing: this.#sockets.size - this.#readers.size,
    }
  }

  /** Readers corked in this event-loop turn (uncorked, once each, at its end). */
  #corked: Socket[] | undefined

  readonly #uncork = (): void => {
    const sockets = this.#corked ?? []
    this.#corked = undefined
    for (const socket of sockets) if (!socket.destroyed) socket.uncork()
  }

  /** Queue `line` for every reader, dropping each reader it would overflow. Never waits. */
  write(line: string): void {
    if (this.#readers.size === 0 || this.#closing !== undefined) return
    // Encoded once, shared by all readers (sockets do not modify what they send).
    const data = Buffer.from(line, 'utf8')
    // why: readers are corked for the rest of this event-loop turn, so a turn's lines reach each reader in one
    // writev instead of one write per line (a syscall per event per reader showed in bench/observatory.ts).
    if (this.#corked === undefined) {
      this.#corked = [...this.#readers]
      for (const socket of this.#corked) socket.cork()
      setImmediate(this.#uncork)
    }
    for (const socket of this.#readers) {
      // writableLength: bytes accepted by write() that the kernel has not taken yet.
      if (socket.writableLength + data.length > this.#maxBuffered) {
        this.#drop(socket)
      } else if (socket.writable) {
        // The return value (false past the socket's own 16 KiB high-water mark) is ignored on purpose: the
        // buffer limit above is this sink's backpressure policy.
        socket.write(data)
      }
    }
  }

  /**
   * Stop accepting readers, let connected ones read what is queued (at most `closeGraceMs`), and remove the
   * socket file.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#readers.clear()
    for (const socket of this.#sockets) this.#retire(socket, this.#closeGraceMs)
    await serverClosed
    removeUnixSocket(this.path)
  }

  #accept(socket: Socket): void {
    if (this.#closing !== undefined) {
      socket.destroy()
      return
    }
    this.#sockets.add(socket)
    this.#readers.add(socket)
    this.#readersAccepted++
    this.#log(`Output reader connected (${this.#readers.size} total)`)
    // A reader vanishing mid-write (EPIPE, ECONNRESET) is routine; 'close' follows and does the bookkeeping.
    socket.on('error', () => {})
    socket.on('close', () => {
      this.#sockets.delete(socket)
      if (this.#readers.delete(socket)) {
        this.#log(`Output reader disconnected (${this.#readers.size} total)`)
      }
    })
    // Readers have nothing to say; whatever they send is read and thrown away so it cannot pile up.
    socket.resume()
  }

  #drop(socket: Socket): void {
    this.#readers.delete(socket)
    this.#readersDropped++
    this.#linesDropped++
    this.#log(`Output reader dropped: too slow (${this.#readers.size} total)`)
    this.#retire(socket, this.#dropGraceMs)
  }

  /**
   * End the socket after its queued whole lines; destroy it if that takes longer than `graceMs`.
   *
   * 'finish' means the kernel has taken every queued byte. On a Unix socket those bytes already sit in the
   * reader's receive queue, where closing our end does not discard them: the reader reads them, then EOF. So the
   * connection is closed right then, without waiting for the reader to close its side.
   */
  #retire(socket: Socket, graceMs: number): void {
    if (socket.destroyed) return
    socket.once('finish', () => socket.destroy())
    socket.end()
    const timer = setTimeout(() => socket.destroy(), graceMs)
    // The timer alone must not keep the process alive.
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }
}

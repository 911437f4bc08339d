/**
 * A lossless sink over a Writable stream: stdout, in practice.
 *
 * Lossless means two things here. No line is skipped while the stream works, and memory stays bounded when the
 * stream is slower than the events: when `write()` returns false (the stream's buffer passed its high-water mark),
 * the sink hands the hub a promise that resolves on 'drain', the HTTP handler awaits it, and hook callers wait
 * instead of lines piling up in memory.
 *
 * A note on stdout: on Linux, Node makes stdout writes to files and pipes synchronous (blocking), so a slow pipe
 * reader blocks the process inside `write()` and 'drain' never matters. It matters for TTYs on Windows, sockets,
 * and any other asynchronous Writable the app passes in.
 *
 * When the reader goes away (`observatory serve | head -5`: once head exits, writes fail with EPIPE), the sink
 * stops writing, says so once on stderr, and from then on accepts and discards lines at once: the observatory
 * keeps serving hooks and feeding its other outputs, and nobody waits for a 'drain' that will never come.
 */
import type { Writable } from 'node:stream'
import type { EventMeta, Sink } from '../server/hub.ts'

/** Turns the compact line into what the stream receives (pretty JSON, YAML...). */
export type LineFormatter = (line: string, meta: EventMeta) => string | Uint8Array

export interface StreamSinkOptions {
  /** For log messages. Default "stdout". */
  name?: string
  /** Default: the compact line itself. */
  format?: LineFormatter
  /** Where the one "stream closed" message goes. Default: stderr. */
  log?: (message: string) => void
  /** End the stream on `close()`. Default false: ending `process.stdout` is not ours to do. */
  end?: boolean
}

export interface StreamSinkCounters {
  /** Lines handed to the stream. */
  linesWritten: number
  /** Lines discarded because the stream had failed or closed. */
  linesDiscarded: number
  /** How many times a write had to wait for 'drain'. */
  drainWaits: number
}

const identity: LineFormatter = (line) => line

export class StreamSink implements Sink {
  readonly name: string
  readonly lossless = true
  readonly #stream: Writable
  readonly #format: LineFormatter
  readonly #log: (message: string) => void
  /** Lines of the current event-loop turn, written together at its end. */
  #pending: (string | Uint8Array)[] = []
  #turn: Promise<void> | undefined
  #turnDone: (() => void) | undefined
  readonly #end: boolean
  /** Shared by every write made while the stream's buffer is over its high-water mark. */
  #drained: Promise<void> | undefined
  #release: (() => void) | undefined
  #broken = false
  #closed = false
  #linesWritten = 0
  #linesDiscarded = 0
  #drainWaits = 0

  constructor(stream: Writable, options: StreamSinkOptions = {}) {
    this.#stream = stream
    this.name = options.name ?? 'stdout'
    this.#format = options.format ?? identity
    this.#log = options.log ?? ((message) => process.stderr.write(`${message}\n`))
    this.#end = options.end ?? false
    // Without an 'error' listener an EPIPE on stdout would crash the process. This one stays attached even after
    // close(): a write that was still in flight can fail later, and that must not crash the process either.
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
    stream.on('drain', this.#onDrain)
  }

  /** True once the stream failed or closed: lines are discarded from then on. */
  get broken(): boolean {
    return this.#broken
  }

  get counters(): StreamSinkCounters {
    return {
      linesWritten: this.#linesWritten,
      linesDiscarded: this.#linesDiscarded,
      drainWaits: this.#drainWaits,
    }
  }

  write(line: string, meta: EventMeta): void | Promise<void> {
    if (this.#broken || this.#closed || this.#stream.destroyed || this.#stream.writableEnded) {
      this.#linesDiscarded++
      return
    }
    this.#pending.push(this.#format(line, meta))
    this.#linesWritten++
    // why: the lines of one event-loop turn leave in one write. Under load many requests complete in the same
    // turn, and a write per line was a syscall per event (bench/observatory.ts); at low rates a turn holds one
    // line and the only cost is waiting for the end of the turn (setImmediate), well under a millisecond.
    if (this.#turn === undefined) {
      this.#turn = new Promise<void>((resolve) => {
        this.#turnDone = resolve
      })
      setImmediate(this.#flush)
    }
    return this.#turn
  }

  /** Hand this turn's lines to the stream; their callers resume once it took them (or after 'drain'). */
  readonly #flush = (): void => {
    const parts = this.#pending
    const done = this.#turnDone
    this.#pending = []
    this.#turn = undefined
    this.#turnDone = undefined
    if (
      parts.length === 0 ||
      this.#broken ||
      this.#stream.destroyed ||
      this.#stream.writableEnded
    ) {
      done?.()
      return
    }
    const data =
      parts.length === 1
        ? parts[0]!
        : parts.every((p) => typeof p === 'string')
          ? (parts as string[]).join('')
          : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)))
    // Written even while waiting for 'drain': the stream queues it in order, and these callers wait like the
    // earlier ones. The queue cannot grow past one turn of lines per waiting turn, and turns are bounded (each
    // line is an HTTP request in flight).
    const accepted = this.#stream.write(data)
    if (accepted && this.#drained === undefined) done?.()
    else void this.#waitForDrain().then(done)
  }

  /** Wait until what was written was handed on (no 'drain' pending), then end the stream if asked to. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#turn !== undefined) this.#flush()
    if (this.#drained !== undefined) await this.#drained
    this.#stream.off('close', this.#onClose)
    this.#stream.off('drain', this.#onDrain)
    if (this.#end && !this.#broken && !this.#stream.writableEnded) {
      // end()'s callback runs on 'finish', or with the error if the stream fails first.
      await new Promise<void>((resolve) => this.#stream.end(() => resolve()))
    }
  }

  #waitForDrain(): Promise<void> {
    if (this.#drained === undefined) {
      this.#drainWaits++
      this.#drained = new Promise<void>((resolve) => {
        this.#release = resolve
      })
    }
    return this.#drained
  }

  #wake(): void {
    const release = this.#release
    this.#drained = undefined
    this.#release = undefined
    release?.()
  }

  readonly #onDrain = (): void => {
    this.#wake()
  }

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    if (!this.#broken) {
      this.#broken = true
      const why =
        error.code === 'EPIPE' ? 'its reader went away (EPIPE)' : `it failed: ${error.message}`
      this.#log(`Output ${this.name} stopped: ${why}; its events are discarded from now on`)
    }
    // Nobody may wait forever for a 'drain' that a failed stream will never emit.
    this.#wake()
  }

  readonly #onClose = (): void => {
    if (!this.#broken && !this.#closed) {
      this.#broken = true
      this.#log(
        `Output ${this.name} stopped: the stream was closed; its events are discarded from now on`,
      )
    }
    this.#wake()
  }
}

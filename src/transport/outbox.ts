/**
 * The write side of one connection. While the driver processes one chunk (or one 'drain'), what it writes
 * collects here and leaves in one write at the end: a batch of pipelined responses to sync handlers becomes one
 * system call. Responses that handlers' Promises deliver (microtasks, after the chunk's batch has gone) can be
 * held until the microtask queue has drained (`flushSoon`): pipelined responses to async handlers leave in one
 * write too. Otherwise each write goes straight to the socket. When the socket's buffer is full, `onBlocked` is
 * told (the driver then stops reading until 'drain').
 */
import type { Socket } from 'node:net'
import type { WireTrace } from './trace.ts'

export class Outbox {
  /** True while a chunk (or a 'drain') is processed: writes collect, `flush()` sends them. */
  batching = false
  /** A `flushSoon` is pending: writes collect until it runs (so they stay in order behind what it holds). */
  private scheduled = false
  private chunks: Uint8Array[] = []
  private bytes = 0
  private readonly socket: Socket
  private readonly id: number
  private readonly trace: WireTrace | undefined
  private readonly onBlocked: () => void

  constructor(socket: Socket, id: number, trace: WireTrace | undefined, onBlocked: () => void) {
    this.socket = socket
    this.id = id
    this.trace = trace
    this.onBlocked = onBlocked
  }

  writeAll(chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.write(chunk)
  }

  write(chunk: Uint8Array): void {
    this.trace?.sent(this.id, chunk)
    if (this.batching || this.scheduled) {
      this.chunks.push(chunk)
      this.bytes += chunk.length
      // A full batch goes now, so the socket's write buffer (and the blocked signal) still bound what piles up.
      if (this.bytes >= this.socket.writableHighWaterMark) this.flush()
      return
    }
    if (!this.socket.write(chunk)) this.onBlocked()
  }

  /**
   * Write what the batch collected: one buffer in one write, or a corked writev for large pieces.
   * why: cheaper than corking the socket for every chunk and letting Writable gather the pieces
   * (bench/server-instructions.ts, ours-raw hello: 47.3k → 46.3k instructions a request one at a time,
   * 31.3k → 30.7k pipelined 16 deep).
   */
  flush(): void {
    const box = this.chunks
    if (box.length === 0) return
    const bytes = this.bytes
    this.bytes = 0
    const socket = this.socket
    let ok: boolean
    if (box.length === 1) {
      // why: the usual case (one response per read, or per settled Promise) keeps its array: no allocation.
      const only = box[0]!
      box.length = 0
      if (socket.destroyed) return
      ok = socket.write(only)
    } else if (socket.destroyed) {
      this.chunks = []
      return
    } else if (bytes < socket.writableHighWaterMark) {
      this.chunks = []
      ok = socket.write(Buffer.concat(box, bytes))
    } else {
      this.chunks = []
      socket.cork()
      ok = true
      for (const chunk of box) ok = socket.write(chunk) && ok
      socket.uncork()
    }
    if (!ok) this.onBlocked()
  }

  /**
   * Write what was collected once the current microtask queue has drained, not now. A `process.nextTick`
   * queued from a microtask runs after the whole microtask queue (Node runs ticks, then microtasks, then the
   * ticks those queued): every response a chain of already-settled Promises produces in this turn joins the
   * batch, and one that waits for I/O does not hold the others back beyond this turn. The batch stays bounded by
   * the socket's high-water mark (`write` flushes a full batch at once), so backpressure is unchanged.
   * why: pipelined ×16 to an async handler made 16 `socket.write` calls (one per Promise); now 1
   * (test/transport/async-batching.test.ts counts them). Measured under wrk it changed neither the write system
   * calls (strace -c: one per batch before and after) nor the user-space instructions (server-instructions
   * --depth 16: 42.1k both): it guarantees one write per turn rather than relying on the socket to coalesce.
   */
  flushSoon(): void {
    if (this.scheduled || this.chunks.length === 0) return
    this.scheduled = true
    process.nextTick(flushScheduled, this)
  }

  /** Called by the tick `flushSoon` queued. */
  flushNow(): void {
    this.scheduled = false
    this.flush()
  }

  /** Resolves on the socket's next 'drain' (or 'close'): a streaming response waits here between pieces. */
  drained(): Promise<void> {
    return drainOrClose(this.socket)
  }
}

function flushScheduled(outbox: Outbox): void {
  outbox.flushNow()
}

/** Resolves on the stream's next 'drain' or 'close', whichever comes first. Shared by both engines. */
export function drainOrClose(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

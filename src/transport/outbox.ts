/**
 * The write side of one connection. While the driver processes one chunk (or one 'drain'), what it writes
 * collects here and leaves in one write at the end: a batch of pipelined responses to sync handlers becomes one
 * system call. Outside a batch, each write goes straight to the socket. When the socket's buffer is full,
 * `onBlocked` is told (the driver then stops reading until 'drain').
 */
import type { Socket } from 'node:net'
import type { WireTrace } from './trace.ts'

export class Outbox {
  /** True while a chunk (or a 'drain') is processed: writes collect, `flush()` sends them. */
  batching = false
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
    if (this.batching) {
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
    this.chunks = []
    this.bytes = 0
    const socket = this.socket
    if (socket.destroyed) return
    let ok: boolean
    if (box.length === 1) {
      ok = socket.write(box[0]!)
    } else if (bytes < socket.writableHighWaterMark) {
      ok = socket.write(Buffer.concat(box, bytes))
    } else {
      socket.cork()
      ok = true
      for (const chunk of box) ok = socket.write(chunk) && ok
      socket.uncork()
    }
    if (!ok) this.onBlocked()
  }

  /** Resolves on the socket's next 'drain' (or 'close'): a streaming response waits here between pieces. */
  drained(): Promise<void> {
    return drainOrClose(this.socket)
  }
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

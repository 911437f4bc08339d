/**
 * # How bytes come off the socket
 *
 * node:net's usual read path allocates a new Buffer for every read and carries it through the Readable
 * stream machinery (`push`, the buffer list, a `'data'` event). Node has a second path: with the `onread`
 * option, the kernel reads into one buffer the caller owns, and a callback gets the byte count, with no
 * allocation and no stream bookkeeping. Node documents it for client sockets only (`net.connect({ onread })`);
 * the Socket constructor implements it by setting two symbol-keyed fields and telling the handle to read into
 * that buffer (`useUserBuffer`). An accepted socket has no option for it, so `startReading` does the same two
 * steps itself, after checking that this Node.js has exactly those fields (found on a probe socket built with
 * the public option). When anything is missing, it falls back to `'data'` events: same behaviour, slower.
 *
 * why: measured with bench/read-path.bench.ts (wrk, pinned, 3 interleaved rounds): hello keep-alive 1.19× the
 * req/s of the `'data'` path (13.8 vs 16.6 µs of CPU per request), Connection: close 1.08×; echo and pipelined
 * unchanged (there the reads are few or large, and their cost is elsewhere).
 *
 * The price: a chunk handed to the sink is a view of memory that the next read on any connection overwrites.
 * Whatever must outlive the call (unparsed bytes, body data) has to be copied; the driver does that
 * (`ServerConnection.keepBuffered`, and a copy of each body piece).
 *
 * Pausing still works through `socket.pause()` / `resume()`: with the shared buffer, net.Socket stops and
 * restarts the handle's reading itself. The end of input is still the socket's `'end'` event.
 */
import { Socket, type SocketConstructorOpts } from 'node:net'

/** Receives every chunk read from the socket. */
export type ChunkSink = (chunk: Buffer) => void

export type ReadPath = 'shared-buffer' | 'stream'

// why: 64 KiB is what Node allocates for each read on its default path, so one read takes as much here.
const SHARED_SIZE = 64 * 1024

interface UserBufferFields {
  readonly buffer: symbol
  readonly callback: symbol
}

let detected: UserBufferFields | null | undefined
let shared: Buffer | undefined

/** The two fields the Socket constructor sets for `onread`, or null when this Node.js does it differently. */
function userBufferFields(): UserBufferFields | null {
  if (detected !== undefined) return detected
  detected = null
  try {
    const buffer = Buffer.alloc(1)
    const callback = (): void => undefined
    // The constructor takes `onread` (net.connect passes it through), though @types/node only types it there.
    const options = { onread: { buffer, callback } } as SocketConstructorOpts
    const probe = new Socket(options)
    const record = probe as unknown as Record<symbol, unknown>
    let bufferKey: symbol | undefined
    let callbackKey: symbol | undefined
    for (const key of Object.getOwnPropertySymbols(probe)) {
      if (key.description === 'kBuffer' && record[key] === buffer) bufferKey = key
      else if (key.description === 'kBufferCb' && record[key] === callback) callbackKey = key
    }
    probe.destroy()
    if (bufferKey !== undefined && callbackKey !== undefined) {
      detected = { buffer: bufferKey, callback: callbackKey }
    }
  } catch {
    detected = null
  }
  return detected
}

interface StreamHandle {
  useUserBuffer?: (buffer: Uint8Array) => void
}

/** Whether `startReading` can use the shared buffer on this Node.js. */
export function sharedBufferSupported(): boolean {
  return userBufferFields() !== null
}

/**
 * Deliver the socket's input to `sink`. With `'shared-buffer'` (when supported) each chunk is a view valid only
 * during the call; the returned path says which one is in use, so the caller knows whether it must copy.
 * Call it in the `'connection'` listener, before the first read completes (reads complete in a later turn).
 */
export function startReading(socket: Socket, sink: ChunkSink, preferred: ReadPath): ReadPath {
  const fields = preferred === 'shared-buffer' ? userBufferFields() : null
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle
  if (fields !== null && typeof handle?.useUserBuffer === 'function') {
    shared ??= Buffer.allocUnsafe(SHARED_SIZE)
    const buffer = shared
    const record = socket as unknown as Record<symbol, unknown>
    record[fields.buffer] = buffer
    record[fields.callback] = (length: number): void => {
      sink(buffer.subarray(0, length))
    }
    handle.useUserBuffer(buffer)
    // Reading may not have started (a socket accepted with pauseOnConnect): start it as net.Socket would.
    socket.resume()
    return 'shared-buffer'
  }
  socket.on('data', sink)
  return 'stream'
}

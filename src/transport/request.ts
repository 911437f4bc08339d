/**
 * The request object handed to handlers. Its body arrives later than its head, piece by piece, pushed by the
 * connection driver; the handler pulls it with `body()` (all at once) or `stream()` (piece by piece).
 *
 * Backpressure on the read side: the driver stops reading the socket while more than `highWaterMark` bytes
 * of body wait here unread, and resumes when the handler pulls them (`onDrain`).
 */
import type { HeaderFields, RequestEvent } from '../protocol/index.ts'
import type { Peer, Request } from './types.ts'

/** Thrown by `body()` / `stream()`; `status` is what the server answers when the handler lets it propagate. */
export class RequestBodyError extends Error {
  override name = 'RequestBodyError'
  readonly status: number
  readonly expose = true
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options)
    this.status = status
  }
}

export interface BodyHooks {
  /** The handler wants the body: send `100 Continue` if the client waits for it. */
  onWantBody(request: IncomingRequest): void
  /** The handler consumed buffered body bytes: the driver may read the socket again. */
  onDrain(): void
}

const EMPTY = new Uint8Array(0)

/**
 * The two ways a handler reads a body, `body()` (whole) and `stream()` (piece by piece), over one source of
 * chunks (`pull`), with the size limit enforced alike. Both engines' request objects extend it: the raw engine's
 * chunks are pushed by its driver, the node:http adapter's are read from an IncomingMessage.
 */
export abstract class BodyConsumer {
  abstract readonly contentLength: number | undefined
  protected abstract readonly maxBodySize: number
  protected consumer: 'none' | 'body' | 'stream' = 'none'
  #whole: Promise<Uint8Array> | undefined

  body(limit: number = this.maxBodySize): Promise<Uint8Array> {
    if (this.#whole !== undefined) return this.#whole
    if (this.consumer === 'stream') {
      return Promise.reject(new Error('the body is already being read as a stream'))
    }
    this.consumer = 'body'
    this.#whole = this.collect(limit)
    return this.#whole
  }

  stream(limit: number = this.maxBodySize): AsyncIterable<Uint8Array> {
    if (this.consumer !== 'none') throw new Error('the body has already been read')
    this.consumer = 'stream'
    if (this.contentLength !== undefined && this.contentLength > limit) {
      const error = tooLarge(limit)
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
      }
    }
    return this.pull(limit)
  }

  /** The body's chunks as they arrive; throws `tooLarge(limit)` once more than `limit` bytes came. */
  protected abstract pull(limit: number): AsyncGenerator<Uint8Array>

  /** The whole body (`body()`); engines may do it more directly than through `pull`. */
  protected collect(limit: number): Promise<Uint8Array> {
    return this.collectPulled(limit)
  }

  private async collectPulled(limit: number): Promise<Uint8Array> {
    if (this.contentLength !== undefined && this.contentLength > limit) throw tooLarge(limit)
    const parts: Uint8Array[] = []
    let total = 0
    for await (const chunk of this.pull(limit)) {
      parts.push(chunk)
      total += chunk.length
    }
    return joined(parts, total)
  }
}

/** The pieces as one: the piece itself when there is one (no copy), a concatenation otherwise. */
function joined(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 0) return EMPTY
  if (parts.length === 1) return parts[0]!
  return Buffer.concat(parts, total)
}

/** A pending `body()`: settled by the driver's pushes (`end`, `fail`). */
interface Collector {
  readonly resolve: (body: Uint8Array) => void
  readonly reject: (error: Error) => void
  readonly limit: number
}

export class IncomingRequest extends BodyConsumer implements Request {
  readonly method: string
  readonly target: string
  readonly path: string
  readonly query: string
  readonly version: '1.0' | '1.1'
  readonly headers: HeaderFields
  readonly peer: Peer
  readonly contentLength: number | undefined
  readonly hasBody: boolean

  // why: an AbortController costs about 3 µs and a few hundred bytes on Node 20, 15% of a hello-world request
  // in the profile (bench/results); most handlers never look at the signal, so it is made on first access.
  private abortController: AbortController | undefined
  private abortReason: Error | undefined
  private readonly hooks: BodyHooks
  protected readonly maxBodySize: number
  private chunks: Uint8Array[] = []
  private buffered = 0
  private received = 0
  private ended = false
  private failure: Error | undefined
  private wake: (() => void) | undefined
  /** Set while `body()` waits for the rest of the body. */
  private collector: Collector | undefined
  /** Bytes the driver keeps here before it stops reading the socket. */
  readonly highWaterMark: number

  constructor(
    event: RequestEvent,
    peer: Peer,
    hooks: BodyHooks,
    maxBodySize: number,
    highWaterMark = 64 * 1024,
  ) {
    super()
    this.method = event.method
    this.target = event.target
    this.version = event.version
    this.headers = event.headers
    this.peer = peer
    this.contentLength = event.contentLength
    this.hasBody = event.chunked || (event.contentLength ?? 0) > 0
    this.ended = !this.hasBody
    this.hooks = hooks
    this.maxBodySize = maxBodySize
    this.highWaterMark = highWaterMark
    const [path, query] = splitTarget(event.target)
    this.path = path
    this.query = query
  }

  /** Aborted when the client goes away before the response is complete. */
  get signal(): AbortSignal {
    if (this.abortController === undefined) {
      this.abortController = new AbortController()
      if (this.abortReason !== undefined) this.abortController.abort(this.abortReason)
    }
    return this.abortController.signal
  }

  /** Bytes received and not yet pulled by the handler. */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** True once the handler called `body()` or `stream()`. */
  get bodyWanted(): boolean {
    return this.consumer !== 'none'
  }

  /** True when the whole body has been received (or there is none). */
  get complete(): boolean {
    return this.ended
  }

  // ---- driver side -------------------------------------------------------------------------------

  push(data: Uint8Array): void {
    if (this.failure !== undefined) return
    this.chunks.push(data)
    this.received += data.length
    const collector = this.collector
    if (collector !== undefined) {
      // `body()` takes everything (up to its limit): nothing waits unread, so the driver never pauses for it.
      if (this.received > collector.limit) this.fail(tooLarge(collector.limit))
      return
    }
    this.buffered += data.length
    this.wake?.()
  }

  end(): void {
    this.ended = true
    const collector = this.collector
    if (collector !== undefined) {
      this.collector = undefined
      collector.resolve(this.takeAll())
      return
    }
    this.wake?.()
  }

  /** The body could not be read (protocol error, client gone): pending and later reads reject with `error`. */
  fail(error: Error): void {
    if (this.failure !== undefined || (this.ended && this.chunks.length === 0)) return
    this.failure = error
    this.chunks = []
    this.buffered = 0
    const collector = this.collector
    if (collector !== undefined) {
      this.collector = undefined
      collector.reject(error)
    }
    this.wake?.()
  }

  /** The client went away or the exchange was cut short. */
  abort(reason: Error): void {
    if (this.abortReason === undefined) {
      this.abortReason = reason
      this.abortController?.abort(reason)
    }
    if (!this.ended) this.fail(reason)
  }

  // ---- handler side ------------------------------------------------------------------------------

  /**
   * `body()` without the async generator: resolved at once when the body is already here, else by `end()`.
   * why: for await over `pull` made an async generator, a Promise per step and a wake-up Promise per read; one
   * Promise now. bench/body.bench.ts (quiet machine): async handler reading a 1 KB JSON body 12.8 → 11.4 µs.
   */
  protected override collect(limit: number): Promise<Uint8Array> {
    if (this.contentLength !== undefined && this.contentLength > limit) {
      return Promise.reject(tooLarge(limit))
    }
    if (this.hasBody) this.hooks.onWantBody(this)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.received > limit) {
      const error = tooLarge(limit)
      this.fail(error)
      return Promise.reject(error)
    }
    const drained = this.buffered > 0
    this.buffered = 0
    if (drained) this.hooks.onDrain()
    if (this.ended) return Promise.resolve(this.takeAll())
    return new Promise<Uint8Array>((resolve, reject) => {
      this.collector = { resolve, reject, limit }
    })
  }

  /** Everything received, as one piece; the request keeps nothing. */
  private takeAll(): Uint8Array {
    const chunks = this.chunks
    this.chunks = []
    return joined(chunks, this.received)
  }

  protected async *pull(limit: number): AsyncGenerator<Uint8Array> {
    if (this.hasBody) this.hooks.onWantBody(this)
    let seen = 0
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      if (this.chunks.length > 0) {
        const chunks = this.chunks
        this.chunks = []
        this.buffered = 0
        this.hooks.onDrain()
        for (const chunk of chunks) {
          seen += chunk.length
          if (seen > limit) throw tooLarge(limit)
          yield chunk
        }
        continue
      }
      if (this.ended) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
      this.wake = undefined
    }
  }
}

/** The error for a body over `limit` bytes: 413 Content Too Large (RFC 9110 §15.5.14). */
export function tooLarge(limit: number): RequestBodyError {
  return new RequestBodyError(`request body exceeds ${limit} bytes`, 413)
}

/**
 * Split a request-target into path and query (RFC 9112 §3.2). For absolute-form (`http://host/p?q`) the path
 * is the URI's path; for authority-form and `*`, the path is the target itself and the query empty.
 */
export function splitTarget(target: string): [path: string, query: string] {
  let start = 0
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = target.indexOf('://')
    if (scheme === -1) return [target, '']
    const slash = target.indexOf('/', scheme + 3)
    const question = target.indexOf('?', scheme + 3)
    if (slash === -1 || (question !== -1 && question < slash)) {
      return ['/', question === -1 ? '' : target.slice(question + 1)]
    }
    start = slash
  }
  const q = target.indexOf('?', start)
  if (q === -1) return [start === 0 ? target : target.slice(start), '']
  return [target.slice(start, q), target.slice(q + 1)]
}

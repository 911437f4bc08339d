/**
 * The event hub: one encoded line in, many outputs out.
 *
 * Every hook event is encoded exactly once (a compact JSON line ending in "\n") before it reaches the hub; the hub
 * hands that same string to every output. Outputs come in two kinds, and the difference is the whole design:
 *
 * - **Lossless sinks** (stdout, the log file) must see every line. `publish()` returns a promise that settles once
 *   each of them has accepted the line, and the HTTP handler awaits it before answering 200. A slow lossless sink
 *   therefore slows the hook callers down (backpressure) instead of growing memory without bound.
 * - **Lossy consumers** (output-socket readers, live web page clients) must never slow anybody down. They are fed
 *   synchronously, never awaited, and each has a bounded buffer: whoever cannot keep up loses lines (or is
 *   disconnected) and a counter says so.
 *
 * In-process live consumers use `subscribe()`; out-of-process ones are lossy `Sink`s such as the output socket.
 */
import type { Stats } from './stats.ts'

/** What the hub knows about a line without parsing it again. */
export interface EventMeta {
  /** The hook event name, from `?event=NAME`. */
  event: string
  /** When the server received the event. */
  ts: Date
  /** The payload's `tool_name`, when it has one (for the top-tools statistics). */
  tool?: string
  /** The payload's `tool_use_id`, when it has one (top tools count a call once: stats.ts). */
  toolUseId?: string
  /** The event's id (the store's, or a counter of this run without one): the live stream's SSE `id:`. */
  id?: number
}

/** An output the hub writes every line to. */
export interface Sink {
  /** Short name for log messages ("stdout", "log-file", "output-socket"). */
  readonly name: string
  /**
   * True: `publish()` waits for `write()`'s promise, and an error fails the publish. False: `write()` is called
   * and forgotten; it must not block, must bound its own memory, and its errors are only logged.
   */
  readonly lossless: boolean
  /**
   * Take one line (compact JSON ending in "\n"). Return nothing when the line was accepted synchronously (the
   * cheap, common case) or a promise that resolves once it was.
   */
  write(line: string, meta: EventMeta): void | Promise<void>
  /** Flush what is buffered and release the resources. Called once, by `EventHub.close()`. */
  close(): Promise<void>
}

/**
 * An in-process live consumer. Return nothing when the line was handled at once; return a promise when the
 * consumer is congested (a web client's response buffer is full, say): until it settles, further lines wait in the
 * subscription's bounded queue.
 */
export type HubListener = (line: string, meta: EventMeta) => void | Promise<void>

/** Why a subscription ended. */
export type SubscriptionEndReason = 'unsubscribed' | 'overflow' | 'error' | 'hub-closed'

export interface SubscribeOptions {
  /** Most lines waiting for a congested listener. Default 1024. */
  maxQueuedLines?: number
  /** Most bytes (UTF-16 code units, cheap to count) waiting for a congested listener. Default 1 MiB. */
  maxQueuedBytes?: number
  /**
   * What a full queue does to the next line. `'drop-line'` (default): that line is skipped for this subscriber
   * and counted, the subscription lives on (the consumer sees a gap it can report). `'close'`: the subscription
   * ends with reason `'overflow'`, like an output-socket reader that is too slow.
   */
  overflow?: 'drop-line' | 'close'
  /** Called once when the subscription ends, whatever the reason (not when it is already ended). */
  onEnd?: (reason: SubscriptionEndReason) => void
}

/** A handle on one subscriber. */
export interface Subscription {
  /** Lines this subscriber did not get because its queue was full. */
  readonly dropped: number
  /** Lines waiting for the listener right now. */
  readonly queued: number
  /** False once ended (unsubscribed, overflowed, listener failed, hub closed). */
  readonly active: boolean
  /** Stop receiving lines. Idempotent. */
  unsubscribe(): void
}

export interface EventHubOptions {
  /** Fed with every published event's metadata. */
  stats?: Stats
  /** Where problems with lossy consumers are reported (one line each). Default: stderr. */
  log?: (message: string) => void
}

/** Counters about the in-process subscribers, for the stats endpoint. */
export interface HubCounters {
  published: number
  subscribers: number
  subscribersDropped: number
  subscriberLinesDropped: number
}

/** Shared by every publish that had nothing to wait for: no allocation, no extra promise per event. */
const DONE: Promise<void> = Promise.resolve()

const defaultLog = (message: string): void => {
  process.stderr.write(`${message}\n`)
}

export class EventHub {
  readonly #lossless: Sink[] = []
  readonly #lossy: Sink[] = []
  readonly #subscribers = new Set<Subscriber>()
  readonly #stats: Stats | undefined
  readonly #log: (message: string) => void
  #closed = false
  #published = 0
  #subscribersDropped = 0
  #subscriberLinesDropped = 0

  constructor(options: EventHubOptions = {}) {
    this.#stats = options.stats
    this.#log = options.log ?? defaultLog
  }

  /** Add an output. Lines published before this call are not replayed to it. */
  addSink(sink: Sink): void {
    if (this.#closed) throw new Error('EventHub is closed')
    ;(sink.lossless ? this.#lossless : this.#lossy).push(sink)
  }

  /**
   * Hand `line` to every output. Resolves once every lossless sink accepted it; rejects with the first lossless
   * sink's error (the others still got the line). Lossy sinks and subscribers are fed before this returns and
   * are never waited for.
   *
   * Cost: when every lossless sink accepts synchronously, this returns one shared, already-resolved promise:
   * no `Promise.all`, no new promise, nothing queued on the microtask queue by the hub itself.
   */
  publish(line: string, meta: EventMeta): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('EventHub is closed'))
    this.#published++
    this.#stats?.record(meta)

    // Lossless first: they are what the caller waits for, so their I/O starts as early as possible.
    let first: Promise<void> | undefined
    let more: Promise<void>[] | undefined
    for (const sink of this.#lossless) {
      let pending: void | Promise<void>
      try {
        pending = sink.write(line, meta)
      } catch (error) {
        pending = Promise.reject(error)
      }
      if (pending === undefined) continue
      if (first === undefined) first = pending
      else if (more === undefined) more = [first, pending]
      else more.push(pending)
    }

    for (const sink of this.#lossy) {
      try {
        // A lossy sink returns nothing; if one returns a promise anyway, its failure must not go unhandled.
        const pending = sink.write(line, meta)
        if (pending !== undefined) pending.catch((error) => this.#lossyFailed(sink.name, error))
      } catch (error) {
        this.#lossyFailed(sink.name, error)
      }
    }

    for (const subscriber of this.#subscribers) subscriber.push(line, meta)

    if (more !== undefined) return Promise.all(more).then(noop)
    return first ?? DONE
  }

  /**
   * Receive every line published from now on, in order, in this process. The listener runs synchronously inside
   * `publish()`, so it must be quick; slow work belongs behind the promise it may return.
   */
  subscribe(listener: HubListener, options: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw new Error('EventHub is closed')
    const subscriber = new Subscriber(listener, options, {
      ended: (s, reason, error) => {
        this.#subscribers.delete(s)
        if (reason === 'overflow') this.#subscribersDropped++
        if (reason === 'error') {
          this.#log(`Live subscriber removed: its listener failed: ${describe(error)}`)
        }
      },
      droppedLine: () => {
        this.#subscriberLinesDropped++
      },
    })
    this.#subscribers.add(subscriber)
    return subscriber
  }

  /** Counters about subscribers and publishing, for the stats endpoint. */
  get counters(): HubCounters {
    return {
      published: this.#published,
      subscribers: this.#subscribers.size,
      subscribersDropped: this.#subscribersDropped,
      subscriberLinesDropped: this.#subscriberLinesDropped,
    }
  }

  /**
   * End every subscription, then flush and close every sink (all of them, even when one fails). Rejects with the
   * first sink's close error, after the others were closed. Publishing afterwards rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const subscriber of [...this.#subscribers]) subscriber.end('hub-closed')
    const sinks = [...this.#lossless, ...this.#lossy]
    const results = await Promise.allSettled(sinks.map((sink) => sink.close()))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  #lossyFailed(name: string, error: unknown): void {
    this.#log(`Output ${name} failed to take an event: ${describe(error)}`)
  }
}

function noop(): void {}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface SubscriberHooks {
  ended(subscriber: Subscriber, reason: SubscriptionEndReason, error?: unknown): void
  droppedLine(): void
}

/**
 * One subscriber and its bounded queue. Lines go straight to the listener while it keeps up (it returns nothing);
 * once it returns a promise, later lines queue until that promise settles, then are delivered in order.
 */
class Subscriber implements Subscription {
  readonly #listener: HubListener
  readonly #maxLines: number
  readonly #maxBytes: number
  readonly #closeOnOverflow: boolean
  readonly #onEnd: ((reason: SubscriptionEndReason) => void) | undefined
  readonly #hooks: SubscriberHooks
  // A FIFO as an array plus a read index: shift() would be O(n) per line on a long queue.
  #lines: string[] = []
  #metas: EventMeta[] = []
  #head = 0
  #queuedBytes = 0
  #busy = false
  #active = true
  #dropped = 0

  constructor(listener: HubListener, options: SubscribeOptions, hooks: SubscriberHooks) {
    this.#listener = listener
    this.#maxLines = options.maxQueuedLines ?? 1024
    this.#maxBytes = options.maxQueuedBytes ?? 1024 * 1024
    this.#closeOnOverflow = options.overflow === 'close'
    this.#onEnd = options.onEnd
    this.#hooks = hooks
  }

  get dropped(): number {
    return this.#dropped
  }

  get queued(): number {
    return this.#lines.length - this.#head
  }

  get active(): boolean {
    return this.#active
  }

  unsubscribe(): void {
    this.end('unsubscribed')
  }

  push(line: string, meta: EventMeta): void {
    if (!this.#active) return
    if (!this.#busy) {
      this.#deliver(line, meta)
      return
    }
    if (this.queued >= this.#maxLines || this.#queuedBytes + line.length > this.#maxBytes) {
      this.#dropped++
      this.#hooks.droppedLine()
      if (this.#closeOnOverflow) this.end('overflow')
      return
    }
    this.#lines.push(line)
    this.#metas.push(meta)
    this.#queuedBytes += line.length
  }

  end(reason: SubscriptionEndReason, error?: unknown): void {
    if (!this.#active) return
    this.#active = false
    this.#lines = []
    this.#metas = []
    this.#head = 0
    this.#queuedBytes = 0
    this.#hooks.ended(this, reason, error)
    this.#onEnd?.(reason)
  }

  /** Call the listener; if it answers with a promise, hold further lines until it settles. */
  #deliver(line: string, meta: EventMeta): void {
    let pending: void | Promise<void>
    try {
      pending = this.#listener(line, meta)
    } catch (error) {
      this.end('error', error)
      return
    }
    if (pending === undefined) return
    this.#busy = true
    pending.then(
      () => this.#resume(),
      (error: unknown) => this.end('error', error),
    )
  }

  /** The listener caught up: hand it queued lines until it is congested again or the queue is empty. */
  #resume(): void {
    this.#busy = false
    while (this.#active && !this.#busy && this.#head < this.#lines.length) {
      const line = this.#lines[this.#head]!
      const meta = this.#metas[this.#head]!
      this.#head++
      this.#queuedBytes -= line.length
      this.#deliver(line, meta)
    }
    if (this.#head === this.#lines.length) {
      this.#lines = []
      this.#metas = []
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#lines.length) {
      // Still congested: drop the consumed prefix now and then, so a queue that never empties stays bounded.
      this.#lines = this.#lines.slice(this.#head)
      this.#metas = this.#metas.slice(this.#head)
      this.#head = 0
    }
  }
}

import type { Context } from '../context.ts'
import { HttpError } from '../http-error.ts'
import type { Middleware } from '../types.ts'

/** Options of {@link TokenBuckets}. */
export interface TokenBucketOptions {
  /** Requests a client may make in a burst (the bucket's size). */
  capacity: number
  /** Tokens added back per second. */
  refillPerSecond: number
  /** Clients tracked at most; past it the least recently seen is forgotten. Default 10 000. */
  maxKeys?: number
}

/** The answer of {@link TokenBuckets.take}. */
export interface TakeResult {
  readonly allowed: boolean
  /** Whole tokens left after this request. */
  readonly remaining: number
  /** Seconds until a token is available (0 when allowed). */
  readonly retryAfter: number
  /** Seconds until the bucket is full again. */
  readonly resetAfter: number
}

interface Bucket {
  tokens: number
  /** Milliseconds: when `tokens` was last brought up to date. */
  updated: number
}

/**
 * One token bucket per key, in bounded memory. Buckets are refilled lazily (on use), kept in a Map in
 * least-recently-used order, and evicted from the old end: a bucket idle long enough to be full again is
 * dropped at no loss (a new one is identical), and past `maxKeys` the least recently seen key is forgotten.
 *
 * ```ts
 * const buckets = new TokenBuckets({ capacity: 10, refillPerSecond: 1 })
 * buckets.take('10.0.0.1', Date.now()) // { allowed: true, remaining: 9, ... }
 * ```
 */
export class TokenBuckets {
  readonly capacity: number
  readonly refillPerSecond: number
  readonly maxKeys: number
  readonly #buckets = new Map<string, Bucket>()
  /** Milliseconds an idle bucket takes to fill up. */
  readonly #fillMs: number

  constructor(options: TokenBucketOptions) {
    const { capacity, refillPerSecond } = options
    const maxKeys = options.maxKeys ?? 10_000
    if (!Number.isFinite(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be at least 1, got ${capacity}`)
    }
    if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
      throw new RangeError(`refillPerSecond must be positive, got ${refillPerSecond}`)
    }
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`)
    }
    this.capacity = capacity
    this.refillPerSecond = refillPerSecond
    this.maxKeys = maxKeys
    this.#fillMs = (capacity / refillPerSecond) * 1000
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#buckets.size
  }

  /** Takes a token from `key`'s bucket at time `now` (milliseconds). */
  take(key: string, now: number): TakeResult {
    const buckets = this.#buckets
    let bucket = buckets.get(key)
    if (bucket === undefined) {
      bucket = { tokens: this.capacity, updated: now }
    } else {
      const elapsed = Math.max(0, now - bucket.updated)
      bucket.tokens = Math.min(
        this.capacity,
        bucket.tokens + (elapsed / 1000) * this.refillPerSecond,
      )
      bucket.updated = now
      buckets.delete(key)
    }
    // Re-inserting moves the key to the recent end of the Map's order.
    buckets.set(key, bucket)
    this.#evict(now)

    const allowed = bucket.tokens >= 1
    if (allowed) bucket.tokens -= 1
    const rate = this.refillPerSecond
    return {
      allowed,
      remaining: Math.floor(bucket.tokens),
      retryAfter: allowed ? 0 : Math.ceil((1 - bucket.tokens) / rate),
      resetAfter: Math.ceil((this.capacity - bucket.tokens) / rate),
    }
  }

  /** Drops full buckets from the old end (a few per call: amortized O(1)), then enforces `maxKeys`. */
  #evict(now: number): void {
    const buckets = this.#buckets
    let checked = 0
    for (const [key, bucket] of buckets) {
      if (checked++ === 4 || now - bucket.updated < this.#fillMs) break
      buckets.delete(key)
    }
    while (buckets.size > this.maxKeys) {
      const oldest = buckets.keys().next()
      if (oldest.done === true) break
      buckets.delete(oldest.value)
    }
  }
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions extends TokenBucketOptions {
  /** The client a request counts against. Default: the peer's IP address, or `uid:<n>` on a Unix socket. */
  key?: (c: Context) => string
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number
  /** Name of the policy in the `RateLimit-Policy` and `RateLimit` headers. Default `default`. */
  policy?: string
}

/**
 * Rate limiting with a token bucket per client: bursts up to `capacity`, then `refillPerSecond` requests per
 * second. Over the limit: 429 `{"error":"Too Many Requests"}` with `Retry-After` (seconds). Every response carries
 * the IETF draft headers (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "default";q=<capacity>;w=<seconds
 * to refill>` and `RateLimit: "default";r=<remaining>;t=<seconds until full>`.
 *
 * ```ts
 * app.use(rateLimit({ capacity: 20, refillPerSecond: 5 }))
 * app.use(rateLimit({ capacity: 100, refillPerSecond: 10, key: (c) => c.header('x-api-key') ?? 'anonymous' }))
 * ```
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  const buckets = new TokenBuckets(options)
  const key = options.key ?? peerKey
  const now = options.now ?? Date.now
  const name = JSON.stringify(options.policy ?? 'default')
  const policy = `${name};q=${Math.floor(buckets.capacity)};w=${Math.ceil(buckets.capacity / buckets.refillPerSecond)}`
  return async function rateLimitMiddleware(c, next) {
    const result = buckets.take(key(c), now())
    const state = `${name};r=${result.remaining};t=${result.resetAfter}`
    if (!result.allowed) {
      throw new HttpError(429, 'Too Many Requests', {
        headers: [
          ['retry-after', String(result.retryAfter)],
          ['ratelimit-policy', policy],
          ['ratelimit', state],
        ],
      })
    }
    c.setHeader('ratelimit-policy', policy)
    c.setHeader('ratelimit', state)
    await next()
  }
}

/**
 * The default rate-limit key: the peer's IP address, or its uid on a Unix socket (each local user is one
 * client; `unix:<path>` when the kernel gave no credentials).
 *
 * ```ts
 * rateLimit({ capacity: 10, refillPerSecond: 1, key: (c) => c.header('x-api-key') ?? peerKey(c) })
 * ```
 */
export function peerKey(c: Context): string {
  const peer = c.req.peer
  if (peer.transport === 'tcp') return peer.address
  return peer.uid === undefined ? `unix:${peer.path}` : `uid:${peer.uid}`
}

/** Middleware shipped with the framework. Compression is left out on purpose: see docs/framework.md. */
export { bodyLimit } from './body-limit.ts'
export { type CorsOptions, cors } from './cors.ts'
export {
  peerKey,
  type RateLimitOptions,
  rateLimit,
  type TakeResult,
  type TokenBucketOptions,
  TokenBuckets,
} from './rate-limit.ts'
export { type RequestIdOptions, requestId } from './request-id.ts'
export { type RequestLogEntry, type RequestLoggerOptions, requestLogger } from './request-logger.ts'

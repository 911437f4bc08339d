/**
 * The Date header value (RFC 9110 §6.6.1, IMF-fixdate), computed at most once per second.
 * why: `new Date().toUTCString()` costs about a microsecond; a hello-world response costs a few. Caching it
 * per second removes it from the hot path (node:http and undici cache it the same way).
 */
let cachedSecond = -1
let cachedValue = ''

export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedValue = new Date(second * 1000).toUTCString()
  }
  return cachedValue
}

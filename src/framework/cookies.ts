/**
 * The `Cookie` request header (RFC 6265 §5.4: `name=value` pairs joined by `; `) and `Set-Cookie` values.
 *
 * Parsing is lenient the way browsers are (RFC 6265 §5.2 and RFC 6265bis): a malformed pair is skipped, never
 * an error, because a cookie set by some other application on the same host must not break this one.
 */

/**
 * Cookies of a `Cookie` header as a prototype-less object. For a name sent twice, the first value wins
 * (RFC 6265 §5.4 step 2: the cookie with the longer path, the more specific one, is listed first).
 * Values lose one pair of surrounding double quotes and are percent-decoded when that decodes cleanly
 * (kept as sent otherwise). Pairs without `=` or with an empty name are skipped.
 *
 * ```ts
 * parseCookies('sid=abc; theme="dark"; sid=old; junk') // { sid: 'abc', theme: 'dark' }
 * ```
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (header === undefined || header === '') return out
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim()
      if (name !== '' && !(name in out)) out[name] = cookieValue(header.slice(eq + 1, end).trim())
    }
    start = end + 1
  }
  return out
}

function cookieValue(raw: string): string {
  let value = raw
  if (
    value.length >= 2 &&
    value.charCodeAt(0) === 0x22 &&
    value.charCodeAt(value.length - 1) === 0x22
  ) {
    value = value.slice(1, -1)
  }
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Attributes of a `Set-Cookie` header (RFC 6265 §4.1). */
export interface CookieOptions {
  /** Lifetime in seconds; 0 or less deletes the cookie. */
  maxAge?: number
  expires?: Date
  domain?: string
  path?: string
  secure?: boolean
  httpOnly?: boolean
  sameSite?: 'Strict' | 'Lax' | 'None'
}

/** cookie-name is a token (RFC 6265 §4.1.1, RFC 9110 §5.6.2). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Attribute values may not contain `;` or control characters. */
const BAD_ATTRIBUTE = /[;\x00-\x1f\x7f]/

/**
 * A `Set-Cookie` value. The value is percent-encoded (so any string round-trips through `parseCookies`);
 * a name that is not a token, or an attribute with `;` or a control character, throws a TypeError.
 *
 * ```ts
 * serializeCookie('sid', 'a b', { httpOnly: true, path: '/' }) // 'sid=a%20b; Path=/; HttpOnly'
 * ```
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`invalid cookie name: ${JSON.stringify(name)}`)
  let out = `${name}=${encodeURIComponent(value)}`
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge))
      throw new TypeError('cookie maxAge must be a finite number')
    out += `; Max-Age=${Math.floor(options.maxAge)}`
  }
  if (options.expires !== undefined) out += `; Expires=${options.expires.toUTCString()}`
  if (options.domain !== undefined) out += `; Domain=${attribute('domain', options.domain)}`
  if (options.path !== undefined) out += `; Path=${attribute('path', options.path)}`
  if (options.secure === true || options.sameSite === 'None') out += '; Secure'
  if (options.httpOnly === true) out += '; HttpOnly'
  if (options.sameSite !== undefined) out += `; SameSite=${options.sameSite}`
  return out
}

function attribute(name: string, value: string): string {
  if (BAD_ATTRIBUTE.test(value))
    throw new TypeError(`invalid cookie ${name}: ${JSON.stringify(value)}`)
  return value
}

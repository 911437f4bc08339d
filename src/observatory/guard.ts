/**
 * Safety checks for the TCP listener.
 *
 * DNS rebinding: a web page the user visits can make the browser send requests to 127.0.0.1 under the page's
 * own host name (the attacker's DNS answers 127.0.0.1 after the page loads). The browser then puts that name in
 * the Host header, so a server on loopback that only accepts loopback names in Host cannot be reached that way.
 * This is the defence Jupyter, the Docker daemon's HTTP API and many local dev servers use.
 *
 * Unix sockets need none of this: browsers cannot reach them, and their file mode decides who may connect.
 */
import { timingSafeEqual } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

/** The host name in a Host header value, lower-cased, without port or IPv6 brackets. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase()
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    return close === -1 ? value : value.slice(1, close)
  }
  const colon = value.lastIndexOf(':')
  return colon === -1 ? value : value.slice(0, colon)
}

/** True for names that can only mean this machine: localhost (RFC 6761 §6.3), 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (isIPv4(name)) return name.startsWith('127.')
  if (isIPv6(name))
    return name === '::1' || name === '0:0:0:0:0:0:0:1' || name.startsWith('::ffff:127.')
  return false
}

/**
 * Build the Host check. Accepted: loopback names, the address the server is bound to (unless it is a wildcard),
 * and every name given with --allow-host (compared without port, case-insensitively).
 */
export function hostChecker(
  allowHosts: readonly string[],
  bindAddress: string,
): (host: string | undefined) => boolean {
  const allowed = new Set(allowHosts.map((h) => hostName(h)))
  const bind = hostName(
    bindAddress.includes(':') && !bindAddress.startsWith('[') ? `[${bindAddress}]` : bindAddress,
  )
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') allowed.add(bind)
  return (host) => {
    if (host === undefined) return false
    const name = hostName(host)
    return isLoopbackName(name) || allowed.has(name)
  }
}

/**
 * Build the bearer-token check (RFC 6750 §2.1: `Authorization: Bearer <token>`). The comparison takes the same
 * time whatever the first wrong character, so the token cannot be guessed a byte at a time by timing.
 */
export function tokenChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = Buffer.from(token, 'utf8')
  return (authorization) => {
    if (authorization === undefined) return false
    const match = /^Bearer[ \t]+(.+?)[ \t]*$/i.exec(authorization)
    if (match === null) return false
    const given = Buffer.from(match[1]!, 'latin1')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}

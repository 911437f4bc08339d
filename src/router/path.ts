/**
 * Percent-encoding rules shared by patterns (at registration) and request paths (at match time).
 *
 * The router compares paths in one canonical form, the one RFC 3986 §6.2.2 calls syntax-based normalization:
 *
 * - percent-encoded *unreserved* characters are decoded (`%65` → `e`, `%7E` → `~`): RFC 3986 §2.3 says a URI that
 *   encodes an unreserved character is equivalent to one that does not, so `/us%65rs` is `/users`;
 * - every other triplet stays encoded, with its hex digits in upper case (`%2f` → `%2F`).
 *
 * Decoding only unreserved characters (letters, digits, `-`, `.`, `_`, `~`) is the safe choice: none of them is
 * `/`, so canonicalizing can never split or merge segments. `%2F` stays `%2F`, inside whichever segment it came
 * in, and becomes `/` only when a parameter value is decoded after the match.
 */

/** Why a request path cannot be routed; the caller answers 400 Bad Request. */
export interface BadPath {
  readonly kind: 'bad-path'
  readonly reason: string
}

/** A path that does not begin with `/` (empty, `*`, a full URL): only origin-form paths can be routed. */
export const BAD_PATH_START: BadPath = Object.freeze({
  kind: 'bad-path',
  reason: "the path must start with '/'",
})

/** `%zz`, or a `%` with fewer than two characters after it (`/a%4`). */
export const BAD_PATH_PERCENT: BadPath = Object.freeze({
  kind: 'bad-path',
  reason: "malformed percent-encoding: '%' must be followed by two hex digits",
})

/** Well-formed triplets whose bytes are not UTF-8 (`%FF`, `%C3` alone, an overlong `%C0%AF`, a surrogate). */
export const BAD_PATH_UTF8: BadPath = Object.freeze({
  kind: 'bad-path',
  reason: 'percent-encoded bytes are not valid UTF-8',
})

/** A `%` not followed by two hex digits. Fixed width lookahead: linear time, nothing to backtrack over. */
const MALFORMED_TRIPLET = /%(?![0-9A-Fa-f]{2})/
const TRIPLET = /%([0-9A-Fa-f]{2})/g

/** RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x7e // ~
  )
}

function canonicalTriplet(_match: string, hex: string): string {
  const code = Number.parseInt(hex, 16)
  return isUnreserved(code) ? String.fromCharCode(code) : '%' + hex.toUpperCase()
}

/**
 * Checks that every `%` in `text` starts a triplet and that the triplets spell valid UTF-8.
 * Returns `null` when the text is well formed, else the reason it is not.
 *
 * `decodeURIComponent` is the UTF-8 validator: ECMAScript specifies that it rejects lone continuation bytes,
 * truncated sequences, overlong forms and encoded surrogates, which is exactly the set of invalid UTF-8.
 */
export function checkPercentEncoding(text: string): BadPath | null {
  if (MALFORMED_TRIPLET.test(text)) return BAD_PATH_PERCENT
  try {
    decodeURIComponent(text)
  } catch {
    return BAD_PATH_UTF8
  }
  return null
}

/**
 * The canonical form of a raw path (see the module comment), or a `BadPath` when its percent-encoding is
 * malformed. Call it only for paths that contain `%`: any other path is already canonical.
 */
export function canonicalizePath(raw: string): string | BadPath {
  const bad = checkPercentEncoding(raw)
  if (bad !== null) return bad
  return raw.replace(TRIPLET, canonicalTriplet)
}

/**
 * Decodes one parameter value cut from a canonical path that passed `checkPercentEncoding`.
 *
 * This cannot throw. The whole path decoded without error, and a value always starts and ends at a segment
 * boundary (a `/`, or the end of the path). A multi-byte UTF-8 sequence cannot straddle such a boundary,
 * because `/` (0x2F) is not a continuation byte, so every sequence lies whole inside or whole outside the value.
 */
export function decodeValue(canonical: string): string {
  return canonical.indexOf('%') === -1 ? canonical : decodeURIComponent(canonical)
}

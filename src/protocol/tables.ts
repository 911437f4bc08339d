/**
 * Byte classification tables built from the RFC ABNF. A 256-entry table answers "may this byte appear here?"
 * with one array read instead of a chain of comparisons (httparse and llhttp do the same).
 */

function table(predicate: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) t[b] = predicate(b) ? 1 : 0
  return t
}

const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39

/**
 * RFC 9110 §5.6.2:
 *   token = 1*tchar
 *   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 *         / DIGIT / ALPHA
 */
export const TCHAR = table(
  (b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)),
)

/**
 * RFC 9110 §5.5:
 *   field-value = *field-content
 *   field-vchar = VCHAR / obs-text          ; VCHAR = %x21-7E, obs-text = %x80-FF
 * plus SP and HTAB between them. Everything else (NUL, CR, LF, other CTLs, DEL) is refused.
 */
export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f))

/**
 * Bytes allowed in a request-target. RFC 9112 §3.2 builds it from RFC 3986 URI syntax, which is ASCII without
 * spaces or controls. We accept any visible ASCII character (%x21-7E) and leave finer URI checks to the router:
 * rejecting `|` or `{` here would break real clients that send them unencoded, and they cannot confuse framing.
 */
export const TARGET_CHAR = table((b) => b >= 0x21 && b <= 0x7e)

/** HEXDIG, RFC 5234 §B.1 (case-insensitive, as RFC 9112 §7.1's chunk-size uses it): value 0-15, or 255. */
export const HEX_VALUE = (() => {
  const t = new Uint8Array(256).fill(255)
  for (let b = 0; b < 256; b++) {
    if (isDigit(b)) t[b] = b - 0x30
    else if (b >= 0x41 && b <= 0x46) t[b] = b - 0x41 + 10
    else if (b >= 0x61 && b <= 0x66) t[b] = b - 0x61 + 10
  }
  return t
})()

/** Strings checked with a regular expression where a whole value is at hand (response headers from the app). */
export const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A field value the serializer may emit: no CTL but HTAB, no DEL, nothing above U+00FF (latin1 on the wire). */
export const INVALID_FIELD_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/

/**
 * RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ]
 *   uri-host = IP-literal / IPv4address / reg-name
 *   reg-name = *( unreserved / pct-encoded / sub-delims )   ; may be empty
 *   IP-literal = "[" ( IPv6address / IPvFuture ) "]"
 *   port = *DIGIT
 * IPv4address is a special case of reg-name. The IP-literal check is by character class, not a full IPv6 parse.
 */
export const HOST_RE =
  /^(?:\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/

/** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":" for an absolute-URI. */
export const ABSOLUTE_FORM_RE = /^[A-Za-z][A-Za-z0-9+\-.]*:/

/** RFC 9112 §3.2.3: authority-form = uri-host ":" port (CONNECT only). */
export const AUTHORITY_FORM_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+):[0-9]+$/

/**
 * Is this one element of a Transfer-Encoding list (RFC 9110 §10.1.4: transfer-coding = token *( OWS ";" OWS
 * transfer-parameter )) the chunked coding? Coding names are case-insensitive (RFC 9112 §7), and chunked
 * (§7.1) defines no parameter, so only the bare token is chunked: `chunked;foo=bar` names a coding this server
 * does not know, and reading it as chunked is how two parsers come to disagree on where a body ends (§11.2).
 * The one definition, for requests (head-rules.ts) and for the application's responses (writers.ts).
 */
export function isChunkedCoding(coding: string): boolean {
  return coding.trim().toLowerCase() === 'chunked'
}

/** The name of a transfer coding: the token before its parameters, lower-cased. */
export function codingName(coding: string): string {
  return coding.split(';', 1)[0]!.trim().toLowerCase()
}

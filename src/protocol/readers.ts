/**
 * Readers turn received bytes into pieces of a request. Each one states its precondition in its name and
 * throws `LocalProtocolError` ("I cannot read this"); the connection rebuilds that as a `RemoteProtocolError`.
 *
 * None of them copies bytes it does not have to: header names and values become latin1 strings (the wire's
 * own encoding, RFC 9110 §5.5), body data is handed out as views (`subarray`) of the received buffer.
 */
import { LocalProtocolError } from './errors.ts'
import { HeaderFields } from './headers.ts'
import type { ProtocolLimits } from './limits.ts'
import { FIELD_VALUE, HEX_VALUE, TARGET_CHAR, TCHAR } from './tables.ts'

const LF = 0x0a
const CR = 0x0d
const SP = 0x20
const HTAB = 0x09
const COLON = 0x3a
const SEMICOLON = 0x3b
const EQUALS = 0x3d
const DQUOTE = 0x22
const BACKSLASH = 0x5c

/** What the head reader remembers between calls while a head is still incomplete (h11's ReceiveBuffer idea). */
export interface HeadScan {
  /** Bytes after the head's start already searched for a line end. */
  scanned: number
  /** Offset (from the head's start) of the line being scanned. */
  lineStart: number
  /** Offset just past the request line's LF, or -1 while the request line is incomplete. */
  fieldsStart: number
  method: string
  target: string
  version: '1.0' | '1.1'
}

export function newHeadScan(): HeadScan {
  return { scanned: 0, lineStart: 0, fieldsStart: -1, method: '', target: '', version: '1.1' }
}

/** Make a scan state new again, in place (one per connection rather than one per request). */
export function resetHeadScan(scan: HeadScan): void {
  scan.scanned = 0
  scan.lineStart = 0
  scan.fieldsStart = -1
}

/** A complete request head, before framing rules are applied. */
export interface RawHead {
  method: string
  target: string
  version: '1.0' | '1.1'
  headers: HeaderFields
  /** Offset (from the head's start) just past the empty line that ends the head. */
  length: number
  /** Values of the fields the connection interprets, collected during the same pass. */
  host: string[]
  contentLength: string[]
  transferEncoding: string[]
  connection: string[]
  expect: string[]
}

/**
 * Read a request head starting at `start` (leading empty lines already skipped), when `buf[start..end)` holds it.
 * Returns `undefined` when more bytes are needed; the scan state lets the next call continue where this one
 * stopped, so a head arriving a byte at a time is searched once, not once per byte.
 *
 * RFC 9112 §2.1: HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
 * RFC 9112 §2.2: a recipient MAY recognize a single LF as a line terminator and ignore any preceding CR. We do,
 * in the head only; chunked framing lines need CRLF (see ChunkedReader).
 */
export function readRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  scan: HeadScan,
  limits: ProtocolLimits,
): RawHead | undefined {
  let from = start + scan.scanned
  let lineStart = start + scan.lineStart
  for (;;) {
    const lf = buf.indexOf(LF, from)
    if (lf === -1 || lf >= end) {
      scan.scanned = end - start
      scan.lineStart = lineStart - start
      if (scan.fieldsStart < 0) {
        // The method first, then the line's length: the order a complete line is judged in, below.
        scanMethod(buf, start, end, limits)
        if (end - start > limits.maxRequestLineSize + 1) {
          throw new LocalProtocolError(
            `request line exceeds ${limits.maxRequestLineSize} bytes`,
            'URI_TOO_LONG',
            414,
          )
        }
      } else if (end - start > limits.maxHeaderSize) {
        throw new LocalProtocolError(
          `header section exceeds ${limits.maxHeaderSize} bytes`,
          'HEADERS_TOO_LARGE',
          431,
        )
      }
      return undefined
    }
    const contentEnd = lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf
    from = lf + 1
    if (scan.fieldsStart < 0) {
      // A complete request line is judged in the order an incomplete one is (method, then length), so where
      // the reads split it never changes the answer.
      const sp = scanMethod(buf, start, contentEnd, limits)
      if (contentEnd - start > limits.maxRequestLineSize) {
        throw new LocalProtocolError(
          `request line exceeds ${limits.maxRequestLineSize} bytes`,
          'URI_TOO_LONG',
          414,
        )
      }
      if (sp === -1) {
        throw new LocalProtocolError('request line has no target', 'BAD_REQUEST_LINE')
      }
    }
    // RFC 9112 §2.2: a bare CR (one not followed by LF) makes the element invalid. Checked per line as it
    // completes, so `\r\r\n` where the empty line belongs is refused at once, not after more bytes.
    const cr = buf.indexOf(CR, lineStart)
    if (cr !== -1 && cr < contentEnd) {
      let code: 'BAD_REQUEST_LINE' | 'BAD_HEADER_NAME' | 'BAD_HEADER_VALUE' = 'BAD_REQUEST_LINE'
      if (scan.fieldsStart >= 0) {
        const colon = buf.indexOf(COLON, lineStart)
        code = colon === -1 || colon > cr ? 'BAD_HEADER_NAME' : 'BAD_HEADER_VALUE'
      }
      throw new LocalProtocolError('bare CR in the request head', code)
    }
    if (lf + 1 - start > limits.maxHeaderSize) {
      throw new LocalProtocolError(
        `header section exceeds ${limits.maxHeaderSize} bytes`,
        'HEADERS_TOO_LARGE',
        431,
      )
    }
    if (scan.fieldsStart < 0) {
      // Validate the request line as soon as it is complete: garbage (a TLS hello, a typo) is answered at
      // once instead of after a header section's worth of bytes.
      parseRequestLine(buf, start, contentEnd, scan)
      scan.fieldsStart = lf + 1 - start
    } else if (contentEnd === lineStart) {
      return parseFieldSection(
        buf,
        start + scan.fieldsStart,
        lineStart,
        lf + 1 - start,
        scan,
        limits,
      )
    }
    lineStart = lf + 1
  }
}

/**
 * The method of a request line starting at `start`, judged from the bytes in `[start, end)` alone: returns the
 * offset of the SP that ends it, or -1 when no SP has arrived yet. Throws as soon as those bytes decide:
 * - a byte that is not a tchar (RFC 9110 §5.6.2), or a line that starts with SP: 400 `BAD_METHOD`;
 * - more than `maxMethodSize` tchars: 501 `METHOD_NOT_IMPLEMENTED`. RFC 9112 §3: "A server that receives a
 *   method longer than any that it implements SHOULD respond with a 501 (Not Implemented) status code."
 *
 * The rule that keeps 501 and 414 apart whatever the reads: the method is the first element of the request
 * line, so it is judged first, from its own bytes only, on an incomplete line as on a complete one, and before
 * the line's length. When the line limit is reached before any SP, the method alone is longer than
 * `min(maxMethodSize, maxRequestLineSize)`, which this scan has already answered with 501: a method that cannot
 * fit in an acceptable request line is one the server cannot implement. 414 is left for lines whose method was
 * acceptable (RFC 9112 §3: "A server that receives a request-target longer than any URI it wishes to parse MUST
 * respond with a 414 (URI Too Long) status code"). The scan stops at the limit, so a method fed a byte at a time
 * costs at most `maxMethodSize` bytes a call.
 */
function scanMethod(buf: Uint8Array, start: number, end: number, limits: ProtocolLimits): number {
  const max = Math.min(limits.maxMethodSize, limits.maxRequestLineSize)
  for (let i = start; i < end; i++) {
    const b = buf[i]!
    if (TCHAR[b] === 1) {
      if (i - start === max) {
        throw new LocalProtocolError(
          `request method is longer than ${max} bytes`,
          'METHOD_NOT_IMPLEMENTED',
          501,
        )
      }
      continue
    }
    if (b === SP && i > start) return i
    if (b === CR && i + 1 === end) return -1 // the CR of a line end whose LF has not arrived yet
    throw new LocalProtocolError('request method is not a token', 'BAD_METHOD')
  }
  return -1
}

/**
 * RFC 9112 §3: request-line = method SP request-target SP HTTP-version
 *              method = token;  HTTP-version = "HTTP" "/" DIGIT "." DIGIT   (§2.3)
 * One SP exactly between the parts. HTTP/0.9's `GET /` (no version) is refused: it has no headers, so no Host
 * and no framing, and serving it would let a stray line be read as a request.
 */
function parseRequestLine(buf: Uint8Array, start: number, end: number, scan: HeadScan): void {
  // INVARIANT: scanMethod accepted the method and found the SP that ends it.
  let i = start
  while (TCHAR[buf[i]!] === 1) i++
  scan.method = methodString(buf, start, i)

  const targetStart = i + 1
  let j = targetStart
  while (j < end && TARGET_CHAR[buf[j]!] === 1) j++
  if (j === targetStart) {
    if (j < end && buf[j] !== SP) {
      throw new LocalProtocolError('request-target has a forbidden byte', 'BAD_TARGET')
    }
    throw new LocalProtocolError('request line has an empty target', 'BAD_REQUEST_LINE')
  }
  if (j === end) {
    throw new LocalProtocolError('request line has no HTTP version (HTTP/0.9)', 'BAD_REQUEST_LINE')
  }
  if (buf[j] !== SP) {
    throw new LocalProtocolError('request-target has a forbidden byte', 'BAD_TARGET')
  }
  scan.target = latin1(buf, targetStart, j)

  const v = j + 1
  if (
    end - v === 8 &&
    buf[v] === 0x48 && // H
    buf[v + 1] === 0x54 && // T
    buf[v + 2] === 0x54 && // T
    buf[v + 3] === 0x50 && // P
    buf[v + 4] === 0x2f && // /
    isDigit(buf[v + 5]!) &&
    buf[v + 6] === 0x2e && // .
    isDigit(buf[v + 7]!)
  ) {
    if (buf[v + 5] === 0x31 && buf[v + 7] === 0x31) scan.version = '1.1'
    else if (buf[v + 5] === 0x31 && buf[v + 7] === 0x30) scan.version = '1.0'
    else {
      throw new LocalProtocolError(
        `HTTP version ${latin1(buf, v + 5, end)} is not supported`,
        'UNSUPPORTED_VERSION',
        505,
      )
    }
    return
  }
  throw new LocalProtocolError('request line has a malformed HTTP version', 'BAD_REQUEST_LINE')
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39
}

/** why: GET and POST are most requests; returning a constant string skips a decode and an allocation. */
function methodString(buf: Uint8Array, start: number, end: number): string {
  const len = end - start
  if (len === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) {
    return 'GET'
  }
  if (
    len === 4 &&
    buf[start] === 0x50 &&
    buf[start + 1] === 0x4f &&
    buf[start + 2] === 0x53 &&
    buf[start + 3] === 0x54
  ) {
    return 'POST'
  }
  return latin1(buf, start, end)
}

// why: Buffer's latin1Slice decodes without the argument checks of toString('latin1', …); header bytes map
// one-to-one onto latin1 code points, which is how node:http and undici expose them too. Called as a method:
// `latin1Slice.call(buf, …)` measured 1.4× slower (93 vs 67 ns a string, mitata, Node 20); per request,
// bench/protocol-instructions.ts: 29.9k → 27.9k instructions.
interface Latin1Buffer extends Uint8Array {
  latin1Slice(start: number, end: number): string
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  // INVARIANT: every buffer the readers see is a Buffer (ServerConnection.receiveData makes it one).
  return (buf as Latin1Buffer).latin1Slice(start, end)
}

/**
 * Field names most requests carry, in the spellings clients send (curl and browsers capitalize, fetch/undici
 * and HTTP/2-minded clients send lowercase). A name that matches one byte for byte becomes that constant.
 * why: comparing a few bytes costs less than decoding a new string (bench/protocol-instructions.ts, parse +
 * respond of a curl-like and a browser-like GET: 27.9k → 26.9k instructions a request).
 */
const COMMON_FIELD_NAMES: readonly string[] = [
  'Host',
  'User-Agent',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Connection',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Expect',
  'Origin',
  'Referer',
  'Cookie',
  'Authorization',
  'Cache-Control',
  'Pragma',
  'Upgrade-Insecure-Requests',
  'Sec-Fetch-Site',
  'Sec-Fetch-Mode',
  'Sec-Fetch-Dest',
  'Sec-Fetch-User',
  'If-None-Match',
  'If-Modified-Since',
  'Priority',
  'Keep-Alive',
].flatMap((name) => [name, name.toLowerCase()])

/** COMMON_FIELD_NAMES by length, each with its bytes. */
const NAMES_BY_LENGTH: { bytes: Uint8Array; name: string }[][] = []
for (const name of COMMON_FIELD_NAMES) {
  NAMES_BY_LENGTH[name.length] ??= []
  NAMES_BY_LENGTH[name.length]!.push({ bytes: Buffer.from(name, 'latin1'), name })
}

function fieldName(buf: Uint8Array, start: number, end: number): string {
  const candidates = NAMES_BY_LENGTH[end - start]
  if (candidates !== undefined) {
    const length = end - start
    next: for (const candidate of candidates) {
      const bytes = candidate.bytes
      for (let k = 0; k < length; k++) if (buf[start + k] !== bytes[k]) continue next
      return candidate.name
    }
  }
  return latin1(buf, start, end)
}

/** Parse the field lines in `[start, end)` (each ending in LF or CRLF) into a RawHead. */
function parseFieldSection(
  buf: Uint8Array,
  start: number,
  end: number,
  length: number,
  scan: HeadScan,
  limits: ProtocolLimits,
): RawHead {
  const head: RawHead = {
    method: scan.method,
    target: scan.target,
    version: scan.version,
    headers: new HeaderFields(),
    length,
    host: [],
    contentLength: [],
    transferEncoding: [],
    connection: [],
    expect: [],
  }
  readFieldLines(buf, start, end, head.headers.raw, limits.maxHeaderCount, 'TOO_MANY_HEADERS', head)
  return head
}

/**
 * Read field lines from `[start, end)` into `raw`. Shared by the head and the chunked trailer section.
 * `interesting` collects the values of the fields the connection interprets (head only).
 *
 * RFC 9112 §5:  field-line = field-name ":" OWS field-value OWS
 * RFC 9112 §5.1: "No whitespace is allowed between the field name and colon. … A server MUST reject, with a
 *   response status code of 400 (Bad Request), any received request message that contains whitespace between a
 *   header field name and colon."
 * RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) — a server MUST either reject the message with 400 or
 *   replace it with SP. We reject: folding is obsolete, and unfolding differently from a proxy is a smuggling risk.
 */
export function readFieldLines(
  buf: Uint8Array,
  start: number,
  end: number,
  raw: string[],
  maxCount: number,
  tooManyCode: 'TOO_MANY_HEADERS' | 'TRAILERS_TOO_LARGE',
  interesting?: RawHead,
): void {
  let p = start
  while (p < end) {
    const first = buf[p]!
    if (first === SP || first === HTAB) {
      throw new LocalProtocolError('obsolete line folding is not accepted', 'OBS_FOLD')
    }
    let i = p
    while (i < end && TCHAR[buf[i]!] === 1) i++
    if (i === p || buf[i] !== COLON) {
      const b = buf[i]
      throw new LocalProtocolError(
        b === CR || b === LF ? 'header line has no colon' : 'header name is not a token',
        'BAD_HEADER_NAME',
      )
    }
    if (raw.length >> 1 >= maxCount) {
      throw new LocalProtocolError(`more than ${maxCount} header fields`, tooManyCode, 431)
    }
    let vs = i + 1
    while (vs < end && (buf[vs] === SP || buf[vs] === HTAB)) vs++
    // One pass checks the value and finds the line's end: CR and LF are the only bytes that stop it on a
    // valid line (neither is a field-value byte). why: no second search for the line end
    // (bench/protocol-instructions.ts: 26.0k → 25.3k instructions a request; a byte loop in place of
    // readRequestHead's indexOf calls measured worse, +4k).
    let e = vs
    while (e < end && FIELD_VALUE[buf[e]!] === 1) e++
    let lf: number
    if (e < end && buf[e] === LF) lf = e
    else if (buf[e] === CR && e + 1 < end && buf[e + 1] === LF) lf = e + 1
    else throw new LocalProtocolError('header value has a control character', 'BAD_HEADER_VALUE')
    // INVARIANT: the caller found every line end in [start, end) already, so every line stops at one.
    let ve = e
    while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--
    const name = fieldName(buf, p, i)
    const value = latin1(buf, vs, ve)
    raw.push(name, value)
    if (interesting !== undefined) collectInteresting(interesting, name, value)
    p = lf + 1
  }
}

/** why: names are compared by length first, so most fields cost one integer comparison here (undici). */
function collectInteresting(head: RawHead, name: string, value: string): void {
  switch (name.length) {
    case 4:
      if (name.toLowerCase() === 'host') head.host.push(value)
      break
    case 6:
      if (name.toLowerCase() === 'expect') head.expect.push(value)
      break
    case 10:
      if (name.toLowerCase() === 'connection') head.connection.push(value)
      break
    case 14:
      if (name.toLowerCase() === 'content-length') head.contentLength.push(value)
      break
    case 17:
      if (name.toLowerCase() === 'transfer-encoding') head.transferEncoding.push(value)
      break
  }
}

/** A step of a body reader: bytes consumed and what they made (data, the end, or nothing yet). */
export interface BodyStep {
  consumed: number
  data?: Uint8Array
  done?: boolean
  trailers?: HeaderFields
}

export interface BodyReader {
  /** Read from `buf[start..end)`. Returns undefined when nothing can be made of those bytes yet. */
  read(buf: Uint8Array, start: number, end: number): BodyStep | undefined
  /** True once the last byte of the body has been read. */
  readonly finished: boolean
}

/** RFC 9112 §6.2: the body is exactly Content-Length bytes. */
export class ContentLengthReader implements BodyReader {
  private remaining: number
  constructor(length: number) {
    this.remaining = length
  }

  get finished(): boolean {
    return this.remaining === 0
  }

  read(buf: Uint8Array, start: number, end: number): BodyStep | undefined {
    if (this.remaining === 0) return { consumed: 0, done: true }
    const n = Math.min(this.remaining, end - start)
    if (n === 0) return undefined
    this.remaining -= n
    return { consumed: n, data: buf.subarray(start, start + n) }
  }
}

/** The body of a request without one: always finished, stateless, shared by every connection. */
const DONE_STEP: BodyStep = Object.freeze({ consumed: 0, done: true })
export const NO_BODY: BodyReader = Object.freeze({
  finished: true,
  read: (): BodyStep => DONE_STEP,
})

type ChunkPhase = 'size' | 'data' | 'data-crlf' | 'trailers' | 'finished'

/**
 * RFC 9112 §7.1:
 *   chunked-body   = *chunk last-chunk trailer-section CRLF
 *   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size     = 1*HEXDIG
 *   last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *
 * Strictness: size lines and the line end after chunk data must be CRLF (a bare LF there is how several
 * request-smuggling attacks desynchronize a proxy and a server). The chunk size is capped at 16 hex digits and by
 * the body limit; extensions are bounded in length and may not hold control characters (their content is
 * otherwise ignored: no extension means anything to this server).
 */
export class ChunkedReader implements BodyReader {
  private phase: ChunkPhase = 'size'
  private remaining = 0
  private total = 0
  /** While reading trailers: how far the current trailer section has been scanned for its end. */
  private trailerScanned = 0

  constructor(private readonly limits: ProtocolLimits) {}

  get finished(): boolean {
    return this.phase === 'finished'
  }

  read(buf: Uint8Array, start: number, end: number): BodyStep | undefined {
    switch (this.phase) {
      case 'size':
        return this.readSize(buf, start, end)
      case 'data': {
        const n = Math.min(this.remaining, end - start)
        if (n === 0) return undefined
        this.remaining -= n
        if (this.remaining === 0) this.phase = 'data-crlf'
        return { consumed: n, data: buf.subarray(start, start + n) }
      }
      case 'data-crlf': {
        if (end - start < 1) return undefined
        if (buf[start] !== CR) {
          throw new LocalProtocolError('chunk data is not followed by CRLF', 'BAD_CHUNK_DATA')
        }
        if (end - start < 2) return undefined
        if (buf[start + 1] !== LF) {
          throw new LocalProtocolError('chunk data is not followed by CRLF', 'BAD_CHUNK_DATA')
        }
        this.phase = 'size'
        return { consumed: 2 }
      }
      case 'trailers':
        return this.readTrailers(buf, start, end)
      case 'finished':
        return { consumed: 0, done: true }
    }
  }

  private readSize(buf: Uint8Array, start: number, end: number): BodyStep | undefined {
    const lf = buf.indexOf(LF, start)
    const maxLine = 16 + this.limits.maxChunkExtensionSize + 2
    if (lf === -1 || lf >= end) {
      if (end - start > maxLine) {
        throw new LocalProtocolError('chunk size line is too long', 'BAD_CHUNK_EXTENSION')
      }
      return undefined
    }
    if (lf === start || buf[lf - 1] !== CR) {
      throw new LocalProtocolError('chunk size line does not end in CRLF', 'BAD_CHUNK_SIZE')
    }
    const lineEnd = lf - 1
    let i = start
    let size = 0
    while (i < lineEnd && HEX_VALUE[buf[i]!] !== 255) {
      if (i - start === 16) {
        throw new LocalProtocolError('chunk size has more than 16 hex digits', 'BAD_CHUNK_SIZE')
      }
      size = size * 16 + HEX_VALUE[buf[i]!]!
      i++
    }
    if (i === start) throw new LocalProtocolError('chunk size is not hexadecimal', 'BAD_CHUNK_SIZE')
    if (i < lineEnd) this.checkExtension(buf, i, lineEnd)
    this.total += size
    if (this.total > this.limits.maxBodySize) {
      throw new LocalProtocolError(
        `body exceeds ${this.limits.maxBodySize} bytes`,
        'BODY_TOO_LARGE',
        413,
      )
    }
    const consumed = lf + 1 - start
    if (size === 0) {
      this.phase = 'trailers'
      this.trailerScanned = 0
      return { consumed }
    }
    this.remaining = size
    this.phase = 'data'
    return { consumed }
  }

  /**
   * RFC 9112 §7.1.1, from the end of the chunk size to the line end:
   *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
   *   chunk-ext-name = token
   *   chunk-ext-val  = token / quoted-string
   * Checked in full (a malformed extension is a malformed message) and bounded in length; the values
   * themselves are ignored.
   */
  private checkExtension(buf: Uint8Array, start: number, end: number): void {
    if (end - start > this.limits.maxChunkExtensionSize) {
      throw new LocalProtocolError(
        `chunk extension exceeds ${this.limits.maxChunkExtensionSize} bytes`,
        'BAD_CHUNK_EXTENSION',
      )
    }
    const bad = (what: string): never => {
      throw new LocalProtocolError(`malformed chunk extension: ${what}`, 'BAD_CHUNK_EXTENSION')
    }
    const skipBws = (from: number): number => {
      let k = from
      while (k < end && (buf[k] === SP || buf[k] === HTAB)) k++
      return k
    }
    let i = skipBws(start)
    if (i === end || buf[i] !== SEMICOLON) {
      // Either bad digits (`1x`) or whitespace then nothing: both are malformed sizes.
      throw new LocalProtocolError('chunk size is not hexadecimal', 'BAD_CHUNK_SIZE')
    }
    while (i < end) {
      if (buf[i] !== SEMICOLON) bad('expected ";"')
      i = skipBws(i + 1)
      const nameStart = i
      while (i < end && TCHAR[buf[i]!] === 1) i++
      if (i === nameStart) bad('missing name')
      i = skipBws(i)
      if (i < end && buf[i] === EQUALS) {
        i = skipBws(i + 1)
        if (i < end && buf[i] === DQUOTE) {
          i++
          for (;;) {
            if (i >= end) bad('unterminated quoted-string')
            const b = buf[i]!
            if (b === DQUOTE) break
            if (b === BACKSLASH) {
              // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
              if (i + 1 >= end || FIELD_VALUE[buf[i + 1]!] === 0) bad('bad quoted-pair')
              i += 2
              continue
            }
            if (FIELD_VALUE[b] === 0) bad('control character in a quoted-string')
            i++
          }
          i++
        } else {
          const valueStart = i
          while (i < end && TCHAR[buf[i]!] === 1) i++
          if (i === valueStart) bad('missing value')
        }
        i = skipBws(i)
      }
    }
  }

  /** trailer-section = *( field-line CRLF ), then the final CRLF. Parsed once it is complete. */
  private readTrailers(buf: Uint8Array, start: number, end: number): BodyStep | undefined {
    let from = start + this.trailerScanned
    let lineStart = from
    // Re-derive the current line start: scanning resumes at a line boundary (we only store whole lines).
    for (;;) {
      const lf = buf.indexOf(LF, from)
      if (lf === -1 || lf >= end) {
        this.trailerScanned = lineStart - start
        if (end - start > this.limits.maxTrailerSize) {
          throw new LocalProtocolError(
            `trailer section exceeds ${this.limits.maxTrailerSize} bytes`,
            'TRAILERS_TOO_LARGE',
            431,
          )
        }
        return undefined
      }
      if (lf + 1 - start > this.limits.maxTrailerSize) {
        throw new LocalProtocolError(
          `trailer section exceeds ${this.limits.maxTrailerSize} bytes`,
          'TRAILERS_TOO_LARGE',
          431,
        )
      }
      const contentEnd = lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf
      if (contentEnd === lineStart) {
        if (lf === lineStart) {
          // why: the last line of a chunked body is framing, like a size line: CRLF only.
          throw new LocalProtocolError('chunked body does not end in CRLF', 'BAD_CHUNK_DATA')
        }
        const trailers = new HeaderFields()
        readFieldLines(
          buf,
          start,
          lineStart,
          trailers.raw,
          this.limits.maxHeaderCount,
          'TRAILERS_TOO_LARGE',
        )
        this.phase = 'finished'
        return { consumed: lf + 1 - start, done: true, trailers }
      }
      from = lf + 1
      lineStart = from
    }
  }
}

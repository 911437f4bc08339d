/**
 * The message-level rules for a request head (RFC 9112 §3.2, §6, §9.3; RFC 9110 §7.2, §9.3.6, §10.1.1), as one
 * pure function: `interpretHead(head, limits)` takes what the head reader parsed and returns a `HeadPlan` (the
 * request event, how its body is framed, whether the client wants the connection to persist, whether it waits
 * for 100 Continue), or throws `LocalProtocolError` for a head it must refuse. It reads no connection state and
 * sets none: `ServerConnection` applies the plan in one place (h11 computes the same facts in `_keep_alive` and
 * `_body_framing`).
 */
import { LocalProtocolError } from './errors.ts'
import type { RequestEvent } from './events.ts'
import type { ProtocolLimits } from './limits.ts'
import {
  type BodyReader,
  ChunkedReader,
  ContentLengthReader,
  NO_BODY,
  type RawHead,
} from './readers.ts'
import {
  ABSOLUTE_FORM_RE,
  AUTHORITY_FORM_RE,
  codingName,
  HOST_RE,
  isChunkedCoding,
  TOKEN_RE,
} from './tables.ts'

/**
 * Why a CONNECT request is refused (501). Exported so that the node:http adapter, where node hands CONNECT over
 * apart from other requests, answers with the same words.
 */
export const CONNECT_REFUSED = 'CONNECT is refused: this is an origin server, not a tunnel'

/** What a valid request head means for the connection. */
export interface HeadPlan {
  readonly request: RequestEvent
  /**
   * The client's side allows the connection to persist after this exchange (RFC 9112 §9.3): HTTP/1.1 without
   * `Connection: close`, or HTTP/1.0 with `keep-alive`; and not a CL+TE request (§6.3 item 3).
   */
  readonly keepAlive: boolean
  /** The client itself ended persistence (Connection: close, or HTTP/1.0 without keep-alive). */
  readonly clientEndsConnection: boolean
  /** Reads the body: by Content-Length, chunked, or none at all. */
  readonly body: BodyReader
  /** `Expect: 100-continue` on a request with a body: the client holds the body until it is told to send it. */
  readonly expects100Continue: boolean
}

/** The message-level rules of RFC 9112 §3.2, §6, §9.3 and RFC 9110 §10.1.1, applied to a parsed head. */
export function interpretHead(head: RawHead, limits: Readonly<ProtocolLimits>): HeadPlan {
  checkTargetForm(head.method, head.target)

  // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
  // message that lacks a Host header field and to any request message that contains more than one Host header
  // field line or a Host header field with an invalid field value."
  if (head.host.length > 1) throw new LocalProtocolError('more than one Host header', 'BAD_HOST')
  if (head.host.length === 0 && head.version === '1.1') {
    throw new LocalProtocolError('HTTP/1.1 request without a Host header', 'BAD_HOST')
  }
  if (head.host.length === 1 && !HOST_RE.test(head.host[0]!)) {
    throw new LocalProtocolError('Host header is not a valid host', 'BAD_HOST')
  }

  // CONNECT asks the recipient to become a tunnel (RFC 9110 §9.3.6), and "Any 2xx (Successful) response
  // indicates that the sender (and all inbound proxies) will switch to tunnel mode immediately after the
  // response header section". This is an origin server: it does not tunnel, so it must not let an application
  // answer 2xx and then go on speaking HTTP. Refused here, once the head is known to be well formed, with 501:
  // RFC 9110 §9.1 asks an origin server to answer 501 (Not Implemented) for a method it does not recognize or
  // does not offer. Not 405: that one means the method is known
  // but not allowed for this resource, and needs an Allow header listing the ones that are (§15.5.6), which only
  // the application knows. As for any head error, the connection closes after the answer.
  if (head.method === 'CONNECT') {
    throw new LocalProtocolError(CONNECT_REFUSED, 'METHOD_NOT_IMPLEMENTED', 501)
  }

  // RFC 9112 §9.3: persistence.
  let close = false
  let keepAliveToken = false
  for (const value of head.connection) {
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase()
      if (t === 'close') close = true
      else if (t === 'keep-alive') keepAliveToken = true
    }
  }
  const clientKeepAlive = !close && (head.version === '1.1' || keepAliveToken)
  let keepAlive = clientKeepAlive

  // RFC 9112 §6.1 / §6.3: framing.
  let contentLength: number | undefined = 0
  let chunked = false
  let body: BodyReader
  if (head.transferEncoding.length > 0) {
    // §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header
    // field MUST treat the message as if the framing is faulty … and close the connection."
    if (head.version === '1.0') {
      throw new LocalProtocolError(
        'Transfer-Encoding in an HTTP/1.0 request',
        'BAD_TRANSFER_ENCODING',
      )
    }
    checkTransferEncoding(head.transferEncoding)
    chunked = true
    contentLength = undefined
    // §6.3 item 3: with both, Transfer-Encoding wins, and "a server … MUST close the connection after
    // responding to such a request" — whatever follows may be a smuggled request.
    if (head.contentLength.length > 0) keepAlive = false
    body = new ChunkedReader(limits)
  } else if (head.contentLength.length > 0) {
    contentLength = parseContentLength(head.contentLength)
    if (contentLength > limits.maxBodySize) {
      throw new LocalProtocolError(
        `body of ${contentLength} bytes exceeds ${limits.maxBodySize}`,
        'BODY_TOO_LARGE',
        413,
      )
    }
    body = new ContentLengthReader(contentLength)
  } else {
    body = NO_BODY
  }

  // RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore
  // that expectation." Any other expectation may be answered with 417.
  let expects100Continue = false
  if (head.expect.length > 0 && head.version === '1.1') {
    for (const value of head.expect) {
      for (const item of value.split(',')) {
        const t = item.trim().toLowerCase()
        if (t === '') continue
        if (t !== '100-continue') {
          throw new LocalProtocolError(`unsupported expectation "${t}"`, 'EXPECTATION_FAILED', 417)
        }
        expects100Continue = chunked || (contentLength ?? 0) > 0
      }
    }
  }

  return {
    request: {
      type: 'request',
      method: head.method,
      target: head.target,
      version: head.version,
      headers: head.headers,
      contentLength: chunked ? undefined : contentLength,
      chunked,
    },
    keepAlive,
    clientEndsConnection: !clientKeepAlive,
    body,
    expects100Continue,
  }
}

/**
 * RFC 9112 §3.2: the four forms of request-target, each tied to its methods.
 *   origin-form = absolute-path [ "?" query ]      (most requests)
 *   absolute-form = absolute-URI                    (requests to proxies; servers MUST accept it, §3.2.2)
 *   authority-form = uri-host ":" port              (CONNECT only)
 *   asterisk-form = "*"                             (OPTIONS only)
 */
function checkTargetForm(method: string, target: string): void {
  const first = target.charCodeAt(0)
  if (method === 'CONNECT') {
    if (!AUTHORITY_FORM_RE.test(target)) {
      throw new LocalProtocolError(
        'CONNECT needs an authority-form target (host:port)',
        'BAD_TARGET',
      )
    }
    return
  }
  if (first === 0x2f /* / */) return
  if (target === '*') {
    if (method === 'OPTIONS') return
    throw new LocalProtocolError('asterisk-form target is only for OPTIONS', 'BAD_TARGET')
  }
  // §3.2.3: "The authority-form of request-target is only used for CONNECT requests". RFC 3986's grammar alone
  // cannot tell `host:80` from an absolute-URI (scheme "host", path "80"), so the authority-form test comes
  // first: a target that has the authority-form's shape is one, and with any other method it is an invalid
  // request-target (§3: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request)
  // error or a 301 …"; we do not guess a redirect). An absolute-form target has more than `host:port`
  // (`http://host/path`), so it never matches.
  if (AUTHORITY_FORM_RE.test(target)) {
    throw new LocalProtocolError('authority-form target is only for CONNECT', 'BAD_TARGET')
  }
  if (ABSOLUTE_FORM_RE.test(target)) return
  throw new LocalProtocolError('request-target is not in a valid form', 'BAD_TARGET')
}

/**
 * RFC 9112 §6.1 / RFC 9110 §5.6.1: Transfer-Encoding = #transfer-coding. The final coding of a request must be
 * chunked (the bare token, see isChunkedCoding), once; we implement no other coding, so any other before it is
 * 501 (§6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD
 * respond with 501 (Not Implemented)").
 *
 * A final coding that is not chunked — `gzip`, `xchunked`, and `chunked;foo=bar` alike — is 400, not 501: the
 * body's length then cannot be known, and §6.3 item 4 settles that case with a MUST: "If a Transfer-Encoding
 * header field is present in a request and the chunked transfer coding is not the final encoding, the message
 * body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and
 * then close the connection." The 501 of §6.1 is left for codings before a real chunked, where the framing is
 * known and only the content coding is not understood.
 */
function checkTransferEncoding(values: string[]): void {
  const codings: string[] = []
  for (const value of values) {
    for (const item of value.split(',')) {
      // §5.6.1: "a recipient MUST parse and ignore a reasonable number of empty list elements".
      if (item.trim() !== '') codings.push(item)
    }
  }
  if (codings.length === 0) {
    throw new LocalProtocolError('Transfer-Encoding is empty', 'BAD_TRANSFER_ENCODING')
  }
  const last = codings[codings.length - 1]!
  if (!isChunkedCoding(last)) {
    throw new LocalProtocolError(
      codingName(last) === 'chunked'
        ? 'chunked takes no parameters: the final transfer coding is not chunked'
        : 'chunked is not the final transfer coding',
      'BAD_TRANSFER_ENCODING',
    )
  }
  if (codings.findIndex((c) => codingName(c) === 'chunked') !== codings.length - 1) {
    throw new LocalProtocolError('chunked applied more than once', 'BAD_TRANSFER_ENCODING')
  }
  if (codings.length > 1) {
    const other = codingName(codings[0]!)
    if (!TOKEN_RE.test(other)) {
      throw new LocalProtocolError('transfer coding is not a token', 'BAD_TRANSFER_ENCODING')
    }
    throw new LocalProtocolError(
      `transfer coding "${other}" is not supported`,
      'UNSUPPORTED_TRANSFER_ENCODING',
      501,
    )
  }
}

/**
 * RFC 9110 §8.6: Content-Length = 1*DIGIT. RFC 9112 §6.3 item 5: a list of identical values (from a proxy
 * that merged lines) may be treated as that one value; differing values are an unrecoverable error.
 * Capped at 15 digits so the number is exact in a double and cannot overflow.
 */
function parseContentLength(values: string[]): number {
  let result = -1
  for (const value of values) {
    for (const item of value.split(',')) {
      const t = item.trim()
      if (!/^[0-9]{1,15}$/.test(t)) {
        throw new LocalProtocolError('Content-Length is not a decimal number', 'BAD_CONTENT_LENGTH')
      }
      const n = Number(t)
      if (result !== -1 && n !== result) {
        throw new LocalProtocolError('conflicting Content-Length values', 'BAD_CONTENT_LENGTH')
      }
      result = n
    }
  }
  return result
}

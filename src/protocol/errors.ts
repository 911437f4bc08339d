/**
 * Protocol errors (h11's blame + httparse's closed set of kinds + undici's stable string codes).
 *
 * - `RemoteProtocolError`: the peer broke HTTP/1.1 (a malformed request, a limit exceeded). `statusHint` is the
 *   status the server should answer with before it closes the connection.
 * - `LocalProtocolError`: this side tried to do something HTTP/1.1 forbids (send a header with a CR in it, send
 *   more body than Content-Length announced, send a second response). A bug in the application, not in the peer.
 *
 * Readers throw `LocalProtocolError` internally ("I cannot read this"); `ServerConnection.nextEvent()` rebuilds it
 * as a `RemoteProtocolError` (TypeScript cannot swap an object's class the way h11 swaps `__class__`).
 */
export type ProtocolErrorCode =
  | 'BAD_REQUEST_LINE'
  | 'BAD_METHOD'
  | 'METHOD_NOT_IMPLEMENTED'
  | 'BAD_TARGET'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HEADER_NAME'
  | 'BAD_HEADER_VALUE'
  | 'OBS_FOLD'
  | 'HEADERS_TOO_LARGE'
  | 'TOO_MANY_HEADERS'
  | 'BAD_HOST'
  | 'BAD_CONTENT_LENGTH'
  | 'BAD_TRANSFER_ENCODING'
  | 'UNSUPPORTED_TRANSFER_ENCODING'
  | 'BAD_CHUNK_SIZE'
  | 'BAD_CHUNK_EXTENSION'
  | 'BAD_CHUNK_DATA'
  | 'TRAILERS_TOO_LARGE'
  | 'BODY_TOO_LARGE'
  | 'EXPECTATION_FAILED'
  | 'UNEXPECTED_EOF'
  | 'ILLEGAL_SEND'
  | 'BAD_RESPONSE_HEADER'

export abstract class ProtocolError extends Error {
  readonly code: ProtocolErrorCode
  /** The status code that fits this error when it is answered (400, 413, 414, 431, 501, 505, …). */
  readonly statusHint: number

  constructor(
    message: string,
    code: ProtocolErrorCode,
    statusHint = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.statusHint = statusHint
  }
}

/** This side (the application or the server) tried to break the protocol. */
export class LocalProtocolError extends ProtocolError {
  override name = 'LocalProtocolError'
}

/** The peer broke the protocol; answer with `statusHint` and close the connection. */
export class RemoteProtocolError extends ProtocolError {
  override name = 'RemoteProtocolError'
}

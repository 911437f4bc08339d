/**
 * The contract between the transport (sockets) and everything above it (router, framework, the observatory).
 * A handler receives a `Request` and returns a `Response` (or a Promise of one). Nothing here touches a socket.
 */
import type { HeaderFields, HeaderInit } from '../protocol/index.ts'

/** Who is on the other end of the connection. Read once per connection. */
export type Peer =
  | {
      readonly transport: 'tcp'
      /** Remote IP address as Node reports it (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`). */
      readonly address: string
      readonly port: number
      readonly family: 'IPv4' | 'IPv6'
    }
  | {
      readonly transport: 'unix'
      /** Socket path the server listens on. */
      readonly path: string
      /** Kernel-verified credentials (SO_PEERCRED / LOCAL_PEERCRED); absent where they cannot be read. */
      readonly pid?: number
      readonly uid?: number
      readonly gid?: number
    }

export interface Request {
  readonly method: string
  /** The request-target exactly as received (`/hook?event=X`, `*`, `http://h/p`, `host:443`). */
  readonly target: string
  /** The target's path part (before `?`), not percent-decoded. For absolute-form, the path of the URI. */
  readonly path: string
  /** The target's query part without the `?` (empty string when there is none), not decoded. */
  readonly query: string
  readonly version: '1.0' | '1.1'
  readonly headers: HeaderFields
  readonly peer: Peer
  /** Declared body length, when the request used Content-Length; `undefined` for chunked or no body. */
  readonly contentLength: number | undefined
  /** True when the request has a body to read (Content-Length > 0 or chunked). */
  readonly hasBody: boolean
  /**
   * The whole body as one buffer. Enforces `limit` (default: the server's `maxBodySize`) while reading and
   * rejects with an `HttpError`-like error carrying `status: 413` past it. Can be called once (or after
   * `stream()` was not used); later calls return the same buffer.
   */
  body(limit?: number): Promise<Uint8Array>
  /** The body as a stream of chunks (slices, not copies). Use either this or `body()`. */
  stream(limit?: number): AsyncIterable<Uint8Array>
  /** Aborted when the client goes away before the response is complete. */
  readonly signal: AbortSignal
}

/** Response bodies: text (sent as UTF-8), bytes, a stream of bytes (sent chunked unless a length is given). */
export type Body = string | Uint8Array | AsyncIterable<Uint8Array> | null | undefined

export interface Response {
  readonly status: number
  /** Reason phrase; the standard one for the status when omitted. */
  readonly reason?: string
  readonly headers?: HeaderInit
  readonly body?: Body
}

export type Handler = (request: Request) => Response | Promise<Response>

/**
 * A request the transport answered itself, before any handler saw it (`ServerOptions.onReject`): a head that
 * could not be parsed or broke a rule or a limit (400, 413 for a declared body past `maxBodySize`, 414, 417,
 * 431, 501, 505…), a head that took too long (408), a connection past `maxConnections` (503). Errors met while a
 * handler runs (a broken or oversized chunked body, a body timeout) reach the handler instead, and its answer is
 * its own.
 */
export interface RejectInfo {
  /** The status sent. */
  readonly status: number
  /** What was wrong, in a few words (`body of 2000 bytes exceeds 1000`, `the request head took too long`). */
  readonly reason: string
  /** The request line, when it was read before the request was refused; undefined otherwise. */
  readonly method?: string | undefined
  readonly target?: string | undefined
  readonly version?: '1.0' | '1.1' | undefined
  readonly peer: Peer
}

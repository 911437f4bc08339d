/**
 * Events: what the protocol core hands up (from the peer) and takes down (from the application).
 * A discriminated union on `type`, treated as read-only by everyone.
 */
import type { HeaderFields, HeaderInit } from './headers.ts'

/** A request head: everything up to and including the empty line. The body follows as `data` events. */
export interface RequestEvent {
  readonly type: 'request'
  readonly method: string
  /** The request-target as received: origin-form `/p?q`, absolute-form, authority-form or `*`. */
  readonly target: string
  readonly version: '1.0' | '1.1'
  readonly headers: HeaderFields
  /** Content-Length when the body is length-delimited, `undefined` when chunked; 0 when there is no body. */
  readonly contentLength: number | undefined
  /** True when the body is chunked. */
  readonly chunked: boolean
}

/** A piece of body. `data` may be a view into a received buffer: copy it to keep it past the next read. */
export interface DataEvent {
  readonly type: 'data'
  readonly data: Uint8Array
}

/** The body (and trailers, for chunked messages) is complete. */
export interface EndOfMessageEvent {
  readonly type: 'end-of-message'
  /** Trailer fields of a chunked body; empty otherwise. */
  readonly trailers?: HeaderFields
}

/** The peer closed its side cleanly between messages. */
export interface ConnectionClosedEvent {
  readonly type: 'connection-closed'
}

/** Events the server receives from a client. */
export type ClientEvent = RequestEvent | DataEvent | EndOfMessageEvent | ConnectionClosedEvent

/** A final response head (status 200-599). The body follows with `data` and `end-of-message`. */
export interface ResponseEvent {
  readonly type: 'response'
  readonly status: number
  /** Defaults to the standard reason phrase for `status`. */
  readonly reason?: string
  readonly headers?: HeaderInit
}

/** An interim response (status 100-199), such as `100 Continue`. */
export interface InformationalResponseEvent {
  readonly type: 'informational'
  readonly status: number
  readonly reason?: string
  readonly headers?: HeaderInit
}

/** Events the server sends to a client. */
export type ServerEvent =
  | ResponseEvent
  | InformationalResponseEvent
  | DataEvent
  | EndOfMessageEvent
  | ConnectionClosedEvent

/** `nextEvent()` found no complete event in what was received so far: feed more bytes. */
export const NEED_DATA: unique symbol = Symbol('NEED_DATA')
/**
 * `nextEvent()` will not read the next request until the current response is complete (pipelined requests wait
 * their turn, as in h11), or ever, when the connection is going to close.
 */
export const PAUSED: unique symbol = Symbol('PAUSED')

/**
 * Calls an app's transport handler directly with a real `IncomingRequest` (no socket), and reads the response
 * it returns: status, headers, body as text and as JSON.
 */
import { HeaderFields } from '../../src/protocol/headers.ts'
import { IncomingRequest } from '../../src/transport/request.ts'
import type { Handler, Peer, Response } from '../../src/transport/types.ts'

export interface CallOptions {
  method?: string
  headers?: Record<string, string> | [string, string][]
  /** Sent with Content-Length (string → UTF-8), or chunked when `chunked` is set. */
  body?: string | Uint8Array
  chunked?: boolean
  peer?: Peer
  /** The server's maxBodySize. */
  maxBodySize?: number
}

export interface CallResult {
  readonly status: number
  readonly headers: HeaderFields
  readonly text: string
  readonly bytes: Buffer
  /** True when the handler answered synchronously (no Promise). */
  readonly sync: boolean
  json(): unknown
}

export const TCP_PEER: Peer = {
  transport: 'tcp',
  address: '127.0.0.1',
  port: 40000,
  family: 'IPv4',
}

/** A real transport request for `target`, its body already pushed and ended. */
export function makeRequest(target: string, options: CallOptions = {}): IncomingRequest {
  const headers = HeaderFields.from(options.headers ?? [])
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body
  const chunked = options.chunked === true
  const contentLength = body === undefined || chunked ? (chunked ? undefined : 0) : body.length
  if (contentLength !== undefined && contentLength > 0 && !headers.has('content-length')) {
    headers.raw.push('Content-Length', String(contentLength))
  }
  const request = new IncomingRequest(
    {
      type: 'request',
      method: options.method ?? 'GET',
      target,
      version: '1.1',
      headers,
      contentLength,
      chunked,
    },
    options.peer ?? TCP_PEER,
    { onWantBody: () => {}, onDrain: () => {} },
    options.maxBodySize ?? 8 * 1024 * 1024,
  )
  if (body !== undefined && body.length > 0) request.push(body)
  request.end()
  return request
}

export async function call(
  handler: Handler,
  target: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const answer = handler(makeRequest(target, options))
  return readResponse(answer)
}

/** Awaits a handler's answer and reads it; `sync` tells whether it came without a Promise. */
export async function readResponse(answer: Response | Promise<Response>): Promise<CallResult> {
  const sync = !(answer instanceof Promise)
  const response: Response = await answer
  const bytes = await readBody(response.body)
  const text = bytes.toString('utf8')
  return {
    status: response.status,
    headers: HeaderFields.from(response.headers),
    text,
    bytes,
    sync,
    json: () => JSON.parse(text),
  }
}

async function readBody(body: Response['body']): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0)
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return Buffer.from(body)
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}

/** A logger that keeps what it is told. */
export function memoryLogger(): {
  lines: string[]
  debug(m: string): void
  info(m: string): void
  warn(m: string): void
  error(m: string): void
} {
  const lines: string[] = []
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  }
}

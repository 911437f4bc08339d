import { reasonPhrase } from '../protocol/index.ts'
import { httpDate } from './http-date.ts'

/**
 * A complete response that closes the connection, written without a ServerConnection: for refusals made
 * before any request was read (too many connections: 503) or when the head never completed (408).
 */
export function cannedResponse(status: number, message: string, extra = ''): Buffer {
  const body = `${reasonPhrase(status)}: ${message}\n`
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${httpDate()}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${extra}Connection: close\r\n\r\n${body}`,
    'latin1',
  )
}

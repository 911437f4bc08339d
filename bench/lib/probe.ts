/**
 * The check every server passes before it is measured: right answers to each scenario's request, including
 * `Connection: close` (the server must close) and pipelining (all answers, in order). Raw sockets, so nothing
 * in a client library can paper over a server's mistake.
 */

import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { ECHO_BODY_FILE } from './load.ts'

interface Exchange {
  /** Everything the server sent. */
  readonly text: string
  /** Whether the server closed the connection (within the time limit). */
  readonly closed: boolean
}

/** Writes `request`, reads until `done(text)` is true or the server closes, for at most `timeoutMs`. */
function exchange(
  port: number,
  request: Buffer,
  done: (text: string) => boolean,
  timeoutMs = 3000,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let text = ''
    let finished = false
    const finish = (closed: boolean) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ text, closed })
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      if (done(text)) finish(false)
    })
    socket.on('end', () => finish(true))
    socket.on('close', () => finish(true))
    socket.on('error', (error) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      reject(error)
    })
  })
}

/** Splits a stream of responses with Content-Length bodies into [status, headers, body] triples. */
export function splitResponses(text: string): { status: number; head: string; body: string }[] {
  const out: { status: number; head: string; body: string }[] = []
  let pos = 0
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos)
    if (end === -1) break
    const head = text.slice(pos, end)
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    let body: string
    if (cl !== null) {
      body = text.slice(end + 4, end + 4 + Number(cl[1]))
      if (body.length < Number(cl[1])) break
      pos = end + 4 + body.length
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      // Decode a chunked body (some servers stream small JSON this way).
      let p = end + 4
      body = ''
      for (;;) {
        const lineEnd = text.indexOf('\r\n', p)
        if (lineEnd === -1) return out
        const size = Number.parseInt(text.slice(p, lineEnd), 16)
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', lineEnd)
          if (trailerEnd === -1 && text.slice(lineEnd, lineEnd + 4) !== '\r\n\r\n') return out
          p = text.slice(lineEnd, lineEnd + 4) === '\r\n\r\n' ? lineEnd + 4 : trailerEnd + 4
          break
        }
        body += text.slice(lineEnd + 2, lineEnd + 2 + size)
        p = lineEnd + 2 + size + 2
      }
      pos = p
    } else {
      body = text.slice(end + 4)
      pos = text.length
    }
    out.push({ status, head, body })
  }
  return out
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what)
}

const req = (lines: string[], body = ''): string =>
  `${lines.join('\r\n')}\r\nHost: 127.0.0.1\r\n${body === '' ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`

/** What the check noticed that is allowed but worth a note in the report. */
export interface ProbeFacts {
  /** The answer to a `Connection: close` request said `Connection: close` too (RFC 9112 §9.6: SHOULD). */
  readonly closeHeader: boolean
}

/** Throws an Error naming the first wrong answer. */
export async function probeServer(port: number): Promise<ProbeFacts> {
  const one = async (request: string) => {
    const x = await exchange(port, Buffer.from(request), (t) => splitResponses(t).length >= 1)
    const r = splitResponses(x.text)[0]
    expect(r !== undefined, `no response to ${JSON.stringify(request.split('\r\n')[0])}`)
    return r!
  }

  const hello = await one(req(['GET / HTTP/1.1']))
  expect(hello.status === 200, `GET / answered ${hello.status}`)
  expect(
    hello.body === 'Hello, World!',
    `GET / body was ${JSON.stringify(hello.body.slice(0, 60))}`,
  )

  const user = await one(req(['GET /users/42 HTTP/1.1']))
  expect(user.status === 200, `GET /users/42 answered ${user.status}`)
  const userBody: unknown = JSON.parse(user.body)
  expect(
    JSON.stringify(userBody) === JSON.stringify({ id: 42, name: 'user 42' }),
    `GET /users/42 body was ${user.body.slice(0, 80)}`,
  )

  const sent = readFileSync(ECHO_BODY_FILE, 'utf8')
  const echo = await one(req(['POST /echo HTTP/1.1'], sent))
  expect(echo.status === 200, `POST /echo answered ${echo.status}`)
  expect(
    JSON.stringify(JSON.parse(echo.body)) === JSON.stringify(JSON.parse(sent)),
    'POST /echo did not send the same JSON back',
  )

  const close = await exchange(
    port,
    Buffer.from(req(['GET / HTTP/1.1', 'Connection: close'])),
    () => false,
  )
  const closeAnswers = splitResponses(close.text)
  expect(closeAnswers[0]?.status === 200, 'GET / with Connection: close got no 200')
  expect(close.closed, 'the server did not close the connection after Connection: close')
  const closeHeader = /\r\nconnection:[^\r]*\bclose\b/i.test(closeAnswers[0]!.head)

  const depth = 16
  const batch = Buffer.from(
    Array.from({ length: depth }, (_, i) => req([`GET /users/${i + 1} HTTP/1.1`])).join(''),
  )
  const piped = await exchange(port, batch, (t) => splitResponses(t).length >= depth)
  const answers = splitResponses(piped.text)
  expect(answers.length === depth, `pipelining: ${answers.length} of ${depth} answers`)
  answers.forEach((a, i) => {
    expect(
      a.status === 200 && (JSON.parse(a.body) as { id?: number }).id === i + 1,
      `pipelining: answer ${i + 1} out of order or wrong`,
    )
  })
  return { closeHeader }
}

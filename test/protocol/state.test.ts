import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ServerConnection } from '../../src/protocol/connection.ts'
import { RemoteProtocolError } from '../../src/protocol/errors.ts'
import { NEED_DATA, PAUSED } from '../../src/protocol/events.ts'
import {
  bytes,
  drain,
  EOF,
  fieldValues,
  hasToken,
  parseResponses,
  text,
  toExpected,
  wire,
} from './helpers.ts'

const GET = (target = '/') => `GET ${target} HTTP/1.1\r\nHost: example.com\r\n\r\n`
const OK_EMPTY = { type: 'response', status: 200, headers: [['Content-Length', '0']] } as const
const END = { type: 'end-of-message' } as const

function next(conn: ServerConnection) {
  const ev = conn.nextEvent()
  return ev === NEED_DATA || ev === PAUSED ? ev : toExpected(ev)
}

function catchRemote(fn: () => unknown): RemoteProtocolError {
  try {
    fn()
  } catch (err) {
    assert.ok(
      err instanceof RemoteProtocolError,
      `expected RemoteProtocolError, got ${String(err)}`,
    )
    return err
  }
  assert.fail('nothing was thrown')
}

describe('states through one cycle (RFC 9112 §9.3)', () => {
  test('a fresh connection is idle on both sides and keeps alive', () => {
    const conn = new ServerConnection()
    assert.equal(conn.theirState, 'IDLE')
    assert.equal(conn.ourState, 'IDLE')
    assert.equal(conn.keepAlive, true)
    assert.equal(conn.clientIsWaitingFor100Continue, false)
    assert.equal(conn.trailingData.data.length, 0)
    assert.equal(conn.trailingData.closed, false)
    assert.equal(conn.nextEvent(), NEED_DATA)
  })

  test('request with a body: IDLE → SEND_BODY → DONE, and ours IDLE → SEND_RESPONSE → SEND_BODY → DONE', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhe'))
    assert.equal((next(conn) as { type: string }).type, 'request')
    assert.equal(conn.theirState, 'SEND_BODY')
    assert.equal(conn.ourState, 'SEND_RESPONSE')
    assert.deepStrictEqual(next(conn), { type: 'data', data: 'he' })
    assert.equal(conn.nextEvent(), NEED_DATA)
    conn.receiveData(bytes('llo'))
    assert.deepStrictEqual(next(conn), { type: 'data', data: 'llo' })
    assert.deepStrictEqual(next(conn), { type: 'end-of-message', trailers: [] })
    assert.equal(conn.theirState, 'DONE')
    assert.equal(conn.nextEvent(), PAUSED)
    conn.send({ type: 'response', status: 200, headers: [['Content-Length', '2']] })
    assert.equal(conn.ourState, 'SEND_BODY')
    conn.send({ type: 'data', data: bytes('ok') })
    conn.send(END)
    assert.equal(conn.ourState, 'DONE')
    assert.equal(conn.nextEvent(), NEED_DATA)
    assert.equal(conn.theirState, 'IDLE')
    assert.equal(conn.ourState, 'IDLE')
  })

  test('a pipelined request waits (PAUSED) until the whole response is sent', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(GET('/a') + GET('/b')))
    assert.equal((next(conn) as { target: string }).target, '/a')
    assert.equal((next(conn) as { type: string }).type, 'end-of-message')
    assert.equal(conn.nextEvent(), PAUSED)
    assert.equal(conn.nextEvent(), PAUSED, 'PAUSED again, nothing moved')
    conn.send({ type: 'response', status: 200, headers: [['Content-Length', '1']] })
    assert.equal(conn.nextEvent(), PAUSED, 'head sent but not the body')
    conn.send({ type: 'data', data: bytes('x') })
    assert.equal(conn.nextEvent(), PAUSED, 'body sent but not its end')
    conn.send(END)
    assert.equal((next(conn) as { target: string }).target, '/b')
  })

  test('a response may be sent before the request body is read; the cycle ends when both are done', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n'))
    drain(conn)
    conn.send(OK_EMPTY)
    conn.send(END)
    assert.equal(conn.ourState, 'DONE')
    assert.equal(conn.theirState, 'SEND_BODY')
    conn.receiveData(bytes(`abc${GET('/next')}`))
    const events = drain(conn).map(toExpected)
    assert.deepStrictEqual(events.slice(0, 2), [
      { type: 'data', data: 'abc' },
      { type: 'end-of-message', trailers: [] },
    ])
    assert.equal((events[2] as { target: string }).target, '/next')
  })
})

describe('keep-alive and closing (RFC 9112 §9.3, §9.6)', () => {
  test('Connection: close: keepAlive false at the head, MUST_CLOSE after the response, later bytes kept unparsed', () => {
    const conn = new ServerConnection()
    const second = GET('/b')
    conn.receiveData(bytes(`GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n${second}`))
    next(conn)
    assert.equal(conn.keepAlive, false)
    next(conn)
    const out = wire(conn.send(OK_EMPTY)) + wire(conn.send(END))
    assert.ok(hasToken(fieldValues(parseResponses(out).heads[0]!, 'connection'), 'close'))
    assert.equal(conn.ourState, 'MUST_CLOSE')
    for (let i = 0; i < 3; i++) assert.equal(conn.nextEvent(), PAUSED)
    assert.equal(text(conn.trailingData.data), second)
  })

  test('HTTP/1.0 without keep-alive: keepAlive false from the head on', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.0\r\n\r\n'))
    next(conn)
    assert.equal(conn.keepAlive, false)
  })

  test('HTTP/1.0 with keep-alive and a length: the connection is reused', () => {
    const conn = new ServerConnection()
    conn.receiveData(
      bytes('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n'),
    )
    drain(conn)
    assert.equal(conn.keepAlive, true)
    const out = wire(conn.send(OK_EMPTY)) + wire(conn.send(END))
    assert.ok(hasToken(fieldValues(parseResponses(out).heads[0]!, 'connection'), 'keep-alive'))
    assert.equal((next(conn) as { target: string }).target, '/b')
  })

  test('smuggling: CL and TE together, the hidden request never comes out, even after EOF', () => {
    const hidden = 'GET /admin HTTP/1.1\r\nHost: a\r\n\r\n'
    const conn = new ServerConnection()
    conn.receiveData(
      bytes(
        `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`,
      ),
    )
    const events = drain(conn).map(toExpected)
    assert.deepStrictEqual(
      events.map((e) => e.type),
      ['request', 'end-of-message'],
    )
    assert.equal((events[0] as { chunked: boolean }).chunked, true)
    assert.equal(conn.keepAlive, false)
    const out = wire(conn.send(OK_EMPTY)) + wire(conn.send(END))
    assert.ok(hasToken(fieldValues(parseResponses(out).heads[0]!, 'connection'), 'close'))
    assert.equal(conn.ourState, 'MUST_CLOSE')
    assert.equal(conn.nextEvent(), PAUSED)
    assert.equal(text(conn.trailingData.data), hidden)
    conn.receiveData(EOF)
    // After EOF, PAUSED or connection-closed are both fair answers; the hidden request is never one.
    for (let i = 0; i < 3; i++) {
      const ev = next(conn)
      assert.ok(
        ev === PAUSED || (typeof ev === 'object' && ev.type === 'connection-closed'),
        String(ev),
      )
    }
    assert.equal(conn.trailingData.closed, true)
  })

  test('a response without a length for an HTTP/1.0 client ends in MUST_CLOSE', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'))
    drain(conn)
    conn.send({ type: 'response', status: 200 })
    assert.equal(conn.keepAlive, false)
    conn.send({ type: 'data', data: bytes('abc') })
    conn.send(END)
    assert.equal(conn.ourState, 'MUST_CLOSE')
  })
})

describe('Expect: 100-continue (RFC 9110 §10.1.1)', () => {
  const HEAD = 'PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'

  test('waiting after the head, not after a 100 is sent', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(HEAD))
    next(conn)
    assert.equal(conn.clientIsWaitingFor100Continue, true)
    assert.equal(
      wire(conn.send({ type: 'informational', status: 100 })),
      'HTTP/1.1 100 Continue\r\n\r\n',
    )
    assert.equal(conn.clientIsWaitingFor100Continue, false)
    assert.equal(conn.keepAlive, true)
  })

  test('not waiting once body bytes arrive', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(HEAD))
    next(conn)
    conn.receiveData(bytes('a'))
    assert.deepStrictEqual(next(conn), { type: 'data', data: 'a' })
    assert.equal(conn.clientIsWaitingFor100Continue, false)
  })

  test('a final response ends the wait and, with the body unread, keep-alive', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(HEAD))
    next(conn)
    const out = wire(
      conn.send({ type: 'response', status: 417, headers: [['Content-Length', '0']] }),
    )
    assert.equal(conn.clientIsWaitingFor100Continue, false)
    assert.equal(conn.keepAlive, false)
    assert.ok(hasToken(fieldValues(parseResponses(out).heads[0]!, 'connection'), 'close'))
  })

  test('upper-case 100-Continue counts', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(HEAD.replace('100-continue', '100-CONTINUE')))
    next(conn)
    assert.equal(conn.clientIsWaitingFor100Continue, true)
  })

  test('ignored in HTTP/1.0', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'))
    next(conn)
    assert.equal(conn.clientIsWaitingFor100Continue, false)
  })

  test('no Expect, no waiting', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n'))
    next(conn)
    assert.equal(conn.clientIsWaitingFor100Continue, false)
  })
})

describe('end of input (RFC 9112 §8, §9.6)', () => {
  test('EOF while idle: connection-closed, theirState CLOSED', () => {
    const conn = new ServerConnection()
    conn.receiveData(EOF)
    assert.deepStrictEqual(next(conn), { type: 'connection-closed' })
    assert.equal(conn.theirState, 'CLOSED')
    assert.equal(conn.trailingData.closed, true)
  })

  test('EOF between requests, after the response', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(GET()))
    drain(conn)
    conn.send(OK_EMPTY)
    conn.send(END)
    assert.equal(conn.nextEvent(), NEED_DATA)
    conn.receiveData(EOF)
    assert.deepStrictEqual(next(conn), { type: 'connection-closed' })
  })

  test('EOF inside a head: UNEXPECTED_EOF and theirState ERROR', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHo'))
    assert.equal(conn.nextEvent(), NEED_DATA)
    conn.receiveData(EOF)
    const err = catchRemote(() => conn.nextEvent())
    assert.equal(err.code, 'UNEXPECTED_EOF')
    assert.equal(conn.theirState, 'ERROR')
  })

  test('EOF inside a body', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab'))
    drain(conn)
    conn.receiveData(EOF)
    assert.equal(catchRemote(() => conn.nextEvent()).code, 'UNEXPECTED_EOF')
  })
})

describe('after a protocol error', () => {
  test('theirState ERROR; one response with the hinted status goes out with Connection: close', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/2.0\r\nHost: a\r\n\r\n'))
    const err = catchRemote(() => conn.nextEvent())
    assert.equal(err.statusHint, 505)
    assert.equal(conn.theirState, 'ERROR')
    const out =
      wire(
        conn.send({ type: 'response', status: err.statusHint, headers: [['Content-Length', '0']] }),
      ) + wire(conn.send(END))
    const { heads } = parseResponses(out)
    assert.equal(heads[0]!.status, 505)
    assert.ok(hasToken(fieldValues(heads[0]!, 'connection'), 'close'))
    assert.equal(conn.keepAlive, false)
    assert.notEqual(conn.ourState, 'IDLE')
  })

  test('CONNECT: refused with 501 before any application sees it; the tunnel bytes are never read', () => {
    // RFC 9110 §9.3.6: a 2xx to CONNECT would switch the connection to a tunnel, which this server cannot be.
    const conn = new ServerConnection()
    const tunnel = 'GET /admin HTTP/1.1\r\nHost: a\r\n\r\n'
    conn.receiveData(
      bytes(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${tunnel}`),
    )
    const err = catchRemote(() => conn.nextEvent())
    assert.equal(err.code, 'METHOD_NOT_IMPLEMENTED')
    assert.equal(err.statusHint, 501)
    assert.equal(conn.theirState, 'ERROR')
    assert.equal(conn.currentRequest, undefined)
    const out =
      wire(conn.send({ type: 'response', status: 501, headers: [['Content-Length', '0']] })) +
      wire(conn.send(END))
    const { heads } = parseResponses(out)
    assert.equal(heads[0]!.status, 501)
    assert.ok(hasToken(fieldValues(heads[0]!, 'connection'), 'close'))
    assert.equal(conn.keepAlive, false)
    assert.equal(conn.ourState, 'MUST_CLOSE')
    catchRemote(() => conn.nextEvent())
    assert.ok(text(conn.trailingData.data).endsWith(tunnel))
  })

  test('413 for a too-large Content-Length, answered before any body is read', () => {
    const conn = new ServerConnection({ limits: { maxBodySize: 4 } })
    conn.receiveData(bytes('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n'))
    const err = catchRemote(() => conn.nextEvent())
    assert.equal(err.code, 'BODY_TOO_LARGE')
    const out = wire(
      conn.send({ type: 'response', status: 413, headers: [['Content-Length', '0']] }),
    )
    assert.ok(hasToken(fieldValues(parseResponses(out).heads[0]!, 'connection'), 'close'))
  })

  test('pipelined: two good requests come out, each after its response, then the error', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(`${GET('/a')}${GET('/b')}BAD\x01LINE\r\n\r\n`))
    assert.equal((next(conn) as { target: string }).target, '/a')
    next(conn)
    assert.equal(conn.nextEvent(), PAUSED)
    conn.send(OK_EMPTY)
    conn.send(END)
    assert.equal((next(conn) as { target: string }).target, '/b')
    next(conn)
    assert.equal(conn.nextEvent(), PAUSED)
    conn.send(OK_EMPTY)
    conn.send(END)
    const err = catchRemote(() => conn.nextEvent())
    assert.equal(err.statusHint, 400)
    assert.equal(conn.theirState, 'ERROR')
  })
})

describe('keepBuffered: the caller reuses its chunk memory', () => {
  // A transport that reads every socket into one reused buffer calls keepBuffered() after each chunk; the bytes
  // not consumed yet must then no longer depend on that memory.
  const reuse = (chunk: Buffer) => chunk.fill(0x78) // what the next read would do: overwrite it

  test('a head cut in two, its first half overwritten before the rest arrives', () => {
    const conn = new ServerConnection()
    const first = Buffer.from('GET /kept?x=1 HTTP/1.1\r\nHo')
    conn.receiveData(first)
    assert.equal(conn.nextEvent(), NEED_DATA)
    conn.keepBuffered()
    reuse(first)
    conn.receiveData(Buffer.from('st: example.com\r\n\r\n'))
    const event = next(conn) as unknown as { target: string; headers: string[][] }
    assert.equal(event.target, '/kept?x=1')
    assert.deepEqual(event.headers, [['Host', 'example.com']])
  })

  test('a pipelined request left over while the first is answered', () => {
    const conn = new ServerConnection()
    const chunk = Buffer.from(`${GET('/a')}${GET('/second-one')}`)
    conn.receiveData(chunk)
    assert.equal((next(conn) as { target: string }).target, '/a')
    next(conn)
    assert.equal(conn.nextEvent(), PAUSED)
    conn.keepBuffered()
    reuse(chunk)
    assert.equal(conn.bufferedBytes, GET('/second-one').length)
    conn.send(OK_EMPTY)
    conn.send(END)
    assert.equal((next(conn) as { target: string }).target, '/second-one')
  })

  test('nothing left over: nothing is copied, and the next chunk reads as usual', () => {
    const conn = new ServerConnection()
    const chunk = Buffer.from(GET('/a'))
    conn.receiveData(chunk)
    next(conn)
    next(conn)
    conn.keepBuffered()
    reuse(chunk)
    assert.equal(conn.bufferedBytes, 0)
    conn.send(OK_EMPTY)
    conn.send(END)
    conn.receiveData(Buffer.from(GET('/b')))
    assert.equal((next(conn) as { target: string }).target, '/b')
  })
})

describe('clientSentEverything: may the transport close without lingering? (RFC 9112 §9.6)', () => {
  test('Connection: close, no body: yes, before and after the end of the message is taken', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'))
    next(conn)
    assert.equal(conn.clientSentEverything, true)
    next(conn)
    assert.equal(conn.clientSentEverything, true)
  })

  test('keep-alive client: no, it may send another request', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(GET()))
    next(conn)
    next(conn)
    assert.equal(conn.clientSentEverything, false)
  })

  test('Connection: close with a body: only once the whole body has been read', () => {
    const conn = new ServerConnection()
    conn.receiveData(
      bytes('POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 4\r\n\r\nab'),
    )
    next(conn)
    assert.equal(conn.clientSentEverything, false)
    next(conn) // data "ab"
    assert.equal(conn.clientSentEverything, false)
    conn.receiveData(bytes('cd'))
    next(conn) // data "cd"
    next(conn) // end-of-message
    assert.equal(conn.clientSentEverything, true)
  })

  test('bytes after the request are unread input: no', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes(`GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n${GET('/more')}`))
    next(conn)
    next(conn)
    assert.equal(conn.clientSentEverything, false)
  })

  test('HTTP/1.0 without keep-alive: yes; Content-Length with Transfer-Encoding (closed by us, not by the client): no', () => {
    const old = new ServerConnection()
    old.receiveData(bytes('GET / HTTP/1.0\r\n\r\n'))
    next(old)
    assert.equal(old.clientSentEverything, true)
    const both = new ServerConnection()
    both.receiveData(
      bytes(
        'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    )
    next(both)
    next(both)
    assert.equal(both.keepAlive, false)
    assert.equal(both.clientSentEverything, false)
  })

  test('after a protocol error: no', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nConnection: close\r\n\r\n'))
    catchRemote(() => conn.nextEvent())
    assert.equal(conn.clientSentEverything, false)
  })
})

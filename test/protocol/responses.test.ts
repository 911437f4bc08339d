import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ServerConnection } from '../../src/protocol/connection.ts'
import { LocalProtocolError } from '../../src/protocol/errors.ts'
import { RESPONSE_VECTORS, type ResponseVector } from '../vectors/responses.ts'
import {
  bytes,
  describe as describeError,
  drain,
  fieldValues,
  hasToken,
  parseResponses,
  wire,
} from './helpers.ts'

function connectionFor(v: ResponseVector): ServerConnection {
  const date = v.date
  const conn = new ServerConnection(date === undefined ? {} : { date: () => date })
  conn.receiveData(bytes(v.request))
  drain(conn)
  return conn
}

function run(v: ResponseVector): void {
  const conn = connectionFor(v)
  const exp = v.expect
  if ('error' in exp) {
    let out = ''
    for (let i = 0; i < exp.error.at; i++) out += wire(conn.send(v.sends[i]!))
    const before = conn.ourState
    assert.throws(
      () => conn.send(v.sends[exp.error.at]!),
      (err: unknown) => {
        assert.ok(
          err instanceof LocalProtocolError,
          `expected LocalProtocolError, got ${describeError(err)}`,
        )
        if (exp.error.code !== undefined) assert.equal(err.code, exp.error.code)
        return true
      },
    )
    if (exp.recoverable) {
      assert.equal(conn.ourState, before, 'a refused header leaves ourState alone')
      out += wire(conn.send({ type: 'response', status: 500, headers: [['Content-Length', '0']] }))
      out += wire(conn.send({ type: 'end-of-message' }))
      const { heads, body } = parseResponses(out)
      assert.equal(heads.at(-1)!.status, 500)
      assert.equal(body, '')
    }
    return
  }
  let out = ''
  for (const ev of v.sends) out += wire(conn.send(ev))
  if ('bytes' in exp) {
    assert.equal(out, exp.bytes)
  } else {
    const { heads, body } = parseResponses(out)
    const head = heads.at(-1)!
    assert.equal(head.version, 'HTTP/1.1')
    assert.equal(head.status, exp.status)
    if (exp.reason !== undefined) assert.equal(head.reason, exp.reason)
    for (const [name, values] of Object.entries(exp.fields ?? {})) {
      assert.deepStrictEqual(fieldValues(head, name), values, `field ${name}`)
    }
    if (exp.inOrder) {
      let at = -1
      for (const [n, val] of exp.inOrder) {
        const i = head.headers.findIndex(([hn, hv], j) => j > at && hn === n && hv === val)
        assert.ok(i > at, `${n}: ${val} missing or out of order in ${JSON.stringify(head.headers)}`)
        at = i
      }
    }
    if (exp.connectionToken !== undefined) {
      const values = fieldValues(head, 'connection')
      assert.ok(hasToken(values, exp.connectionToken), `Connection ${JSON.stringify(values)}`)
    }
    assert.equal(body, exp.body)
  }
  if (exp.keepAlive !== undefined) assert.equal(conn.keepAlive, exp.keepAlive, 'keepAlive')
}

describe('response vectors', () => {
  test('vector names are unique', () => {
    assert.equal(new Set(RESPONSE_VECTORS.map((v) => v.name)).size, RESPONSE_VECTORS.length)
  })
  for (const v of RESPONSE_VECTORS) test(`${v.name} (${v.rfc})`, () => run(v))
})

describe('response serializer', () => {
  test('HEAD: data returns no bytes at all', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('HEAD / HTTP/1.1\r\nHost: a\r\n\r\n'))
    drain(conn)
    conn.send({ type: 'response', status: 200, headers: [['Content-Length', '3']] })
    const parts = conn.send({ type: 'data', data: bytes('abc') })
    assert.equal(wire(parts), '')
    assert.equal(wire(conn.send({ type: 'end-of-message' })), '')
    assert.equal(conn.ourState, 'DONE')
  })

  test('chunk sizes are hexadecimal', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
    drain(conn)
    conn.send({ type: 'response', status: 200 })
    const out = wire(conn.send({ type: 'data', data: bytes('z'.repeat(255)) }))
    assert.match(out, /^ff\r\n/i)
    assert.equal(out.length, 2 + 2 + 255 + 2)
    assert.ok(out.endsWith('z\r\n'))
  })

  test('a refused header does not consume the response: a fixed one follows', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
    drain(conn)
    assert.throws(
      () => conn.send({ type: 'response', status: 200, headers: [['X', 'a\r\nb']] }),
      LocalProtocolError,
    )
    assert.equal(conn.ourState, 'SEND_RESPONSE')
    const out = wire(
      conn.send({ type: 'response', status: 200, headers: [['Content-Length', '0']] }),
    )
    assert.equal(out, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
  })

  test('informational responses are refused once the final one is sent', () => {
    const conn = new ServerConnection()
    conn.receiveData(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
    drain(conn)
    conn.send({ type: 'response', status: 200, headers: [['Content-Length', '0']] })
    assert.throws(() => conn.send({ type: 'informational', status: 100 }), LocalProtocolError)
  })
})

/**
 * Response vectors: a request read first (its events drained), then what the application sends, and what
 * `send()` must turn it into. Strings are latin1, one byte per code unit.
 */
import type { ProtocolErrorCode } from '../../src/protocol/errors.ts'
import type { ServerEvent } from '../../src/protocol/events.ts'

export interface ResponseHeadExpectation {
  readonly status: number
  readonly reason?: string
  /** Lower-case field name → its values, one per field line, in order; `[]` means the field must be absent. */
  readonly fields?: Readonly<Record<string, readonly string[]>>
  /** Field lines that must appear in this relative order (other lines may come between them). */
  readonly inOrder?: readonly (readonly [string, string])[]
  /** A `Connection` token that must be present (`close`, `keep-alive`). */
  readonly connectionToken?: string
  /** The bytes after the final head, exactly. */
  readonly body: string
  /** `conn.keepAlive` after every send. */
  readonly keepAlive?: boolean
}

export interface ResponseVector {
  readonly name: string
  readonly rfc: string
  /** The request, fed whole and drained before anything is sent. */
  readonly request: string
  /** Value for the connection's `date` option. */
  readonly date?: string
  readonly sends: readonly ServerEvent[]
  readonly expect:
    | { readonly bytes: string; readonly keepAlive?: boolean }
    | ResponseHeadExpectation
    | {
        /** `sends[at]` throws a LocalProtocolError (with `code` when given); the sends before it succeed. */
        readonly error: { readonly at: number; readonly code?: ProtocolErrorCode }
        /** The failed send left `ourState` alone, and a 500 with Content-Length 0 can still be sent. */
        readonly recoverable?: boolean
      }
}

const GET = 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'
const HEAD = 'HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n'
const GET10 = 'GET / HTTP/1.0\r\n\r\n'
const GET10_KEEP = 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
const GET_CLOSE = 'GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
const PUT_CONTINUE =
  'PUT /f HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'

const body = (s: string): ServerEvent => ({
  type: 'data',
  data: new Uint8Array(Buffer.from(s, 'latin1')),
})
const end: ServerEvent = { type: 'end-of-message' }
const response = (
  status: number,
  headers: readonly (readonly [string, string])[] = [],
  reason?: string,
): ServerEvent =>
  reason === undefined
    ? { type: 'response', status, headers }
    : { type: 'response', status, headers, reason }
const cl = (n: number): readonly [string, string] => ['Content-Length', String(n)]
const DATE = 'Tue, 01 Jan 2030 00:00:00 GMT'

export const RESPONSE_VECTORS: readonly ResponseVector[] = [
  // Status line and app headers (RFC 9112 §4, RFC 9110 §15)
  {
    name: 'status line, Content-Length from the app, body',
    rfc: 'RFC 9112 §4',
    request: GET,
    sends: [response(200, [cl(2)]), body('hi'), end],
    expect: { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi', keepAlive: true },
  },
  {
    name: 'app headers come out as given, in order',
    rfc: 'RFC 9110 §5.3',
    request: GET,
    sends: [
      response(404, [['Content-Type', 'text/plain'], ['X-B', 'b'], ['x-a', 'a'], cl(9)]),
      body('not found'),
      end,
    ],
    expect: {
      bytes:
        'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-B: b\r\nx-a: a\r\nContent-Length: 9\r\n\r\nnot found',
    },
  },
  {
    name: 'repeated app fields stay separate lines',
    rfc: 'RFC 9110 §5.3',
    request: GET,
    sends: [response(200, [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], cl(0)]), end],
    expect: {
      bytes: 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n',
    },
  },
  {
    name: 'a reason phrase given by the app',
    rfc: 'RFC 9112 §4',
    request: GET,
    sends: [response(200, [cl(0)], 'Fine'), end],
    expect: { bytes: 'HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n' },
  },
  {
    name: 'standard reason for 500',
    rfc: 'RFC 9110 §15.6.1',
    request: GET,
    sends: [response(500, [cl(0)]), end],
    expect: { status: 500, reason: 'Internal Server Error', body: '' },
  },
  {
    name: 'standard reason for 301',
    rfc: 'RFC 9110 §15.4.2',
    request: GET,
    sends: [response(301, [['Location', '/new'], cl(0)]), end],
    expect: { status: 301, reason: 'Moved Permanently', fields: { location: ['/new'] }, body: '' },
  },
  {
    name: 'headers given as a record',
    rfc: 'RFC 9110 §5.3',
    request: GET,
    sends: [
      {
        type: 'response',
        status: 200,
        headers: { 'X-One': '1', 'Set-Cookie': ['a=1', 'b=2'], 'Content-Length': '0' },
      },
      end,
    ],
    expect: {
      status: 200,
      fields: { 'x-one': ['1'], 'set-cookie': ['a=1', 'b=2'], 'content-length': ['0'] },
      body: '',
    },
  },
  {
    name: 'obs-text in a value goes out as latin1 bytes',
    rfc: 'RFC 9110 §5.5',
    request: GET,
    sends: [response(200, [['X-Name', 'caf\xe9'], cl(0)]), end],
    expect: { bytes: 'HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Length: 0\r\n\r\n' },
  },

  // Date (RFC 9110 §6.6.1)
  {
    name: 'Date added from the date option',
    rfc: 'RFC 9110 §6.6.1',
    request: GET,
    date: DATE,
    sends: [response(200, [cl(0)]), end],
    expect: { status: 200, fields: { date: [DATE], 'content-length': ['0'] }, body: '' },
  },
  {
    name: 'a Date from the app is kept and not doubled',
    rfc: 'RFC 9110 §6.6.1',
    request: GET,
    date: DATE,
    sends: [response(200, [['date', 'Mon, 02 Feb 2026 10:00:00 GMT'], cl(0)]), end],
    expect: { status: 200, fields: { date: ['Mon, 02 Feb 2026 10:00:00 GMT'] }, body: '' },
  },

  // Framing (RFC 9112 §6)
  {
    name: 'no length given: chunked for an HTTP/1.1 client',
    rfc: 'RFC 9112 §6.1',
    request: GET,
    sends: [
      response(200, [['Content-Type', 'text/plain']]),
      body('hello'),
      body(' world, sixteen!'),
      end,
    ],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': ['chunked'], 'content-length': [] },
      inOrder: [['Content-Type', 'text/plain']],
      body: '5\r\nhello\r\n10\r\n world, sixteen!\r\n0\r\n\r\n',
      keepAlive: true,
    },
  },
  {
    name: 'empty data sends nothing in chunked output',
    rfc: 'RFC 9112 §7.1',
    request: GET,
    sends: [response(200), body(''), body('ab'), body(''), end],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': ['chunked'] },
      body: '2\r\nab\r\n0\r\n\r\n',
    },
  },
  {
    name: 'chunked framing with no data at all',
    rfc: 'RFC 9112 §7.1',
    request: GET,
    sends: [response(200), end],
    expect: { status: 200, fields: { 'transfer-encoding': ['chunked'] }, body: '0\r\n\r\n' },
  },
  {
    name: 'Transfer-Encoding: chunked from the app is used once',
    rfc: 'RFC 9112 §6.1',
    request: GET,
    sends: [response(200, [['Transfer-Encoding', 'chunked']]), body('abc'), end],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': ['chunked'], 'content-length': [] },
      body: '3\r\nabc\r\n0\r\n\r\n',
    },
  },
  {
    name: 'Transfer-Encoding: chunked;x from the app is not chunked: body as given, then close',
    rfc: 'RFC 9112 §6.1',
    request: GET,
    sends: [response(200, [['Transfer-Encoding', 'chunked;x']]), body('abc'), end],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': ['chunked;x'], 'content-length': [] },
      connectionToken: 'close',
      body: 'abc',
      keepAlive: false,
    },
  },
  {
    name: 'Transfer-Encoding: gzip, chunked;x from the app, whole body: not chunked either',
    rfc: 'RFC 9112 §6.1',
    request: GET,
    sends: [response(200, [['Transfer-Encoding', 'gzip, chunked;x']])],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': ['gzip, chunked;x'], 'content-length': [] },
      connectionToken: 'close',
      body: '',
      keepAlive: false,
    },
  },
  {
    name: 'Content-Length from the app: no Transfer-Encoding, body sent as is',
    rfc: 'RFC 9112 §6.2',
    request: GET,
    sends: [response(200, [cl(5)]), body('he'), body('llo'), end],
    expect: {
      status: 200,
      fields: { 'content-length': ['5'], 'transfer-encoding': [] },
      body: 'hello',
    },
  },
  {
    name: 'HTTP/1.0 client, no length: body delimited by close',
    rfc: 'RFC 9112 §6.3',
    request: GET10,
    sends: [response(200), body('hello'), end],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': [], 'content-length': [] },
      connectionToken: 'close',
      body: 'hello',
      keepAlive: false,
    },
  },
  {
    name: 'HTTP/1.0 keep-alive client with a length: Connection: keep-alive',
    rfc: 'RFC 9112 §9.3',
    request: GET10_KEEP,
    sends: [response(200, [cl(2)]), body('ok'), end],
    expect: { status: 200, connectionToken: 'keep-alive', body: 'ok', keepAlive: true },
  },
  {
    name: 'HTTP/1.0 keep-alive client without a length: closes instead',
    rfc: 'RFC 9112 §6.3',
    request: GET10_KEEP,
    sends: [response(200), body('ok'), end],
    expect: {
      status: 200,
      fields: { 'transfer-encoding': [] },
      connectionToken: 'close',
      body: 'ok',
      keepAlive: false,
    },
  },
  {
    name: 'HTTP/1.0 client gets an HTTP/1.1 status line',
    rfc: 'RFC 9110 §6.2',
    request: GET10,
    sends: [response(204), end],
    expect: { bytes: 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n', keepAlive: false },
  },
  {
    name: 'request with Connection: close gets Connection: close',
    rfc: 'RFC 9112 §9.6',
    request: GET_CLOSE,
    sends: [response(200, [cl(0)]), end],
    expect: { status: 200, connectionToken: 'close', body: '', keepAlive: false },
  },

  // Responses without content (RFC 9110 §6.4.1, §9.3.2, §15.2, §15.3.5, §15.4.5)
  {
    name: 'HEAD: headers kept, body dropped',
    rfc: 'RFC 9110 §9.3.2',
    request: HEAD,
    sends: [response(200, [cl(5), ['Content-Type', 'text/plain']]), body('hello'), end],
    expect: {
      status: 200,
      fields: { 'content-length': ['5'], 'content-type': ['text/plain'] },
      body: '',
    },
  },
  {
    name: 'HEAD without a length: still no body bytes',
    rfc: 'RFC 9110 §9.3.2',
    request: HEAD,
    sends: [response(200), body('hello'), end],
    expect: { status: 200, body: '' },
  },
  {
    name: '204: Content-Length and Transfer-Encoding from the app are not sent',
    rfc: 'RFC 9110 §15.3.5',
    request: GET,
    sends: [response(204, [cl(0), ['Transfer-Encoding', 'chunked'], ['X-Kept', '1']]), end],
    expect: {
      status: 204,
      reason: 'No Content',
      fields: { 'content-length': [], 'transfer-encoding': [], 'x-kept': ['1'] },
      body: '',
      keepAlive: true,
    },
  },
  {
    name: '204: empty data is fine',
    rfc: 'RFC 9110 §15.3.5',
    request: GET,
    sends: [response(204), body(''), end],
    expect: { status: 204, body: '' },
  },
  {
    name: '204: data is refused',
    rfc: 'RFC 9110 §15.3.5',
    request: GET,
    sends: [response(204), body('x')],
    expect: { error: { at: 1 } },
  },
  {
    name: '304: no body bytes',
    rfc: 'RFC 9110 §15.4.5',
    request: GET,
    sends: [response(304, [['ETag', '"v1"']]), end],
    expect: { status: 304, reason: 'Not Modified', fields: { etag: ['"v1"'] }, body: '' },
  },
  {
    name: '100 Continue before the final response',
    rfc: 'RFC 9110 §15.2.1',
    request: `${PUT_CONTINUE}hello`,
    sends: [{ type: 'informational', status: 100 }, response(200, [cl(0)]), end],
    expect: { bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
  },
  {
    name: '1xx: Content-Length from the app is not sent',
    rfc: 'RFC 9110 §15.2',
    request: GET,
    sends: [
      {
        type: 'informational',
        status: 103,
        reason: 'Early Hints',
        headers: [['Link', '</a.css>; rel=preload'], cl(5)],
      },
    ],
    expect: { bytes: 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' },
  },

  // Refused sends (RFC 9110 §5.1, §5.5; RFC 9112 §6.2)
  ...(
    [
      ['field name with SP', ['Bad Name', 'x']],
      ['field name with a colon', ['X:Y', 'x']],
      ['empty field name', ['', 'x']],
      ['field name with a byte above 0x7F', ['X\xe9', 'x']],
      ['value with CR', ['X', 'a\rb']],
      ['value with LF', ['X', 'a\nb']],
      ['value with CRLF (response splitting)', ['X', 'a\r\nSet-Cookie: evil=1']],
      ['value with NUL', ['X', 'a\x00b']],
      ['value with a character above 0xFF', ['X', 'a\u0100b']],
      ['value with a euro sign', ['X', '5 \u20ac']],
    ] as const
  ).map(
    ([what, field]): ResponseVector => ({
      name: `response header refused: ${what}`,
      rfc: what.startsWith('field name') ? 'RFC 9110 §5.1' : 'RFC 9110 §5.5',
      request: GET,
      sends: [response(200, [field, cl(0)])],
      expect: { error: { at: 0, code: 'BAD_RESPONSE_HEADER' }, recoverable: true },
    }),
  ),
  {
    name: 'more data than Content-Length',
    rfc: 'RFC 9112 §6.2',
    request: GET,
    sends: [response(200, [cl(3)]), body('ab'), body('cd')],
    expect: { error: { at: 2, code: 'ILLEGAL_SEND' } },
  },
  {
    name: 'end-of-message before Content-Length bytes',
    rfc: 'RFC 9112 §6.2',
    request: GET,
    sends: [response(200, [cl(3)]), body('ab'), end],
    expect: { error: { at: 2, code: 'ILLEGAL_SEND' } },
  },
  {
    name: 'a second response',
    rfc: 'RFC 9112 §9.3',
    request: GET,
    sends: [response(200, [cl(0)]), end, response(200, [cl(0)])],
    expect: { error: { at: 2, code: 'ILLEGAL_SEND' } },
  },
  {
    name: 'a second response head before the first body ends',
    rfc: 'RFC 9112 §9.3',
    request: GET,
    sends: [response(200, [cl(2)]), response(500, [cl(0)])],
    expect: { error: { at: 1, code: 'ILLEGAL_SEND' } },
  },

  // Expect: 100-continue (RFC 9110 §10.1.1)
  {
    name: 'final response while the client waits for 100-continue: close after it',
    rfc: 'RFC 9110 §10.1.1',
    request: PUT_CONTINUE,
    sends: [response(413, [cl(0)]), end],
    expect: { status: 413, connectionToken: 'close', body: '', keepAlive: false },
  },
  {
    name: 'final response after the body arrived: keep-alive holds',
    rfc: 'RFC 9110 §10.1.1',
    request: `${PUT_CONTINUE}hello`,
    sends: [response(200, [cl(0)]), end],
    expect: { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', keepAlive: true },
  },
]

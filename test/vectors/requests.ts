/**
 * Request vectors: what a client sends, as data, and what `ServerConnection.nextEvent()` must make of it.
 *
 * `input` is a latin1 string: every UTF-16 code unit is one byte, so `\x80`..`\xff` stand for raw bytes and line
 * ends are written out (`\r\n`, or a bare `\n` where a vector is about bare LF). The runner in
 * `test/protocol/helpers.ts` feeds each vector whole, one byte at a time and with bytes of a further request
 * appended, answers every request with a minimal response, and compares the events (consecutive `data` events
 * joined, as h11's tests do).
 */
import type { ProtocolErrorCode } from '../../src/protocol/errors.ts'
import type { ProtocolLimits } from '../../src/protocol/limits.ts'

export type Pair = readonly [string, string]

/** A client event in a comparable shape: headers as pairs, body bytes as a latin1 string. */
export type ExpectedEvent =
  | {
      readonly type: 'request'
      readonly method: string
      readonly target: string
      readonly version: '1.0' | '1.1'
      readonly headers: readonly Pair[]
      readonly contentLength: number | undefined
      readonly chunked: boolean
    }
  | { readonly type: 'data'; readonly data: string }
  | { readonly type: 'end-of-message'; readonly trailers: readonly Pair[] }
  | { readonly type: 'connection-closed' }

export interface ExpectedError {
  /** The error code; a list where the decision fixes only the status and several codes describe the fault. */
  readonly code?: ProtocolErrorCode | readonly ProtocolErrorCode[]
  readonly status?: number
}

/** What the runner sees once the input is used up: more bytes wanted, paused for good, or the peer closed. */
export type Ending = 'need-data' | 'paused' | 'closed'

export interface RequestVector {
  readonly name: string
  readonly rfc: string
  readonly input: string
  readonly limits?: Partial<ProtocolLimits>
  /** Feed end-of-input (a zero-length chunk) after `input`. */
  readonly eof?: boolean
  /** `input` stops inside a message, so appending bytes would change it: the trailing-bytes run is skipped. */
  readonly partial?: boolean
  /** How the drive loop ends after the last event (checked when given). */
  readonly end?: Ending
  readonly expect:
    | { readonly events: readonly ExpectedEvent[] }
    | { readonly error: ExpectedError; readonly after?: readonly ExpectedEvent[] }
}

// ---------------------------------------------------------------------------------------------------------------
// Builders

const HOST = 'Host: example.com\r\n'
const HOST_PAIR: Pair = ['Host', 'example.com']

function request(
  method: string,
  target: string,
  headers: readonly Pair[] = [HOST_PAIR],
  opts: { version?: '1.0' | '1.1'; contentLength?: number; chunked?: boolean } = {},
): ExpectedEvent {
  const chunked = opts.chunked ?? false
  return {
    type: 'request',
    method,
    target,
    version: opts.version ?? '1.1',
    headers,
    contentLength: chunked ? undefined : (opts.contentLength ?? 0),
    chunked,
  }
}
const data = (d: string): ExpectedEvent => ({ type: 'data', data: d })
const eom = (trailers: readonly Pair[] = []): ExpectedEvent => ({
  type: 'end-of-message',
  trailers,
})
const closed: ExpectedEvent = { type: 'connection-closed' }

/** `GET <target>` with a Host field and `extra` field lines (each ending in CRLF). */
const get = (target = '/', extra = ''): string => `GET ${target} HTTP/1.1\r\n${HOST}${extra}\r\n`
/** The events of `get(target)` with no extra fields: the request and its (empty) end. */
const getEvents = (target = '/'): ExpectedEvent[] => [request('GET', target), eom()]
/** A complete request hidden where it must never be read as one (behind a body, in a refused tunnel). */
const SMUGGLED = `GET /admin HTTP/1.1\r\n${HOST}\r\n`
/** A chunked POST head with a Host field. */
const CHUNKED_HEAD = `POST /up HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`
const chunkedRequest = request('POST', '/up', [HOST_PAIR, ['Transfer-Encoding', 'chunked']], {
  chunked: true,
})
/** A request whose single field line is `line` (no Host), for field-syntax vectors that fail before Host matters. */
const withField = (line: string): string => `GET / HTTP/1.1\r\n${HOST}${line}\r\n\r\n`
/** The events of `withField` when the field parses to `name: value`. */
const withFieldEvents = (name: string, value: string): ExpectedEvent[] => [
  request('GET', '/', [HOST_PAIR, [name, value]]),
  eom(),
]

const ok = (
  name: string,
  rfc: string,
  input: string,
  events: readonly ExpectedEvent[],
  more: Partial<RequestVector> = {},
): RequestVector => ({ name, rfc, input, expect: { events }, ...more })

const bad = (
  name: string,
  rfc: string,
  input: string,
  code: ExpectedError['code'],
  status: number | undefined,
  more: Partial<RequestVector> & { after?: readonly ExpectedEvent[] } = {},
): RequestVector => {
  const { after, ...rest } = more
  const error: ExpectedError = status === undefined ? { code } : { code, status }
  return {
    name,
    rfc,
    input,
    expect: after === undefined ? { error } : { error, after },
    ...rest,
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Normal requests

const normal: RequestVector[] = [
  ok('simple GET', 'RFC 9112 §3', get(), getEvents(), { end: 'need-data' }),
  ok(
    'GET with several header fields, in order',
    'RFC 9112 §5',
    'GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\nAccept: */*\r\n' +
      'Accept-Language: en, fr;q=0.8\r\nCache-Control: no-cache\r\n\r\n',
    [
      request('GET', '/index.html', [
        HOST_PAIR,
        ['User-Agent', 'test/1.0'],
        ['Accept', '*/*'],
        ['Accept-Language', 'en, fr;q=0.8'],
        ['Cache-Control', 'no-cache'],
      ]),
      eom(),
    ],
  ),
  ok(
    'GET with a query string',
    'RFC 9112 §3.2.1',
    get('/search?q=a%20b&x=1'),
    getEvents('/search?q=a%20b&x=1'),
  ),
  ok(
    'repeated field lines stay separate',
    'RFC 9110 §5.3',
    get('/', 'Accept: text/html\r\nAccept: application/json\r\n'),
    [
      request('GET', '/', [HOST_PAIR, ['Accept', 'text/html'], ['Accept', 'application/json']]),
      eom(),
    ],
  ),
  ok(
    'field names and values keep their case',
    'RFC 9110 §5.1',
    'GET / HTTP/1.1\r\nhOsT: example.com\r\nX-CuStOm: VaLuE\r\n\r\n',
    [
      request('GET', '/', [
        ['hOsT', 'example.com'],
        ['X-CuStOm', 'VaLuE'],
      ]),
      eom(),
    ],
  ),
  ok(
    'HTTP/1.0 GET without Host, closed after the response',
    'RFC 9112 §9.3',
    'GET /old HTTP/1.0\r\n\r\n',
    [request('GET', '/old', [], { version: '1.0' }), eom()],
    { end: 'paused' },
  ),
  ok(
    'POST with a Content-Length body',
    'RFC 9112 §6.2',
    `POST /submit HTTP/1.1\r\n${HOST}Content-Length: 11\r\n\r\nhello world`,
    [
      request('POST', '/submit', [HOST_PAIR, ['Content-Length', '11']], { contentLength: 11 }),
      data('hello world'),
      eom(),
    ],
  ),
  ok(
    'POST with Content-Length 0',
    'RFC 9112 §6.2',
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`,
    [request('POST', '/', [HOST_PAIR, ['Content-Length', '0']]), eom()],
  ),
  ok(
    'body bytes are passed through untouched (NUL, CR, LF, 0x80-0xFF)',
    'RFC 9112 §6',
    `PUT /bin HTTP/1.1\r\n${HOST}Content-Length: 6\r\n\r\n\x00\r\n\x80\xfe\xff`,
    [
      request('PUT', '/bin', [HOST_PAIR, ['Content-Length', '6']], { contentLength: 6 }),
      data('\x00\r\n\x80\xfe\xff'),
      eom(),
    ],
  ),
  ok(
    'Content-Length body arriving in part',
    'RFC 9112 §6.2',
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 10\r\n\r\nhel`,
    [
      request('POST', '/', [HOST_PAIR, ['Content-Length', '10']], { contentLength: 10 }),
      data('hel'),
    ],
    { partial: true, end: 'need-data' },
  ),
  ok('chunked body', 'RFC 9112 §7.1', `${CHUNKED_HEAD}5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`, [
    chunkedRequest,
    data('hello world'),
    eom(),
  ]),
  ok(
    'chunked body with extensions and trailers',
    'RFC 9112 §7.1.1',
    `${CHUNKED_HEAD}5;name=value\r\nhello\r\n1;flag\r\n!\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n`,
    [
      chunkedRequest,
      data('hello!'),
      eom([
        ['X-Checksum', 'abc'],
        ['X-Other', '1'],
      ]),
    ],
  ),
  ok(
    'pipelined GETs come out in order',
    'RFC 9112 §9.3.2',
    get('/a') + get('/b') + get('/c'),
    [...getEvents('/a'), ...getEvents('/b'), ...getEvents('/c')],
    { end: 'need-data' },
  ),
  ok(
    'pipelined GET, POST with body, GET',
    'RFC 9112 §9.3.2',
    `${get('/a')}POST /b HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nxyz${get('/c')}`,
    [
      ...getEvents('/a'),
      request('POST', '/b', [HOST_PAIR, ['Content-Length', '3']], { contentLength: 3 }),
      data('xyz'),
      eom(),
      ...getEvents('/c'),
    ],
  ),
  ok(
    'pipelined chunked request then GET',
    'RFC 9112 §9.3.2',
    `${CHUNKED_HEAD}3\r\nabc\r\n0\r\n\r\n${get('/next')}`,
    [chunkedRequest, data('abc'), eom(), ...getEvents('/next')],
  ),
  ok('HEAD request', 'RFC 9110 §9.3.2', `HEAD /x HTTP/1.1\r\n${HOST}\r\n`, [
    request('HEAD', '/x'),
    eom(),
  ]),
  ok(
    'absolute-form target',
    'RFC 9112 §3.2.2',
    get('http://example.com/path?q=1'),
    getEvents('http://example.com/path?q=1'),
  ),
  ok(
    'absolute-form with + - . in the scheme',
    'RFC 9112 §3.2.2',
    get('svn+ssh.v-2://example.com/r'),
    getEvents('svn+ssh.v-2://example.com/r'),
  ),
  ok(
    'absolute-form with an upper-case scheme',
    'RFC 9112 §3.2.2',
    get('HTTP://EXAMPLE.COM/'),
    getEvents('HTTP://EXAMPLE.COM/'),
  ),
  ok(
    'absolute-form whose authority has a port',
    'RFC 9112 §3.2.2',
    get('http://example.com:8080/path'),
    getEvents('http://example.com:8080/path'),
  ),
  ok(
    'absolute-form with an authority and no path',
    'RFC 9112 §3.2.2',
    get('http://example.com'),
    getEvents('http://example.com'),
  ),
  ok('OPTIONS with asterisk-form', 'RFC 9112 §3.2.4', `OPTIONS * HTTP/1.1\r\n${HOST}\r\n`, [
    request('OPTIONS', '*'),
    eom(),
  ]),
  ok('OPTIONS with origin-form', 'RFC 9112 §3.2.1', `OPTIONS /x HTTP/1.1\r\n${HOST}\r\n`, [
    request('OPTIONS', '/x'),
    eom(),
  ]),
  ok('extension method token', 'RFC 9110 §9.1', `M-SEARCH /devices HTTP/1.1\r\n${HOST}\r\n`, [
    request('M-SEARCH', '/devices'),
    eom(),
  ]),
  ok(
    'method is case-sensitive: lowercase get is a distinct token',
    'RFC 9110 §9.1',
    `get / HTTP/1.1\r\n${HOST}\r\n`,
    [request('get', '/'), eom()],
  ),
  ok(
    'method made of every tchar class',
    'RFC 9110 §5.6.2',
    `X!#$%&'*+-.^_\`|~9 / HTTP/1.1\r\n${HOST}\r\n`,
    [request("X!#$%&'*+-.^_`|~9", '/'), eom()],
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Line ends and empty lines (RFC 9112 §2.2)

const lineEnds: RequestVector[] = [
  ok(
    'bare LF line ends in the head',
    'RFC 9112 §2.2',
    'GET / HTTP/1.1\nHost: example.com\n\n',
    getEvents(),
  ),
  ok(
    'CRLF and bare LF mixed in one head',
    'RFC 9112 §2.2',
    'GET / HTTP/1.1\r\nHost: example.com\nAccept: */*\r\n\n',
    [request('GET', '/', [HOST_PAIR, ['Accept', '*/*']]), eom()],
  ),
  ok(
    'bare LF head followed by a Content-Length body',
    'RFC 9112 §2.2',
    'POST / HTTP/1.1\nHost: example.com\nContent-Length: 2\n\nok',
    [
      request('POST', '/', [HOST_PAIR, ['Content-Length', '2']], { contentLength: 2 }),
      data('ok'),
      eom(),
    ],
  ),
  ok('empty CRLF lines before the request line', 'RFC 9112 §2.2', `\r\n\r\n${get()}`, getEvents()),
  ok('empty bare LF lines before the request line', 'RFC 9112 §2.2', `\n\n${get()}`, getEvents()),
  ok(
    'empty line after a body, before the next pipelined request',
    'RFC 9112 §2.2',
    `POST /a HTTP/1.1\r\n${HOST}Content-Length: 1\r\n\r\nx\r\n${get('/b')}`,
    [
      request('POST', '/a', [HOST_PAIR, ['Content-Length', '1']], { contentLength: 1 }),
      data('x'),
      eom(),
      ...getEvents('/b'),
    ],
  ),
  bad(
    'bare CR inside the request target',
    'RFC 9112 §2.2',
    `GET /a\rb HTTP/1.1\r\n${HOST}\r\n`,
    undefined,
    400,
  ),
  bad(
    'bare CR ending the request line',
    'RFC 9112 §2.2',
    `GET / HTTP/1.1\r${HOST}\r\n`,
    undefined,
    400,
  ),
  bad(
    'bare CR ending a field line',
    'RFC 9112 §2.2',
    `GET / HTTP/1.1\r\n${HOST}X: a\rY: b\r\n\r\n`,
    undefined,
    400,
  ),
  bad(
    'bare CR inside a field value',
    'RFC 9110 §5.5',
    withField('X: a\rb'),
    'BAD_HEADER_VALUE',
    400,
  ),
  bad('bare CR inside a field name', 'RFC 9112 §2.2', withField('X\rY: a'), 'BAD_HEADER_NAME', 400),
  bad(
    'bare CR as the empty line',
    'RFC 9112 §2.2',
    `GET / HTTP/1.1\r\n${HOST}\r\r\n`,
    undefined,
    400,
  ),
  bad('bare CR before the request line', 'RFC 9112 §2.2', `\r${get()}`, undefined, 400),
]

// ---------------------------------------------------------------------------------------------------------------
// Request line (RFC 9112 §3)

const requestLine: RequestVector[] = [
  bad(
    'two SP between method and target',
    'RFC 9112 §3',
    `GET  / HTTP/1.1\r\n${HOST}\r\n`,
    ['BAD_REQUEST_LINE', 'BAD_TARGET'],
    400,
  ),
  bad(
    'two SP between target and version',
    'RFC 9112 §3',
    `GET /  HTTP/1.1\r\n${HOST}\r\n`,
    ['BAD_REQUEST_LINE', 'BAD_TARGET'],
    400,
  ),
  bad(
    'HTAB as the separator',
    'RFC 9112 §3',
    `GET\t/ HTTP/1.1\r\n${HOST}\r\n`,
    ['BAD_REQUEST_LINE', 'BAD_METHOD'],
    400,
  ),
  bad(
    'SP after the version',
    'RFC 9112 §3',
    `GET / HTTP/1.1 \r\n${HOST}\r\n`,
    ['BAD_REQUEST_LINE', 'BAD_TARGET'],
    400,
  ),
  bad(
    'SP before the method',
    'RFC 9112 §3',
    ` GET / HTTP/1.1\r\n${HOST}\r\n`,
    ['BAD_REQUEST_LINE', 'BAD_METHOD'],
    400,
  ),
  bad('method with "("', 'RFC 9110 §5.6.2', `G(T / HTTP/1.1\r\n${HOST}\r\n`, 'BAD_METHOD', 400),
  bad('method with "@"', 'RFC 9110 §5.6.2', `GE@T / HTTP/1.1\r\n${HOST}\r\n`, 'BAD_METHOD', 400),
  bad('method with ";"', 'RFC 9110 §5.6.2', `G;T / HTTP/1.1\r\n${HOST}\r\n`, 'BAD_METHOD', 400),
  bad(
    'method with a byte above 0x7F',
    'RFC 9110 §5.6.2',
    `G\xc9T / HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_METHOD',
    400,
  ),
  bad('method with NUL', 'RFC 9110 §5.6.2', `GE\x00T / HTTP/1.1\r\n${HOST}\r\n`, 'BAD_METHOD', 400),
  bad('target with a byte above 0x7E', 'RFC 9112 §3.2', get('/caf\xe9'), 'BAD_TARGET', 400),
  bad('target with DEL', 'RFC 9112 §3.2', get('/a\x7fb'), 'BAD_TARGET', 400),
  bad('target with NUL', 'RFC 9112 §3.2', get('/a\x00b'), 'BAD_TARGET', 400),
  bad('target with HTAB', 'RFC 9112 §3.2', get('/a\tb'), 'BAD_TARGET', 400),
  bad('target with a control character', 'RFC 9112 §3.2', get('/a\x1bb'), 'BAD_TARGET', 400),
  bad('relative target without a leading slash', 'RFC 9112 §3.2', get('a/b'), 'BAD_TARGET', 400),
  bad('asterisk-form with GET', 'RFC 9112 §3.2.4', get('*'), 'BAD_TARGET', 400),
  bad(
    'asterisk-form with an extension method',
    'RFC 9112 §3.2.4',
    `M-SEARCH * HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'asterisk followed by more',
    'RFC 9112 §3.2.4',
    `OPTIONS *x HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad('authority-form with GET', 'RFC 9112 §3.2.3', get('127.0.0.1:8080'), 'BAD_TARGET', 400),
  bad('IPv6 authority-form with GET', 'RFC 9112 §3.2.3', get('[::1]:8080'), 'BAD_TARGET', 400),
  // `host:80` is also an absolute-URI by RFC 3986's grammar alone (scheme "host", path "80").
  bad(
    'authority-form with a host name and GET',
    'RFC 9112 §3.2.3',
    get('host:80'),
    'BAD_TARGET',
    400,
  ),
  bad(
    'authority-form with POST',
    'RFC 9112 §3.2.3',
    `POST example.com:443 HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'authority-form with OPTIONS',
    'RFC 9112 §3.2.3',
    `OPTIONS example.com:443 HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'asterisk-form with HEAD',
    'RFC 9112 §3.2.4',
    `HEAD * HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'asterisk-form with a lower-case options method',
    'RFC 9112 §3.2.4',
    `options * HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'CONNECT is refused: this server does not tunnel',
    'RFC 9110 §9.3.6',
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'CONNECT to an IPv6 literal is refused too',
    'RFC 9110 §9.3.6',
    'CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n',
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'CONNECT from an HTTP/1.0 client is refused',
    'RFC 9110 §9.3.6',
    'CONNECT example.com:443 HTTP/1.0\r\n\r\n',
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'CONNECT followed by tunnel bytes: refused, the bytes never read as a request',
    'RFC 9110 §9.3.6',
    `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${SMUGGLED}`,
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'CONNECT with origin-form',
    'RFC 9112 §3.2.3',
    `CONNECT / HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'CONNECT without a port',
    'RFC 9112 §3.2.3',
    `CONNECT example.com HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'CONNECT with absolute-form',
    'RFC 9112 §3.2.3',
    `CONNECT http://example.com/ HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'CONNECT with asterisk-form',
    'RFC 9112 §3.2.3',
    `CONNECT * HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_TARGET',
    400,
  ),
  bad(
    'scheme starting with a digit',
    'RFC 3986 §3.1',
    get('1http://example.com/'),
    'BAD_TARGET',
    400,
  ),
  bad('target starting with a colon', 'RFC 3986 §3.1', get(':x'), 'BAD_TARGET', 400),
  bad(
    'HTTP/2.0 request line',
    'RFC 9112 §2.3',
    `GET / HTTP/2.0\r\n${HOST}\r\n`,
    'UNSUPPORTED_VERSION',
    505,
  ),
  bad('HTTP/1.2', 'RFC 9112 §2.3', `GET / HTTP/1.2\r\n${HOST}\r\n`, 'UNSUPPORTED_VERSION', 505),
  bad(
    'HTTP/0.9 spelled out',
    'RFC 9112 §2.3',
    `GET / HTTP/0.9\r\n${HOST}\r\n`,
    'UNSUPPORTED_VERSION',
    505,
  ),
  bad('HTTP/3.0', 'RFC 9112 §2.3', `GET / HTTP/3.0\r\n${HOST}\r\n`, 'UNSUPPORTED_VERSION', 505),
  bad(
    'request line without a version (HTTP/0.9 style)',
    'RFC 9112 §3',
    'GET /\r\n\r\n',
    'BAD_REQUEST_LINE',
    400,
  ),
  bad(
    'lowercase protocol name',
    'RFC 9112 §2.3',
    `GET / http/1.1\r\n${HOST}\r\n`,
    'BAD_REQUEST_LINE',
    400,
  ),
  bad(
    'two-digit minor version',
    'RFC 9112 §2.3',
    `GET / HTTP/1.10\r\n${HOST}\r\n`,
    'BAD_REQUEST_LINE',
    400,
  ),
  bad(
    'version without a minor number',
    'RFC 9112 §2.3',
    `GET / HTTP/1\r\n${HOST}\r\n`,
    'BAD_REQUEST_LINE',
    400,
  ),
  bad(
    'version without the dot',
    'RFC 9112 §2.3',
    `GET / HTTP/11\r\n${HOST}\r\n`,
    'BAD_REQUEST_LINE',
    400,
  ),
  bad(
    'another protocol name',
    'RFC 9112 §2.3',
    `GET / FOO/1.1\r\n${HOST}\r\n`,
    'BAD_REQUEST_LINE',
    400,
  ),
  ok(
    'request line exactly maxRequestLineSize long',
    'RFC 9112 §3',
    get(`/${'a'.repeat(18)}`),
    getEvents(`/${'a'.repeat(18)}`),
    { limits: { maxRequestLineSize: 32 } },
  ),
  bad(
    'request line one byte over maxRequestLineSize',
    'RFC 9112 §3',
    get(`/${'a'.repeat(19)}`),
    'URI_TOO_LONG',
    414,
    { limits: { maxRequestLineSize: 32 } },
  ),
  bad(
    'request line over maxRequestLineSize before its end arrives',
    'RFC 9112 §3',
    `GET /${'a'.repeat(100)}`,
    'URI_TOO_LONG',
    414,
    { limits: { maxRequestLineSize: 32 }, partial: true },
  ),
  bad(
    'target longer than the default limit',
    'RFC 9112 §3',
    get(`/${'x'.repeat(9000)}`),
    'URI_TOO_LONG',
    414,
  ),
  ok(
    'method exactly maxMethodSize long',
    'RFC 9112 §3',
    `ABCDEFGH / HTTP/1.1\r\n${HOST}\r\n`,
    [request('ABCDEFGH', '/'), eom()],
    { limits: { maxMethodSize: 8 } },
  ),
  bad(
    'method one byte over maxMethodSize, in a short line',
    'RFC 9112 §3',
    `ABCDEFGHI / HTTP/1.1\r\n${HOST}\r\n`,
    'METHOD_NOT_IMPLEMENTED',
    501,
    { limits: { maxMethodSize: 8 } },
  ),
  bad(
    'method over the default maxMethodSize',
    'RFC 9112 §3',
    `${'M'.repeat(33)} / HTTP/1.1\r\n${HOST}\r\n`,
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'method longer than the whole request line limit: 501, not 414',
    'RFC 9112 §3',
    `${'A'.repeat(9000)} / HTTP/1.1\r\n${HOST}\r\n`,
    'METHOD_NOT_IMPLEMENTED',
    501,
  ),
  bad(
    'long method, answered before its SP arrives',
    'RFC 9112 §3',
    'A'.repeat(40),
    'METHOD_NOT_IMPLEMENTED',
    501,
    { partial: true },
  ),
  bad(
    'line limit reached before any SP: the method alone is too long, 501',
    'RFC 9112 §3',
    'A'.repeat(40),
    'METHOD_NOT_IMPLEMENTED',
    501,
    { limits: { maxRequestLineSize: 32, maxMethodSize: 100 }, partial: true },
  ),
  bad(
    'over-long method with a long target: the method decides',
    'RFC 9112 §3',
    get(`/${'x'.repeat(40)}`).replace('GET', 'ABCDEFGHI'),
    'METHOD_NOT_IMPLEMENTED',
    501,
    { limits: { maxMethodSize: 8, maxRequestLineSize: 32 } },
  ),
  bad(
    'acceptable method with a long target: 414',
    'RFC 9112 §3',
    get(`/${'x'.repeat(40)}`).replace('GET', 'ABCDEFGH'),
    'URI_TOO_LONG',
    414,
    { limits: { maxMethodSize: 8, maxRequestLineSize: 32 } },
  ),
  bad(
    'a bad method byte decides before the line limit, however the line arrives',
    'RFC 9112 §3',
    `G(T /${'x'.repeat(40)}`,
    'BAD_METHOD',
    400,
    { limits: { maxRequestLineSize: 32 }, partial: true },
  ),
  bad(
    'a bad method byte in a complete over-long line: 400, not 414',
    'RFC 9112 §3',
    get(`/${'x'.repeat(40)}`).replace('GET', 'G(T'),
    'BAD_METHOD',
    400,
    { limits: { maxRequestLineSize: 32 } },
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Header section size and count (RFC 6585 §5)

const SIZED_HEAD = `GET / HTTP/1.1\r\n${HOST}X-Pad: ${'p'.repeat(20)}\r\n\r\n`

const sizes: RequestVector[] = [
  ok(
    'header section exactly maxHeaderSize long',
    'RFC 6585 §5',
    SIZED_HEAD,
    [request('GET', '/', [HOST_PAIR, ['X-Pad', 'p'.repeat(20)]]), eom()],
    { limits: { maxHeaderSize: SIZED_HEAD.length } },
  ),
  bad(
    'header section one byte over maxHeaderSize',
    'RFC 6585 §5',
    SIZED_HEAD,
    'HEADERS_TOO_LARGE',
    431,
    {
      limits: { maxHeaderSize: SIZED_HEAD.length - 1 },
    },
  ),
  bad(
    'header section over maxHeaderSize before its end arrives',
    'RFC 6585 §5',
    `GET / HTTP/1.1\r\n${HOST}X-Pad: ${'p'.repeat(200)}`,
    'HEADERS_TOO_LARGE',
    431,
    { limits: { maxHeaderSize: 64 }, partial: true },
  ),
  bad(
    'endless field lines under the default limit',
    'RFC 6585 §5',
    `GET / HTTP/1.1\r\n${HOST}${'X-Pad: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n'.repeat(400)}`,
    ['HEADERS_TOO_LARGE', 'TOO_MANY_HEADERS'],
    431,
    { partial: true },
  ),
  ok(
    'exactly maxHeaderCount field lines',
    'RFC 6585 §5',
    get('/', 'A: 1\r\nB: 2\r\n'),
    [request('GET', '/', [HOST_PAIR, ['A', '1'], ['B', '2']]), eom()],
    { limits: { maxHeaderCount: 3 } },
  ),
  bad(
    'one field line over maxHeaderCount',
    'RFC 6585 §5',
    get('/', 'A: 1\r\nB: 2\r\nC: 3\r\n'),
    'TOO_MANY_HEADERS',
    431,
    {
      limits: { maxHeaderCount: 3 },
    },
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Field lines (RFC 9110 §5, RFC 9112 §5)

const fields: RequestVector[] = [
  bad('empty field name', 'RFC 9110 §5.1', withField(': value'), 'BAD_HEADER_NAME', 400),
  bad('field name with "("', 'RFC 9110 §5.1', withField('X(: a'), 'BAD_HEADER_NAME', 400),
  bad('field name with SP inside', 'RFC 9110 §5.1', withField('X Y: a'), 'BAD_HEADER_NAME', 400),
  bad(
    'field name with a byte above 0x7F',
    'RFC 9110 §5.1',
    withField('X\xe9: a'),
    'BAD_HEADER_NAME',
    400,
  ),
  bad('field name with NUL', 'RFC 9110 §5.1', withField('X\x00Y: a'), 'BAD_HEADER_NAME', 400),
  bad(
    'SP between field name and colon',
    'RFC 9112 §5.1',
    withField('X-Thing : a'),
    'BAD_HEADER_NAME',
    400,
  ),
  bad(
    'HTAB between field name and colon',
    'RFC 9112 §5.1',
    withField('X-Thing\t: a'),
    'BAD_HEADER_NAME',
    400,
  ),
  bad(
    'SP between Host and its colon',
    'RFC 9112 §5.1',
    'GET / HTTP/1.1\r\nHost : example.com\r\n\r\n',
    ['BAD_HEADER_NAME'],
    400,
  ),
  bad(
    'field line without a colon',
    'RFC 9112 §5',
    withField('NoColonHere'),
    'BAD_HEADER_NAME',
    400,
  ),
  bad('obs-fold with SP', 'RFC 9112 §5.2', withField('X: a\r\n b'), 'OBS_FOLD', 400),
  bad('obs-fold with HTAB', 'RFC 9112 §5.2', withField('X: a\r\n\tb'), 'OBS_FOLD', 400),
  bad('obs-fold after a bare LF', 'RFC 9112 §5.2', withField('X: a\n b'), 'OBS_FOLD', 400),
  bad(
    'whitespace before the first field line',
    'RFC 9112 §2.2',
    `GET / HTTP/1.1\r\n ${HOST}\r\n`,
    'OBS_FOLD',
    400,
  ),
  ok(
    'value trimmed of SP and HTAB',
    'RFC 9112 §5',
    withField('X: \t a b \t '),
    withFieldEvents('X', 'a b'),
  ),
  ok(
    'value with no space after the colon',
    'RFC 9112 §5',
    withField('X:a'),
    withFieldEvents('X', 'a'),
  ),
  ok('empty value', 'RFC 9110 §5.5', withField('X:'), withFieldEvents('X', '')),
  ok(
    'value of only whitespace is empty',
    'RFC 9110 §5.5',
    withField('X:  \t '),
    withFieldEvents('X', ''),
  ),
  ok(
    'HTAB inside a value is kept',
    'RFC 9110 §5.5',
    withField('X: a\tb'),
    withFieldEvents('X', 'a\tb'),
  ),
  ok('colons inside a value', 'RFC 9112 §5', withField('X::a:b:'), withFieldEvents('X', ':a:b:')),
  ok(
    'obs-text in a value, decoded as latin1',
    'RFC 9110 §5.5',
    withField('X-Name: caf\xe9 \x80\xff'),
    withFieldEvents('X-Name', 'caf\xe9 \x80\xff'),
  ),
  ok(
    'visible punctuation in a value',
    'RFC 9110 §5.5',
    withField('X: !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'),
    withFieldEvents('X', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'),
  ),
  ok(
    'field name made of every tchar class',
    'RFC 9110 §5.6.2',
    withField("X!#$%&'*+-.^_`|~9: v"),
    withFieldEvents("X!#$%&'*+-.^_`|~9", 'v'),
  ),
  bad('NUL in a value', 'RFC 9110 §5.5', withField('X: a\x00b'), 'BAD_HEADER_VALUE', 400),
  bad('DEL in a value', 'RFC 9110 §5.5', withField('X: a\x7fb'), 'BAD_HEADER_VALUE', 400),
  bad('0x01 in a value', 'RFC 9110 §5.5', withField('X: a\x01b'), 'BAD_HEADER_VALUE', 400),
  bad('ESC in a value', 'RFC 9110 §5.5', withField('X: \x1b[31m'), 'BAD_HEADER_VALUE', 400),
  bad('vertical tab in a value', 'RFC 9110 §5.5', withField('X: a\x0bb'), 'BAD_HEADER_VALUE', 400),
  bad('form feed in a value', 'RFC 9110 §5.5', withField('X: a\x0cb'), 'BAD_HEADER_VALUE', 400),
]

// ---------------------------------------------------------------------------------------------------------------
// Host (RFC 9112 §3.2)

const hostField = (value: string): string => `GET / HTTP/1.1\r\nHost: ${value}\r\n\r\n`
const hostEvents = (value: string): ExpectedEvent[] => [
  request('GET', '/', [['Host', value]]),
  eom(),
]

const host: RequestVector[] = [
  bad(
    'HTTP/1.1 request without Host',
    'RFC 9112 §3.2',
    'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n',
    'BAD_HOST',
    400,
  ),
  bad(
    'two Host lines',
    'RFC 9112 §3.2',
    'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n',
    'BAD_HOST',
    400,
  ),
  bad(
    'two identical Host lines',
    'RFC 9112 §3.2',
    'GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n\r\n',
    'BAD_HOST',
    400,
  ),
  bad('Host with SP inside', 'RFC 9112 §3.2', hostField('a b'), 'BAD_HOST', 400),
  bad('Host with userinfo', 'RFC 9110 §7.2', hostField('user@example.com'), 'BAD_HOST', 400),
  bad('Host with a path', 'RFC 9110 §7.2', hostField('example.com/x'), 'BAD_HOST', 400),
  bad('Host with a non-numeric port', 'RFC 9110 §7.2', hostField('h:x'), 'BAD_HOST', 400),
  bad(
    'Host with an unterminated IPv6 literal',
    'RFC 3986 §3.2.2',
    hostField('[::1'),
    'BAD_HOST',
    400,
  ),
  ok('empty Host', 'RFC 9112 §3.2', 'GET / HTTP/1.1\r\nHost:\r\n\r\n', hostEvents('')),
  ok(
    'Host with an IPv6 literal and a port',
    'RFC 3986 §3.2.2',
    hostField('[::1]:8080'),
    hostEvents('[::1]:8080'),
  ),
  ok(
    'Host with an IPv4 address and a port',
    'RFC 3986 §3.2.2',
    hostField('127.0.0.1:8080'),
    hostEvents('127.0.0.1:8080'),
  ),
  ok(
    'Host name in mixed case',
    'RFC 9110 §7.2',
    hostField('Example.COM'),
    hostEvents('Example.COM'),
  ),
  ok(
    'Host field name in capitals',
    'RFC 9110 §5.1',
    'GET / HTTP/1.1\r\nHOST: example.com\r\n\r\n',
    [request('GET', '/', [['HOST', 'example.com']]), eom()],
  ),
  ok(
    'HTTP/1.0 request with a Host',
    'RFC 9112 §3.2',
    'GET / HTTP/1.0\r\nHost: example.com\r\n\r\n',
    [request('GET', '/', [HOST_PAIR], { version: '1.0' }), eom()],
    { end: 'paused' },
  ),
  bad(
    'HTTP/1.0 request with two Host lines',
    'RFC 9112 §3.2',
    'GET / HTTP/1.0\r\nHost: a.example\r\nHost: b.example\r\n\r\n',
    'BAD_HOST',
    400,
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Content-Length (RFC 9112 §6.2, §6.3)

/** A POST whose Content-Length field lines are `lines` (each `Content-Length: <value>`), followed by `body`. */
const withLength = (values: readonly string[], body: string): string =>
  `POST / HTTP/1.1\r\n${HOST}${values.map((v) => `Content-Length: ${v}\r\n`).join('')}\r\n${body}`
const lengthEvents = (values: readonly string[], length: number, body: string): ExpectedEvent[] => [
  request('POST', '/', [HOST_PAIR, ...values.map((v): Pair => ['Content-Length', v])], {
    contentLength: length,
  }),
  ...(body === '' ? [] : [data(body)]),
  eom(),
]

const contentLength: RequestVector[] = [
  ok(
    'Content-Length list of identical values',
    'RFC 9112 §6.3',
    withLength(['5, 5'], 'hello'),
    lengthEvents(['5, 5'], 5, 'hello'),
  ),
  ok(
    'Content-Length list without OWS',
    'RFC 9112 §6.3',
    withLength(['5,5,5'], 'hello'),
    lengthEvents(['5,5,5'], 5, 'hello'),
  ),
  ok(
    'repeated identical Content-Length lines',
    'RFC 9112 §6.3',
    withLength(['5', '5'], 'hello'),
    lengthEvents(['5', '5'], 5, 'hello'),
  ),
  ok(
    'Content-Length with leading zeros',
    'RFC 9112 §6.2',
    withLength(['005'], 'hello'),
    lengthEvents(['005'], 5, 'hello'),
  ),
  ok(
    'Content-Length of 15 digits',
    'RFC 9112 §6.2',
    withLength(['000000000000005'], 'hello'),
    lengthEvents(['000000000000005'], 5, 'hello'),
  ),
  ok(
    'Content-Length surrounded by OWS',
    'RFC 9112 §5',
    withLength(['  3 \t'], 'abc'),
    lengthEvents(['3'], 3, 'abc'),
  ),
  ok(
    'Content-Length exactly maxBodySize',
    'RFC 9110 §15.5.14',
    withLength(['10'], '0123456789'),
    lengthEvents(['10'], 10, '0123456789'),
    { limits: { maxBodySize: 10 } },
  ),
  bad(
    'Content-Length list of different values',
    'RFC 9112 §6.3',
    withLength(['5, 6'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'Content-Length lines with different values',
    'RFC 9112 §6.3',
    withLength(['5', '6'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad('empty Content-Length', 'RFC 9112 §6.2', withLength([''], ''), 'BAD_CONTENT_LENGTH', 400),
  bad(
    'Content-Length with a plus sign',
    'RFC 9112 §6.2',
    withLength(['+5'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'negative Content-Length',
    'RFC 9112 §6.2',
    withLength(['-1'], ''),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'hexadecimal Content-Length',
    'RFC 9112 §6.2',
    withLength(['0x5'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'Content-Length with a space inside',
    'RFC 9112 §6.2',
    withLength(['5 5'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'decimal-point Content-Length',
    'RFC 9112 §6.2',
    withLength(['1.5'], 'x'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'Content-Length with a letter',
    'RFC 9112 §6.2',
    withLength(['5a'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'Content-Length of 16 digits',
    'RFC 9112 §6.2',
    withLength(['0000000000000005'], 'hello'),
    'BAD_CONTENT_LENGTH',
    400,
  ),
  bad(
    'Content-Length over maxBodySize, refused at the head',
    'RFC 9110 §15.5.14',
    withLength(['11'], ''),
    'BODY_TOO_LARGE',
    413,
    { limits: { maxBodySize: 10 } },
  ),
  bad(
    'Content-Length over the default maxBodySize',
    'RFC 9110 §15.5.14',
    withLength(['999999999999999'], ''),
    'BODY_TOO_LARGE',
    413,
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Transfer-Encoding (RFC 9112 §6.1, §6.3)

const withCoding = (values: readonly string[], body: string, version = '1.1'): string =>
  `POST / HTTP/${version}\r\n${HOST}${values.map((v) => `Transfer-Encoding: ${v}\r\n`).join('')}\r\n${body}`

const transferEncoding: RequestVector[] = [
  ok(
    'Transfer-Encoding value is case-insensitive',
    'RFC 9112 §7',
    withCoding(['ChUnKeD'], '2\r\nok\r\n0\r\n\r\n'),
    [
      request('POST', '/', [HOST_PAIR, ['Transfer-Encoding', 'ChUnKeD']], { chunked: true }),
      data('ok'),
      eom(),
    ],
  ),
  bad(
    'Transfer-Encoding without chunked',
    'RFC 9112 §6.3',
    withCoding(['gzip'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'identity coding alone',
    'RFC 9112 §6.3',
    withCoding(['identity'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked not the final coding',
    'RFC 9112 §6.3',
    withCoding(['chunked, gzip'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked applied twice',
    'RFC 9112 §6.1',
    withCoding(['chunked, chunked'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked on two field lines',
    'RFC 9112 §6.1',
    withCoding(['chunked', 'chunked'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'empty Transfer-Encoding',
    'RFC 9112 §6.1',
    withCoding([''], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with a parameter is not the chunked coding',
    'RFC 9112 §6.3',
    withCoding(['chunked;foo=bar'], '0\r\n\r\n'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with a parameter after OWS',
    'RFC 9112 §6.3',
    withCoding(['CHUNKED ; foo=bar'], '0\r\n\r\n'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with an empty parameter',
    'RFC 9112 §6.3',
    withCoding(['chunked;'], '0\r\n\r\n'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with a parameter on a second field line',
    'RFC 9112 §6.3',
    withCoding(['gzip', 'chunked;q=1'], '0\r\n\r\n'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with a parameter, then chunked',
    'RFC 9112 §6.1',
    withCoding(['chunked;foo=bar, chunked'], '0\r\n\r\n'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'chunked with a parameter and a smuggled request behind it',
    'RFC 9112 §6.3',
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked;foo=bar\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'a coding with a parameter before chunked',
    'RFC 9112 §6.1',
    withCoding(['gzip;level=1, chunked'], ''),
    'UNSUPPORTED_TRANSFER_ENCODING',
    501,
  ),
  bad(
    'a coding that merely contains chunked',
    'RFC 9112 §6.1',
    withCoding(['xchunked'], ''),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  bad(
    'another coding before chunked',
    'RFC 9112 §6.1',
    withCoding(['gzip, chunked'], ''),
    'UNSUPPORTED_TRANSFER_ENCODING',
    501,
  ),
  bad(
    'another coding before chunked, no OWS',
    'RFC 9112 §6.1',
    withCoding(['gzip,chunked'], ''),
    'UNSUPPORTED_TRANSFER_ENCODING',
    501,
  ),
  bad(
    'another coding before chunked, on two field lines',
    'RFC 9112 §6.1',
    withCoding(['gzip', 'chunked'], ''),
    'UNSUPPORTED_TRANSFER_ENCODING',
    501,
  ),
  bad(
    'Transfer-Encoding in an HTTP/1.0 request',
    'RFC 9112 §6.1',
    withCoding(['chunked'], '0\r\n\r\n', '1.0'),
    'BAD_TRANSFER_ENCODING',
    400,
  ),
  ok(
    'Content-Length and Transfer-Encoding: chunked wins, the hidden request is never read',
    'RFC 9112 §6.3',
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    [
      request(
        'POST',
        '/',
        [HOST_PAIR, ['Content-Length', '40'], ['Transfer-Encoding', 'chunked']],
        {
          chunked: true,
        },
      ),
      eom(),
    ],
    { end: 'paused' },
  ),
  ok(
    'Transfer-Encoding before Content-Length: same outcome',
    'RFC 9112 §6.3',
    `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n${SMUGGLED}`,
    [
      request('POST', '/', [HOST_PAIR, ['Transfer-Encoding', 'chunked'], ['Content-Length', '3']], {
        chunked: true,
      }),
      data('abc'),
      eom(),
    ],
    { end: 'paused' },
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Chunked bodies (RFC 9112 §7.1)

const chunked = (body: string): string => CHUNKED_HEAD + body

const chunkedBodies: RequestVector[] = [
  ok('upper-case hex chunk size', 'RFC 9112 §7.1', chunked(`B\r\nhello world\r\n0\r\n\r\n`), [
    chunkedRequest,
    data('hello world'),
    eom(),
  ]),
  ok('lower-case hex chunk size', 'RFC 9112 §7.1', chunked(`b\r\nhello world\r\n0\r\n\r\n`), [
    chunkedRequest,
    data('hello world'),
    eom(),
  ]),
  ok('chunk size with leading zeros', 'RFC 9112 §7.1', chunked(`0005\r\nhello\r\n000\r\n\r\n`), [
    chunkedRequest,
    data('hello'),
    eom(),
  ]),
  ok(
    'chunk size of 16 hex digits',
    'RFC 9112 §7.1',
    chunked(`0000000000000005\r\nhello\r\n0\r\n\r\n`),
    [chunkedRequest, data('hello'), eom()],
  ),
  ok('only the last chunk', 'RFC 9112 §7.1', chunked('0\r\n\r\n'), [chunkedRequest, eom()]),
  ok('chunk data containing CRLF', 'RFC 9112 §7.1', chunked('4\r\n\r\n\r\n\r\n0\r\n\r\n'), [
    chunkedRequest,
    data('\r\n\r\n'),
    eom(),
  ]),
  ok(
    'chunked body arriving in part',
    'RFC 9112 §7.1',
    chunked('5\r\nhel'),
    [chunkedRequest, data('hel')],
    {
      partial: true,
      end: 'need-data',
    },
  ),
  ok(
    'chunk total exactly maxBodySize',
    'RFC 9110 §15.5.14',
    chunked('6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n'),
    [chunkedRequest, data('abcdefghij'), eom()],
    { limits: { maxBodySize: 10 } },
  ),
  bad(
    'chunk size of 17 hex digits',
    'RFC 9112 §7.1',
    chunked('00000000000000005\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'chunks adding up past maxBodySize',
    'RFC 9110 §15.5.14',
    chunked('6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n'),
    'BODY_TOO_LARGE',
    413,
    { limits: { maxBodySize: 10 }, after: [chunkedRequest, data('abcdef')] },
  ),
  bad(
    'one chunk larger than maxBodySize',
    'RFC 9110 §15.5.14',
    chunked('B\r\nhello world\r\n0\r\n\r\n'),
    'BODY_TOO_LARGE',
    413,
    {
      limits: { maxBodySize: 10 },
      after: [chunkedRequest],
    },
  ),
  bad(
    'largest 16-digit chunk size',
    'RFC 9110 §15.5.14',
    chunked('FFFFFFFFFFFFFFFF\r\n'),
    'BODY_TOO_LARGE',
    413,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'empty chunk size',
    'RFC 9112 §7.1',
    chunked('\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    'non-hex chunk size',
    'RFC 9112 §7.1',
    chunked('g\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    'negative chunk size',
    'RFC 9112 §7.1',
    chunked('-1\r\nx\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    '0x-prefixed chunk size',
    'RFC 9112 §7.1',
    chunked('0x5\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    'SP before the chunk size',
    'RFC 9112 §7.1',
    chunked(' 5\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    'chunk size line ending in a bare LF',
    'RFC 9112 §7.1',
    chunked('5\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'last-chunk line ending in a bare LF',
    'RFC 9112 §7.1',
    chunked('5\r\nhello\r\n0\n\r\n'),
    'BAD_CHUNK_SIZE',
    400,
    {
      after: [chunkedRequest, data('hello')],
    },
  ),
  bad(
    'chunk data followed by a bare LF',
    'RFC 9112 §7.1',
    chunked('5\r\nhello\n0\r\n\r\n'),
    'BAD_CHUNK_DATA',
    400,
    {
      after: [chunkedRequest, data('hello')],
    },
  ),
  bad(
    'chunk data longer than its size',
    'RFC 9112 §7.1',
    chunked('3\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_DATA',
    400,
    {
      after: [chunkedRequest, data('hel')],
    },
  ),
  ok('chunk extension name only', 'RFC 9112 §7.1.1', chunked('5;ext\r\nhello\r\n0\r\n\r\n'), [
    chunkedRequest,
    data('hello'),
    eom(),
  ]),
  ok(
    'chunk extension with a token value',
    'RFC 9112 §7.1.1',
    chunked('5;name=value\r\nhello\r\n0\r\n\r\n'),
    [chunkedRequest, data('hello'), eom()],
  ),
  ok(
    'chunk extension with a quoted-string value and an escaped quote',
    'RFC 9112 §7.1.1',
    chunked('5;name="a \\"quoted\\" value"\r\nhello\r\n0\r\n\r\n'),
    [chunkedRequest, data('hello'), eom()],
  ),
  ok(
    'chunk extensions with BWS around ";" and "="',
    'RFC 9112 §7.1.1',
    chunked('5 ; a = 1 ;\tb\r\nhello\r\n0\r\n\r\n'),
    [chunkedRequest, data('hello'), eom()],
  ),
  ok(
    'extension on the last chunk',
    'RFC 9112 §7.1.1',
    chunked('5\r\nhello\r\n0;last=yes\r\n\r\n'),
    [chunkedRequest, data('hello'), eom()],
  ),
  ok(
    'chunk extension exactly maxChunkExtensionSize long',
    'RFC 9112 §7.1.1',
    chunked(`5;${'e'.repeat(15)}\r\nhello\r\n0\r\n\r\n`),
    [chunkedRequest, data('hello'), eom()],
    { limits: { maxChunkExtensionSize: 16 } },
  ),
  bad(
    'chunk extension over maxChunkExtensionSize',
    'RFC 9112 §7.1.1',
    chunked(`5;${'e'.repeat(40)}\r\nhello\r\n0\r\n\r\n`),
    'BAD_CHUNK_EXTENSION',
    400,
    { limits: { maxChunkExtensionSize: 16 }, after: [chunkedRequest] },
  ),
  bad(
    'chunk extension over maxChunkExtensionSize before its line ends',
    'RFC 9112 §7.1.1',
    chunked(`5;${'e'.repeat(200)}`),
    'BAD_CHUNK_EXTENSION',
    400,
    { limits: { maxChunkExtensionSize: 16 }, after: [chunkedRequest], partial: true },
  ),
  bad(
    'control character in a chunk extension',
    'RFC 9112 §7.1.1',
    chunked('5;a=\x01\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_EXTENSION',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'NUL in a chunk extension',
    'RFC 9112 §7.1.1',
    chunked('5;a\x00b\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_EXTENSION',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'chunk extension without a name',
    'RFC 9112 §7.1.1',
    chunked('5;=x\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_EXTENSION',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'chunk extension with an unterminated quoted-string',
    'RFC 9112 §7.1.1',
    chunked('5;a="x\r\nhello\r\n0\r\n\r\n'),
    'BAD_CHUNK_EXTENSION',
    400,
    { after: [chunkedRequest] },
  ),
  ok(
    'one trailer field',
    'RFC 9112 §7.1.2',
    chunked('3\r\nabc\r\n0\r\nX-Digest: sha-256=abc\r\n\r\n'),
    [chunkedRequest, data('abc'), eom([['X-Digest', 'sha-256=abc']])],
  ),
  ok(
    'trailer fields keep case, order and trimmed values',
    'RFC 9112 §7.1.2',
    chunked('0\r\nx-a:  1 \r\nX-B:\t2\r\n\r\n'),
    [
      chunkedRequest,
      eom([
        ['x-a', '1'],
        ['X-B', '2'],
      ]),
    ],
  ),
  bad(
    'obs-fold in the trailers',
    'RFC 9112 §5.2',
    chunked('0\r\nX-A: 1\r\n 2\r\n\r\n'),
    'OBS_FOLD',
    400,
    { after: [chunkedRequest] },
  ),
  bad(
    'bad field name in the trailers',
    'RFC 9110 §5.1',
    chunked('0\r\nX A: 1\r\n\r\n'),
    'BAD_HEADER_NAME',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'control character in a trailer value',
    'RFC 9110 §5.5',
    chunked('0\r\nX-A: 1\x00\r\n\r\n'),
    'BAD_HEADER_VALUE',
    400,
    {
      after: [chunkedRequest],
    },
  ),
  bad(
    'trailer section over maxTrailerSize',
    'RFC 9112 §7.1.2',
    chunked(`5\r\nhello\r\n0\r\nX-Trailer: ${'t'.repeat(100)}\r\n\r\n`),
    'TRAILERS_TOO_LARGE',
    431,
    { limits: { maxTrailerSize: 32 }, after: [chunkedRequest, data('hello')] },
  ),
  bad(
    'trailer section over maxTrailerSize before it ends',
    'RFC 9112 §7.1.2',
    chunked(`0\r\nX-Trailer: ${'t'.repeat(100)}`),
    'TRAILERS_TOO_LARGE',
    431,
    { limits: { maxTrailerSize: 32 }, after: [chunkedRequest], partial: true },
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// Expect (RFC 9110 §10.1.1) and Connection (RFC 9112 §9.3)

const expectAndConnection: RequestVector[] = [
  bad(
    'unknown expectation',
    'RFC 9110 §10.1.1',
    get('/', 'Expect: something-else\r\n'),
    'EXPECTATION_FAILED',
    417,
  ),
  ok(
    'Expect: 100-continue with its body',
    'RFC 9110 §10.1.1',
    `PUT /f HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`,
    [
      request('PUT', '/f', [HOST_PAIR, ['Expect', '100-continue'], ['Content-Length', '2']], {
        contentLength: 2,
      }),
      data('hi'),
      eom(),
    ],
  ),
  ok(
    'Expect value is case-insensitive',
    'RFC 9110 §10.1.1',
    `PUT /f HTTP/1.1\r\n${HOST}Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi`,
    [
      request('PUT', '/f', [HOST_PAIR, ['Expect', '100-Continue'], ['Content-Length', '2']], {
        contentLength: 2,
      }),
      data('hi'),
      eom(),
    ],
  ),
  ok(
    'Expect is ignored in HTTP/1.0',
    'RFC 9110 §10.1.1',
    'GET / HTTP/1.0\r\nExpect: something-else\r\n\r\n',
    [request('GET', '/', [['Expect', 'something-else']], { version: '1.0' }), eom()],
    { end: 'paused' },
  ),
  ok(
    'Connection: close stops after that request',
    'RFC 9112 §9.6',
    get('/a', 'Connection: close\r\n') + get('/b'),
    [request('GET', '/a', [HOST_PAIR, ['Connection', 'close']]), eom()],
    { end: 'paused' },
  ),
  ok(
    'close token in a Connection list, any case',
    'RFC 9112 §9.6',
    get('/a', 'Connection: keep-alive, CLOSE\r\n') + get('/b'),
    [request('GET', '/a', [HOST_PAIR, ['Connection', 'keep-alive, CLOSE']]), eom()],
    { end: 'paused' },
  ),
  ok(
    'a token that only contains "close" does not close',
    'RFC 9112 §9.6',
    get('/a', 'Connection: closed\r\n') + get('/b'),
    [request('GET', '/a', [HOST_PAIR, ['Connection', 'closed']]), eom(), ...getEvents('/b')],
    { end: 'need-data' },
  ),
  ok(
    'HTTP/1.0 closes by default: the next request is never read',
    'RFC 9112 §9.3',
    `GET /a HTTP/1.0\r\n\r\n${get('/b')}`,
    [request('GET', '/a', [], { version: '1.0' }), eom()],
    { end: 'paused' },
  ),
  ok(
    'HTTP/1.0 with keep-alive reads the next request',
    'RFC 9112 §9.3',
    `GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
    [
      request('GET', '/a', [['Connection', 'Keep-Alive']], { version: '1.0' }),
      eom(),
      request('GET', '/b', [['Connection', 'keep-alive']], { version: '1.0' }),
      eom(),
    ],
    { end: 'need-data' },
  ),
  ok(
    'Upgrade is ignored: the request is served and the next one read',
    'RFC 9110 §7.8',
    get('/ws', 'Connection: Upgrade\r\nUpgrade: websocket\r\n') + get('/after'),
    [
      request('GET', '/ws', [HOST_PAIR, ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]),
      eom(),
      ...getEvents('/after'),
    ],
    { end: 'need-data' },
  ),
]

// ---------------------------------------------------------------------------------------------------------------
// End of input (RFC 9112 §8, §9.6) and errors after pipelined requests

const endOfInput: RequestVector[] = [
  ok('EOF before any byte', 'RFC 9112 §9.6', '', [closed], { eof: true, end: 'closed' }),
  ok('EOF after a complete request', 'RFC 9112 §9.6', get(), [...getEvents(), closed], {
    eof: true,
    end: 'closed',
  }),
  ok(
    'EOF after two pipelined requests',
    'RFC 9112 §9.6',
    get('/a') + get('/b'),
    [...getEvents('/a'), ...getEvents('/b'), closed],
    { eof: true, end: 'closed' },
  ),
  bad('EOF inside the request line', 'RFC 9112 §8', 'GET /pa', 'UNEXPECTED_EOF', undefined, {
    eof: true,
  }),
  bad(
    'EOF inside the field lines',
    'RFC 9112 §8',
    `GET / HTTP/1.1\r\n${HOST}Accept: text`,
    'UNEXPECTED_EOF',
    undefined,
    {
      eof: true,
    },
  ),
  bad(
    'EOF before the empty line',
    'RFC 9112 §8',
    `GET / HTTP/1.1\r\n${HOST}`,
    'UNEXPECTED_EOF',
    undefined,
    { eof: true },
  ),
  bad(
    'EOF inside a Content-Length body',
    'RFC 9112 §8',
    `POST / HTTP/1.1\r\n${HOST}Content-Length: 10\r\n\r\nabc`,
    'UNEXPECTED_EOF',
    undefined,
    {
      eof: true,
      after: [
        request('POST', '/', [HOST_PAIR, ['Content-Length', '10']], { contentLength: 10 }),
        data('abc'),
      ],
    },
  ),
  bad('EOF inside a chunk', 'RFC 9112 §8', chunked('5\r\nhel'), 'UNEXPECTED_EOF', undefined, {
    eof: true,
    after: [chunkedRequest, data('hel')],
  }),
  bad(
    'EOF before the last chunk',
    'RFC 9112 §8',
    chunked('5\r\nhello\r\n'),
    'UNEXPECTED_EOF',
    undefined,
    {
      eof: true,
      after: [chunkedRequest, data('hello')],
    },
  ),
  bad(
    'EOF inside the trailers',
    'RFC 9112 §8',
    chunked('0\r\nX-A: 1\r\n'),
    'UNEXPECTED_EOF',
    undefined,
    {
      eof: true,
      after: [chunkedRequest],
    },
  ),
  bad(
    'EOF in the second pipelined request',
    'RFC 9112 §8',
    `${get('/a')}GET /b HTTP/1.1\r\n`,
    'UNEXPECTED_EOF',
    undefined,
    { eof: true, after: getEvents('/a') },
  ),
  bad(
    'two valid pipelined requests, then garbage: both come out, then the error',
    'RFC 9112 §9.3.2',
    `${get('/a')}${get('/b')}G@RBAGE / HTTP/1.1\r\n${HOST}\r\n`,
    'BAD_METHOD',
    400,
    { after: [...getEvents('/a'), ...getEvents('/b')] },
  ),
  bad(
    'a valid request, then a request with a bad Content-Length',
    'RFC 9112 §6.3',
    `${get('/a')}${withLength(['1, 2'], 'x')}`,
    'BAD_CONTENT_LENGTH',
    400,
    { after: getEvents('/a') },
  ),
]

export const REQUEST_VECTORS: readonly RequestVector[] = [
  ...normal,
  ...lineEnds,
  ...requestLine,
  ...sizes,
  ...fields,
  ...host,
  ...contentLength,
  ...transferEncoding,
  ...chunkedBodies,
  ...expectAndConnection,
  ...endOfInput,
]

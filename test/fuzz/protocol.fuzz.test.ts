/**
 * Property tests for the protocol core (fast-check):
 * (a) a valid pipelined stream gives the same events however its bytes are split;
 * (b) random bytes and byte-level mutations of valid streams only ever raise RemoteProtocolError, the drive loop
 *     ends within a bound, EOF never leaves the reader waiting for more, and splitting does not change the outcome.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ServerConnection } from '../../src/protocol/connection.ts'
import { RemoteProtocolError } from '../../src/protocol/errors.ts'
import {
  byteChunks,
  bytes,
  type DriveResult,
  describe as describeError,
  drive,
  normalize,
} from '../protocol/helpers.ts'
import type { ExpectedEvent, Pair } from '../vectors/requests.ts'

// ---------------------------------------------------------------------------------------------------------------
// Generating valid requests from parts

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
const PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@"
const latin1Char = (min: number, max: number) =>
  fc.integer({ min, max }).map((c) => String.fromCharCode(c))

const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 10 })
const segment = fc.string({ unit: fc.constantFrom(...PATH_CHARS), maxLength: 8 })
const target = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.option(segment, { nil: undefined }))
  .map(([segs, query]) => `/${segs.join('/')}${query === undefined ? '' : `?${query}`}`)
// Field value characters: visible ASCII, SP, HTAB and obs-text.
const valueChar = fc.oneof(
  { weight: 8, arbitrary: latin1Char(0x21, 0x7e) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\t') },
  { weight: 1, arbitrary: latin1Char(0x80, 0xff) },
)
const fieldValue = fc.string({ unit: valueChar, maxLength: 16 })
const ows = fc.constantFrom('', ' ', '\t', '  ', ' \t')
const lineEnd = fc.constantFrom('\r\n', '\r\n', '\n')
const field = fc.record({
  name: token.map((t) => `X-${t}`),
  value: fieldValue,
  before: ows,
  after: ows,
  end: lineEnd,
})
const bodyBytes = fc.string({ unit: latin1Char(0, 255), maxLength: 24 })
const chunkExt = fc.constantFrom('', ';a', ';a=b', ' ; name="q v"', ';x=1;y')
const body = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('length' as const), data: bodyBytes }),
  fc.record({
    kind: fc.constant('chunked' as const),
    chunks: fc.array(fc.record({ data: bodyBytes.filter((s) => s.length > 0), ext: chunkExt }), {
      maxLength: 3,
    }),
    lastExt: chunkExt,
    trailers: fc.array(fc.record({ name: token.map((t) => `T-${t}`), value: fieldValue }), {
      maxLength: 2,
    }),
  }),
)
const requestParts = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'M-SEARCH'),
  target,
  fields: fc.array(field, { maxLength: 4 }),
  body,
  leadingEmptyLine: fc.boolean(),
})
type RequestParts = typeof requestParts extends fc.Arbitrary<infer T> ? T : never

const trim = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '')

/** The bytes of one request and the events it must produce. */
function build(p: RequestParts): { input: string; events: ExpectedEvent[] } {
  const headers: Pair[] = [['Host', 'example.com']]
  let head = `${p.leadingEmptyLine ? '\r\n' : ''}${p.method} ${p.target} HTTP/1.1\r\nHost: example.com\r\n`
  for (const f of p.fields) {
    head += `${f.name}:${f.before}${f.value}${f.after}${f.end}`
    headers.push([f.name, trim(f.value)])
  }
  const events: ExpectedEvent[] = []
  let bodyText = ''
  let wireBody = ''
  let trailers: Pair[] = []
  let contentLength: number | undefined = 0
  let chunked = false
  if (p.body.kind === 'length') {
    head += `Content-Length: ${p.body.data.length}\r\n`
    headers.push(['Content-Length', String(p.body.data.length)])
    contentLength = p.body.data.length
    bodyText = wireBody = p.body.data
  } else if (p.body.kind === 'chunked') {
    head += 'Transfer-Encoding: chunked\r\n'
    headers.push(['Transfer-Encoding', 'chunked'])
    contentLength = undefined
    chunked = true
    for (const c of p.body.chunks) {
      wireBody += `${c.data.length.toString(16)}${c.ext}\r\n${c.data}\r\n`
      bodyText += c.data
    }
    wireBody += `0${p.body.lastExt}\r\n`
    for (const t of p.body.trailers) wireBody += `${t.name}: ${t.value}\r\n`
    wireBody += '\r\n'
    trailers = p.body.trailers.map((t): Pair => [t.name, trim(t.value)])
  }
  events.push({
    type: 'request',
    method: p.method,
    target: p.target,
    version: '1.1',
    headers,
    contentLength,
    chunked,
  })
  if (bodyText !== '') events.push({ type: 'data', data: bodyText })
  events.push({ type: 'end-of-message', trailers })
  return { input: `${head}\r\n${wireBody}`, events }
}

const stream = fc.array(requestParts, { minLength: 1, maxLength: 4 }).map((parts) => {
  const built = parts.map(build)
  return { input: built.map((b) => b.input).join(''), events: built.flatMap((b) => b.events) }
})

/** Cut points as fractions of the input, so one arbitrary fits every length. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 })

function split(input: Uint8Array, fractions: readonly number[]): Uint8Array[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * input.length)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const i of [...at, input.length]) {
    if (i > prev) out.push(input.subarray(prev, i))
    prev = Math.max(prev, i)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Checks for arbitrary input

function checkOutcome(r: DriveResult, eof: boolean): void {
  if (r.error !== undefined) {
    assert.ok(r.error instanceof RemoteProtocolError, `threw ${describeError(r.error)}`)
    assert.ok(
      r.error.statusHint >= 400 && r.error.statusHint <= 599,
      `statusHint ${r.error.statusHint}`,
    )
    assert.equal(typeof r.error.code, 'string')
  } else if (eof) {
    assert.notEqual(
      r.last,
      'need-data',
      'NEED_DATA after EOF: the reader waits for bytes that cannot come',
    )
  }
}

/** Events without their body bytes, and the body bytes joined: for comparing outcomes across splits. */
function skeleton(events: readonly ExpectedEvent[]): { shape: ExpectedEvent[]; body: string } {
  return {
    shape: events.filter((e) => e.type !== 'data'),
    body: events.map((e) => (e.type === 'data' ? e.data : '')).join(''),
  }
}

function run(chunks: Uint8Array[], eof: boolean): DriveResult {
  return drive(new ServerConnection(), chunks, { eof })
}

function checkSplitInvariance(input: Uint8Array, fractions: readonly number[], eof: boolean): void {
  const whole = run(input.length ? [input] : [], eof)
  const parts = run(split(input, fractions), eof)
  checkOutcome(whole, eof)
  checkOutcome(parts, eof)
  assert.equal(
    parts.error === undefined,
    whole.error === undefined,
    'error in one split and not in the other',
  )
  if (whole.error === undefined) {
    assert.deepStrictEqual(parts.events, whole.events)
    assert.equal(parts.last, whole.last)
    return
  }
  // With an error, body bytes of the failing message may be held back in one run and not the other.
  const a = skeleton(whole.events)
  const b = skeleton(parts.events)
  assert.deepStrictEqual(b.shape, a.shape, 'different events before the error')
  assert.ok(
    a.body.startsWith(b.body) || b.body.startsWith(a.body),
    'body bytes differ before the error',
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

const interesting = fc.constantFrom(
  ...'\r\n \t:;,"=0123456789aAfFxX-+/\\*@[]?'.split('').map((c) => c.charCodeAt(0)),
  0x00,
  0x7f,
  0x80,
  0xff,
)
const mutation = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'duplicate', 'replace'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  byte: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })),
  len: fc.integer({ min: 1, max: 8 }),
  bit: fc.integer({ min: 0, max: 7 }),
})
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Array.from(input)
  for (const m of ms) {
    const i = Math.min(Math.floor(m.at * b.length), Math.max(b.length - 1, 0))
    switch (m.kind) {
      case 'flip':
        if (b.length) b[i] = b[i]! ^ (1 << m.bit)
        break
      case 'replace':
        if (b.length) b[i] = m.byte
        break
      case 'insert':
        b.splice(i, 0, m.byte)
        break
      case 'delete':
        b.splice(i, m.len)
        break
      case 'duplicate':
        b = [...b.slice(0, i + m.len), ...b.slice(i, i + m.len), ...b.slice(i + m.len)]
        break
    }
  }
  return Uint8Array.from(b)
}

// ---------------------------------------------------------------------------------------------------------------

describe('fuzz: valid pipelined streams', () => {
  test('any split gives the events built from the parts', () => {
    fc.assert(
      fc.property(stream, cuts, ({ input, events }, fractions) => {
        const data = bytes(input)
        const expected = normalize(events)
        const whole = drive(new ServerConnection(), [data])
        assert.equal(whole.error, undefined, describeError(whole.error))
        assert.deepStrictEqual(whole.events, expected)
        assert.equal(whole.last, 'need-data')
        const parts = drive(new ServerConnection(), split(data, fractions))
        assert.equal(parts.error, undefined, describeError(parts.error))
        assert.deepStrictEqual(parts.events, expected)
        assert.equal(parts.last, 'need-data')
      }),
      { numRuns: 500 },
    )
  })

  test('one byte at a time gives the same events', () => {
    fc.assert(
      fc.property(stream, ({ input, events }) => {
        const r = drive(new ServerConnection(), byteChunks(bytes(input)))
        assert.equal(r.error, undefined, describeError(r.error))
        assert.deepStrictEqual(r.events, normalize(events))
      }),
      { numRuns: 200 },
    )
  })

  test('EOF after a complete stream gives connection-closed', () => {
    fc.assert(
      fc.property(stream, cuts, ({ input, events }, fractions) => {
        const r = drive(new ServerConnection(), split(bytes(input), fractions), { eof: true })
        assert.equal(r.error, undefined, describeError(r.error))
        assert.deepStrictEqual(r.events, normalize([...events, { type: 'connection-closed' }]))
      }),
      { numRuns: 200 },
    )
  })
})

describe('fuzz: hostile input', () => {
  test('random bytes: only RemoteProtocolError, bounded, split-invariant', () => {
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(fc.oneof(interesting, fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 200 })
        .map((a) => Uint8Array.from(a)),
    )
    fc.assert(
      fc.property(junk, cuts, fc.boolean(), (input, fractions, eof) => {
        checkSplitInvariance(input, fractions, eof)
      }),
      { numRuns: 1000 },
    )
  })

  test('random bytes after a valid prefix', () => {
    fc.assert(
      fc.property(
        stream,
        fc.uint8Array({ maxLength: 64 }),
        cuts,
        fc.boolean(),
        (s, tail, fractions, eof) => {
          const input = new Uint8Array([...bytes(s.input), ...tail])
          checkSplitInvariance(input, fractions, eof)
        },
      ),
      { numRuns: 500 },
    )
  })

  test('mutated valid streams: only RemoteProtocolError, bounded, split-invariant', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        cuts,
        fc.boolean(),
        (s, ms, fractions, eof) => {
          checkSplitInvariance(mutate(bytes(s.input), ms), fractions, eof)
        },
      ),
      { numRuns: 1000 },
    )
  })

  test('mutated streams fed one byte at a time end like the whole', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (s, ms, eof) => {
          const input = mutate(bytes(s.input), ms)
          const whole = run(input.length ? [input] : [], eof)
          const bytewise = run(byteChunks(input), eof)
          checkOutcome(whole, eof)
          checkOutcome(bytewise, eof)
          assert.equal(bytewise.error === undefined, whole.error === undefined)
          if (whole.error === undefined) assert.deepStrictEqual(bytewise.events, whole.events)
        },
      ),
      { numRuns: 300 },
    )
  })
})

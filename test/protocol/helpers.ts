/**
 * Test helpers for the protocol core: an h11-style runner for request vectors (`tr`), a drive loop that plays a
 * minimal server, and a small response parser for checking what `send()` produced.
 */
import assert from 'node:assert/strict'
import { ServerConnection } from '../../src/protocol/connection.ts'
import { RemoteProtocolError } from '../../src/protocol/errors.ts'
import { type ClientEvent, NEED_DATA, PAUSED, type ServerEvent } from '../../src/protocol/events.ts'
import type { ProtocolLimits } from '../../src/protocol/limits.ts'
import type {
  Ending,
  ExpectedError,
  ExpectedEvent,
  Pair,
  RequestVector,
} from '../vectors/requests.ts'

/** latin1 string → bytes (one byte per code unit). */
export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'))
}

/** bytes → latin1 string; always a copy, so views into the connection's buffers are safe to keep. */
export function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}

/** Concatenation of what `send()` returned, as a latin1 string. */
export function wire(parts: readonly Uint8Array[]): string {
  return parts.map(text).join('')
}

export const EOF = new Uint8Array(0)

function pairs(raw: readonly string[]): Pair[] {
  const out: Pair[] = []
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!])
  return out
}

/** A received event in the comparable shape of the vectors. */
export function toExpected(ev: ClientEvent): ExpectedEvent {
  switch (ev.type) {
    case 'request':
      return {
        type: 'request',
        method: ev.method,
        target: ev.target,
        version: ev.version,
        headers: pairs(ev.headers.raw),
        contentLength: ev.contentLength,
        chunked: ev.chunked,
      }
    case 'data':
      return { type: 'data', data: text(ev.data) }
    case 'end-of-message':
      return { type: 'end-of-message', trailers: ev.trailers ? pairs(ev.trailers.raw) : [] }
    case 'connection-closed':
      return { type: 'connection-closed' }
  }
}

/** Joins consecutive data events and drops empty ones: how bytes arrive decides where data is split. */
export function normalize(events: readonly ExpectedEvent[]): ExpectedEvent[] {
  const out: ExpectedEvent[] = []
  for (const ev of events) {
    if (ev.type === 'data') {
      if (ev.data === '') continue
      const prev = out[out.length - 1]
      if (prev?.type === 'data') {
        out[out.length - 1] = { type: 'data', data: prev.data + ev.data }
        continue
      }
    }
    out.push(ev)
  }
  return out
}

/** The response the runner gives every request, so that the next pipelined one is read. */
export const MINIMAL_RESPONSE: ServerEvent = {
  type: 'response',
  status: 200,
  headers: [['content-length', '0']],
}

export interface DriveResult {
  /** Events received, normalized. */
  events: ExpectedEvent[]
  /** What `nextEvent()` threw, if anything (the drive stops there). */
  error: unknown
  /** How the last `nextEvent()` call ended when nothing was thrown. */
  last: Ending | undefined
  /** Number of `nextEvent()` calls. */
  calls: number
}

export interface DriveOptions {
  eof?: boolean
  /** Called with every event before the runner reacts to it. */
  onEvent?: (ev: ClientEvent, conn: ServerConnection) => void
  /** Upper bound on `nextEvent()` calls; past it the drive fails (an event loop that makes no progress). */
  maxCalls?: number
}

/**
 * Feeds `chunks` one after another, draining events after each, and plays a minimal server: every
 * end-of-message is answered at once with `MINIMAL_RESPONSE` and an end-of-message. Stops at the first error or
 * at connection-closed. Never throws protocol errors itself: they are returned in `error`.
 */
export function drive(
  conn: ServerConnection,
  chunks: readonly Uint8Array[],
  opts: DriveOptions = {},
): DriveResult {
  const raw: ExpectedEvent[] = []
  let total = 0
  for (const c of chunks) total += c.byteLength
  const maxCalls = opts.maxCalls ?? 8 * (total + chunks.length) + 64
  const result: DriveResult = { events: raw, error: undefined, last: undefined, calls: 0 }

  // Returns false when the drive must stop (error or connection-closed).
  const pump = (): boolean => {
    for (;;) {
      if (++result.calls > maxCalls) {
        throw new Error(`drive: more than ${maxCalls} nextEvent() calls for ${total} bytes`)
      }
      let ev: ReturnType<ServerConnection['nextEvent']>
      try {
        ev = conn.nextEvent()
      } catch (err) {
        result.error = err
        result.last = undefined
        return false
      }
      if (ev === NEED_DATA) {
        result.last = 'need-data'
        return true
      }
      if (ev === PAUSED) {
        result.last = 'paused'
        return true
      }
      opts.onEvent?.(ev, conn)
      raw.push(toExpected(ev))
      if (ev.type === 'connection-closed') {
        result.last = 'closed'
        return false
      }
      if (ev.type === 'end-of-message') {
        conn.send(MINIMAL_RESPONSE)
        conn.send({ type: 'end-of-message' })
      }
    }
  }

  let going = true
  for (const chunk of chunks) {
    conn.receiveData(chunk)
    going = pump()
    if (!going) break
  }
  if (going && opts.eof) {
    conn.receiveData(EOF)
    pump()
  }
  result.events = normalize(raw)
  return result
}

/** Splits `input` into one-byte chunks. */
export function byteChunks(input: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1))
  return out
}

/** Bytes of a further request appended in the third run: an unfinished head, so it adds no event. */
export const TRAILING = 'GET /next HTTP/1.1\r\nHost: example.com\r\nX-Tr'

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; statusHint?: unknown }
    return `${e.name}(${String(e.code)}, ${String(e.statusHint)}): ${e.message}`
  }
  return String(err)
}

function checkError(label: string, err: unknown, want: ExpectedError): void {
  if (!(err instanceof RemoteProtocolError)) {
    assert.fail(`${label}: expected a RemoteProtocolError, got ${describe(err)}`)
  }
  if (want.code !== undefined) {
    const codes = typeof want.code === 'string' ? [want.code] : want.code
    assert.ok(
      codes.includes(err.code),
      `${label}: code ${err.code}, expected ${codes.join(' or ')}`,
    )
  }
  if (want.status !== undefined) {
    assert.equal(err.statusHint, want.status, `${label}: statusHint`)
  }
}

/**
 * Events seen before an error must be the expected ones, except that body bytes of the message being read when
 * the error struck may be held back (an implementation may check what follows a chunk before handing it up).
 */
export function assertEventsBeforeError(
  label: string,
  actual: readonly ExpectedEvent[],
  expected: readonly ExpectedEvent[],
): void {
  const last = expected[expected.length - 1]
  if (last?.type === 'data' && actual.length > 0) {
    const tail = actual[actual.length - 1]!
    const head = expected.slice(0, -1)
    if (actual.length === expected.length - 1) {
      assert.deepStrictEqual(actual, head, label)
      return
    }
    if (tail.type === 'data' && last.data.startsWith(tail.data)) {
      assert.deepStrictEqual(actual.slice(0, -1), head, label)
      return
    }
  }
  assert.deepStrictEqual(actual, expected, label)
}

type Mode = 'whole' | 'bytewise' | 'trailing'

function runMode(v: RequestVector, mode: Mode): DriveResult & { conn: ServerConnection } {
  const conn = new ServerConnection(v.limits ? { limits: v.limits } : {})
  const input = bytes(mode === 'trailing' ? v.input + TRAILING : v.input)
  const chunks = mode === 'bytewise' ? byteChunks(input) : input.length ? [input] : []
  return { ...drive(conn, chunks, { eof: v.eof === true }), conn }
}

/** Runs one request vector whole, byte by byte, and (unless partial or EOF) with bytes appended. */
export function tr(v: RequestVector): void {
  const modes: Mode[] = ['whole', 'bytewise']
  if (!v.partial && !v.eof) modes.push('trailing')
  let first: DriveResult | undefined
  for (const mode of modes) {
    const label = `${v.name} [${mode}]`
    const r = runMode(v, mode)
    if ('events' in v.expect) {
      if (r.error !== undefined) {
        assert.fail(
          `${label}: unexpected ${describe(r.error)} after ${JSON.stringify(r.events.map((e) => e.type))}`,
        )
      }
      assert.deepStrictEqual(r.events, normalize(v.expect.events), label)
      if (v.end !== undefined) assert.equal(r.last, v.end, `${label}: how the drive ended`)
      if (first !== undefined)
        assert.equal(r.last, first.last, `${label}: ending differs from whole`)
      if (mode === 'trailing' && r.last === 'paused') {
        // The connection will close: the appended bytes must sit unparsed in trailingData.
        assert.ok(text(r.conn.trailingData.data).endsWith(TRAILING), `${label}: trailingData`)
      }
    } else {
      if (r.error === undefined) {
        assert.fail(
          `${label}: no error; events ${JSON.stringify(r.events)}, ended with ${String(r.last)}`,
        )
      }
      checkError(label, r.error, v.expect.error)
      assertEventsBeforeError(label, r.events, normalize(v.expect.after ?? []))
    }
    first ??= r
  }
}

/** A connection fed `input` whole and drained with the minimal server; returns it with the drive result. */
export function feed(
  input: string,
  opts: { limits?: Partial<ProtocolLimits>; date?: () => string } & DriveOptions = {},
): { conn: ServerConnection; result: DriveResult } {
  const conn = new ServerConnection({
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.date ? { date: opts.date } : {}),
  })
  const result = drive(conn, input === '' ? [] : [bytes(input)], opts)
  return { conn, result }
}

/** Reads events until NEED_DATA or PAUSED without answering anything; throws what nextEvent throws. */
export function drain(conn: ServerConnection): ClientEvent[] {
  const out: ClientEvent[] = []
  for (let i = 0; i < 10_000; i++) {
    const ev = conn.nextEvent()
    if (ev === NEED_DATA || ev === PAUSED) return out
    out.push(ev)
    if (ev.type === 'connection-closed') return out
  }
  throw new Error('drain: no end')
}

export interface ParsedHead {
  version: string
  status: number
  reason: string
  headers: Pair[]
}

/**
 * Splits serialized output into response heads and the bytes after the final (non-1xx) head. Field lines are
 * split at the first colon and their values trimmed; the head must use CRLF throughout.
 */
export function parseResponses(out: string): { heads: ParsedHead[]; body: string } {
  const heads: ParsedHead[] = []
  let pos = 0
  for (;;) {
    const end = out.indexOf('\r\n\r\n', pos)
    assert.ok(end !== -1, `no complete response head in ${JSON.stringify(out.slice(pos))}`)
    const lines = out.slice(pos, end).split('\r\n')
    const m = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/.exec(lines[0]!)
    assert.ok(m, `bad status line ${JSON.stringify(lines[0])}`)
    const headers: Pair[] = []
    for (const line of lines.slice(1)) {
      assert.ok(!/[\r\n]/.test(line), `bare CR or LF in ${JSON.stringify(line)}`)
      const colon = line.indexOf(':')
      assert.ok(colon > 0, `field line without a name or colon: ${JSON.stringify(line)}`)
      headers.push([line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')])
    }
    const head: ParsedHead = { version: m[1]!, status: Number(m[2]), reason: m[3]!, headers }
    heads.push(head)
    pos = end + 4
    if (head.status >= 200) return { heads, body: out.slice(pos) }
    if (pos >= out.length) return { heads, body: '' }
  }
}

/** Every value of a field in a parsed head (name matched case-insensitively). */
export function fieldValues(head: ParsedHead, name: string): string[] {
  const lower = name.toLowerCase()
  return head.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v)
}

/** True when a comma-separated field value holds `token` (case-insensitive). */
export function hasToken(values: readonly string[], token: string): boolean {
  return values.some((v) =>
    v.split(',').some((t) => t.trim().toLowerCase() === token.toLowerCase()),
  )
}

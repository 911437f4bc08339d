/**
 * Tests for turning a request into an event. Expected values come from CPython 3.11 running the original's code
 * (`parse_qs(query).get("event", ["Unknown"])[0]`, `json.loads(body) if body else {}` with the `_raw` fallback,
 * `datetime.isoformat(timespec="seconds")`), pasted here; Python is not run at test time.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  EncodedObject,
  encodeJson,
  type JsonObject,
  parseJson,
} from '../../../src/observatory/encoding/index.ts'
import {
  enrichEvent,
  eventNameFromQuery,
  formatTimestamp,
  payloadFromBody,
  readPayload,
  UNKNOWN_EVENT,
} from '../../../src/observatory/server/event.ts'

/** Bytes from a mix of strings (UTF-8 encoded) and raw byte values. */
function bytes(...parts: (string | number)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from([p]),
  )
  return new Uint8Array(Buffer.concat(chunks))
}

/** What the original would print for a body (compact JSON, Python number formatting). */
const payloadJson = (body: Uint8Array) => encodeJson(payloadFromBody(body), { numbers: 'python' })

describe('eventNameFromQuery: parse_qs(query).get("event", ["Unknown"])[0]', () => {
  it('matches Python', () => {
    // [query, Python's result]
    const vectors: [string, string][] = [
      ['event=PreToolUse', 'PreToolUse'],
      ['', 'Unknown'],
      ['event=', 'Unknown'],
      ['event', 'Unknown'],
      ['event=&event=Stop', 'Stop'],
      ['a=1&event=Stop&event=Other', 'Stop'],
      ['event=Pre+Tool%20Use', 'Pre Tool Use'],
      ['ev%65nt=PreToolUse', 'PreToolUse'],
      ['event+=x', 'Unknown'],
      ['event=a=b', 'a=b'],
      ['event=%', '%'],
      ['event=%2', '%2'],
      ['event=%zz', '%zz'],
      ['event=%C3%A9', 'é'],
      ['event=%C3', '\ufffd'],
      ['event=%C3é%A9', '\ufffdé\ufffd'],
      ['event=Ã©', 'Ã©'], // raw bytes C3 A9 in the request line, read as Latin-1 by http.server
      ['event=%F0%9F%98%80', '😀'],
      ['event=%ED%A0%80', '\ufffd\ufffd\ufffd'],
      ['event=%ff%fe', '\ufffd\ufffd'],
      ['&&event=X&&', 'X'],
      ['event=X;event=Y', 'X;event=Y'],
      ['x=1;event=Y', 'Unknown'],
      ['EVENT=X', 'Unknown'],
      ['event=%2B', '+'],
      ['event=+', ' '],
      ['event=%20', ' '],
      ['event=%00', '\u0000'],
    ]
    for (const [query, expected] of vectors) {
      assert.equal(eventNameFromQuery(query), expected, JSON.stringify(query))
    }
    assert.equal(UNKNOWN_EVENT, 'Unknown')
  })

  it('decodes any value encodeURIComponent wrote (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'x', 'evt', 'events'), fc.string())),
        (value, others) => {
          const before = others.map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          const query = [...before, `event=${encodeURIComponent(value)}`, 'event=later'].join('&')
          assert.equal(eventNameFromQuery(query), value)
          // `+` for spaces, as HTML forms write them
          const plus = `event=${encodeURIComponent(value).replaceAll('%20', '+')}`
          assert.equal(eventNameFromQuery(plus), value)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('payloadFromBody: json.loads(body) if body else {}, or {"_raw": ...}', () => {
  it('matches Python where the original handles the body', () => {
    // [body, json.dumps(payload, separators=(',', ':'))] from Python
    const vectors: [Uint8Array, string][] = [
      [bytes(), '{}'],
      [bytes(' '), '{"_raw":" "}'], // only a zero-length body counts as empty
      [bytes('\n'), '{"_raw":"\\n"}'],
      [bytes('{}'), '{}'],
      [bytes('{"a":1}'), '{"a":1}'],
      [bytes(' {"a":1}\n'), '{"a":1}'],
      [bytes('{"a":1,"a":2}'), '{"a":2}'],
      [bytes('not json'), '{"_raw":"not json"}'],
      [bytes('{"a":'), '{"_raw":"{\\"a\\":"}'],
      [bytes('{"a":"', 0xed, 0xa0, 0x80, '"}'), '{"a":"\\ud800"}'], // surrogatepass
      [bytes(0xef, 0xbb, 0xbf, '{"bom":1}'), '{"bom":1}'], // utf-8-sig
      [bytes(0xef, 0xbb, 0xbf), '{"_raw":"\\ufeff"}'],
      [bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, '{}'), '{"_raw":"\\ufeff\\ufeff{}"}'],
      [new Uint8Array(Buffer.from('\ufeff{"u":"é"}', 'utf16le')), '{"u":"\\u00e9"}'], // UTF-16 with BOM
      [new Uint8Array(Buffer.from('{"u":1}', 'utf16le')), '{"u":1}'],
      [bytes('{"e":"café 😀"}'), '{"e":"caf\\u00e9 \\ud83d\\ude00"}'],
      [bytes('{"n":1.0,"big":12345678901234567890123}'), '{"n":1.0,"big":12345678901234567890123}'],
      [bytes('{"a":"\x01"}'), '{"_raw":"{\\"a\\":\\"\\u0001\\"}"}'],
      [bytes('{"t":"a\tb"}'), '{"_raw":"{\\"t\\":\\"a\\tb\\"}"}'],
    ]
    for (const [body, expected] of vectors) {
      assert.equal(payloadJson(body), expected, Buffer.from(body).toString('hex'))
    }
  })

  it('keeps a payload that is a JSON object as parsed (number text included)', () => {
    const payload = payloadFromBody(bytes('{"b":1.50,"a":[true]}'))
    assert.deepEqual([...payload.keys()], ['b', 'a'])
    assert.equal(encodeJson(payload), '{"b":1.50,"a":[true]}')
  })

  it('turns JSON that is not an object into _raw (the original crashes)', () => {
    // Python: {**[1, 2]} raises TypeError; here the body is kept as text instead.
    for (const body of ['[1,2]', '"text"', '42', 'null', 'true']) {
      assert.deepEqual(payloadFromBody(bytes(body)), new Map([['_raw', body]]), body)
    }
  })

  it('turns undecodable bytes into _raw with U+FFFD (the original crashes with UnicodeDecodeError)', () => {
    assert.equal(payloadJson(bytes(0xff, 0xfe, 0xfd)), '{"_raw":"\\ufffd\\ufffd\\ufffd"}')
    assert.equal(payloadJson(bytes('{"a":"', 0xff, '"}')), '{"_raw":"{\\"a\\":\\"\\ufffd\\"}"}')
    // One U+FFFD per maximal invalid subsequence, as Python's errors="replace" does.
    assert.equal(payloadJson(bytes('x', 0xf0, 0x9f, 0x98, 'y')), '{"_raw":"x\\ufffdy"}')
    assert.equal(payloadJson(bytes('x', 0xe0, 0x80, 'y')), '{"_raw":"x\\ufffd\\ufffdy"}')
  })

  it("turns Python's NaN and Infinity into _raw: every line written must be RFC 8259 JSON", () => {
    // json.loads accepts these three names and the original prints them back (`{"n": NaN}`), which jq,
    // JSON.parse and the live page reject.
    for (const body of ['{"n":NaN}', '{"n":Infinity}', '{"n":-Infinity}', '{"a":[1,{"b":NaN}]}']) {
      assert.deepEqual(payloadFromBody(bytes(body)), new Map([['_raw', body]]), body)
      const line = encodeJson(
        enrichEvent({ ts: new Date(0), event: 'E' }, payloadFromBody(bytes(body))),
      )
      assert.deepEqual(JSON.parse(line)._raw, body)
    }
    // Numbers JSON does have stay exactly as written, even when no float64 holds them.
    assert.equal(encodeJson(payloadFromBody(bytes('{"n":1e400,"m":-0.0}'))), '{"n":1e400,"m":-0.0}')
  })

  it('writes only RFC 8259 JSON, whatever the body (property)', () => {
    const text = fc.oneof(
      fc.json(),
      fc.constantFrom('NaN', 'Infinity', '-Infinity').map((n) => `{"x":${n}}`),
      fc.string(),
    )
    fc.assert(
      fc.property(text, (body) => {
        const line = encodeJson(
          enrichEvent({ ts: new Date(0), event: 'E' }, payloadFromBody(bytes(body))),
        )
        JSON.parse(line) // throws on anything that is not RFC 8259 JSON
      }),
      { numRuns: 1000 },
    )
  })

  it('turns nesting beyond the depth limit into _raw (RecursionError in Python)', () => {
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`
    assert.deepEqual(payloadFromBody(bytes(deep)), new Map([['_raw', deep]]))
  })

  it('never throws, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
        const payload = payloadFromBody(body)
        assert.ok(payload instanceof Map)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('formatTimestamp: datetime.isoformat(timespec="seconds") in UTC', () => {
  it('matches Python', () => {
    const vectors: [string, string][] = [
      ['2026-02-09T10:30:00.000Z', '2026-02-09T10:30:00+00:00'],
      ['2026-02-09T10:30:00.999Z', '2026-02-09T10:30:00+00:00'], // truncated, not rounded
      ['1999-12-31T23:59:59.500Z', '1999-12-31T23:59:59+00:00'],
      ['0005-01-02T03:04:05.000Z', '0005-01-02T03:04:05+00:00'], // %04d year
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59+00:00'],
    ]
    for (const [iso, expected] of vectors) assert.equal(formatTimestamp(new Date(iso)), expected)
  })

  it('uses UTC whatever the date was built from', () => {
    assert.equal(
      formatTimestamp(new Date('2026-02-09T12:30:00+02:00')),
      '2026-02-09T10:30:00+00:00',
    )
    assert.equal(formatTimestamp(new Date(0)), '1970-01-01T00:00:00+00:00')
  })

  it("rejects what Python's datetime cannot hold", () => {
    assert.throws(() => formatTimestamp(new Date(Number.NaN)), RangeError)
    assert.throws(() => formatTimestamp(new Date('+010000-01-01T00:00:00Z')), RangeError)
    assert.throws(() => formatTimestamp(new Date('0000-06-01T00:00:00Z')), RangeError)
  })
})

describe("enrichEvent: metadata first and always the server's, then the payload", () => {
  const ts = new Date('2026-02-09T10:30:00.250Z')

  it('orders TCP metadata before the payload', () => {
    const payload = parseJson('{"tool_name":"Bash","tool_input":{"command":"ls"}}') as JsonObject
    const event = enrichEvent({ ts, event: 'PreToolUse', client: '127.0.0.1' }, payload)
    assert.equal(
      encodeJson(event),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"PreToolUse","_client":"127.0.0.1",' +
        '"tool_name":"Bash","tool_input":{"command":"ls"}}',
    )
  })

  it('adds the Unix peer credentials that are known', () => {
    const all = enrichEvent(
      { ts, event: 'Stop', peer: { pid: 1234, uid: 1000, gid: 100 } },
      new Map(),
    )
    assert.equal(
      encodeJson(all),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"Stop","_peer_pid":1234,"_peer_uid":1000,"_peer_gid":100}',
    )
    // macOS: LOCAL_PEERCRED has no pid; the original writes -1 there, a caller may also leave it out.
    const some = enrichEvent({ ts, event: 'Stop', peer: { uid: 501, gid: 20 } }, new Map())
    assert.deepEqual([...some.keys()], ['_ts', '_event', '_peer_uid', '_peer_gid'])
    const none = enrichEvent({ ts, event: 'Stop' }, new Map())
    assert.deepEqual([...none.keys()], ['_ts', '_event'])
  })

  it('never lets the payload replace metadata; keeps its values under _from_payload', () => {
    // The Python original ({**meta, **payload}) would write {"_ts": "y", "_event": "x", "_client": "C", "k": 1}:
    // a deliberate difference, so that no payload can forge the time, the event or the peer's identity.
    const payload = parseJson('{"_event":"x","_ts":"y","k":1}') as JsonObject
    const event = enrichEvent({ ts, event: 'E', client: 'C' }, payload)
    assert.equal(
      encodeJson(event),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"E","_client":"C","k":1,' +
        '"_from_payload":{"_event":"x","_ts":"y"}}',
    )
    assert.equal(encodeJson(payload), '{"_event":"x","_ts":"y","k":1}', 'payload left alone')
  })

  it('keeps forged peer credentials out of the top level, on either transport', () => {
    const forged = parseJson(
      '{"_peer_uid":0,"_peer_pid":1,"_ts":"2020-01-01T00:00:00+00:00","tool_name":"Bash"}',
    ) as JsonObject
    // Unix socket: the kernel's values win.
    const unix = enrichEvent(
      { ts, event: 'PreToolUse', peer: { pid: 4321, uid: 1000, gid: 1000 } },
      forged,
    )
    assert.equal(
      encodeJson(unix),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"PreToolUse","_peer_pid":4321,"_peer_uid":1000,' +
        '"_peer_gid":1000,"tool_name":"Bash",' +
        '"_from_payload":{"_peer_uid":0,"_peer_pid":1,"_ts":"2020-01-01T00:00:00+00:00"}}',
    )
    // TCP: no _peer_* field at the top level at all, since none came from the kernel.
    const tcp = enrichEvent({ ts, event: 'PreToolUse', client: '127.0.0.1' }, forged)
    assert.deepEqual([...tcp.keys()], ['_ts', '_event', '_client', 'tool_name', '_from_payload'])
    // A Unix client cannot claim a TCP address either, nor fill _from_payload itself.
    const sneaky = parseJson('{"_client":"10.0.0.1","_from_payload":{"_peer_uid":0}}') as JsonObject
    const event = enrichEvent({ ts, event: 'E', peer: { uid: 1000 } }, sneaky)
    assert.equal(
      encodeJson(event),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"E","_peer_uid":1000,' +
        '"_from_payload":{"_client":"10.0.0.1","_from_payload":{"_peer_uid":0}}}',
    )
  })

  it('keeps metadata first and payload order after (property)', () => {
    // The names the server keeps for itself, written out here rather than imported: this is the contract.
    const reserved = [
      '_ts',
      '_event',
      '_client',
      '_peer_pid',
      '_peer_uid',
      '_peer_gid',
      '_from_payload',
    ]
    const key = fc.oneof(fc.constantFrom(...reserved), fc.string())
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 8 }), fc.boolean(), (keys, tcp) => {
        const payload: JsonObject = new Map(keys.map((k, i) => [k, String(i)]))
        const meta = tcp
          ? { ts, event: 'E', client: 'C' }
          : { ts, event: 'E', peer: { pid: 1, uid: 2, gid: 3 } }
        const event = enrichEvent(meta, payload)
        const metaKeys = tcp
          ? ['_ts', '_event', '_client']
          : ['_ts', '_event', '_peer_pid', '_peer_uid', '_peer_gid']
        const kept = keys.filter((k) => reserved.includes(k))
        const expectedKeys = [
          ...metaKeys,
          ...keys.filter((k) => !reserved.includes(k)),
          ...(kept.length > 0 ? ['_from_payload'] : []),
        ]
        assert.deepEqual([...event.keys()], expectedKeys)
        const fromPayload = event.get('_from_payload')
        for (const [k, v] of payload) {
          if (reserved.includes(k)) assert.equal((fromPayload as JsonObject).get(k), v)
          else assert.equal(event.get(k), v)
        }
        assert.equal(event.get('_ts'), '2026-02-09T10:30:00+00:00')
        assert.equal(event.get('_event'), 'E')
      }),
      { numRuns: 300 },
    )
  })
})

describe("the spliced line: a payload already in the encoder's form is copied, not encoded again", () => {
  const ts = new Date(Date.UTC(2026, 1, 9, 10, 30, 0, 999))
  const metas = [
    { ts, event: 'PreToolUse', peer: { pid: 4242, uid: 1000, gid: 100 } },
    { ts, event: 'Pre"Tool\u00e9', client: '127.0.0.1' },
    { ts, event: 'Stop', peer: { uid: 0 } },
    { ts, event: 'E' },
  ]
  /** The event as the server enriches a body: the payload and, when it can be spliced, its text. */
  const enriched = (meta: (typeof metas)[number], body: string) => {
    const { payload, text } = readPayload(bytes(body))
    return enrichEvent(meta, payload, text)
  }
  /** The line written the long way: every entry of the event encoded from a plain Map. */
  const encodedTheLongWay = (event: JsonObject) => encodeJson(new Map(event))

  it('writes the same line as encoding the event (property)', () => {
    const keys = fc.constantFrom(
      '_ts',
      '_peer_uid',
      '_from_payload',
      '_client',
      'tool_name',
      'a',
      '_x',
    )
    const body = fc.oneof(
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
      fc.dictionary(keys, fc.jsonValue()).map((o) => JSON.stringify(o)),
      fc.dictionary(fc.string(), fc.jsonValue()).map((o) => `${JSON.stringify(o)}\n`),
    )
    fc.assert(
      fc.property(body, fc.constantFrom(...metas), (text, meta) => {
        const event = enriched(meta, text)
        const line = encodeJson(event)
        assert.equal(line, encodedTheLongWay(event), text)
        JSON.parse(line)
      }),
      { numRuns: 1500 },
    )
  })

  it('splices a compact ASCII payload, metadata first', () => {
    const body = '{"session_id":"s","tool_input":{"command":"ls \\"a\\"\\n"},"n":1.0}'
    const event = enriched(metas[0]!, body)
    assert.ok(event instanceof EncodedObject)
    assert.equal(
      encodeJson(event),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"PreToolUse","_peer_pid":4242,"_peer_uid":1000,' +
        `"_peer_gid":100,${body.slice(1)}`,
    )
    assert.equal(
      encodeJson(enriched(metas[3]!, '{}')),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"E"}',
    )
    // The event is still a map of the values, for the session model.
    assert.equal(event.get('session_id'), 's')
    assert.deepEqual([...event.keys()].slice(0, 5), [
      '_ts',
      '_event',
      '_peer_pid',
      '_peer_uid',
      '_peer_gid',
    ])
  })

  it("encodes the usual way when the payload is not in the encoder's form, or has metadata keys", () => {
    for (const body of [
      '{"a": 1}',
      '{"a":"\\u0041"}',
      '{"a":"é"}',
      '{"_peer_uid":0}',
      '{"a":1,"a":2}',
    ]) {
      const event = enriched(metas[0]!, body)
      assert.ok(!(event instanceof EncodedObject), body)
    }
  })

  it('splices only when given the text: a payload changed after parsing is encoded', () => {
    const { payload, text } = readPayload(bytes('{"b":2}'))
    assert.ok(text !== undefined)
    assert.ok(!(enrichEvent(metas[3]!, payload) instanceof EncodedObject), 'no text, no splice')
    // Changing the event drops its spliced line.
    const spliced = enriched(metas[3]!, '{"b":2}')
    assert.ok(spliced instanceof EncodedObject)
    spliced.set('b', 'changed')
    assert.equal(
      encodeJson(spliced),
      '{"_ts":"2026-02-09T10:30:00+00:00","_event":"E","b":"changed"}',
    )
  })

  it('formats the timestamp of every millisecond of a second the same, and the next second anew', () => {
    const base = Date.UTC(2026, 1, 9, 10, 30, 0)
    for (const ms of [0, 1, 500, 999]) {
      assert.equal(formatTimestamp(new Date(base + ms)), '2026-02-09T10:30:00+00:00')
    }
    assert.equal(formatTimestamp(new Date(base + 1000)), '2026-02-09T10:30:01+00:00')
    assert.equal(formatTimestamp(new Date(base - 1)), '2026-02-09T10:29:59+00:00')
    assert.equal(formatTimestamp(new Date(-1)), '1969-12-31T23:59:59+00:00')
    assert.equal(formatTimestamp(new Date(0)), '1970-01-01T00:00:00+00:00')
    assert.throws(() => formatTimestamp(new Date(Number.NaN)), RangeError)
  })
})

/**
 * Tests for the lossless JSON parser and the Python-compatible encoders. Every expected string below was produced
 * by CPython 3.11's `json` module (`json.dumps(json.loads(s), separators=(',', ':'))`, `indent=2`, or the
 * `JSONDecodeError` message) and pasted here; Python is not run at test time.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  DEFAULT_MAX_DEPTH,
  decodeJsonBytes,
  detectJsonEncoding,
  encodeJson,
  encodeJsonPretty,
  JsonNumber,
  type JsonObject,
  JsonSyntaxError,
  type JsonValue,
  parseJson,
  parseJsonBytes,
  pythonFloatRepr,
  pythonNumberText,
  quoteJsonString,
} from '../../../src/observatory/encoding/index.ts'

/** What Python prints for `json.dumps(json.loads(text), separators=(',', ':'))`. */
const python = (text: string) => encodeJson(parseJson(text), { numbers: 'python' })

/** Bytes from a mix of strings (UTF-8 encoded) and raw byte values. */
function bytes(...parts: (string | number)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from([p]),
  )
  return new Uint8Array(Buffer.concat(chunks))
}

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text)
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError, `expected JsonSyntaxError, got ${String(error)}`)
    return error
  }
  assert.fail(`parseJson(${JSON.stringify(text)}) did not throw`)
}

describe('parseJson: values', () => {
  it('reads literals, strings, arrays and objects', () => {
    assert.equal(parseJson('true'), true)
    assert.equal(parseJson('false'), false)
    assert.equal(parseJson('null'), null)
    assert.equal(parseJson('"hi"'), 'hi')
    assert.deepEqual(parseJson('[]'), [])
    assert.deepEqual(parseJson('{}'), new Map())
    const value = parseJson('{"a":[1,"x",{"b":null}],"c":true}')
    assert.ok(value instanceof Map)
    assert.deepEqual([...value.keys()], ['a', 'c'])
    const a = value.get('a')
    assert.ok(Array.isArray(a))
    assert.ok(a[0] instanceof JsonNumber)
    assert.equal(a[0].text, '1')
    assert.deepEqual(a[2], new Map([['b', null]]))
  })

  it('keeps key order, including integer-like keys a JS object would reorder', () => {
    const value = parseJson('{"b":1,"2":2,"a":3,"1":4}') as JsonObject
    assert.deepEqual([...value.keys()], ['b', '2', 'a', '1'])
  })

  it('resolves duplicate keys as Python does: last value, first position', () => {
    // Python: json.dumps(json.loads('{"a":1,"b":2,"a":3}')) == '{"a":3,"b":2}'
    assert.equal(python('{"a":1,"b":2,"a":3}'), '{"a":3,"b":2}')
    assert.equal(python('{"x":{"a":1},"x":{"b":2}}'), '{"x":{"b":2}}')
  })

  it('treats __proto__ and constructor as ordinary keys', () => {
    const value = parseJson('{"__proto__":{"polluted":true},"constructor":1}') as JsonObject
    assert.deepEqual([...value.keys()], ['__proto__', 'constructor'])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('decodes every escape', () => {
    assert.equal(
      parseJson('"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u00E9"'),
      '" \\ / \b \f \n \r \t A é é',
    )
  })

  it('joins an escaped surrogate pair and keeps lone surrogates', () => {
    assert.equal(parseJson('"\\ud83d\\ude00"'), '😀')
    assert.equal(parseJson('"\\ud800"'), '\ud800')
    assert.equal(parseJson('"\\udc00x\\ud83d"'), '\udc00x\ud83d')
    // A raw lone surrogate in the text (as a str can hold it in Python) is accepted too.
    assert.equal(parseJson('"\ud800"'), '\ud800')
  })

  it('accepts raw DEL and non-ASCII inside strings, rejects raw control characters', () => {
    assert.equal(parseJson('"\x7f é 😀"'), '\x7f é 😀')
    for (let code = 0; code < 0x20; code++) {
      const error = syntaxError(`"a${String.fromCharCode(code)}"`)
      assert.equal(error.reason, 'Invalid control character at')
      assert.equal(error.position, 2)
    }
  })

  it('accepts space, tab, CR and LF around the value, and nothing else', () => {
    assert.equal(parseJson(' \t\r\n true \n'), true)
    for (const ws of ['\v', '\f', '\u00a0', '\u2028', '\ufeff']) {
      assert.throws(() => parseJson(`${ws}1`), JsonSyntaxError, JSON.stringify(ws))
    }
  })
})

describe('parseJson: numbers keep their text', () => {
  it('keeps the source text exactly (default encoding)', () => {
    const text =
      '[-0,1.0,1E5,1e+5,1.50,1e400,-1e400,1e-400,12345678901234567890123,-1.25e-7,0.1,2.5E-3]'
    assert.equal(encodeJson(parseJson(text)), text)
  })

  it('refuses NaN, Infinity and -Infinity with nonFinite: false (RFC 8259 only)', () => {
    for (const text of ['NaN', 'Infinity', '-Infinity', '[1,NaN]', '{"a":-Infinity}']) {
      assert.throws(() => parseJson(text, { nonFinite: false }), JsonSyntaxError, text)
      assert.throws(() => parseJsonBytes(Buffer.from(text), { nonFinite: false }), JsonSyntaxError)
    }
    assert.equal(encodeJson(parseJson('[-1,1e400]', { nonFinite: false })), '[-1,1e400]')
  })

  it('reads NaN, Infinity and -Infinity (Python extras) and writes them back', () => {
    assert.equal(encodeJson(parseJson('[NaN,Infinity,-Infinity]')), '[NaN,Infinity,-Infinity]')
    assert.equal(syntaxError('-NaN').message, 'Expecting value: line 1 column 1 (char 0)')
    assert.equal(syntaxError('nan').reason, 'Expecting value')
    assert.equal(syntaxError('Infinityx').message, 'Extra data: line 1 column 9 (char 8)')
  })

  it("writes numbers as Python's int/float would print them, on request", () => {
    // Python 3.11: json.dumps(json.loads(text), separators=(',', ':'))
    assert.equal(
      python(
        '[-0,1.0,1E5,1e+5,1.50,1e400,-1e400,1e-400,-1e-400,12345678901234567890123,' +
          '-12345678901234567890123,1e16,1e15,0.0001,1e-5,NaN,Infinity,-Infinity,0.1,5e-324,' +
          '1.7976931348623157e308,2.5E-3]',
      ),
      '[0,1.0,100000.0,100000.0,1.5,Infinity,-Infinity,0.0,-0.0,12345678901234567890123,' +
        '-12345678901234567890123,1e+16,1000000000000000.0,0.0001,1e-05,NaN,Infinity,-Infinity,' +
        '0.1,5e-324,1.7976931348623157e+308,0.0025]',
    )
  })

  it('pythonFloatRepr matches repr(float)', () => {
    // [value, repr(value)] from Python 3.11
    const vectors: [number, string][] = [
      [0.1 + 0.2, '0.30000000000000004'],
      [1e22, '1e+22'],
      [1e21, '1e+21'],
      [123456789012345680000, '1.2345678901234568e+20'],
      [1 / 3, '0.3333333333333333'],
      [2 ** 53, '9007199254740992.0'],
      [5e-324, '5e-324'],
      [1e-7, '1e-07'],
      [1.5e-7, '1.5e-07'],
      [1e16, '1e+16'],
      [9999999999999998, '9999999999999998.0'],
      [0.000123, '0.000123'],
      [123.456, '123.456'],
      [1e100, '1e+100'],
      [2.2250738585072014e-308, '2.2250738585072014e-308'],
      [-0, '-0.0'],
      [0, '0.0'],
      [-2.5, '-2.5'],
      [Number.NaN, 'nan'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [Number.NEGATIVE_INFINITY, '-inf'],
    ]
    for (const [value, repr] of vectors) assert.equal(pythonFloatRepr(value), repr, String(value))
  })

  it('pythonNumberText distinguishes ints from floats', () => {
    assert.equal(pythonNumberText(new JsonNumber('10')), '10')
    assert.equal(pythonNumberText(new JsonNumber('10.0')), '10.0')
    assert.equal(pythonNumberText(new JsonNumber('1e1')), '10.0')
    assert.equal(pythonNumberText(new JsonNumber('-0')), '0')
    assert.equal(pythonNumberText(new JsonNumber('-0.0')), '-0.0')
  })

  it('JsonNumber validates its text and converts', () => {
    for (const bad of ['', '01', '1.', '.5', '+1', '1e', 'nan', '-NaN', ' 1', '0x10', '1_000']) {
      assert.throws(() => new JsonNumber(bad), RangeError, bad)
    }
    assert.equal(new JsonNumber('1e400').toNumber(), Number.POSITIVE_INFINITY)
    assert.equal(new JsonNumber('1.5').isInteger, false)
    assert.equal(new JsonNumber('-Infinity').isInteger, false)
    assert.equal(new JsonNumber('NaN').isInteger, false)
    assert.equal(new JsonNumber('12345678901234567890123').isInteger, true)
    assert.equal(JsonNumber.of(1234).text, '1234')
    assert.equal(JsonNumber.of(-1).text, '-1')
    assert.equal(JsonNumber.of(-0).text, '0')
    assert.equal(JsonNumber.of(1.5).text, '1.5')
    assert.equal(JsonNumber.of(12345678901234567890123n).text, '12345678901234567890123')
    assert.equal(JsonNumber.of(Number.NaN).text, 'NaN')
    assert.equal(JsonNumber.of(Number.NEGATIVE_INFINITY).text, '-Infinity')
    assert.equal(String(new JsonNumber('2.50')), '2.50')
  })
})

describe('parseJson: errors', () => {
  it("reports Python's message, line, column and char", () => {
    // [input, str(JSONDecodeError)] from Python 3.11
    const vectors: [string, string][] = [
      ['', 'Expecting value: line 1 column 1 (char 0)'],
      [' ', 'Expecting value: line 1 column 2 (char 1)'],
      ['\ufeff{}', 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)'],
      ['[1,]', 'Expecting value: line 1 column 4 (char 3)'],
      ['{"a":1,}', 'Expecting property name enclosed in double quotes: line 1 column 8 (char 7)'],
      ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
      ['[1 2]', "Expecting ',' delimiter: line 1 column 4 (char 3)"],
      ['01', 'Extra data: line 1 column 2 (char 1)'],
      ['1.', 'Extra data: line 1 column 2 (char 1)'],
      ['-', 'Expecting value: line 1 column 1 (char 0)'],
      ['nul', 'Expecting value: line 1 column 1 (char 0)'],
      ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
      ['"a\x01"', 'Invalid control character at: line 1 column 3 (char 2)'],
      ['"\\x"', 'Invalid \\escape: line 1 column 2 (char 1)'],
      ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
      ['"\\ud800', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
      ['{"a":1}x', 'Extra data: line 1 column 8 (char 7)'],
      ['\x0b1', 'Expecting value: line 1 column 1 (char 0)'],
      ['\xa01', 'Expecting value: line 1 column 1 (char 0)'],
      ['[1,\n2,\nx]', 'Expecting value: line 3 column 1 (char 7)'],
      // Python counts the emoji as one character; JavaScript as two code units.
      ['"😀" x', 'Extra data: line 1 column 5 (char 4)'],
      ['{1:2}', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
      ['[', 'Expecting value: line 1 column 2 (char 1)'],
      ['{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ]
    for (const [text, message] of vectors) {
      assert.equal(syntaxError(text).message, message, JSON.stringify(text))
    }
  })

  it('gives the position as a UTF-16 index', () => {
    const error = syntaxError('"😀" x')
    assert.equal(error.position, 5)
    assert.equal(error.name, 'JsonSyntaxError')
    assert.ok(error instanceof SyntaxError)
  })

  it(`bounds nesting at ${DEFAULT_MAX_DEPTH} levels without overflowing the stack`, () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
    assert.doesNotThrow(() => parseJson(nested(DEFAULT_MAX_DEPTH)))
    assert.match(syntaxError(nested(DEFAULT_MAX_DEPTH + 1)).reason, /Nesting deeper than 1000/)
    assert.throws(() => parseJson('{"a":'.repeat(200_000)), JsonSyntaxError)
    assert.throws(() => parseJson('['.repeat(1_000_000)), JsonSyntaxError)
    assert.throws(() => parseJson(nested(20), { maxDepth: 19 }), JsonSyntaxError)
    assert.doesNotThrow(() => parseJson(nested(20), { maxDepth: 20 }))
  })
})

describe('parseJsonBytes: json.loads(bytes)', () => {
  it('detects the encoding as json.detect_encoding does', () => {
    const vectors: [number[], string][] = [
      [[0x7b, 0x7d], 'utf-8'],
      [[0xef, 0xbb, 0xbf, 0x7b], 'utf-8-sig'],
      [[0xff, 0xfe, 0x7b, 0x00], 'utf-16'],
      [[0xfe, 0xff, 0x00, 0x7b], 'utf-16'],
      [[0xff, 0xfe, 0x00, 0x00], 'utf-32'],
      [[0x00, 0x00, 0xfe, 0xff], 'utf-32'],
      [[0x00, 0x7b, 0x00, 0x7d], 'utf-16-be'],
      [[0x7b, 0x00, 0x7d, 0x00], 'utf-16-le'],
      [[0x00, 0x00, 0x00, 0x7b], 'utf-32-be'],
      [[0x7b, 0x00, 0x00, 0x00], 'utf-32-le'],
      [[0x00, 0x31], 'utf-16-be'],
      [[0x31, 0x00], 'utf-16-le'],
      [[0x22, 0x00, 0x61], 'utf-8'], // three bytes: no guess
      [[], 'utf-8'],
    ]
    for (const [input, encoding] of vectors) {
      assert.equal(detectJsonEncoding(new Uint8Array(input)), encoding, input.join(' '))
    }
  })

  it('decodes UTF-8 (with or without BOM), UTF-16 and UTF-32', () => {
    const expected = '{"u":"é😀"}'
    assert.equal(encodeJson(parseJsonBytes(bytes(expected))), '{"u":"\\u00e9\\ud83d\\ude00"}')
    assert.equal(decodeJsonBytes(bytes(0xef, 0xbb, 0xbf, expected)), expected)
    const utf16le = new Uint8Array(Buffer.from(expected, 'utf16le'))
    assert.equal(decodeJsonBytes(utf16le), expected)
    assert.equal(decodeJsonBytes(new Uint8Array([0xff, 0xfe, ...utf16le])), expected)
    const utf16be = new Uint8Array(utf16le.length)
    for (let i = 0; i < utf16le.length; i += 2) {
      utf16be[i] = utf16le[i + 1]!
      utf16be[i + 1] = utf16le[i]!
    }
    assert.equal(decodeJsonBytes(utf16be), expected)
    const utf32be = new Uint8Array([0, 0, 0, 0x7b, 0, 0, 0, 0x7d]) // "{}"
    assert.deepEqual(parseJsonBytes(utf32be), new Map())
    const utf32leWithBom = new Uint8Array([0xff, 0xfe, 0, 0, 0x31, 0, 0, 0, 0x00, 0xf6, 0x01, 0x00])
    assert.equal(decodeJsonBytes(utf32leWithBom), '1😀')
  })

  it('lets encoded surrogates through (surrogatepass), as Python does', () => {
    // Python: json.loads(b'"\xed\xa0\x80"') == '\ud800'
    assert.equal(parseJsonBytes(bytes('"', 0xed, 0xa0, 0x80, '"')), '\ud800')
    // UTF-16LE with a lone surrogate: json.loads('"\ud800"'.encode('utf-16-le', 'surrogatepass'))
    assert.equal(parseJsonBytes(new Uint8Array([0x22, 0, 0, 0xd8, 0x22, 0])), '\ud800')
  })

  it('rejects bytes that do not decode (UnicodeDecodeError in Python)', () => {
    const cases = [
      bytes('"', 0xff, '"'),
      bytes('"', 0xc3, '"'), // truncated two-byte sequence
      bytes('"', 0xe0, 0x80, 0x80, '"'), // overlong
      bytes('"', 0xf4, 0x90, 0x80, 0x80, '"'), // above U+10FFFF
      bytes('"', 0xf0, 0x9f, 0x98, '"'), // truncated four-byte sequence
      new Uint8Array([0x7b, 0x00, 0x7d, 0x00, 0x20]), // UTF-16LE with an odd byte count
      new Uint8Array([0, 0, 0, 0x22, 0, 0x11, 0, 0, 0, 0, 0, 0x22]), // UTF-32 code point 0x110000
    ]
    for (const [i, input] of cases.entries()) {
      assert.throws(() => parseJsonBytes(input), JsonSyntaxError, `case ${i}`)
    }
    assert.throws(() => decodeJsonBytes(bytes('{"a":"', 0xff, '"}')), {
      name: 'JsonSyntaxError',
      message: /'utf-8' codec can't decode: invalid utf-8 start byte 0xff at byte 6/,
    })
  })

  it('accepts a BOM in bytes but not a second one', () => {
    assert.deepEqual(parseJsonBytes(bytes(0xef, 0xbb, 0xbf, '{}')), new Map())
    assert.throws(
      () => parseJsonBytes(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, '{}')),
      JsonSyntaxError,
    )
  })

  it('decodes long inputs on the slow (surrogate) path without overflowing the stack', () => {
    const long = bytes('"', 'é'.repeat(50_000), 0xed, 0xa0, 0x80, '"')
    assert.equal(parseJsonBytes(long), `${'é'.repeat(50_000)}\ud800`)
  })
})

describe('encodeJson: json.dumps(separators=(",", ":")) with ensure_ascii', () => {
  it('escapes exactly as Python does', () => {
    // Python: json.dumps(json.loads(s), separators=(',', ':'))
    assert.equal(
      python('"café 😀 \u2028 \x7f / \\t \\u0001 \\" \\\\ \\b \\f \\n \\r"'),
      '"caf\\u00e9 \\ud83d\\ude00 \\u2028 \\u007f / \\t \\u0001 \\" \\\\ \\b \\f \\n \\r"',
    )
    assert.equal(python('"\\ud800"'), '"\\ud800"')
    assert.equal(python('"\\udc00x\\ud83d"'), '"\\udc00x\\ud83d"')
    assert.equal(python('"\\ud83d\\ude00"'), '"\\ud83d\\ude00"')
    assert.equal(python('{"":"","k\\u00e9y":[]}'), '{"":"","k\\u00e9y":[]}')
    assert.equal(python('"\\/"'), '"/"')
  })

  it('escapes every control character as Python does', () => {
    const controls = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('')
    // Python: json.dumps(''.join(map(chr, range(32))))
    assert.equal(
      quoteJsonString(controls),
      '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
        '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c' +
        '\\u001d\\u001e\\u001f"',
    )
  })

  it('writes hand-built values', () => {
    const value: JsonValue = new Map<string, JsonValue>([
      ['n', JsonNumber.of(3)],
      ['list', [true, false, null, 'x']],
      ['empty', new Map()],
    ])
    assert.equal(encodeJson(value), '{"n":3,"list":[true,false,null,"x"],"empty":{}}')
  })
})

describe('encodeJsonPretty: json.dumps(indent=2)', () => {
  it('matches Python byte for byte', () => {
    const vectors: [string, string][] = [
      [
        '{"a":[1,{}],"b":{},"c":[],"d":{"e":[[]],"f":"é"}}',
        '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": {},\n  "c": [],\n  "d": {\n    "e": [\n      []\n' +
          '    ],\n    "f": "\\u00e9"\n  }\n}',
      ],
      ['[]', '[]'],
      ['{}', '{}'],
      ['"x"', '"x"'],
      ['[1,[2,[3]]]', '[\n  1,\n  [\n    2,\n    [\n      3\n    ]\n  ]\n]'],
      [
        '{"_ts":"2026-02-09T10:30:00+00:00","_event":"PreToolUse","tool_input":{"command":"ls -la"}}',
        '{\n  "_ts": "2026-02-09T10:30:00+00:00",\n  "_event": "PreToolUse",\n  "tool_input": {\n' +
          '    "command": "ls -la"\n  }\n}',
      ],
    ]
    for (const [input, expected] of vectors)
      assert.equal(encodeJsonPretty(parseJson(input)), expected)
  })

  it('takes another indent width and the python number style', () => {
    assert.equal(
      encodeJsonPretty(parseJson('{"a":[1E2]}'), 4, { numbers: 'python' }),
      '{\n    "a": [\n        100.0\n    ]\n}',
    )
  })
})

describe('large payloads', () => {
  it('parses and re-encodes a 2 MB payload quickly', () => {
    const output = 'line of output with "quotes", a \\ backslash, café and 😀\n'.repeat(36_000)
    const text = JSON.stringify({
      session_id: 'abc',
      tool_name: 'Bash',
      tool_response: { stdout: output, stderr: '', interrupted: false },
      numbers: Array.from({ length: 20_000 }, (_, i) => i * 1.25),
    })
    assert.ok(text.length > 2_000_000)
    // Best of three, to measure the code rather than a busy machine. Typically 15-40 ms; the bound is loose so a
    // loaded CI machine passes, but a quadratic slip (seconds) does not.
    let best = Number.POSITIVE_INFINITY
    let value: JsonValue = null
    for (let i = 0; i < 3; i++) {
      const start = performance.now()
      value = parseJson(text)
      best = Math.min(best, performance.now() - start)
    }
    assert.ok(best < 1000, `parsing 2 MB took ${best.toFixed(1)} ms`)
    assert.ok(value instanceof Map)
    const response = value.get('tool_response')
    assert.ok(response instanceof Map)
    assert.equal(response.get('stdout'), output)
    assert.equal(encodeJson(value), asciiOnly(text))
  })
})

/** The reference for `ensure_ascii`: JSON.stringify already escapes `"`, `\` and controls the way Python does
 * (and lone surrogates, as `\udXXX`); what remains is DEL and everything above ASCII, one code unit at a time. */
function asciiOnly(json: string): string {
  return json.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** Strings from any code units: ASCII-heavy, with BMP, astral characters and lone surrogates mixed in. */
const anyUnit = fc
  .oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0x00, max: 0x7f }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xffff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
  )
  .map((code) => String.fromCodePoint(code))

describe('properties', () => {
  it('encodeJson(parseJson(JSON.stringify(v))) is the ensure_ascii form of JSON.stringify(v)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: anyUnit }), (v) => {
        const text = JSON.stringify(v)
        assert.equal(encodeJson(parseJson(text)), asciiOnly(text))
      }),
      { numRuns: 500 },
    )
  })

  it('encodeJsonPretty matches JSON.stringify(v, null, 2) in ensure_ascii form', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: anyUnit }), (v) => {
        const text = JSON.stringify(v)
        assert.equal(encodeJsonPretty(parseJson(text)), asciiOnly(JSON.stringify(v, null, 2)))
      }),
      { numRuns: 300 },
    )
  })

  it('parse(encode(x)) gives back x, strings, surrogates and number text included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: anyUnit }), (v) => {
        const once = parseJson(JSON.stringify(v))
        assert.deepEqual(parseJson(encodeJson(once)), once)
        assert.deepEqual(parseJson(encodeJsonPretty(once)), once)
      }),
      { numRuns: 300 },
    )
  })

  it('parseJson throws nothing but JsonSyntaxError on arbitrary text', () => {
    const jsonish = fc
      .array(
        fc.oneof(
          fc.constantFrom(...'{}[],:"\\ -+.eE0123456789tfnulrsaINy\t\n\r\x00\x1f\x7f'),
          fc.constantFrom(
            'true',
            'null',
            'NaN',
            '-Infinity',
            '\\u',
            '\\ud800',
            'é',
            '😀',
            '\ud800',
          ),
          anyUnit,
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join(''))
    const mutated = fc.tuple(fc.jsonValue(), fc.nat(), anyUnit).map(([v, at, unit]) => {
      const text = JSON.stringify(v)
      const i = at % (text.length + 1)
      return text.slice(0, i) + unit + text.slice(i + 1)
    })
    fc.assert(
      fc.property(fc.oneof(jsonish, mutated, fc.string()), (text) => {
        try {
          parseJson(text)
        } catch (error) {
          assert.ok(error instanceof JsonSyntaxError, String(error))
          assert.ok(error.position >= 0 && error.position <= text.length)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('parseJsonBytes throws nothing but JsonSyntaxError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (input) => {
        try {
          parseJsonBytes(input)
        } catch (error) {
          assert.ok(error instanceof JsonSyntaxError, String(error))
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('pythonNumberText agrees with JSON.stringify on the digits of any double', () => {
    // Python's repr and JavaScript's toString both print the shortest round-trip digits; only the layout differs.
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const repr = pythonFloatRepr(x)
        assert.equal(Number(repr), x)
        assert.ok(Object.is(Number(repr), x))
        const digits = (s: string) =>
          s
            .replace(/e.*$/, '')
            .replace(/[-.]/g, '')
            .replace(/^0+|0+$/g, '')
        assert.equal(digits(repr), digits(x.toExponential()))
      }),
      { numRuns: 2000 },
    )
  })
})

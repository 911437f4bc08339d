/**
 * The canonical check that lets the observatory copy a payload's text into its line instead of encoding it again
 * (parseCanonicalJson, parseJsonBytesCanonical, EncodedObject). The contract: `canonical` is true exactly when the
 * value's text is byte for byte what encodeJson writes for the parsed value.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  EncodedObject,
  encodeJson,
  JsonNumber,
  JsonSyntaxError,
  parseCanonicalJson,
  parseJson,
  parseJsonBytes,
  parseJsonBytesCanonical,
} from '../../../src/observatory/encoding/index.ts'

const check = (text: string) => {
  const parsed = parseCanonicalJson(text, {})
  const encoded = encodeJson(parsed.value)
  return { parsed, same: encoded === text.slice(parsed.start, parsed.end) }
}

/** Code units that exercise every escaping rule: ASCII (controls, DEL, quote, backslash, slash), BMP, astral. */
const anyUnit = fc
  .oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0x00, max: 0x7f }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xffff }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
  )
  .map((code) => String.fromCodePoint(code))

describe('parseCanonicalJson', () => {
  it('says canonical for the encoder’s own output, with the value between the whitespace around it', () => {
    for (const text of [
      '{"a":1,"b":[true,false,null],"c":{"d":"x\\"y\\\\z\\n\\t\\r\\b\\f"},"e":-0.0,"f":1e400}',
      '{"u":"caf\\u00e9 \\ud83d\\ude00 \\u0001 \\u007f"}',
      '{}',
      '[]',
      '"s"',
      '12345678901234567890123',
    ]) {
      const { parsed, same } = check(text)
      assert.equal(parsed.canonical, true, text)
      assert.ok(same, text)
      assert.equal(parsed.start, 0)
      assert.equal(parsed.end, text.length)
    }
    const padded = parseCanonicalJson(' \n{"a":1}\r\n', {})
    assert.equal(padded.canonical, true)
    assert.equal(padded.text.slice(padded.start, padded.end), '{"a":1}')
  })

  it('says not canonical for every form the encoder would rewrite', () => {
    for (const text of [
      '{"a": 1}', // whitespace between tokens
      '{"a":1 }',
      '[1, 2]',
      '{"a":"\\/"}', // the encoder writes `/`
      '{"a":"\\u0041"}', // printable ASCII as itself
      '{"a":"\\u0022"}', // `\"`
      '{"a":"\\u000a"}', // `\n`
      '{"a":"\\u0009"}',
      '{"a":"\\u0008"}',
      '{"a":"\\u000c"}',
      '{"a":"\\u000d"}',
      '{"a":"\\u00E9"}', // lowercase hex
      '{"a":"é"}', // non-ASCII as \u
      '{"a":"\x7f"}', // DEL as \u007f
      '{"a":1,"a":2}', // a repeated key is written once
      '{"x":{"a":1,"a":2}}',
    ]) {
      const { parsed, same } = check(text)
      assert.equal(parsed.canonical, false, text)
      assert.equal(same, false, text)
    }
  })

  it('canonical ⇔ encodeJson(value) is the value’s text (property)', () => {
    const texts = fc.oneof(
      fc.jsonValue({ stringUnit: anyUnit }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ stringUnit: anyUnit }).map((v) => JSON.stringify(v, null, 1)),
      fc.jsonValue({ stringUnit: anyUnit }).map((v) => encodeJson(parseJson(JSON.stringify(v)))),
    )
    fc.assert(
      fc.property(texts, (text) => {
        const { parsed, same } = check(text)
        assert.equal(parsed.canonical, same, text)
        assert.deepEqual(parsed.value, parseJson(text))
      }),
      { numRuns: 1500 },
    )
  })
})

describe('parseJsonBytesCanonical', () => {
  it('gives parseJsonBytes’s values and errors, on any bytes (property)', () => {
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .jsonValue({ stringUnit: anyUnit })
        .map((v) => new Uint8Array(Buffer.from(JSON.stringify(v)))),
      fc.jsonValue().map((v) => new Uint8Array(Buffer.from(JSON.stringify(v), 'utf16le'))),
    )
    fc.assert(
      fc.property(inputs, (bytes) => {
        let expected: unknown
        let expectedError: JsonSyntaxError | undefined
        try {
          expected = parseJsonBytes(bytes)
        } catch (error) {
          assert.ok(error instanceof JsonSyntaxError)
          expectedError = error
        }
        try {
          const parsed = parseJsonBytesCanonical(bytes)
          assert.equal(expectedError, undefined)
          assert.deepEqual(parsed.value, expected)
          if (parsed.canonical) {
            assert.equal(encodeJson(parsed.value), parsed.text.slice(parsed.start, parsed.end))
          }
        } catch (error) {
          if (expectedError === undefined) throw error
          assert.ok(error instanceof JsonSyntaxError)
          assert.equal(error.message, expectedError.message)
          assert.equal(error.position, expectedError.position)
        }
      }),
      { numRuns: 1500 },
    )
  })

  it('reads a Uint8Array that is not a Buffer, and a view into a larger buffer', () => {
    const whole = new Uint8Array(Buffer.from('xx{"a":"b"}yy'))
    const parsed = parseJsonBytesCanonical(whole.subarray(2, 11))
    assert.equal(parsed.canonical, true)
    assert.equal(parsed.text, '{"a":"b"}')
  })
})

describe('EncodedObject', () => {
  it('is encoded as its text until it is changed, then like any object', () => {
    const object = new EncodedObject()
    object.put('a', new JsonNumber('1'))
    object.encoded = '{"a":1}'
    assert.ok(object instanceof Map)
    assert.equal(encodeJson(object), '{"a":1}')
    // Options the text was not written for are honoured by encoding.
    object.put('b', 'é')
    object.encoded = '{"a":1,"b":"\\u00e9"}'
    assert.equal(encodeJson(object, { ensureAscii: false }), '{"a":1,"b":"é"}')
    for (const change of [
      (o: EncodedObject) => o.set('c', null),
      (o: EncodedObject) => o.delete('b'),
      (o: EncodedObject) => o.clear(),
    ]) {
      const copy = new EncodedObject()
      copy.put('a', new JsonNumber('1'))
      copy.put('b', 'x')
      copy.encoded = 'stale'
      change(copy)
      assert.equal(copy.encoded, undefined)
      assert.equal(encodeJson(copy), encodeJson(new Map(copy)))
    }
  })
})

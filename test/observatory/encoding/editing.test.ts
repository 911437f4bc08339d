/**
 * Tests for what the JSON module offers an editor of files people write (`observatory install`): every entry kept
 * as written (`duplicateKeys: 'keep'`), strings written as typed (`ensureAscii: false`), plain error messages.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  cloneJson,
  detectIndent,
  duplicateKeys,
  encodeJson,
  encodeJsonPretty,
  JsonNumber,
  JsonObject,
  JsonSyntaxError,
  jsonEquals,
  parseJson,
} from '../../../src/observatory/encoding/index.ts'

const KEEP = { duplicateKeys: 'keep' } as const
const asWritten = (text: string): JsonObject => parseJson(text, KEEP) as JsonObject

describe("duplicateKeys: 'keep'", () => {
  it('holds the last value like a Map, and writes every entry back in its place', () => {
    const value = asWritten('{"a":1,"b":2,"a":3}')
    assert.deepEqual([...value.keys()], ['a', 'b'])
    assert.equal((value.get('a') as JsonNumber).text, '3')
    assert.deepEqual(duplicateKeys(value), ['a'])
    assert.equal(encodeJson(value), '{"a":1,"b":2,"a":3}')
    assert.equal(encodeJsonPretty(value, 1), '{\n "a": 1,\n "b": 2,\n "a": 3\n}')
  })

  it('honours edits: set replaces the last occurrence, delete removes them all, new keys come last', () => {
    const value = asWritten('{"a":1,"b":2,"a":3,"c":{"x":1,"x":2}}')
    value.set('a', 'new')
    value.set('d', true)
    assert.equal(encodeJson(value), '{"a":1,"b":2,"a":"new","c":{"x":1,"x":2},"d":true}')
    value.delete('a')
    assert.equal(encodeJson(value), '{"b":2,"c":{"x":1,"x":2},"d":true}')
    assert.deepEqual(duplicateKeys(value), [])
    assert.deepEqual(duplicateKeys(value.get('c') as JsonObject), ['x'])
  })

  it('lists duplicates in the order their second occurrences appear', () => {
    assert.deepEqual(duplicateKeys(asWritten('{"a":1,"b":1,"b":2,"a":2}')), ['b', 'a'])
  })

  it('cloneJson copies the entries as written, independently of the original', () => {
    const value = asWritten('{"a":[1],"a":[2]}')
    const copy = cloneJson(value) as JsonObject
    value.set('a', [])
    assert.equal(encodeJson(copy), '{"a":[1],"a":[2]}')
    assert.equal(encodeJson(value), '{"a":[1],"a":[]}')
    assert.ok(jsonEquals(copy, asWritten('{"a":[1],"a":[2]}')))
    assert.ok(!jsonEquals(copy, asWritten('{"a":[2]}')))
  })

  it('is invisible to deepEqual, and absent without the option', () => {
    assert.deepEqual(asWritten('{"a":1,"a":2}'), new JsonObject([['a', new JsonNumber('2')]]))
    const resolved = parseJson('{"a":1,"a":2}') as JsonObject
    assert.deepEqual(duplicateKeys(resolved), [])
    assert.equal(encodeJson(resolved), '{"a":2}')
  })
})

describe('ensureAscii: false', () => {
  it('writes strings as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        assert.equal(encodeJson(s, { ensureAscii: false }), JSON.stringify(s))
      }),
    )
    const value = parseJson('{"é":"café 😀 \\u2028 \\ud800 \\u0001 \x7f \\/"}')
    assert.equal(
      encodeJsonPretty(value, '\t', { ensureAscii: false }),
      '{\n\t"é": "café 😀 \u2028 \\ud800 \\u0001 \x7f /"\n}',
    )
  })

  it('lays values out as JSON.stringify(value, null, indent) does, numbers as written', () => {
    const value = parseJson('{"a":[1.0,{"b":[]},{}],"c":"x","d":12345678901234567890}')
    assert.equal(
      encodeJsonPretty(value, 4, { ensureAscii: false }),
      '{\n    "a": [\n        1.0,\n        {\n            "b": []\n        },\n        {}\n    ],\n' +
        '    "c": "x",\n    "d": 12345678901234567890\n}',
    )
    assert.equal(encodeJsonPretty([null, null], ''), '[\nnull,\nnull\n]')
  })

  it('detectIndent finds the indentation a text uses', () => {
    assert.equal(detectIndent('{\n    "a": 1\n}'), '    ')
    assert.equal(detectIndent('{\n\t"a": 1\n}'), '\t')
    assert.equal(detectIndent('{"a": 1}'), '  ')
    assert.equal(detectIndent('{\n \t"a": 1\n}'), '  ')
  })
})

describe("messages: 'plain'", () => {
  const plain = (text: string): JsonSyntaxError => {
    try {
      parseJson(text, { messages: 'plain', nonFinite: false })
    } catch (error) {
      assert.ok(error instanceof JsonSyntaxError)
      return error
    }
    assert.fail(`${JSON.stringify(text)} did not throw`)
  }

  it('says what was expected and what was found, with line and column', () => {
    const error = plain('{\n  "a": [1, 2,]\n}')
    assert.equal(error.reason, "trailing comma before ']'")
    assert.equal(error.message, "trailing comma before ']' at line 2, column 14")
    assert.deepEqual([error.line, error.column, error.position], [2, 14, 15])
    assert.equal(plain('{"a": NaN}').reason, "unexpected 'N'")
    assert.equal(plain('["a\tb"]').reason, 'unescaped control character U+0009 in a string')
  })

  it('counts columns in UTF-16 code units, where Python counts code points', () => {
    assert.deepEqual([plain('"😀" x').column, plain('"😀" x').position], [6, 5])
    try {
      parseJson('"😀" x')
    } catch (error) {
      assert.ok(error instanceof JsonSyntaxError)
      assert.deepEqual([error.line, error.column, error.position], [1, 5, 5])
    }
  })
})

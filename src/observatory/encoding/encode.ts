/**
 * JSON values out, as text.
 *
 * - {@link encodeJson}: compact, byte for byte what Python's `json.dumps(obj, separators=(',', ':'))` writes: the
 *   observatory's event lines (built once per event: the hot path).
 * - {@link encodeJsonPretty}: indented, as `json.dumps(obj, indent=2)` — which is also how
 *   `JSON.stringify(v, null, 2)` lays JSON out: `--pretty-json`, and settings files written back by `install`
 *   (with the file's own indentation and `ensureAscii: false`).
 *
 * Numbers are written as their source text by default (`numbers: 'python'`: as Python would print them). Objects
 * are written in their order, every entry as written for one read with `duplicateKeys: 'keep'`.
 */
import { type NumberStyle, pythonNumberText } from './python-number.ts'
import { EncodedObject, JsonNumber, type JsonValue, objectEntries } from './values.ts'

/** Options for {@link encodeJson} and {@link encodeJsonPretty}. */
export interface EncodeJsonOptions {
  /** How to write numbers (default `'source'`). */
  numbers?: NumberStyle
  /**
   * Escape every non-ASCII character as `\uXXXX` (default true: Python's `ensure_ascii=True`, the original
   * server's output). With false, strings are written as `JSON.stringify` writes them: non-ASCII characters as
   * they are (a settings file keeps the `é` its author typed), `"`, `\` and control characters escaped, and a lone
   * surrogate as `\udXXX`, so the text is always valid UTF-8.
   */
  ensureAscii?: boolean
}

// Character codes the encoder writes.
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const BACKSLASH = 0x5c
const LOWER_B = 0x62
const LOWER_F = 0x66
const LOWER_N = 0x6e
const LOWER_R = 0x72
const LOWER_T = 0x74
const LOWER_U = 0x75

const HEX_DIGITS = '0123456789abcdef'

const utf8Encoder = new TextEncoder()
// Reads ASCII bytes as the same characters, and the UTF-8 that encodeInto wrote; a leading U+FEFF would be kept.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Builds the encoder's output as bytes. With `ensure_ascii` every character written is ASCII, so one byte per
 * character, written into a growing `Uint8Array` and decoded to a string once at the end. That is several times
 * faster than escaping with `String#replace` and a callback, or than gluing millions of small strings together:
 * a 2 MB payload of accented text encodes in tens of milliseconds instead of hundreds.
 */
class JsonWriter {
  private bytes: Uint8Array
  private length = 0
  private readonly ensureAscii: boolean

  constructor(ensureAscii: boolean) {
    this.ensureAscii = ensureAscii
    // why: a fresh 1 KiB array per call showed as 1-2% of the server's CPU (`<instance_members_initializer>`,
    // --cpu-prof, keep-alive). Encoding is synchronous and never re-entered, so one scratch array is shared.
    this.bytes = scratch
    scratch = EMPTY
  }

  /** Makes room for `count` more bytes. */
  private reserve(count: number): void {
    const needed = this.length + count
    if (needed <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2, 1024))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }

  /** Appends text known to be ASCII already: punctuation, indentation, number text. */
  ascii(text: string): void {
    this.reserve(text.length)
    const bytes = this.bytes
    let n = this.length
    for (let i = 0; i < text.length; i++) bytes[n++] = text.charCodeAt(i)
    this.length = n
  }

  /**
   * Appends `value` as a JSON string literal. With `ensure_ascii` (the default), escaped as Python's `json.dumps`
   * does: printable ASCII as is; `"` and `\` backslashed; backspace, form feed, newline, CR, tab as
   * `\b \f \n \r \t`; every other code unit (other controls, DEL, all of non-ASCII) as `\u` and four lowercase hex
   * digits. The loop walks UTF-16 code units, so an astral character comes out as its surrogate pair
   * (`\ud83d\ude00`) and a lone surrogate as itself, both as Python writes them. `/` is not escaped. Without
   * `ensure_ascii`: as `JSON.stringify` writes it, in UTF-8.
   */
  string(value: string): void {
    if (!this.ensureAscii) {
      const literal = JSON.stringify(value) // well-formed: lone surrogates come out escaped
      this.reserve(literal.length * 3) // the worst case: every unit a three-byte UTF-8 sequence
      this.length += utf8Encoder.encodeInto(literal, this.bytes.subarray(this.length)).written
      return
    }
    this.reserve(value.length * 6 + 2) // the worst case: every unit becomes \uXXXX
    const bytes = this.bytes
    let n = this.length
    bytes[n++] = QUOTE
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i)
      if (unit >= SPACE && unit <= 0x7e) {
        if (unit === QUOTE || unit === BACKSLASH) bytes[n++] = BACKSLASH
        bytes[n++] = unit
        continue
      }
      bytes[n++] = BACKSLASH
      switch (unit) {
        case LF:
          bytes[n++] = LOWER_N
          break
        case CR:
          bytes[n++] = LOWER_R
          break
        case TAB:
          bytes[n++] = LOWER_T
          break
        case 0x08:
          bytes[n++] = LOWER_B
          break
        case 0x0c:
          bytes[n++] = LOWER_F
          break
        default:
          bytes[n++] = LOWER_U
          bytes[n++] = HEX_DIGITS.charCodeAt(unit >> 12)
          bytes[n++] = HEX_DIGITS.charCodeAt((unit >> 8) & 0xf)
          bytes[n++] = HEX_DIGITS.charCodeAt((unit >> 4) & 0xf)
          bytes[n++] = HEX_DIGITS.charCodeAt(unit & 0xf)
      }
    }
    bytes[n++] = QUOTE
    this.length = n
  }

  /** The text written so far. Gives the scratch array back (one that grew is kept up to SCRATCH_MAX). */
  finish(): string {
    const bytes = this.bytes
    const text = this.ensureAscii
      ? // All ASCII: Latin-1 decoding is the same text, and cheaper than UTF-8 decoding.
        Buffer.from(bytes.buffer, bytes.byteOffset, this.length).toString('latin1')
      : utf8Decoder.decode(bytes.subarray(0, this.length))
    if (bytes.length <= SCRATCH_MAX) scratch = bytes
    return text
  }
}

const EMPTY = new Uint8Array(0)
/** Largest scratch array kept between calls. */
const SCRATCH_MAX = 64 * 1024
/** The array the next writer starts with (EMPTY while a writer holds it: a nested writer gets its own). */
let scratch: Uint8Array = new Uint8Array(1024)

/**
 * A JSON string literal for `value`, as Python's `json.dumps` writes it with `ensure_ascii=True` (see
 * {@link encodeJson}): `quoteJsonString('café 😀')` is `"caf\u00e9 \ud83d\ude00"`.
 */
export function quoteJsonString(value: string): string {
  const writer = new JsonWriter(true)
  writer.string(value)
  return writer.finish()
}

/** The text a number is written with, per the chosen {@link NumberStyle}. */
function numberText(number: JsonNumber, style: NumberStyle): string {
  return style === 'python' ? pythonNumberText(number) : number.text
}

/** Writes a scalar (anything but an array or object). */
function writeScalar(
  out: JsonWriter,
  value: string | JsonNumber | boolean | null,
  style: NumberStyle,
) {
  if (typeof value === 'string') out.string(value)
  else if (value instanceof JsonNumber) out.ascii(numberText(value, style))
  else out.ascii(value === null ? 'null' : value ? 'true' : 'false')
}

function writeCompact(out: JsonWriter, value: JsonValue, style: NumberStyle): void {
  if (Array.isArray(value)) {
    out.ascii('[')
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.ascii(',')
      writeCompact(out, value[i]!, style)
    }
    out.ascii(']')
  } else if (value instanceof Map) {
    out.ascii('{')
    let first = true
    for (const [key, item] of objectEntries(value)) {
      if (!first) out.ascii(',')
      first = false
      out.string(key)
      out.ascii(':')
      writeCompact(out, item, style)
    }
    out.ascii('}')
  } else {
    writeScalar(out, value, style)
  }
}

/**
 * Compact JSON, byte for byte what Python's `json.dumps(obj, separators=(',', ':'))` writes (the original's
 * JSONL output): no spaces, keys in insertion order, `ensure_ascii` escaping (every non-ASCII character as
 * `\uXXXX` with lowercase hex, astral characters as surrogate pairs, `/` left alone). Numbers are written per
 * `options.numbers`: by default their source text.
 */
export function encodeJson(value: JsonValue, options: EncodeJsonOptions = {}): string {
  // An object that carries its encoding (an event spliced from its payload's bytes: values.ts, server/event.ts).
  if (
    value instanceof EncodedObject &&
    value.encoded !== undefined &&
    options.ensureAscii !== false &&
    (options.numbers ?? 'source') === 'source'
  ) {
    return value.encoded
  }
  const out = new JsonWriter(options.ensureAscii ?? true)
  writeCompact(out, value, options.numbers ?? 'source')
  return out.finish()
}

function writeIndented(
  out: JsonWriter,
  value: JsonValue,
  style: NumberStyle,
  unit: string,
  level: string,
): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.ascii('[]')
      return
    }
    const inner = level + unit
    for (let i = 0; i < value.length; i++) {
      out.ascii(i === 0 ? `[\n${inner}` : `,\n${inner}`)
      writeIndented(out, value[i]!, style, unit, inner)
    }
    out.ascii(`\n${level}]`)
  } else if (value instanceof Map) {
    if (value.size === 0) {
      out.ascii('{}')
      return
    }
    const inner = level + unit
    let first = true
    for (const [key, item] of objectEntries(value)) {
      out.ascii(first ? `{\n${inner}` : `,\n${inner}`)
      first = false
      out.string(key)
      out.ascii(': ')
      writeIndented(out, item, style, unit, inner)
    }
    out.ascii(`\n${level}}`)
  } else {
    writeScalar(out, value, style)
  }
}

/**
 * Indented JSON, byte for byte what Python's `json.dumps(obj, indent=indent)` writes (the original's
 * `--pretty-json`), which is also `JSON.stringify(obj, null, indent)`'s layout: one item per line, `,` at line
 * ends, `: ` between key and value, `{}` and `[]` for empty containers. `indent` is a number of spaces or the
 * string to indent with (`'\t'`; `''` puts items on their own lines without indenting them, as Python does).
 * Escaping per `options.ensureAscii` (as {@link encodeJson} by default). No trailing newline: the caller adds the
 * line end, as the original's `json.dumps(data, indent=2) + "\n"` does.
 */
export function encodeJsonPretty(
  value: JsonValue,
  indent: number | string = 2,
  options: EncodeJsonOptions = {},
): string {
  const unit = typeof indent === 'number' ? ' '.repeat(Math.max(0, indent)) : indent
  const out = new JsonWriter(options.ensureAscii ?? true)
  writeIndented(out, value, options.numbers ?? 'source', unit, '')
  return out.finish()
}

/**
 * Structural equality as JSON: the same values in the same order (object keys included, every entry as written
 * for an object read with `duplicateKeys: 'keep'`), numbers compared by their text.
 */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  return a === b || encodeJson(a) === encodeJson(b)
}

/**
 * The indentation a JSON text already uses: the leading whitespace of its first indented line, when that is
 * 1 to 8 spaces or a single tab. Anything else (minified, mixed) gives the default of two spaces.
 */
export function detectIndent(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text)
  const lead = match?.[1]
  if (lead !== undefined && (/^ {1,8}$/.test(lead) || lead === '\t')) return lead
  return '  '
}

/**
 * A small, lossless JSON parser and encoder that behaves like Python's `json` module.
 *
 * Why not `JSON.parse` / `JSON.stringify`? The observatory re-emits every hook payload, and the original Python
 * server does it with `json.loads` + `json.dumps`. Going through JavaScript's built-ins would change what users see:
 *
 * - numbers: `JSON.parse` turns every number into a float64, so `1.0` comes back as `1` and
 *   `12345678901234567890123` is rounded to `1.2345678901234568e+22`. Here a number keeps its source text
 *   ({@link JsonNumber}); {@link pythonNumberText} computes what Python would print instead, on request.
 * - Python's extras: `json.loads` accepts `NaN`, `Infinity` and `-Infinity` by default; `JSON.parse` rejects them.
 * - output: `json.dumps` escapes every non-ASCII character as `\uXXXX` (`ensure_ascii=True`), `JSON.stringify`
 *   leaves them raw.
 *
 * Objects are `Map`s: a `Map` remembers insertion order, and `map.set(k, v)` on a key that is already there keeps
 * the key where it was and replaces the value. That is exactly what a Python `dict` does, so duplicate keys come
 * out the way `json.loads` resolves them: the last value wins, at the first key's position.
 *
 * Everything here is pure: strings and bytes in, values out. No I/O.
 */

/** A JSON object: keys in insertion order, as a Python `dict` keeps them. */
export type JsonObject = Map<string, JsonValue>
/** A JSON array. */
export type JsonArray = JsonValue[]
/** Any JSON value. Numbers are {@link JsonNumber}s so their exact text survives a round trip. */
export type JsonValue = JsonObject | JsonArray | string | JsonNumber | boolean | null

/**
 * What a number token may look like: RFC 8259's grammar, plus the three names Python's `json` module reads and
 * writes for the floats JSON has no syntax for.
 */
const NUMBER_TEXT = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|NaN|-?Infinity)$/

/** Known only to this module: see the JsonNumber constructor. */
const CHECKED: unique symbol = Symbol('number text checked by the parser')

/**
 * A JSON number, kept as the exact text it was written with (`1.0`, `-0`, `1e400`, `12345678901234567890123`).
 * Arithmetic is not the point: the observatory only passes numbers through, so it keeps them verbatim.
 */
export class JsonNumber {
  /** The number's source text, always a valid JSON number or one of `NaN`, `Infinity`, `-Infinity`. */
  readonly text: string

  /**
   * @param text a JSON number (or `NaN`, `Infinity`, `-Infinity`).
   * @param proof internal: the parser passes a module-private symbol to say "my grammar already checked this",
   *   which skips the regular-expression check (a measurable cost on number-heavy megabytes).
   * @throws RangeError if `text` is not a JSON number.
   */
  constructor(text: string, proof?: symbol) {
    if (proof !== CHECKED && !NUMBER_TEXT.test(text)) {
      throw new RangeError(`not a JSON number: ${JSON.stringify(text)}`)
    }
    this.text = text
  }

  /**
   * The JSON number for a JavaScript number or bigint (to build values by hand, such as a peer's pid): integers in
   * decimal, other finite numbers in JavaScript's shortest round-trip form (`1.5`, `1e+21`), non-finite ones as
   * Python's `json` writes them: `NaN`, `Infinity`, `-Infinity`.
   */
  static of(value: number | bigint): JsonNumber {
    if (typeof value === 'bigint') return new JsonNumber(value.toString())
    if (Number.isNaN(value)) return new JsonNumber('NaN')
    if (value === Number.POSITIVE_INFINITY) return new JsonNumber('Infinity')
    if (value === Number.NEGATIVE_INFINITY) return new JsonNumber('-Infinity')
    // String(-0) is "0", which is also what Python prints for the integer 0. Finite numbers always
    // stringify to valid JSON number text ("1.5", "1e+21", "5e-324").
    return new JsonNumber(String(value))
  }

  /**
   * True when Python's `json.loads` would make this an `int` rather than a `float`: no fraction, no exponent, and
   * not one of the non-finite names.
   */
  get isInteger(): boolean {
    return !/[.eEIN]/.test(this.text)
  }

  /** The nearest float64 (`Infinity` for `1e400`, precision lost for big integers). */
  toNumber(): number {
    return Number(this.text) // Number() understands 'NaN', 'Infinity' and '-Infinity' too
  }

  /** The source text. */
  toString(): string {
    return this.text
  }
}

/**
 * Thrown when text is not JSON (or, from {@link parseJsonBytes}, bytes are not text). The message follows Python's
 * `json.JSONDecodeError`: `Expecting value: line 1 column 1 (char 0)`.
 */
export class JsonSyntaxError extends SyntaxError {
  /** What went wrong, without the location (`Expecting ',' delimiter`). */
  readonly reason: string
  /**
   * Where: an index into the string given to {@link parseJson} (UTF-16 code units, where Python counts code
   * points), or a byte offset when the bytes could not be decoded.
   */
  readonly position: number

  constructor(reason: string, position: number, message: string = `${reason} (char ${position})`) {
    super(message)
    this.name = 'JsonSyntaxError'
    this.reason = reason
    this.position = position
  }

  /**
   * Builds the error with Python's `line L column C (char P)` suffix. Python counts code points where JavaScript
   * counts UTF-16 code units, so the message recounts: an emoji before the error is one character to Python, two
   * units here. `position` itself stays a code-unit index, the one `text.slice` understands.
   */
  static at(reason: string, text: string, position: number): JsonSyntaxError {
    // Python: lineno = number of '\n' before pos, plus one; colno = pos - (index of the last '\n' before pos).
    let line = 1
    let char = 0 // code points before `position`
    let lineStart = 0 // code-point index just after the last '\n'
    for (let i = 0; i < position; i++) {
      const unit = text.charCodeAt(i)
      const pairsWithNext =
        unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
      if (pairsWithNext && i + 1 < position) i++ // the two halves of one astral character count once
      char++
      if (unit === LF) {
        line++
        lineStart = char
      }
    }
    const column = char - lineStart + 1
    return new JsonSyntaxError(
      reason,
      position,
      `${reason}: line ${line} column ${column} (char ${char})`,
    )
  }
}

/** Options for {@link parseJson}. */
export interface ParseJsonOptions {
  /**
   * Deepest nesting of arrays and objects accepted (default 1000). Deeper input is a {@link JsonSyntaxError}
   * rather than a stack overflow. Python's own limit comes from its recursion limit (about 995 levels under the
   * default `sys.getrecursionlimit()` of 1000) and raises `RecursionError`.
   */
  maxDepth?: number
  /**
   * Accept Python's `NaN`, `Infinity` and `-Infinity` (default true, as `json.loads` does). With false, only
   * RFC 8259 JSON is accepted: those names are a {@link JsonSyntaxError}, so whatever is parsed can be written
   * back out as JSON that `JSON.parse`, `jq` and browsers read.
   */
  nonFinite?: boolean
}

/** The default for {@link ParseJsonOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 1000

// Character codes the parser compares against. Naming them keeps the switch statements readable.
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const PLUS = 0x2b
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const SLASH = 0x2f
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const UPPER_E = 0x45
const UPPER_I = 0x49
const UPPER_N = 0x4e
const OPEN_BRACKET = 0x5b
const BACKSLASH = 0x5c
const CLOSE_BRACKET = 0x5d
const LOWER_B = 0x62
const LOWER_E = 0x65
const LOWER_F = 0x66
const LOWER_N = 0x6e
const LOWER_R = 0x72
const LOWER_T = 0x74
const LOWER_U = 0x75
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

/** Is this an ASCII hex digit? Python's scanner accepts exactly `[0-9a-fA-F]` in `\uXXXX`. */
function isHexDigit(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x46) ||
    (code >= 0x61 && code <= 0x66)
  )
}

/**
 * A recursive-descent parser over one string. `pos` always points at the next character to read. Each `parse*`
 * method starts at the first character of its value and leaves `pos` just after it.
 */
class Parser {
  private pos = 0
  private readonly text: string
  private readonly maxDepth: number
  private readonly nonFinite: boolean

  constructor(text: string, options: ParseJsonOptions) {
    this.text = text
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
    this.nonFinite = options.nonFinite ?? true
  }

  parseDocument(): JsonValue {
    this.skipWhitespace()
    const value = this.parseValue(0)
    this.skipWhitespace()
    if (this.pos !== this.text.length) throw this.error('Extra data', this.pos)
    return value
  }

  private error(reason: string, position: number): JsonSyntaxError {
    return JsonSyntaxError.at(reason, this.text, position)
  }

  /** JSON whitespace is exactly these four characters (no form feed, no NBSP, no BOM). */
  private skipWhitespace(): void {
    const text = this.text
    let pos = this.pos
    for (;;) {
      const c = text.charCodeAt(pos)
      if (c === SPACE || c === LF || c === CR || c === TAB) pos++
      else break
    }
    this.pos = pos
  }

  /** `depth` counts the arrays and objects that enclose this value. */
  private parseValue(depth: number): JsonValue {
    const text = this.text
    const start = this.pos
    const c = text.charCodeAt(start) // NaN past the end, which matches no case below
    switch (c) {
      case QUOTE:
        return this.parseString()
      case OPEN_BRACE:
        return this.parseObject(depth + 1)
      case OPEN_BRACKET:
        return this.parseArray(depth + 1)
      case LOWER_T:
        if (text.startsWith('true', start)) {
          this.pos = start + 4
          return true
        }
        break
      case LOWER_F:
        if (text.startsWith('false', start)) {
          this.pos = start + 5
          return false
        }
        break
      case LOWER_N:
        if (text.startsWith('null', start)) {
          this.pos = start + 4
          return null
        }
        break
      // Python's extras: the names `float('nan')` and `float('inf')` are written as by `json.dumps`.
      case UPPER_N:
        if (this.nonFinite && text.startsWith('NaN', start)) {
          this.pos = start + 3
          return new JsonNumber('NaN', CHECKED)
        }
        break
      case UPPER_I:
        if (this.nonFinite && text.startsWith('Infinity', start)) {
          this.pos = start + 8
          return new JsonNumber('Infinity', CHECKED)
        }
        break
      case MINUS:
        if (this.nonFinite && text.startsWith('-Infinity', start)) {
          this.pos = start + 9
          return new JsonNumber('-Infinity', CHECKED)
        }
        return this.parseNumber()
      default:
        if (c >= ZERO && c <= NINE) return this.parseNumber()
    }
    throw this.error('Expecting value', start)
  }

  /**
   * Reads `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [-+]? [0-9]+)?`. Like Python's scanner, a `.` or `e` that is not
   * followed by digits is not part of the number: `1.` reads as `1` and then fails on the `.` that follows, so the
   * error points where Python's does.
   */
  private parseNumber(): JsonNumber {
    const text = this.text
    const start = this.pos
    let pos = start
    if (text.charCodeAt(pos) === MINUS) pos++
    const first = text.charCodeAt(pos)
    if (first === ZERO) {
      pos++ // a leading zero stands alone: `01` is `0` followed by extra data
    } else if (first > ZERO && first <= NINE) {
      pos++
      while (isDigit(text.charCodeAt(pos))) pos++
    } else {
      throw this.error('Expecting value', start) // a lone `-`
    }
    if (text.charCodeAt(pos) === DOT && isDigit(text.charCodeAt(pos + 1))) {
      pos += 2
      while (isDigit(text.charCodeAt(pos))) pos++
    }
    const e = text.charCodeAt(pos)
    if (e === LOWER_E || e === UPPER_E) {
      let p = pos + 1
      const sign = text.charCodeAt(p)
      if (sign === PLUS || sign === MINUS) p++
      if (isDigit(text.charCodeAt(p))) {
        p++
        while (isDigit(text.charCodeAt(p))) p++
        pos = p
      }
    }
    this.pos = pos
    return new JsonNumber(text.slice(start, pos), CHECKED)
  }

  /**
   * Reads a string. The loop only checks it (and finds its end), so errors are reported where Python reports
   * them. Turning escapes into characters is then left to the engine: the string grammar of `JSON.parse` is
   * exactly Python's (the same escapes, lone surrogates allowed, raw control characters refused), so once the
   * scan has passed a literal, `JSON.parse` of that slice cannot fail, and it decodes megabytes natively — far
   * faster than gluing the pieces between escapes together in JavaScript. A string without escapes is simply
   * its own slice of the text.
   */
  private parseString(): string {
    const text = this.text
    const quote = this.pos
    let pos = quote + 1
    let escaped = false
    for (;;) {
      const c = text.charCodeAt(pos)
      if (c === QUOTE) break
      if (c === BACKSLASH) {
        pos += this.escapeLength(pos, quote)
        escaped = true
        continue
      }
      if (c < SPACE) {
        // Python's default `strict=True`: raw control characters (U+0000..U+001F) must be escaped.
        throw this.error('Invalid control character at', pos)
      }
      if (Number.isNaN(c)) throw this.error('Unterminated string starting at', quote) // end of text
      pos++
    }
    this.pos = pos + 1
    return escaped ? (JSON.parse(text.slice(quote, pos + 1)) as string) : text.slice(quote + 1, pos)
  }

  /**
   * Checks the escape whose backslash is at `pos` and returns its length: 6 for `\uXXXX`, 2 for the others.
   * `\uXXXX` may name a lone surrogate (`\ud800`): Python accepts that, and so does a JavaScript string. A pair
   * written as two escapes (`\ud83d\ude00`) becomes one astral character in both languages.
   */
  private escapeLength(pos: number, quote: number): number {
    const text = this.text
    const c = text.charCodeAt(pos + 1)
    switch (c) {
      case QUOTE:
      case BACKSLASH:
      case SLASH:
      case LOWER_B:
      case LOWER_F:
      case LOWER_N:
      case LOWER_R:
      case LOWER_T:
        return 2
      case LOWER_U:
        // Python's C scanner wants the four digits *and* one more character (at least the closing quote) before
        // it reads them, so `"\ud800` at the very end is a bad escape rather than an unterminated string.
        if (pos + 6 >= text.length) throw this.error('Invalid \\uXXXX escape', pos + 1)
        for (let i = pos + 2; i < pos + 6; i++) {
          if (!isHexDigit(text.charCodeAt(i))) throw this.error('Invalid \\uXXXX escape', pos + 1)
        }
        return 6
      default:
        if (Number.isNaN(c)) throw this.error('Unterminated string starting at', quote)
        throw this.error('Invalid \\escape', pos)
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) {
      throw this.error(`Nesting deeper than ${this.maxDepth} levels`, this.pos)
    }
  }

  private parseArray(depth: number): JsonArray {
    this.enter(depth)
    const text = this.text
    const items: JsonArray = []
    this.pos++ // '['
    this.skipWhitespace()
    if (text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++
      return items
    }
    for (;;) {
      items.push(this.parseValue(depth))
      this.skipWhitespace()
      const c = text.charCodeAt(this.pos)
      if (c === CLOSE_BRACKET) {
        this.pos++
        return items
      }
      if (c !== COMMA) throw this.error("Expecting ',' delimiter", this.pos)
      this.pos++
      this.skipWhitespace() // `[1,]` then fails in parseValue with "Expecting value", as in Python
    }
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth)
    const text = this.text
    const entries: JsonObject = new Map()
    this.pos++ // '{'
    this.skipWhitespace()
    if (text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++
      return entries
    }
    for (;;) {
      if (text.charCodeAt(this.pos) !== QUOTE) {
        throw this.error('Expecting property name enclosed in double quotes', this.pos)
      }
      const key = this.parseString()
      this.skipWhitespace()
      if (text.charCodeAt(this.pos) !== COLON) throw this.error("Expecting ':' delimiter", this.pos)
      this.pos++
      this.skipWhitespace()
      // Map#set on a key seen before keeps its position and replaces its value: Python dict semantics.
      entries.set(key, this.parseValue(depth))
      this.skipWhitespace()
      const c = text.charCodeAt(this.pos)
      if (c === CLOSE_BRACE) {
        this.pos++
        return entries
      }
      if (c !== COMMA) throw this.error("Expecting ',' delimiter", this.pos)
      this.pos++
      this.skipWhitespace()
    }
  }
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE
}

/**
 * Parses JSON text the way Python's `json.loads(text)` does with its defaults.
 *
 * Accepts RFC 8259 JSON plus `NaN`, `Infinity` and `-Infinity` (unless `options.nonFinite` is false); whitespace is space, tab, CR and LF only; raw
 * control characters inside strings are rejected; `\uXXXX` escapes may produce lone surrogates. Duplicate keys:
 * the last value wins, at the first key's position.
 *
 * @throws JsonSyntaxError on anything else, including nesting deeper than `options.maxDepth`.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  // `json.loads` refuses a str that starts with a byte order mark, with its own message; without this check the
  // parser would say "Expecting value" at the same position.
  if (text.charCodeAt(0) === 0xfeff) {
    throw JsonSyntaxError.at('Unexpected UTF-8 BOM (decode using utf-8-sig)', text, 0)
  }
  return new Parser(text, options).parseDocument()
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes in: how json.loads(bytes) picks an encoding
// ---------------------------------------------------------------------------------------------------------------

/** The encodings `json.loads(bytes)` can choose between (Python's `json.detect_encoding`). */
export type JsonEncoding =
  | 'utf-8'
  | 'utf-8-sig'
  | 'utf-16'
  | 'utf-16-be'
  | 'utf-16-le'
  | 'utf-32'
  | 'utf-32-be'
  | 'utf-32-le'

/**
 * Guesses the encoding of JSON bytes exactly as Python's `json.detect_encoding` does. RFC 4627 (JSON's first RFC)
 * allowed UTF-16 and UTF-32; since the first two characters of a JSON text are ASCII, the pattern of zero bytes at
 * the start gives the encoding away. A byte order mark decides first.
 */
export function detectJsonEncoding(bytes: Uint8Array): JsonEncoding {
  const [b0, b1, b2, b3] = bytes
  const starts = (...prefix: number[]) =>
    bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
  if (starts(0x00, 0x00, 0xfe, 0xff) || starts(0xff, 0xfe, 0x00, 0x00)) return 'utf-32'
  if (starts(0xfe, 0xff) || starts(0xff, 0xfe)) return 'utf-16'
  if (starts(0xef, 0xbb, 0xbf)) return 'utf-8-sig'
  if (bytes.length >= 4) {
    if (b0 === 0) return b1 ? 'utf-16-be' : 'utf-32-be' // 00 XX: UTF-16BE; 00 00: UTF-32BE
    if (b1 === 0) return b2 || b3 ? 'utf-16-le' : 'utf-32-le' // XX 00 00 00: UTF-32LE; otherwise UTF-16LE
  } else if (bytes.length === 2) {
    if (b0 === 0) return 'utf-16-be'
    if (b1 === 0) return 'utf-16-le'
  }
  return 'utf-8'
}

/** Thrown by the decoders below; turned into a JsonSyntaxError by {@link decodeJsonBytes}. */
class DecodeFailure extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.offset = offset
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * UTF-8 with Python's `surrogatepass` error handler: strict, except that the three-byte encodings of U+D800..U+DFFF
 * (`ED A0 80`..`ED BF BF`, forbidden by the UTF-8 standard) decode to lone surrogates. `TextDecoder` handles the
 * common case; only input it rejects takes the slow, byte-by-byte path.
 */
function decodeUtf8SurrogatePass(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    // fall through to the careful decoder, which either accepts surrogates or says where the bad byte is
  }
  const units: number[] = []
  let out = ''
  let i = 0
  const n = bytes.length
  const continuation = (at: number, low = 0x80, high = 0xbf): number => {
    const b = bytes[at]
    if (at >= n || b === undefined || b < low || b > high) {
      throw new DecodeFailure(`invalid utf-8 data at byte ${i}`, i)
    }
    return b & 0x3f
  }
  while (i < n) {
    const b = bytes[i]!
    let cp: number
    if (b < 0x80) {
      cp = b
      i += 1
    } else if (b >= 0xc2 && b <= 0xdf) {
      cp = ((b & 0x1f) << 6) | continuation(i + 1)
      i += 2
    } else if (b >= 0xe0 && b <= 0xef) {
      // E0 needs A0..BF next (no overlong forms). ED A0..BF is a surrogate: allowed here, which is the whole point.
      const second = continuation(i + 1, b === 0xe0 ? 0xa0 : 0x80)
      cp = ((b & 0x0f) << 12) | (second << 6) | continuation(i + 2)
      i += 3
    } else if (b >= 0xf0 && b <= 0xf4) {
      const second = continuation(i + 1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf)
      cp = ((b & 0x07) << 18) | (second << 12) | (continuation(i + 2) << 6) | continuation(i + 3)
      i += 4
    } else {
      throw new DecodeFailure(`invalid utf-8 start byte 0x${b.toString(16)} at byte ${i}`, i)
    }
    if (cp > 0xffff) {
      cp -= 0x10000
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff))
    } else {
      units.push(cp)
    }
    if (units.length >= 8192) {
      out += String.fromCharCode(...units) // flush in chunks: spreading a huge array would overflow the stack
      units.length = 0
    }
  }
  return out + String.fromCharCode(...units)
}

/** UTF-16 or UTF-32 in the given byte order, with `surrogatepass` (lone surrogates pass through). */
function decodeWide(bytes: Uint8Array, width: 2 | 4, littleEndian: boolean): string {
  if (bytes.length % width !== 0) {
    throw new DecodeFailure('truncated data', bytes.length - (bytes.length % width))
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const units: number[] = []
  let out = ''
  for (let i = 0; i < bytes.length; i += width) {
    if (width === 2) {
      units.push(view.getUint16(i, littleEndian))
    } else {
      const cp = view.getUint32(i, littleEndian)
      if (cp > 0x10ffff) throw new DecodeFailure('code point not in range(0x110000)', i)
      if (cp > 0xffff)
        units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff))
      else units.push(cp)
    }
    if (units.length >= 8192) {
      out += String.fromCharCode(...units)
      units.length = 0
    }
  }
  return out + String.fromCharCode(...units)
}

/**
 * Decodes JSON bytes to text as `json.loads(bytes)` does: {@link detectJsonEncoding}, then
 * `bytes.decode(encoding, 'surrogatepass')`. `utf-8-sig`, `utf-16` and `utf-32` consume their byte order mark.
 *
 * @throws JsonSyntaxError when the bytes are not valid in the detected encoding (Python raises
 *   `UnicodeDecodeError` there).
 */
export function decodeJsonBytes(bytes: Uint8Array): string {
  const encoding = detectJsonEncoding(bytes)
  try {
    switch (encoding) {
      case 'utf-8':
        return decodeUtf8SurrogatePass(bytes)
      case 'utf-8-sig':
        return decodeUtf8SurrogatePass(bytes.subarray(3))
      case 'utf-16':
        return decodeWide(bytes.subarray(2), 2, bytes[0] === 0xff)
      case 'utf-16-be':
        return decodeWide(bytes, 2, false)
      case 'utf-16-le':
        return decodeWide(bytes, 2, true)
      case 'utf-32':
        return decodeWide(bytes.subarray(4), 4, bytes[0] === 0xff)
      case 'utf-32-be':
        return decodeWide(bytes, 4, false)
      case 'utf-32-le':
        return decodeWide(bytes, 4, true)
    }
  } catch (error) {
    if (error instanceof DecodeFailure) {
      throw new JsonSyntaxError(
        `'${encoding}' codec can't decode: ${error.message}`,
        error.offset,
        `'${encoding}' codec can't decode: ${error.message} (byte ${error.offset})`,
      )
    }
    throw error
  }
}

/**
 * Parses JSON bytes the way Python's `json.loads(bytes)` does: decode ({@link decodeJsonBytes}), then parse
 * ({@link parseJson}). Unlike `parseJson`, a UTF-8 byte order mark is fine here: it selects `utf-8-sig`.
 *
 * @throws JsonSyntaxError on bytes that do not decode and on text that is not JSON.
 */
export function parseJsonBytes(bytes: Uint8Array, options: ParseJsonOptions = {}): JsonValue {
  const text = decodeJsonBytes(bytes)
  // Python checks for a BOM only when given a str; after decoding bytes, a U+FEFF left over (a second BOM) is
  // simply not whitespace, so the parser reports "Expecting value" at 0.
  return new Parser(text, options).parseDocument()
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers as Python prints them
// ---------------------------------------------------------------------------------------------------------------

/**
 * How encoders write numbers.
 * - `'source'`: the number's text exactly as it was parsed (`1E5` stays `1E5`). The default.
 * - `'python'`: what Python prints after `json.loads` turned the text into an `int` or a `float`
 *   ({@link pythonNumberText}): `1E5` becomes `100000.0`, `-0` becomes `0`, `1e400` becomes `Infinity`.
 */
export type NumberStyle = 'source' | 'python'

/**
 * Python's `repr()` of a float64, without the sign handling of non-finite values: the shortest digit string
 * that reads back as the same float (both Python and JavaScript compute that), laid out with Python's rules —
 * positional notation while the decimal exponent is in [-4, 16), scientific (`1e+16`, `1.5e-05`, at least two
 * exponent digits) outside it, and always a `.0` on a positional integer.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const sign = value < 0 ? '-' : ''
  // toExponential() with no argument gives the shortest round-trip digits: "1.2345e+2" means 1.2345 × 10^2.
  const [mantissa = '', exponentText = ''] = Math.abs(value).toExponential().split('e')
  const digits = mantissa.replace('.', '')
  const exponent = Number(exponentText)
  const pointAt = exponent + 1 // how many digits stand before the decimal point
  if (pointAt <= -4 || pointAt > 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : ''
    const expSign = exponent < 0 ? '-' : '+'
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`
  }
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}.0`
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`
}

/**
 * The text Python's `json.dumps(json.loads(text))` writes for a number: integers keep every digit (Python ints are
 * unbounded) with `-0` becoming `0`; anything with a fraction or exponent is a float64 printed by `repr` (so
 * `1.50` → `1.5`, `1E5` → `100000.0`, `1e400` → `Infinity`); `NaN`, `Infinity`, `-Infinity` stay as they are.
 */
export function pythonNumberText(number: JsonNumber): string {
  const text = number.text
  if (number.isInteger) return text === '-0' ? '0' : text
  const value = number.toNumber()
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return 'Infinity'
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity'
  return pythonFloatRepr(value)
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding, as json.dumps(obj) with ensure_ascii=True
// ---------------------------------------------------------------------------------------------------------------

/** Options for {@link encodeJson} and {@link encodeJsonPretty}. */
export interface EncodeJsonOptions {
  /** How to write numbers (default `'source'`). */
  numbers?: NumberStyle
}

const HEX_DIGITS = '0123456789abcdef'

/**
 * Builds the encoder's output as bytes. With `ensure_ascii` every character written is ASCII, so one byte per
 * character, written into a growing `Uint8Array` and decoded to a string once at the end. That is several times
 * faster than escaping with `String#replace` and a callback, or than gluing millions of small strings together:
 * a 2 MB payload of accented text encodes in tens of milliseconds instead of hundreds.
 */
class AsciiWriter {
  private bytes = new Uint8Array(1024)
  private length = 0

  /** Makes room for `count` more bytes. */
  private reserve(count: number): void {
    const needed = this.length + count
    if (needed <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2))
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
   * Appends `value` as a JSON string literal, escaped as Python's `json.dumps` does with `ensure_ascii=True`:
   * printable ASCII as is; `"` and `\` backslashed; backspace, form feed, newline, CR, tab as `\b \f \n \r \t`;
   * every other code unit (other controls, DEL, all of non-ASCII) as `\u` and four lowercase hex digits. The loop
   * walks UTF-16 code units, so an astral character comes out as its surrogate pair (`\ud83d\ude00`) and a lone
   * surrogate as itself, both as Python writes them. `/` is not escaped.
   */
  string(value: string): void {
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

  /** The text written so far. */
  finish(): string {
    return asciiDecoder.decode(this.bytes.subarray(0, this.length))
  }
}

const asciiDecoder = new TextDecoder() // UTF-8, which reads ASCII bytes as the same characters

/**
 * A JSON string literal for `value`, as Python's `json.dumps` writes it with `ensure_ascii=True` (see
 * {@link encodeJson}): `quoteJsonString('café 😀')` is `"caf\u00e9 \ud83d\ude00"`.
 */
export function quoteJsonString(value: string): string {
  const writer = new AsciiWriter()
  writer.string(value)
  return writer.finish()
}

/** The text a number is written with, per the chosen {@link NumberStyle}. */
function numberText(number: JsonNumber, style: NumberStyle): string {
  return style === 'python' ? pythonNumberText(number) : number.text
}

/** Writes a scalar (anything but an array or object). */
function writeScalar(
  out: AsciiWriter,
  value: string | JsonNumber | boolean | null,
  style: NumberStyle,
) {
  if (typeof value === 'string') out.string(value)
  else if (value instanceof JsonNumber) out.ascii(numberText(value, style))
  else out.ascii(value === null ? 'null' : value ? 'true' : 'false')
}

function writeCompact(out: AsciiWriter, value: JsonValue, style: NumberStyle): void {
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
    for (const [key, item] of value) {
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
  const out = new AsciiWriter()
  writeCompact(out, value, options.numbers ?? 'source')
  return out.finish()
}

function writeIndented(
  out: AsciiWriter,
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
    for (const [key, item] of value) {
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
 * Indented JSON, byte for byte what Python's `json.dumps(obj, indent=2)` writes (the original's `--pretty-json`):
 * one item per line, `indent` spaces per level, `,` at line ends, `: ` between key and value, `{}` and `[]` for
 * empty containers, the same `ensure_ascii` escaping as {@link encodeJson}. No trailing newline: the caller adds
 * the line end, as the original's `json.dumps(data, indent=2) + "\n"` does.
 */
export function encodeJsonPretty(
  value: JsonValue,
  indent = 2,
  options: EncodeJsonOptions = {},
): string {
  const out = new AsciiWriter()
  writeIndented(out, value, options.numbers ?? 'source', ' '.repeat(indent), '')
  return out.finish()
}

/**
 * A small, lossless JSON parser that behaves like Python's `json.loads`, with the options a settings editor needs.
 *
 * Why not `JSON.parse`? The observatory re-emits every hook payload, and the original Python server does it with
 * `json.loads` + `json.dumps`; `observatory install` rewrites a file a person wrote. `JSON.parse` would change
 * what they see:
 *
 * - numbers: `JSON.parse` turns every number into a float64, so `1.0` comes back as `1` and
 *   `12345678901234567890123` is rounded to `1.2345678901234568e+22`. Here a number keeps its source text
 *   ({@link JsonNumber}).
 * - key order: a JavaScript object moves integer-like keys (`"10"`) to the front. Here objects are `Map`s.
 * - Python's extras: `json.loads` accepts `NaN`, `Infinity` and `-Infinity` by default; `JSON.parse` rejects them.
 * - errors: Python's messages and positions ({@link JsonSyntaxError}), or plain ones with line and column.
 *
 * The defaults are Python's. What each caller uses:
 * - hook payloads (`server/event.ts`): `{ nonFinite: false }`, RFC 8259 only, so every line written is JSON that
 *   `jq` and browsers read; duplicate keys as Python resolves them.
 * - settings files (`install/settings-file.ts`): `{ nonFinite: false, duplicateKeys: 'keep', messages: 'plain' }`,
 *   the language Claude Code reads its settings in, every entry kept for writing back, errors a person can act on.
 */
import {
  type JsonErrorMessages,
  type JsonSyntaxError,
  type SyntaxProblem,
  syntaxError,
} from './syntax-error.ts'
import {
  CHECKED,
  type JsonArray,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  recordWrittenEntries,
} from './values.ts'

/** Options for {@link parseJson} (and `parseJsonBytes`). */
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
  /**
   * A key written twice in one object. Either way the object (a `Map`) holds the last value, at the first key's
   * position, as Python's `dict` and `JSON.parse` resolve it.
   * - `'last'` (default): that is all.
   * - `'keep'`: the object also remembers every entry as written, and the encoders write them all back in their
   *   places (see `objectEntries` and `duplicateKeys`). For editing a file without losing what it says.
   */
  duplicateKeys?: 'last' | 'keep'
  /** How errors are worded: Python's `JSONDecodeError` (`'python'`, the default) or `'plain'` words. */
  messages?: JsonErrorMessages
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

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE
}

/**
 * A recursive-descent parser over one string. `pos` always points at the next character to read. Each `parse*`
 * method starts at the first character of its value and leaves `pos` just after it.
 */
class Parser {
  private pos = 0
  /**
   * Still true after a parse when the value's text is exactly what `encodeJson` (default options) writes for the
   * value: no whitespace between tokens, every string character printable ASCII or escaped as the encoder escapes
   * it, no key twice in an object. Numbers and literals are always written as their text. See
   * {@link parseCanonicalJson}.
   */
  canonical = true
  private readonly text: string
  private readonly maxDepth: number
  private readonly nonFinite: boolean
  private readonly keepDuplicates: boolean
  private readonly messages: JsonErrorMessages

  constructor(text: string, options: ParseJsonOptions) {
    this.text = text
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
    this.nonFinite = options.nonFinite ?? true
    this.keepDuplicates = options.duplicateKeys === 'keep'
    this.messages = options.messages ?? 'python'
  }

  /** Where the document's value starts and ends (whitespace around it is outside). */
  valueStart = 0
  valueEnd = 0

  parseDocument(): JsonValue {
    this.skipWhitespace()
    this.valueStart = this.pos
    this.canonical = true // whitespace around the value is not part of it
    const value = this.parseValue(0)
    this.valueEnd = this.pos
    const canonical = this.canonical
    this.skipWhitespace()
    this.canonical = canonical
    if (this.pos !== this.text.length) throw this.error('extra', this.pos)
    return value
  }

  /** `quote`: the opening quote of the string being read, for string problems. */
  error(problem: SyntaxProblem, at: number, quote = at): JsonSyntaxError {
    return syntaxError(problem, this.text, at, quote, this.maxDepth, this.messages)
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
    if (pos !== this.pos) this.canonical = false // the encoder writes no whitespace
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
    throw this.error('value', start)
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
      throw this.error('value', start) // a lone `-`
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
        throw this.error('control-character', pos)
      }
      if (Number.isNaN(c)) throw this.error('unterminated', quote) // end of text
      if (c > 0x7e) this.canonical = false // DEL and non-ASCII: the encoder writes \u escapes
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
      case SLASH:
        this.canonical = false // the encoder writes `/` as it is
        return 2
      case QUOTE:
      case BACKSLASH:
      case LOWER_B:
      case LOWER_F:
      case LOWER_N:
      case LOWER_R:
      case LOWER_T:
        return 2
      case LOWER_U: {
        let unit = 0
        for (let i = pos + 2; i < pos + 6; i++) {
          const digit = text.charCodeAt(i)
          if (!isHexDigit(digit)) throw this.error('unicode-escape', pos, quote)
          if (digit >= 0x41 && digit <= 0x46) this.canonical = false // the encoder writes lowercase hex
          unit = (unit << 4) | (digit <= NINE ? digit - ZERO : (digit | 0x20) - 0x57)
        }
        // The encoder writes printable ASCII as itself and these five with their short escapes.
        if (
          (unit >= SPACE && unit <= 0x7e) ||
          unit === 0x08 ||
          unit === TAB ||
          unit === LF ||
          unit === 0x0c ||
          unit === CR
        ) {
          this.canonical = false
        }
        // Python's C scanner wants the four digits *and* one more character (at least the closing quote) before
        // it reads them, so `"\ud800` at the very end is a bad escape rather than an unterminated string.
        if (pos + 6 >= text.length) throw this.error('unicode-escape-at-end', pos, quote)
        return 6
      }
      default:
        if (Number.isNaN(c)) throw this.error('unterminated-escape', pos, quote)
        throw this.error('escape', pos, quote)
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) throw this.error('depth', this.pos)
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
      if (c !== COMMA) throw this.error('array-delimiter', this.pos)
      this.pos++
      this.skipWhitespace() // `[1,]` then fails in parseValue with "Expecting value", as in Python
    }
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth)
    const text = this.text
    const entries: JsonObject = new Map()
    // With duplicateKeys: 'keep', every entry in the order written (a Map holds one per key).
    const written: [string, JsonValue][] | undefined = this.keepDuplicates ? [] : undefined
    this.pos++ // '{'
    this.skipWhitespace()
    if (text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++
      return entries
    }
    for (;;) {
      if (text.charCodeAt(this.pos) !== QUOTE) throw this.error('property-name', this.pos)
      const key = this.parseString()
      this.skipWhitespace()
      if (text.charCodeAt(this.pos) !== COLON) throw this.error('colon', this.pos)
      this.pos++
      this.skipWhitespace()
      const value = this.parseValue(depth)
      const size = entries.size
      // Map#set on a key seen before keeps its position and replaces its value: Python dict semantics.
      entries.set(key, value)
      if (entries.size === size) this.canonical = false // a repeated key: the encoder writes it once
      written?.push([key, value])
      this.skipWhitespace()
      const c = text.charCodeAt(this.pos)
      if (c === CLOSE_BRACE) {
        this.pos++
        if (written !== undefined && written.length !== entries.size) {
          recordWrittenEntries(entries, written)
        }
        return entries
      }
      if (c !== COMMA) throw this.error('object-delimiter', this.pos)
      this.pos++
      this.skipWhitespace()
    }
  }
}

/**
 * Parses JSON text the way Python's `json.loads(text)` does with its defaults.
 *
 * Accepts RFC 8259 JSON plus `NaN`, `Infinity` and `-Infinity` (unless `options.nonFinite` is false); whitespace
 * is space, tab, CR and LF only; raw control characters inside strings are rejected; `\uXXXX` escapes may produce
 * lone surrogates. Duplicate keys: the last value wins, at the first key's position (and with
 * `duplicateKeys: 'keep'` every entry is remembered as written).
 *
 * @throws JsonSyntaxError on anything else, including nesting deeper than `options.maxDepth`.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  const parser = new Parser(text, options)
  // `json.loads` refuses a str that starts with a byte order mark, with its own message; without this check the
  // parser would say "Expecting value" at the same position.
  if (text.charCodeAt(0) === 0xfeff) throw parser.error('byte-order-mark', 0)
  return parser.parseDocument()
}

/**
 * Parses text decoded from bytes (`parseJsonBytes`). Python checks for a byte order mark only when given a str;
 * after decoding bytes, a U+FEFF left over (a second BOM) is simply not whitespace, so the parser reports
 * "Expecting value" at 0.
 */
export function parseDecodedJson(text: string, options: ParseJsonOptions): JsonValue {
  return new Parser(text, options).parseDocument()
}

/** What {@link parseCanonicalJson} found. */
export interface CanonicalParse {
  value: JsonValue
  /** The text parsed; `start` and `end` are offsets in it. */
  text: string
  /**
   * True when `text.slice(start, end)` is byte for byte what `encodeJson(value)` writes (default options), so a
   * writer may copy the text instead of encoding the value again.
   */
  canonical: boolean
  /** Where the value starts and ends in the text (leading and trailing whitespace are outside). */
  start: number
  end: number
}

/**
 * Parses decoded text as {@link parseDecodedJson} does (same results, same errors) and, in the same pass, checks
 * whether the value's text is already the encoder's output. The check costs a few comparisons per token: it is
 * what lets the observatory write a hook payload by copying its bytes instead of re-encoding it (event.ts).
 */
export function parseCanonicalJson(text: string, options: ParseJsonOptions): CanonicalParse {
  const parser = new Parser(text, options)
  const value = parser.parseDocument()
  return {
    value,
    text,
    canonical: parser.canonical,
    start: parser.valueStart,
    end: parser.valueEnd,
  }
}

/**
 * An order-preserving JSON tree for editing settings files.
 *
 * `JSON.parse` followed by `JSON.stringify` would be almost right for `settings.json`, but not quite:
 * - object keys that look like array indices (`"10"`) move to the front of the object;
 * - numbers go through float64, so `1.0` becomes `1` and `12345678901234567890` is rounded;
 * - on Node 20 a syntax error carries no line and column.
 *
 * Here objects are {@link JsonObject}s (an ordered list of entries), numbers keep their source text
 * ({@link JsonNumber}), and a syntax error is a {@link JsonSyntaxError} with a 1-based line and column.
 * The grammar is strict RFC 8259, the same language Claude Code reads its settings with.
 */

/** A JSON number, kept as the exact text it was written with. */
export class JsonNumber {
  readonly raw: string
  constructor(raw: string) {
    this.raw = raw
  }
}

/** Any JSON value. */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject

/** A JSON object: entries in source order. Duplicate keys are kept as written (see {@link duplicateKeys}). */
export class JsonObject {
  readonly entries: Array<[string, JsonValue]>

  constructor(entries: Array<[string, JsonValue]> = []) {
    this.entries = entries
  }

  /** The value of `key` (its last occurrence, as `JSON.parse` resolves duplicates). */
  get(key: string): JsonValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!
      if (entry[0] === key) return entry[1]
    }
    return undefined
  }

  has(key: string): boolean {
    return this.entries.some((entry) => entry[0] === key)
  }

  /** Replaces the value of `key` where it stands, or appends the key at the end. */
  set(key: string, value: JsonValue): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!
      if (entry[0] === key) {
        entry[1] = value
        return
      }
    }
    this.entries.push([key, value])
  }

  /** Removes every occurrence of `key`. */
  delete(key: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]![0] === key) this.entries.splice(i, 1)
    }
  }

  keys(): string[] {
    return this.entries.map((entry) => entry[0])
  }

  /** Keys written more than once, each listed once, in order of first appearance. */
  duplicateKeys(): string[] {
    const seen = new Set<string>()
    const dups: string[] = []
    for (const [key] of this.entries) {
      if (seen.has(key) && !dups.includes(key)) dups.push(key)
      seen.add(key)
    }
    return dups
  }

  get size(): number {
    return this.entries.length
  }
}

/** Where and why a text is not JSON. `line` and `column` are 1-based; the column counts UTF-16 units. */
export class JsonSyntaxError extends Error {
  readonly line: number
  readonly column: number
  readonly offset: number
  readonly reason: string

  constructor(reason: string, offset: number, line: number, column: number) {
    super(`${reason} at line ${line}, column ${column}`)
    this.name = 'JsonSyntaxError'
    this.reason = reason
    this.offset = offset
    this.line = line
    this.column = column
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y
const MAX_DEPTH = 1000

function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'end of input'
  const code = ch.codePointAt(0) ?? 0
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).padStart(4, '0')}`
  return `'${ch}'`
}

class Parser {
  private pos = 0
  private depth = 0
  private readonly text: string

  constructor(text: string) {
    this.text = text
  }

  parseDocument(): JsonValue {
    this.skipWhitespace()
    const value = this.parseValue()
    this.skipWhitespace()
    if (this.pos < this.text.length) {
      this.fail(`unexpected ${describeChar(this.text[this.pos])} after the end of the JSON value`)
    }
    return value
  }

  private fail(reason: string, at = this.pos): never {
    let line = 1
    let lineStart = 0
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++
        lineStart = i + 1
      }
    }
    throw new JsonSyntaxError(reason, at, line, at - lineStart + 1)
  }

  private skipWhitespace(): void {
    const text = this.text
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++
      else break
    }
  }

  private parseValue(): JsonValue {
    const ch = this.text[this.pos]
    switch (ch) {
      case '{':
        return this.parseObject()
      case '[':
        return this.parseArray()
      case '"':
        return this.parseString()
      case 't':
        return this.parseLiteral('true', true)
      case 'f':
        return this.parseLiteral('false', false)
      case 'n':
        return this.parseLiteral('null', null)
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.parseNumber()
        return this.fail(
          ch === undefined ? 'unexpected end of input' : `unexpected ${describeChar(ch)}`,
        )
    }
  }

  private parseLiteral(word: string, value: boolean | null): boolean | null {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length
      return value
    }
    return this.fail(`unexpected ${describeChar(this.text[this.pos])}`)
  }

  private parseNumber(): JsonNumber {
    NUMBER.lastIndex = this.pos
    const match = NUMBER.exec(this.text)
    if (match === null) return this.fail('invalid number')
    this.pos += match[0].length
    return new JsonNumber(match[0])
  }

  private parseString(): string {
    const text = this.text
    const start = this.pos
    this.pos++
    let out = ''
    let chunkStart = this.pos
    while (true) {
      if (this.pos >= text.length) this.fail('unterminated string', start)
      const c = text.charCodeAt(this.pos)
      if (c === 0x22) {
        out += text.slice(chunkStart, this.pos)
        this.pos++
        return out
      }
      if (c < 0x20) this.fail(`unescaped ${describeChar(text[this.pos])} in a string`)
      if (c !== 0x5c) {
        this.pos++
        continue
      }
      out += text.slice(chunkStart, this.pos)
      const esc = text[this.pos + 1]
      switch (esc) {
        case '"':
        case '\\':
        case '/':
          out += esc
          break
        case 'b':
          out += '\b'
          break
        case 'f':
          out += '\f'
          break
        case 'n':
          out += '\n'
          break
        case 'r':
          out += '\r'
          break
        case 't':
          out += '\t'
          break
        case 'u': {
          const hex = text.slice(this.pos + 2, this.pos + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape in a string')
          out += String.fromCharCode(Number.parseInt(hex, 16))
          this.pos += 4
          break
        }
        default:
          this.fail(
            esc === undefined ? 'unterminated string' : `invalid escape \\${esc} in a string`,
          )
      }
      this.pos += 2
      chunkStart = this.pos
    }
  }

  private enter(): void {
    this.depth++
    if (this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`)
  }

  private parseArray(): JsonValue[] {
    this.enter()
    this.pos++
    const items: JsonValue[] = []
    this.skipWhitespace()
    if (this.text[this.pos] === ']') {
      this.pos++
      this.depth--
      return items
    }
    while (true) {
      this.skipWhitespace()
      items.push(this.parseValue())
      this.skipWhitespace()
      const ch = this.text[this.pos]
      if (ch === ',') {
        this.pos++
        this.skipWhitespace()
        if (this.text[this.pos] === ']') this.fail("trailing comma before ']'")
        continue
      }
      if (ch === ']') {
        this.pos++
        this.depth--
        return items
      }
      this.fail(`expected ',' or ']' but found ${describeChar(ch)}`)
    }
  }

  private parseObject(): JsonObject {
    this.enter()
    this.pos++
    const object = new JsonObject()
    this.skipWhitespace()
    if (this.text[this.pos] === '}') {
      this.pos++
      this.depth--
      return object
    }
    while (true) {
      this.skipWhitespace()
      const ch = this.text[this.pos]
      if (ch !== '"') {
        this.fail(
          ch === '}'
            ? "trailing comma before '}'"
            : `expected a property name in double quotes but found ${describeChar(ch)}`,
        )
      }
      const key = this.parseString()
      this.skipWhitespace()
      if (this.text[this.pos] !== ':') {
        this.fail(
          `expected ':' after a property name but found ${describeChar(this.text[this.pos])}`,
        )
      }
      this.pos++
      this.skipWhitespace()
      object.entries.push([key, this.parseValue()])
      this.skipWhitespace()
      const next = this.text[this.pos]
      if (next === ',') {
        this.pos++
        continue
      }
      if (next === '}') {
        this.pos++
        this.depth--
        return object
      }
      this.fail(`expected ',' or '}' but found ${describeChar(next)}`)
    }
  }
}

/** Parses strict JSON into an ordered tree. Throws {@link JsonSyntaxError}. */
export function parseJson(text: string): JsonValue {
  return new Parser(text).parseDocument()
}

/**
 * Serializes a tree the way `JSON.stringify(value, null, indent)` lays it out (no trailing newline),
 * with numbers in their original text.
 */
export function stringifyJson(value: JsonValue, indent = '  '): string {
  const out: string[] = []
  write(value, '', indent, out)
  return out.join('')
}

function write(value: JsonValue, current: string, indent: string, out: string[]): void {
  if (value === null) out.push('null')
  else if (typeof value === 'boolean') out.push(value ? 'true' : 'false')
  else if (typeof value === 'string') out.push(JSON.stringify(value))
  else if (value instanceof JsonNumber) out.push(value.raw)
  else if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]')
      return
    }
    const inner = current + indent
    out.push('[\n')
    value.forEach((item, i) => {
      out.push(inner)
      write(item, inner, indent, out)
      out.push(i < value.length - 1 ? ',\n' : '\n')
    })
    out.push(current, ']')
  } else {
    if (value.entries.length === 0) {
      out.push('{}')
      return
    }
    const inner = current + indent
    out.push('{\n')
    value.entries.forEach(([key, item], i) => {
      out.push(inner, JSON.stringify(key), ': ')
      write(item, inner, indent, out)
      out.push(i < value.entries.length - 1 ? ',\n' : '\n')
    })
    out.push(current, '}')
  }
}

/** A deep copy (objects and arrays are fresh; strings, numbers and literals are immutable anyway). */
export function cloneJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(cloneJson)
  if (value instanceof JsonObject) {
    return new JsonObject(value.entries.map(([key, item]) => [key, cloneJson(item)]))
  }
  return value
}

/** Structural equality; object key order matters, numbers compare by their text. */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  return stringifyJson(a, '') === stringifyJson(b, '')
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

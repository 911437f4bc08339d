/**
 * `--pretty-yaml`: events as YAML documents, written the way the original Python server writes them.
 *
 * The original calls PyYAML:
 *
 *     yaml.dump(data, Dumper=_MultilineYamlDumper, default_flow_style=False, sort_keys=False)
 *
 * where `_MultilineYamlDumper` is `yaml.SafeDumper` plus one rule: a string containing `\n` asks for the literal
 * block style (`|`). It prints `---` on a line of its own before each document (grey on a terminal) and, on a
 * terminal, colours the YAML with Pygments.
 *
 * This module is a port of the part of PyYAML's emitter that such data reaches, kept close to PyYAML's own
 * structure (the same state flags — `column`, `whitespace`, `indention`, `openEnded` — and the same writers) so
 * that its output can be compared line for line: block mappings in insertion order, sequences under a key not
 * indented (`key:` then `- item` at the key's column), `{}` and `[]` for empty containers, literal blocks with
 * PyYAML's chomping and indentation hints (`|-`, `|`, `|+`, `|2-`), quoting when a plain scalar would be misread,
 * long lines folded at 80 columns, and `...` after a document that could otherwise run on. Note what the original
 * does *not* pass: `allow_unicode=True`. So, as in the original, any non-ASCII character forces double quotes and
 * is escaped (`"caf\xE9"`, `"\U0001F600"`).
 *
 * Known differences from PyYAML:
 * - Numbers: with `numbers: 'source'` (the default, as for JSON output) a number is written as its JSON text,
 *   plain, even where a YAML 1.1 reader would take it for a string (`1e5`, `NaN`). With `numbers: 'python'` it is
 *   written as PyYAML writes the `int` or `float` Python would have parsed: `100000.0`, `1.0e+17`, `.nan`, `.inf`.
 * - Colour: the original runs Pygments' YAML lexer with the `Terminal256Formatter`; this writer colours while it
 *   emits, with a small 16-colour palette (keys, strings, numbers, booleans and null, punctuation). Without colour
 *   the text is the same either way.
 * - A string that Python would hold as two separate surrogate code points (possible only from malformed UTF-8 that
 *   spells out a surrogate pair) is one astral character in JavaScript: `"\U0001F600"` here, `"\uD83D\uDE00"` there.
 * - The same object appearing twice (possible only when values are built by hand, not parsed) is written twice;
 *   PyYAML would write an anchor and an alias (`&id001` / `*id001`).
 */
import { type NumberStyle, pythonFloatRepr } from './python-number.ts'
import { JsonNumber, type JsonValue, objectEntries } from './values.ts'

/** Options for {@link encodeYaml}. */
export interface YamlOptions {
  /** Colour the output with ANSI escape sequences (for a terminal). */
  color: boolean
  /** How to write numbers (default `'source'`); see the module comment. */
  numbers?: NumberStyle
}

/** What a piece of output is, for colouring. */
type Role = 'key' | 'string' | 'number' | 'constant' | 'punctuation'

/** ANSI SGR codes per role: cyan keys, green strings, magenta numbers, yellow true/false/null, grey punctuation. */
const COLORS: Record<Role, string> = {
  key: '\x1b[36m',
  string: '\x1b[32m',
  number: '\x1b[35m',
  constant: '\x1b[33m',
  punctuation: '\x1b[90m',
}
const RESET = '\x1b[0m'

/** PyYAML's `best_width`: plain and quoted scalars are folded once a line passes this column. */
const BEST_WIDTH = 80
/** PyYAML's `best_indent`. */
const BEST_INDENT = 2

/**
 * What PyYAML's resolver would read a plain (unquoted) scalar as, when it is not a string. These are YAML 1.1's
 * implicit types exactly as PyYAML registers them; a string that matches any of them must be quoted, or it would
 * come back as a boolean (`yes`, `off`), a number (`0x1F`, `1_000`, `.5`), null (`~`, empty), a date...
 */
const IMPLICIT_TYPES: readonly RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/, // merge key
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/, // the "value" key
  /^(?:!|&|\*)$/,
]

/** Would a plain scalar with this text be read back as a string? (PyYAML: `implicit[0]` of a str scalar.) */
function readsBackAsString(text: string): boolean {
  return !IMPLICIT_TYPES.some((type) => type.test(text))
}

/** Characters YAML treats as line breaks (PyYAML's list; `\r` is not one of them). */
function isBreak(ch: string | undefined): boolean {
  return ch === '\n' || ch === '\x85' || ch === '\u2028' || ch === '\u2029'
}

/** Characters that count as whitespace around indicators (PyYAML's `'\0 \t\r\n\x85\u2028\u2029'`). */
function isSpaceOrBreak(ch: string | undefined): boolean {
  return ch === '\0' || ch === ' ' || ch === '\t' || ch === '\r' || isBreak(ch)
}

/** Which styles a string may be written in: PyYAML's `ScalarAnalysis`. */
interface ScalarAnalysis {
  empty: boolean
  multiline: boolean
  allowBlockPlain: boolean
  allowSingleQuoted: boolean
  allowBlock: boolean
}

/**
 * PyYAML's `analyze_scalar`, for block context and without `allow_unicode`: looks for indicators that would
 * confuse a plain scalar, for characters that only double quotes can carry, and for the whitespace patterns that
 * rule styles out (leading or trailing spaces, a space just before or just after a line break).
 */
function analyzeScalar(chars: readonly string[]): ScalarAnalysis {
  const length = chars.length
  if (length === 0) {
    return {
      empty: true,
      multiline: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowBlock: false,
    }
  }
  let blockIndicators = false
  let lineBreaks = false
  let specialCharacters = false
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false

  // A scalar starting like a document marker would end the document.
  const head = chars.slice(0, 3).join('')
  if (head === '---' || head === '...') blockIndicators = true

  let precededByWhitespace = true
  let followedByWhitespace = length === 1 || isSpaceOrBreak(chars[1])
  let previousSpace = false
  let previousBreak = false

  for (let index = 0; index < length; index++) {
    const ch = chars[index]!
    if (index === 0) {
      // Characters that mean something at the start of a plain scalar: comments, flow collections, anchors,
      // aliases, tags, block scalars, quotes, directives, reserved characters...
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true
      // ...and `? `, `: `, `- ` (complex key, value, sequence item) when followed by whitespace.
      if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true
    } else {
      // Inside a plain scalar only `: ` and ` #` are a problem (in block context).
      if (ch === ':' && followedByWhitespace) blockIndicators = true
      if (ch === '#' && precededByWhitespace) blockIndicators = true
    }

    if (isBreak(ch)) lineBreaks = true
    // Without allow_unicode, anything but printable ASCII and '\n' needs double quotes and an escape.
    if (!(ch === '\n' || (ch >= ' ' && ch <= '~'))) specialCharacters = true

    if (ch === ' ') {
      if (index === 0) leadingSpace = true
      if (index === length - 1) trailingSpace = true
      if (previousBreak) breakSpace = true
      previousSpace = true
      previousBreak = false
    } else if (isBreak(ch)) {
      if (index === 0) leadingBreak = true
      if (index === length - 1) trailingBreak = true
      if (previousSpace) spaceBreak = true
      previousSpace = false
      previousBreak = true
    } else {
      previousSpace = false
      previousBreak = false
    }

    precededByWhitespace = isSpaceOrBreak(ch)
    followedByWhitespace = index + 2 >= length || isSpaceOrBreak(chars[index + 2])
  }

  let allowBlockPlain = true
  let allowSingleQuoted = true
  let allowBlock = true
  // Leading and trailing whitespace would be lost in a plain scalar.
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false
  // Trailing spaces would be lost in a block scalar.
  if (trailingSpace) allowBlock = false
  // Spaces at the start of a continuation line survive only in block scalars.
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false
  // Spaces before a line break, and special characters, survive only in double quotes.
  if (spaceBreak || specialCharacters) allowBlockPlain = allowSingleQuoted = allowBlock = false
  // PyYAML never writes multi-line plain scalars.
  if (lineBreaks) allowBlockPlain = false
  if (blockIndicators) allowBlockPlain = false

  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted, allowBlock }
}

/** PyYAML's escapes in double-quoted scalars that have a short form. */
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\t': 't',
  '\n': 'n',
  '\x0b': 'v',
  '\x0c': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xa0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
}

/** The escape for one character in a double-quoted scalar: `\n`, `\xE9`, `\u2603`, `\U0001F600` (uppercase hex). */
function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch]
  if (short !== undefined) return `\\${short}`
  const code = ch.codePointAt(0)!
  const hex = code.toString(16).toUpperCase()
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`
  return `\\U${hex.padStart(8, '0')}`
}

/** A scalar ready to be written: its text, the style PyYAML asked for, and whether plain would read back right. */
interface Scalar {
  text: string
  /** `'|'` for strings containing `\n` (the original's representer); `null` otherwise. */
  requestedStyle: '|' | null
  /** PyYAML's `implicit[0]`: a plain scalar with this text resolves to the node's own type. */
  plainReadsBack: boolean
  role: Role
}

/** Where the node being written sits: PyYAML's context flags. */
interface Context {
  root?: boolean
  mapping?: boolean
  simpleKey?: boolean
}

/**
 * The emitter. One instance writes one document. Its fields mirror PyYAML's `Emitter` state:
 * `column` is the current output column; `whitespace` says the last character written was whitespace (so an
 * indicator needs no space before it); `indention` says the current line holds only indentation and indicators
 * (`- `, `? `, `: `) so far; `indent` is the indentation of the current block collection, `null` at the top.
 */
class YamlEmitter {
  private out = ''
  private column = 0
  private whitespace = true
  private indention = true
  private openEnded = false
  private indent: number | null = null
  private readonly indents: (number | null)[] = []
  private rootContext = false
  private mappingContext = false
  private simpleKeyContext = false
  private readonly color: boolean
  private readonly numbers: NumberStyle

  constructor(options: YamlOptions) {
    this.color = options.color
    this.numbers = options.numbers ?? 'source'
  }

  /** Writes one document (without the `---` line, which the caller prints) and returns the text. */
  document(value: JsonValue): string {
    this.node(value, { root: true })
    this.writeIndent() // document end: finish the last line
    // A document whose end could be mistaken for more content (a plain scalar at the root, a `|+` block that
    // keeps trailing blank lines) gets an explicit end marker.
    if (this.openEnded) {
      this.writeIndicator('...', true)
      this.writeIndent()
    }
    return this.out
  }

  // ----- output primitives (PyYAML's write_indicator, write_indent, write_line_break) -----

  /** Appends text, coloured when asked. Never counts columns: the callers do, as PyYAML's writers do. */
  private emit(data: string, role: Role | null): void {
    if (data === '') return
    this.out += this.color && role !== null ? `${COLORS[role]}${data}${RESET}` : data
  }

  private writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    whitespace = false,
    indention = false,
    role: Role = 'punctuation',
  ): void {
    if (!this.whitespace && needWhitespace) {
      this.emit(' ', null)
      this.column += 1
    }
    this.emit(indicator, role)
    this.column += indicator.length
    this.whitespace = whitespace
    this.indention = this.indention && indention
    this.openEnded = false
  }

  /** Moves to the current indentation: a new line unless this line is still only indentation. */
  private writeIndent(): void {
    const indent = this.indent ?? 0
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak()
    }
    if (this.column < indent) {
      this.whitespace = true
      this.emit(' '.repeat(indent - this.column), null)
      this.column = indent
    }
  }

  private writeLineBreak(): void {
    this.whitespace = true
    this.indention = true
    this.column = 0
    this.emit('\n', null)
  }

  /** Appends part of a scalar and counts it. */
  private writeText(data: string, role: Role): void {
    this.emit(data, role)
    this.column += data.length
  }

  private increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent)
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0
    else if (!indentless) this.indent += BEST_INDENT
  }

  private decreaseIndent(): void {
    this.indent = this.indents.pop() ?? null
  }

  // ----- nodes -----

  private node(value: JsonValue, context: Context): void {
    this.rootContext = context.root ?? false
    this.mappingContext = context.mapping ?? false
    this.simpleKeyContext = context.simpleKey ?? false
    if (Array.isArray(value)) {
      if (value.length === 0) this.emptyCollection('[]')
      else this.blockSequence(value)
    } else if (value instanceof Map) {
      if (value.size === 0) this.emptyCollection('{}')
      else this.blockMapping(objectEntries(value))
    } else {
      this.scalar(this.describeScalar(value))
    }
  }

  /** Empty collections are written in flow style even with `default_flow_style=False`. */
  private emptyCollection(brackets: '[]' | '{}'): void {
    this.writeIndicator(brackets[0]!, true, true)
    this.writeIndicator(brackets[1]!, false)
  }

  private blockSequence(items: readonly JsonValue[]): void {
    // A sequence that is a mapping's value starts on the key's column (`key:` / `- item`): PyYAML's
    // "indentless" sequence.
    const indentless = this.mappingContext && !this.indention
    this.increaseIndent(false, indentless)
    for (const item of items) {
      this.writeIndent()
      this.writeIndicator('-', true, false, true)
      this.node(item, {})
    }
    this.decreaseIndent()
  }

  private blockMapping(entries: Iterable<readonly [string, JsonValue]>): void {
    this.increaseIndent(false)
    for (const [key, value] of entries) {
      this.writeIndent()
      const keyScalar = this.describeString(key, 'key')
      if (this.isSimpleKey(key)) {
        this.scalarIn(keyScalar, { mapping: true, simpleKey: true })
        this.writeIndicator(':', false)
      } else {
        // A long, empty or multi-line key cannot be a simple `key: value`; YAML's complex key form is
        // `? key` on one line and `: value` on the next.
        this.writeIndicator('?', true, false, true)
        this.scalarIn(keyScalar, { mapping: true })
        this.writeIndent()
        this.writeIndicator(':', true, false, true)
      }
      this.node(value, { mapping: true })
    }
    this.decreaseIndent()
  }

  /**
   * PyYAML's `check_simple_key` for a string key: shorter than 128 characters including the 5 of its tag
   * (`!!str`, counted although never written), not empty, on one line.
   */
  private isSimpleKey(key: string): boolean {
    const chars = Array.from(key) // Python counts code points
    return chars.length + 5 < 128 && chars.length > 0 && !chars.some(isBreak)
  }

  // ----- scalars -----

  private describeScalar(value: string | JsonNumber | boolean | null): Scalar {
    if (typeof value === 'string') return this.describeString(value, 'string')
    if (value instanceof JsonNumber) {
      return {
        text: this.numberText(value),
        requestedStyle: null,
        plainReadsBack: true,
        role: 'number',
      }
    }
    const text = value === null ? 'null' : value ? 'true' : 'false'
    return { text, requestedStyle: null, plainReadsBack: true, role: 'constant' }
  }

  private describeString(text: string, role: Role): Scalar {
    return {
      text,
      requestedStyle: text.includes('\n') ? '|' : null,
      plainReadsBack: readsBackAsString(text),
      role,
    }
  }

  /** A number as PyYAML's representer writes the Python value, or as its JSON text. */
  private numberText(number: JsonNumber): string {
    if (this.numbers === 'source' || number.isInteger) {
      return this.numbers === 'python' && number.text === '-0' ? '0' : number.text
    }
    const value = number.toNumber()
    if (Number.isNaN(value)) return '.nan'
    if (value === Number.POSITIVE_INFINITY) return '.inf'
    if (value === Number.NEGATIVE_INFINITY) return '-.inf'
    // repr(float).lower(), with '.0' added to an exponent form that has no point: 1e+17 -> 1.0e+17, because
    // YAML 1.1's float pattern requires a point.
    const repr = pythonFloatRepr(value)
    return !repr.includes('.') && repr.includes('e') ? repr.replace('e', '.0e') : repr
  }

  private scalarIn(scalar: Scalar, context: Context): void {
    this.rootContext = context.root ?? false
    this.mappingContext = context.mapping ?? false
    this.simpleKeyContext = context.simpleKey ?? false
    this.scalar(scalar)
  }

  private scalar(scalar: Scalar): void {
    this.increaseIndent(true)
    const chars = Array.from(scalar.text) // Python indexes strings by code point
    const analysis = analyzeScalar(chars)
    const split = !this.simpleKeyContext // keys are never folded
    switch (this.chooseStyle(scalar, analysis)) {
      case 'plain':
        this.writePlain(chars, split, scalar.role)
        break
      case 'literal':
        this.writeLiteral(chars, scalar.role)
        break
      case 'single':
        this.writeSingleQuoted(chars, split, scalar.role)
        break
      case 'double':
        this.writeDoubleQuoted(chars, split, scalar.role)
        break
    }
    this.decreaseIndent()
  }

  /** PyYAML's `choose_scalar_style`, in block context. */
  private chooseStyle(
    scalar: Scalar,
    analysis: ScalarAnalysis,
  ): 'plain' | 'literal' | 'single' | 'double' {
    const simpleKey = this.simpleKeyContext
    if (scalar.requestedStyle === null && scalar.plainReadsBack) {
      if (!(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) {
        return 'plain'
      }
    }
    if (scalar.requestedStyle === '|' && !simpleKey && analysis.allowBlock) return 'literal'
    if (scalar.requestedStyle === null) {
      if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) return 'single'
    }
    return 'double'
  }

  /**
   * A plain scalar. When `split`, a single space past column 80 becomes a line break (a reader folds it back into
   * a space). Plain scalars never contain line breaks here: the analysis rules them out.
   */
  private writePlain(chars: readonly string[], split: boolean, role: Role): void {
    if (this.rootContext) this.openEnded = true
    if (chars.length === 0) return
    if (!this.whitespace) {
      this.emit(' ', null)
      this.column += 1
    }
    this.whitespace = false
    this.indention = false
    let spaces = false
    let start = 0
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end] // undefined one past the end
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent()
            this.whitespace = false
            this.indention = false
          } else {
            this.writeText(chars.slice(start, end).join(''), role)
          }
          start = end
        }
      } else if (ch === undefined || ch === ' ') {
        this.writeText(chars.slice(start, end).join(''), role)
        start = end
      }
      spaces = ch === ' '
    }
  }

  /**
   * A single-quoted scalar: `'` doubled inside. Folded like plain scalars, except never at the first or last
   * space. No line breaks reach it: strings with `\n` ask for the literal style and fall back to double quotes.
   */
  private writeSingleQuoted(chars: readonly string[], split: boolean, role: Role): void {
    this.writeIndicator("'", true, false, false, role)
    let spaces = false
    let start = 0
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end]
      if (spaces) {
        if (ch !== ' ') {
          const foldable = start !== 0 && end !== chars.length
          if (start + 1 === end && this.column > BEST_WIDTH && split && foldable) {
            this.writeIndent()
          } else {
            this.writeText(chars.slice(start, end).join(''), role)
          }
          start = end
        }
      } else if (ch === undefined || ch === ' ' || ch === "'") {
        if (start < end) {
          this.writeText(chars.slice(start, end).join(''), role)
          start = end
        }
      }
      if (ch === "'") {
        this.writeText("''", role)
        start = end + 1
      }
      spaces = ch === ' '
    }
    this.writeIndicator("'", false, false, false, role)
  }

  /**
   * A double-quoted scalar: the style that can carry anything. Non-printable and (without allow_unicode) non-ASCII
   * characters are escaped; long lines are folded with a `\` at the end of the line (an escaped line break) and,
   * when the next line would start with a space, a `\` before it so the space is not taken for indentation.
   */
  private writeDoubleQuoted(chars: readonly string[], split: boolean, role: Role): void {
    this.writeIndicator('"', true, false, false, role)
    const length = chars.length
    let start = 0
    for (let end = 0; end <= length; end++) {
      const ch = chars[end]
      if (
        ch === undefined ||
        ch === '"' ||
        ch === '\\' ||
        ch === '\ufeff' ||
        !(ch >= ' ' && ch <= '~')
      ) {
        if (start < end) {
          this.writeText(chars.slice(start, end).join(''), role)
          start = end
        }
        if (ch !== undefined) {
          this.writeText(escapeChar(ch), role)
          start = end + 1
        }
      }
      if (
        end > 0 &&
        end < length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > BEST_WIDTH &&
        split
      ) {
        this.writeText(`${chars.slice(start, end).join('')}\\`, role)
        if (start < end) start = end
        this.writeIndent()
        this.whitespace = false
        this.indention = false
        if (chars[start] === ' ') this.writeText('\\', role)
      }
    }
    this.writeIndicator('"', false, false, false, role)
  }

  /**
   * PyYAML's `determine_block_hints`: an indentation indicator when the text starts with a space or a line break
   * (the reader could not guess the indentation otherwise), and the chomping indicator: `-` strip (no final line
   * break), none for clip (exactly one), `+` keep (more than one).
   */
  private blockHints(chars: readonly string[]): string {
    let hints = ''
    const first = chars[0]
    if (first === ' ' || isBreak(first)) hints += String(BEST_INDENT)
    if (!isBreak(chars[chars.length - 1])) hints += '-'
    else if (chars.length === 1 || isBreak(chars[chars.length - 2])) hints += '+'
    return hints
  }

  /** A literal block scalar (`|`): the text's lines as they are, indented one level below the key. */
  private writeLiteral(chars: readonly string[], role: Role): void {
    const hints = this.blockHints(chars)
    this.writeIndicator(`|${hints}`, true)
    if (hints.endsWith('+')) this.openEnded = true
    this.writeLineBreak()
    let breaks = true
    let start = 0
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end]
      if (breaks) {
        if (ch === undefined || !isBreak(ch)) {
          for (let i = start; i < end; i++) this.writeLineBreak()
          if (ch !== undefined) this.writeIndent()
          start = end
        }
      } else if (ch === undefined || isBreak(ch)) {
        this.writeText(chars.slice(start, end).join(''), role)
        if (ch === undefined) this.writeLineBreak()
        start = end
      }
      if (ch !== undefined) breaks = isBreak(ch)
    }
  }
}

/**
 * One event as the original's `--pretty-yaml` prints it: a `---` line, then the YAML document. With `color`, the
 * `---` is grey (as the original prints it) and keys, strings, numbers, constants and punctuation are coloured.
 * Ends with a newline.
 */
export function encodeYaml(value: JsonValue, options: YamlOptions): string {
  const separator = options.color ? `${COLORS.punctuation}---${RESET}\n` : '---\n'
  return separator + new YamlEmitter(options).document(value)
}

/**
 * The one error the JSON parser throws, in two wordings:
 *
 * - `'python'` (the default): Python's `json.JSONDecodeError`, message and position included, so the observatory
 *   reports what the original server would: `Expecting ',' delimiter: line 1 column 5 (char 4)`. Lines and columns
 *   count code points, as Python does.
 * - `'plain'`: for people fixing a file they wrote (`observatory install` refusing a settings file):
 *   `expected ',' or '}' but found ']' at line 3, column 5`, `trailing comma before '}'`. Columns count UTF-16
 *   code units, as JavaScript strings (and most editors) do.
 */

/** How {@link JsonSyntaxError}s are worded; see the module comment. */
export type JsonErrorMessages = 'python' | 'plain'

/**
 * Thrown when text is not JSON (or, from `parseJsonBytes`, bytes are not text). The message follows Python's
 * `json.JSONDecodeError` (`Expecting value: line 1 column 1 (char 0)`) or, with `messages: 'plain'`, says what
 * was expected in plain words (`unexpected end of input at line 1, column 1`).
 */
export class JsonSyntaxError extends SyntaxError {
  /** What went wrong, without the location (`Expecting ',' delimiter`, `trailing comma before '}'`). */
  readonly reason: string
  /**
   * Where: an index into the string given to `parseJson` (UTF-16 code units), or a byte offset when the bytes
   * could not be decoded.
   */
  readonly position: number
  /** 1-based line of {@link position}; undefined when bytes could not be decoded (there is no text to count in). */
  readonly line: number | undefined
  /**
   * 1-based column of {@link position}: in code points with Python's messages, in UTF-16 code units with plain
   * ones; undefined when bytes could not be decoded.
   */
  readonly column: number | undefined

  constructor(
    reason: string,
    position: number,
    message: string = `${reason} (char ${position})`,
    line?: number,
    column?: number,
  ) {
    super(message)
    this.name = 'JsonSyntaxError'
    this.reason = reason
    this.position = position
    this.line = line
    this.column = column
  }
}

/** What the parser found wrong, before it is worded. */
export type SyntaxProblem =
  /** No value where one must start (Python: `Expecting value`). */
  | 'value'
  /** Something after the document's value (`Extra data`). */
  | 'extra'
  /** No `"` where a property name must start. */
  | 'property-name'
  /** No `:` after a property name. */
  | 'colon'
  /** Neither `,` nor `]` after an array item. */
  | 'array-delimiter'
  /** Neither `,` nor `}` after an object member. */
  | 'object-delimiter'
  /** The text ends inside a string (`at` is the opening quote). */
  | 'unterminated'
  /** The text ends just after a backslash inside a string (`at` is the backslash). */
  | 'unterminated-escape'
  /** A raw control character (U+0000..U+001F) inside a string. */
  | 'control-character'
  /** A backslash followed by a character that is no escape (`at` is the backslash). */
  | 'escape'
  /** `\u` not followed by four hex digits (`at` is the backslash). */
  | 'unicode-escape'
  /** `\uXXXX` with nothing after it: Python wants one more character before it reads the digits. */
  | 'unicode-escape-at-end'
  /** Arrays and objects nested deeper than `maxDepth`. */
  | 'depth'
  /** A string that starts with U+FEFF (`json.loads` refuses a str with a byte order mark). */
  | 'byte-order-mark'

const LF = 0x0a
const WHITESPACE = /[ \t\r\n]/

/** What went wrong and where, in one wording: the error's `reason` and `position`. */
interface Wording {
  reason: string
  position: number
}

/**
 * Builds the error for `problem` found at index `at` of `text`. `quote` is the opening quote of the string being
 * read (string problems only); `maxDepth` the nesting limit (for `'depth'`).
 */
export function syntaxError(
  problem: SyntaxProblem,
  text: string,
  at: number,
  quote: number,
  maxDepth: number,
  messages: JsonErrorMessages,
): JsonSyntaxError {
  if (messages === 'plain') {
    const { reason, position } = plainWording(problem, text, at, quote, maxDepth)
    // Lines end at '\n'; the column counts UTF-16 code units from the line's start.
    let line = 1
    let lineStart = 0
    for (let i = 0; i < position && i < text.length; i++) {
      if (text.charCodeAt(i) === LF) {
        line++
        lineStart = i + 1
      }
    }
    const column = position - lineStart + 1
    return new JsonSyntaxError(
      reason,
      position,
      `${reason} at line ${line}, column ${column}`,
      line,
      column,
    )
  }
  const { reason, position } = pythonWording(problem, at, quote, maxDepth)
  return pythonError(reason, text, position)
}

/**
 * Builds the error with Python's `line L column C (char P)` suffix. Python counts code points where JavaScript
 * counts UTF-16 code units, so the message recounts: an emoji before the error is one character to Python, two
 * units here. `position` itself stays a code-unit index, the one `text.slice` understands.
 */
function pythonError(reason: string, text: string, position: number): JsonSyntaxError {
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
    line,
    column,
  )
}

/** Python's `json` module's words, and the position it reports. */
function pythonWording(
  problem: SyntaxProblem,
  at: number,
  quote: number,
  maxDepth: number,
): Wording {
  switch (problem) {
    case 'value':
      return { reason: 'Expecting value', position: at }
    case 'extra':
      return { reason: 'Extra data', position: at }
    case 'property-name':
      return { reason: 'Expecting property name enclosed in double quotes', position: at }
    case 'colon':
      return { reason: "Expecting ':' delimiter", position: at }
    case 'array-delimiter':
    case 'object-delimiter':
      return { reason: "Expecting ',' delimiter", position: at }
    case 'unterminated':
    case 'unterminated-escape':
      return { reason: 'Unterminated string starting at', position: quote }
    case 'control-character':
      return { reason: 'Invalid control character at', position: at }
    case 'escape':
      return { reason: 'Invalid \\escape', position: at }
    case 'unicode-escape':
    case 'unicode-escape-at-end':
      return { reason: 'Invalid \\uXXXX escape', position: at + 1 } // Python points at the 'u'
    case 'depth':
      return { reason: `Nesting deeper than ${maxDepth} levels`, position: at }
    case 'byte-order-mark':
      return { reason: 'Unexpected UTF-8 BOM (decode using utf-8-sig)', position: at }
  }
}

/** A character as an error message shows it: quoted, or named when it is invisible. */
function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'end of input'
  const code = ch.codePointAt(0) ?? 0
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).padStart(4, '0')}`
  return `'${ch}'`
}

/** Plain words, naming the character found. */
function plainWording(
  problem: SyntaxProblem,
  text: string,
  at: number,
  quote: number,
  maxDepth: number,
): Wording {
  const found = describeChar(text[at])
  const here = (reason: string): Wording => ({ reason, position: at })
  switch (problem) {
    case 'value': {
      const ch = text[at]
      if (ch === undefined) return here('unexpected end of input')
      if (ch === '-') return here('invalid number')
      // A value is expected after '[' (where ']' would have ended an empty array), ':' and ',' — so a ']' here
      // that follows a ',' closes an array right after a comma.
      if (ch === ']' && text[lastNonWhitespace(text, at)] === ',') {
        return here("trailing comma before ']'")
      }
      return here(`unexpected ${found}`)
    }
    case 'extra':
      return here(`unexpected ${found} after the end of the JSON value`)
    case 'property-name':
      // '}' right after '{' is an empty object; anywhere else a property name is expected, it follows a ','.
      if (text[at] === '}') return here("trailing comma before '}'")
      return here(`expected a property name in double quotes but found ${found}`)
    case 'colon':
      return here(`expected ':' after a property name but found ${found}`)
    case 'array-delimiter':
      return here(`expected ',' or ']' but found ${found}`)
    case 'object-delimiter':
      return here(`expected ',' or '}' but found ${found}`)
    case 'unterminated':
    case 'unterminated-escape':
      return here('unterminated string')
    case 'unicode-escape-at-end':
      return { reason: 'unterminated string', position: quote }
    case 'control-character':
      return here(`unescaped ${found} in a string`)
    case 'escape':
      return here(`invalid escape \\${text[at + 1]} in a string`)
    case 'unicode-escape':
      return here('invalid \\u escape in a string')
    case 'depth':
      return here(`nesting deeper than ${maxDepth} levels`)
    case 'byte-order-mark':
      return here(`unexpected ${found}`)
  }
}

/** Index of the last character before `at` that is not JSON whitespace (-1 if none). */
function lastNonWhitespace(text: string, at: number): number {
  let i = at - 1
  while (i >= 0 && WHITESPACE.test(text[i]!)) i--
  return i
}

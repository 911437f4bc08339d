/**
 * JSON for the event viewer, exact: numbers keep their text (`12345678901234567890123` and `1.0` stay as sent,
 * which JSON.parse would round or shorten), keys keep their order, strings are decoded. Pure (no DOM).
 */

export type JsonNode =
  | { kind: 'object'; entries: [key: string, value: JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'literal'; raw: 'true' | 'false' | 'null' }

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const SPACE = /[ \t\n\r]*/y

/** Parses RFC 8259 JSON; throws a SyntaxError naming the offset. */
export function parseJson(text: string): JsonNode {
  let at = 0
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${at}`)
  }
  const space = (): void => {
    SPACE.lastIndex = at
    SPACE.exec(text)
    at = SPACE.lastIndex
  }
  const string = (): string => {
    const start = at
    at++ // the opening quote
    for (;;) {
      const c = text.charCodeAt(at)
      if (Number.isNaN(c)) fail('unterminated string')
      if (c === 0x22) break
      at += c === 0x5c ? 2 : 1
    }
    at++
    return JSON.parse(text.slice(start, at)) as string
  }
  const value = (): JsonNode => {
    space()
    const c = text[at]
    if (c === '{') {
      at++
      const entries: [string, JsonNode][] = []
      space()
      if (text[at] === '}') {
        at++
        return { kind: 'object', entries }
      }
      for (;;) {
        space()
        if (text[at] !== '"') fail('expected a key')
        const key = string()
        space()
        if (text[at] !== ':') fail('expected ":"')
        at++
        entries.push([key, value()])
        space()
        if (text[at] === ',') {
          at++
          continue
        }
        if (text[at] === '}') {
          at++
          return { kind: 'object', entries }
        }
        fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      at++
      const items: JsonNode[] = []
      space()
      if (text[at] === ']') {
        at++
        return { kind: 'array', items }
      }
      for (;;) {
        items.push(value())
        space()
        if (text[at] === ',') {
          at++
          continue
        }
        if (text[at] === ']') {
          at++
          return { kind: 'array', items }
        }
        fail('expected "," or "]"')
      }
    }
    if (c === '"') return { kind: 'string', value: string() }
    for (const raw of ['true', 'false', 'null'] as const) {
      if (text.startsWith(raw, at)) {
        at += raw.length
        return { kind: 'literal', raw }
      }
    }
    NUMBER.lastIndex = at
    const number = NUMBER.exec(text)
    if (number === null) return fail('unexpected character')
    at = NUMBER.lastIndex
    return { kind: 'number', raw: number[0] }
  }
  const root = value()
  space()
  if (at !== text.length) fail('unexpected text after the value')
  return root
}

/** The node as indented JSON (two spaces), numbers as they were written, non-ASCII characters as themselves. */
export function prettyJson(node: JsonNode, indent = ''): string {
  const inner = `${indent}  `
  switch (node.kind) {
    case 'object':
      if (node.entries.length === 0) return '{}'
      return `{\n${node.entries
        .map(([key, value]) => `${inner}${JSON.stringify(key)}: ${prettyJson(value, inner)}`)
        .join(',\n')}\n${indent}}`
    case 'array':
      if (node.items.length === 0) return '[]'
      return `[\n${node.items.map((item) => `${inner}${prettyJson(item, inner)}`).join(',\n')}\n${indent}]`
    case 'string':
      return JSON.stringify(node.value)
    default:
      return node.raw
  }
}

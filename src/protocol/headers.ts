/**
 * Header fields as received: names and values kept byte-for-byte (as latin1 strings), in order, with a
 * case-insensitive look-up. RFC 9110 §5.1: field names are case-insensitive; §5.3: a recipient may combine
 * several field lines with the same name into one value joined by ", " (except Set-Cookie, §5.3 note).
 *
 * Stored as one flat array `[name0, value0, name1, value1, …]` instead of an object per field: a request with
 * ten headers costs one array, not ten tuples (httparse and llhttp hand out the same flat shape).
 */
export class HeaderFields implements Iterable<[string, string]> {
  /** Flat `[name, value, name, value, …]`, exactly as received (names not lower-cased). */
  readonly raw: string[]

  constructor(raw: string[] = []) {
    this.raw = raw
  }

  /** Build from pairs or a record (a record's array values become repeated fields). */
  static from(init: HeaderInit | undefined): HeaderFields {
    if (init instanceof HeaderFields) return init
    const raw: string[] = []
    if (init === undefined) return new HeaderFields(raw)
    if (Array.isArray(init)) {
      for (const [n, v] of init as ReadonlyArray<readonly [string, string]>) raw.push(n, v)
    } else {
      for (const [n, v] of Object.entries(init as Record<string, string | readonly string[]>)) {
        if (typeof v === 'string') raw.push(n, v)
        else for (const one of v) raw.push(n, one)
      }
    }
    return new HeaderFields(raw)
  }

  /** Number of field lines. */
  get size(): number {
    return this.raw.length >> 1
  }

  /** Index in `raw` of the first field named `name` (any case), or -1. */
  indexOf(name: string, from = 0): number {
    const raw = this.raw
    const len = name.length
    for (let i = from; i < raw.length; i += 2) {
      const n = raw[i]!
      // why: comparing lengths first rejects almost every other field without touching its bytes (undici).
      if (n.length === len && (n === name || n.toLowerCase() === name.toLowerCase())) return i
    }
    return -1
  }

  /** True when at least one field line has this name. */
  has(name: string): boolean {
    return this.indexOf(name) !== -1
  }

  /**
   * The field's value; several lines with the same name are combined with ", " (RFC 9110 §5.3).
   * `undefined` when absent.
   */
  get(name: string): string | undefined {
    let i = this.indexOf(name)
    if (i === -1) return undefined
    let value = this.raw[i + 1]!
    for (i = this.indexOf(name, i + 2); i !== -1; i = this.indexOf(name, i + 2)) {
      value += `, ${this.raw[i + 1]!}`
    }
    return value
  }

  /** Every value of this field, one per field line, in order. */
  getAll(name: string): string[] {
    const out: string[] = []
    for (let i = this.indexOf(name); i !== -1; i = this.indexOf(name, i + 2))
      out.push(this.raw[i + 1]!)
    return out
  }

  /** Field lines as `[name, value]` pairs, in the order received. */
  *[Symbol.iterator](): Iterator<[string, string]> {
    const raw = this.raw
    for (let i = 0; i < raw.length; i += 2) yield [raw[i]!, raw[i + 1]!]
  }

  /** A plain object with lower-cased names; repeated fields combined with ", ". */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {}
    const raw = this.raw
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!.toLowerCase()
      const prev = out[key]
      out[key] = prev === undefined ? raw[i + 1]! : `${prev}, ${raw[i + 1]!}`
    }
    return out
  }
}

/** What an application may pass as headers. */
export type HeaderInit =
  | HeaderFields
  | ReadonlyArray<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[]>>

/**
 * The JSON values of the whole project: what the parser returns, what the encoders and the YAML writer take, what
 * `install` edits.
 *
 * - Objects are `Map`s ({@link JsonObject}). A `Map` remembers insertion order, and `map.set(k, v)` on a key that is
 *   already there keeps the key where it was and replaces the value: exactly what a Python `dict` does, so
 *   duplicate keys come out the way `json.loads` resolves them (the last value wins, at the first key's position),
 *   and integer-like keys (`"10"`) stay where they were written, which a JavaScript object would not do.
 * - Numbers are {@link JsonNumber}s: their source text, so `1.0` and `12345678901234567890123` survive a round trip.
 * - An object read with `duplicateKeys: 'keep'` (see `ParseJsonOptions`) that repeats a key also remembers its
 *   entries as written ({@link objectEntries}), so that writing it back loses none of them.
 *
 * Everything here is pure: no I/O.
 */

/** A JSON object: keys in insertion order, as a Python `dict` keeps them. */
export type JsonObject = Map<string, JsonValue>
/** A JSON array. */
export type JsonArray = JsonValue[]
/** Any JSON value. Numbers are {@link JsonNumber}s so their exact text survives a round trip. */
export type JsonValue = JsonObject | JsonArray | string | JsonNumber | boolean | null

interface JsonObjectConstructor {
  new (entries?: Iterable<readonly [string, JsonValue]> | null): JsonObject
  readonly prototype: JsonObject
}

/**
 * `new JsonObject([['type', 'http'], …])` builds a JSON object, and `value instanceof JsonObject` tests for one. It
 * is `Map` itself: a parsed object and one built by hand are the same kind of value.
 */
export const JsonObject: JsonObjectConstructor = Map

/**
 * What a number token may look like: RFC 8259's grammar, plus the three names Python's `json` module reads and
 * writes for the floats JSON has no syntax for.
 */
const NUMBER_TEXT = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|NaN|-?Infinity)$/

/** Known only to this folder: see the JsonNumber constructor. */
export const CHECKED: unique symbol = Symbol('number text checked by the parser')

/**
 * A JSON number, kept as the exact text it was written with (`1.0`, `-0`, `1e400`, `12345678901234567890123`).
 * Arithmetic is not the point: the observatory only passes numbers through, so it keeps them verbatim.
 */
export class JsonNumber {
  /** The number's source text, always a valid JSON number or one of `NaN`, `Infinity`, `-Infinity`. */
  readonly text: string

  /**
   * @param text a JSON number (or `NaN`, `Infinity`, `-Infinity`).
   * @param proof internal: the parser passes a private symbol to say "my grammar already checked this", which
   *   skips the regular-expression check (a measurable cost on number-heavy megabytes).
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
    // why: a pid, uid and gid per event; a safe integer's String() is valid number text, so the regexp check
    // is skipped (14 ns against 33: bench/event-path.bench.ts).
    if (Number.isSafeInteger(value)) return new JsonNumber(String(value), CHECKED)
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

// ---------------------------------------------------------------------------------------------------------------
// Objects whose compact encoding is known
// ---------------------------------------------------------------------------------------------------------------

/**
 * A JSON object that carries its own compact encoding: `encodeJson` (default options) returns `encoded` instead of
 * walking the object. The observatory builds one per hook event whose payload bytes were already in the encoder's
 * form, with those bytes copied into the line (server/event.ts), so the payload is never encoded again.
 *
 * `set`, `delete` and `clear` forget the encoding (the object is then encoded like any other). Values nested in
 * it are not watched: whoever builds one hands it on unchanged, or changes it only through those three methods.
 * It is a `Map` in every other respect (`instanceof Map`), with its own prototype.
 */
export class EncodedObject extends Map<string, JsonValue> {
  /** The compact JSON of this object as `encodeJson` would write it; undefined once the object was changed. */
  encoded: string | undefined = undefined

  override set(key: string, value: JsonValue): this {
    this.encoded = undefined
    return super.set(key, value)
  }

  override delete(key: string): boolean {
    this.encoded = undefined
    return super.delete(key)
  }

  override clear(): void {
    this.encoded = undefined
    super.clear()
  }

  /** Add an entry while building, keeping the encoding (the caller wrote it into `encoded`). */
  put(key: string, value: JsonValue): void {
    super.set(key, value)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Objects that repeat a key
// ---------------------------------------------------------------------------------------------------------------

/**
 * One entry of an object as it was written. An occurrence of a key that a later one overrides keeps its own
 * `value`; the last occurrence of each key has none: its value is the map's, whatever it has been set to since.
 */
interface WrittenEntry {
  readonly key: string
  readonly value?: JsonValue
}

const WRITTEN: unique symbol = Symbol('entries as written')

/** An object that may carry its entries as written (non-enumerable, so `assert.deepEqual` does not see it). */
type Recorded = JsonObject & { [WRITTEN]?: readonly WrittenEntry[] }

/**
 * Whether any object in this process has carried entries as written. The server never reads with
 * `duplicateKeys: 'keep'`, so {@link objectEntries} does not even look for them there (the encoders call it for
 * every object of every event).
 */
let anyWritten = false

function attach(object: JsonObject, written: readonly WrittenEntry[]): void {
  anyWritten = true
  Object.defineProperty(object, WRITTEN, { value: written, enumerable: false })
}

/**
 * Called by the parser (`duplicateKeys: 'keep'`) once an object is complete, with its entries in the order they
 * were written, when there were more entries than keys. `object` already holds the last value of each key.
 */
export function recordWrittenEntries(
  object: JsonObject,
  entries: readonly (readonly [string, JsonValue])[],
): void {
  const written: WrittenEntry[] = new Array(entries.length)
  const seen = new Set<string>()
  for (let i = entries.length - 1; i >= 0; i--) {
    const [key, value] = entries[i]!
    written[i] = seen.has(key) ? { key, value } : { key }
    seen.add(key)
  }
  attach(object, written)
}

/**
 * The entries to write for an object. Almost always the map itself (no copy). For an object read with
 * `duplicateKeys: 'keep'` that repeats a key: every entry as written, in its place, each key's last occurrence
 * with the map's current value. Edits since are honoured as they would be on the written text: a key set to a new
 * value keeps its place, a deleted key is gone with all its occurrences, a new key comes last. (A key deleted
 * and then set again is written at its old place.)
 */
export function objectEntries(object: JsonObject): Iterable<readonly [string, JsonValue]> {
  if (!anyWritten) return object
  const written = (object as Recorded)[WRITTEN]
  if (written === undefined) return object
  const entries: (readonly [string, JsonValue])[] = []
  const listed = new Set<string>()
  for (const entry of written) {
    listed.add(entry.key)
    const current = object.get(entry.key)
    if (current === undefined) continue // deleted since
    entries.push([entry.key, entry.value === undefined ? current : entry.value])
  }
  for (const entry of object) if (!listed.has(entry[0])) entries.push(entry)
  return entries
}

/**
 * The keys an object read with `duplicateKeys: 'keep'` has written more than once, each listed once, in the order
 * their second occurrences appear. Empty for every other object (a map cannot hold a key twice).
 */
export function duplicateKeys(object: JsonObject): string[] {
  const written = (object as Recorded)[WRITTEN]
  if (written === undefined) return []
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const { key } of written) {
    if (!object.has(key)) continue // deleted since, with all its occurrences
    if (seen.has(key)) duplicates.add(key)
    seen.add(key)
  }
  return [...duplicates]
}

/**
 * A deep copy: objects and arrays are fresh (an object's entries as written too); strings, numbers and literals
 * are immutable anyway.
 */
export function cloneJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(cloneJson)
  if (value instanceof Map) {
    const copy: JsonObject = new Map()
    for (const [key, item] of value) copy.set(key, cloneJson(item))
    const written = (value as Recorded)[WRITTEN]
    if (written !== undefined) {
      attach(
        copy,
        written.map((entry) =>
          entry.value === undefined ? entry : { key: entry.key, value: cloneJson(entry.value) },
        ),
      )
    }
    return copy
  }
  return value
}

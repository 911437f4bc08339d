/**
 * Bytes in: how Python's `json.loads(bytes)` picks an encoding (`json.detect_encoding`), decodes (with the
 * `surrogatepass` error handler), then parses. Pure: bytes in, values out.
 */
import { isAscii } from 'node:buffer'
import {
  type CanonicalParse,
  type ParseJsonOptions,
  parseCanonicalJson,
  parseDecodedJson,
} from './parse.ts'
import { JsonSyntaxError } from './syntax-error.ts'
import type { JsonValue } from './values.ts'

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
 * (`parseJson`). Unlike `parseJson`, a UTF-8 byte order mark is fine here: it selects `utf-8-sig`.
 *
 * @throws JsonSyntaxError on bytes that do not decode and on text that is not JSON.
 */
export function parseJsonBytes(bytes: Uint8Array, options: ParseJsonOptions = {}): JsonValue {
  return parseDecodedJson(decodeJsonBytes(bytes), options)
}

/**
 * {@link parseJsonBytes} (same values, same errors) that also says whether the value's decoded text is already
 * what `encodeJson` writes for it (see `parseCanonicalJson`), and returns that text.
 *
 * why the ASCII shortcut: hook bodies are ASCII JSON in practice. For those, `json.detect_encoding` says UTF-8
 * whenever neither of the first two bytes is 0, and UTF-8 of ASCII is Latin-1: one native `isAscii` scan and a
 * Latin-1 slice replace encoding detection and the strict UTF-8 TextDecoder (0.16× the time for the 400-byte
 * benchmark body: bench/event-path.bench.ts).
 */
export function parseJsonBytesCanonical(
  bytes: Uint8Array,
  options: ParseJsonOptions = {},
): CanonicalParse {
  const text =
    bytes.length > 0 && bytes[0] !== 0 && (bytes.length < 2 || bytes[1] !== 0) && isAscii(bytes)
      ? latin1(bytes)
      : decodeJsonBytes(bytes)
  return parseCanonicalJson(text, options)
}

/** Bytes as Latin-1 characters (for ASCII: the same characters as UTF-8), without copying a Buffer first. */
function latin1(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString('latin1', 0, bytes.length)
}

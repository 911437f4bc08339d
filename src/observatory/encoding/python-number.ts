/**
 * Numbers as Python prints them: what `json.dumps(json.loads(text))` writes for a number, and Python's `repr()` of
 * a float. The encoders and the YAML writer use these with `numbers: 'python'`.
 */
import type { JsonNumber } from './values.ts'

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

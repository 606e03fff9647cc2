/**
 * Reads a batch body `{"points": [[lon, lat], …]}` straight from its bytes
 * into one Float64Array of interleaved lon/lat: no string of the whole body,
 * no array per point, no boxed number. A million points parse in a fraction
 * of what JSON.parse (then secure-json-parse's scan) takes for the same body.
 *
 * Only that exact shape is read — one key, "points", whose value is an array
 * of two-number arrays, JSON whitespace anywhere. Anything else (another key,
 * a string, a third coordinate, broken JSON) returns null and the body goes to
 * the generic secure parser, which gives the usual answers and error messages.
 *
 * Why this is safe without secure-json-parse: prototype poisoning needs an
 * object with a `__proto__` or `constructor` key that later code merges or
 * reads. The only key this reader accepts is the literal "points" (compared
 * byte by byte, no escapes), and the only things it builds are numbers in a
 * typed array, so no object of the client's shape ever exists.
 */

import { nextTurn, SLICE } from '../next-turn.ts'

/** Exact powers of ten: m · 10^k and m / 10^k are correctly rounded for m < 2^53, |k| ≤ 22. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`))
const POINTS_KEY = [0x22, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x73, 0x22] // "points"

export function scanPointsJson(bytes: Buffer): Float64Array | null {
  const scanner = new PointsScanner(bytes)
  let step: Step
  while ((step = scanner.step(Infinity)) === MORE);
  return step === DONE ? scanner.result() : null
}

/**
 * The same, `slice` points at a time with the event loop free in between: a
 * million points take most of a second to read, which other requests should
 * not wait for (nor the load shedding take for overload).
 */
export async function scanPointsJsonInSlices(bytes: Buffer, slice = SLICE): Promise<Float64Array | null> {
  const scanner = new PointsScanner(bytes)
  for (;;) {
    const step = scanner.step(slice)
    if (step === FAIL) return null
    if (step === DONE) return scanner.result()
    await nextTurn()
  }
}

const FAIL = 0
const MORE = 1
const DONE = 2
type Step = typeof FAIL | typeof MORE | typeof DONE

class PointsScanner {
  private at = 0
  private out = new Float64Array(1024)
  private n = 0
  private started = false

  constructor(private readonly b: Buffer) {}

  /** Reads up to `max` more points. */
  step(max: number): Step {
    if (!this.started) {
      if (!this.expect(0x7b) || !this.key() || !this.expect(0x3a) || !this.expect(0x5b)) return FAIL // { "points" : [
      this.started = true
      if (this.peek() === 0x5d) return (this.at++, this.end()) // ]: no points
    }
    for (let k = 0; k < max; k++) {
      if (!this.expect(0x5b) || !this.number() || !this.expect(0x2c) || !this.number() || !this.expect(0x5d)) return FAIL // [ n , n ]
      const c = this.peek()
      this.at++
      if (c === 0x5d) return this.end() // ]
      if (c !== 0x2c) return FAIL // ,
    }
    return MORE
  }

  result(): Float64Array {
    return this.out.subarray(0, this.n)
  }

  /** After the array: the closing brace, then nothing. */
  private end(): Step {
    if (!this.expect(0x7d)) return FAIL // }
    return this.peek() === -1 ? DONE : FAIL
  }

  /** The next byte after whitespace (−1 at the end), not consumed. */
  private peek(): number {
    const b = this.b
    let c = b[this.at]
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.at]
    return c ?? -1
  }

  private expect(byte: number): boolean {
    if (this.peek() !== byte) return false
    this.at++
    return true
  }

  private key(): boolean {
    this.peek()
    for (let k = 0; k < POINTS_KEY.length; k++) if (this.b[this.at + k] !== POINTS_KEY[k]) return false
    this.at += POINTS_KEY.length
    return true
  }

  /** One JSON number, appended to the output; false when the bytes are not one. */
  private number(): boolean {
    const b = this.b
    const start = (this.peek(), this.at)
    let i = start
    const negative = b[i] === 0x2d
    if (negative) i++
    let mantissa = 0
    let digits = 0
    let c = b[i]!
    if (c === 0x30) (i++, digits++) // a leading 0 stands alone
    else if (c >= 0x31 && c <= 0x39) {
      for (; c >= 0x30 && c <= 0x39; c = b[++i]!) (mantissa = mantissa * 10 + (c - 0x30)), digits++
    } else return false
    let exponent = 0
    if (b[i] === 0x2e) {
      c = b[++i]!
      if (!(c >= 0x30 && c <= 0x39)) return false
      for (; c >= 0x30 && c <= 0x39; c = b[++i]!) (mantissa = mantissa * 10 + (c - 0x30)), digits++, exponent--
    }
    c = b[i]!
    if (c === 0x65 || c === 0x45) {
      c = b[++i]!
      const minus = c === 0x2d
      if (minus || c === 0x2b) c = b[++i]!
      if (!(c >= 0x30 && c <= 0x39)) return false
      let e = 0
      for (; c >= 0x30 && c <= 0x39; c = b[++i]!) e = e < 1e6 ? e * 10 + (c - 0x30) : e
      exponent += minus ? -e : e
    }
    this.at = i
    let value: number
    // Clinger's fast path: ≤ 15 digits fit a double exactly, and one correctly
    // rounded operation by an exact power of ten gives the correctly rounded value.
    if (digits <= 15 && exponent >= -22 && exponent <= 22) {
      value = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!
      if (negative) value = -value
    } else value = Number(b.toString('latin1', start, i)) // the engine's own (correctly rounded) conversion
    this.push(value)
    return true
  }

  private push(value: number) {
    if (this.n === this.out.length) {
      const grown = new Float64Array(this.out.length * 2)
      grown.set(this.out)
      this.out = grown
    }
    this.out[this.n++] = value
  }
}

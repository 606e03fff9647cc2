import { describe, expect, it } from 'vitest'
import { createRng } from '../../server/demo/prng.ts'
import { scanPointsJson } from '../../server/lookup/points-json.ts'

const scan = (text: string) => scanPointsJson(Buffer.from(text))
/** What JSON.parse makes of the same body, interleaved. */
const parsed = (text: string) => Float64Array.from((JSON.parse(text) as { points: number[][] }).points.flat())

describe('scanPointsJson', () => {
  it('reads every number bit for bit as JSON.parse does', () => {
    const rng = createRng('points-json')
    const numbers: number[] = []
    for (let k = 0; k < 50_000; k++) {
      const x = rng.range(-180, 180)
      // Full doubles (17 digits, the slow path), rounded ones (the fast path), tiny, huge and integral ones.
      numbers.push(x, +x.toFixed(k % 10), x * 1e-12, x * 1e12, Math.round(x), x / 3e30)
    }
    const pairs = []
    for (let k = 0; k + 1 < numbers.length; k += 2) pairs.push([numbers[k]!, numbers[k + 1]!])
    const text = JSON.stringify({ points: pairs })
    const got = scan(text)!
    const want = parsed(text)
    const differ = want.filter((v, k) => !Object.is(got[k], v)).length
    expect([got.length, differ]).toEqual([want.length, 0])
  })

  it('reads every JSON number form: signs, exponents, zeros, long mantissas, whitespace', () => {
    const forms = ['0', '-0', '0.5', '-0.000001', '1e2', '1E+2', '1e-2', '-1.5e-300', '12345678901234567890', '1.7976931348623157e308', '1e400',
      '5e-324', '0.30000000000000004', '123456789012345.6', '9007199254740993', '113.71234567890123', '22.9']
    const text = `\n { "points" :\t[ ${forms.map((f, k) => `[ ${f} ,${forms[(k + 1) % forms.length]}]`).join(' , ')} ] }\r\n`
    const got = scan(text)!
    const want = parsed(text)
    expect(got).toHaveLength(want.length)
    for (let k = 0; k < want.length; k++) expect(Object.is(got[k], want[k]), `${forms[k >> 1]}: ${got[k]} vs ${want[k]}`).toBe(true)
    expect(scan('{"points":[]}')).toEqual(new Float64Array(0))
  })

  it('leaves every other body to the generic parser', () => {
    for (const text of [
      '', '{}', '[]', '{"points":[[1,2]],"extra":1}', '{"extra":1,"points":[[1,2]]}', '{"points":[[1,2,3]]}', '{"points":[[1]]}',
      '{"points":[["1",2]]}', '{"points":[[1,2],]}', '{"points":[[1,2]]} x', '{"points":[[01,2]]}', '{"points":[[1.,2]]}', '{"points":[[.5,2]]}',
      '{"points":[[+1,2]]}', '{"points":[[1e,2]]}', '{"points":[[NaN,2]]}', '{"points":[[1,2]]', '{"p\\u006fints":[[1,2]]}', '{"points":null}',
      '{"__proto__":{"points":[[1,2]]}}', '{"points":[[1,2]],"__proto__":{"x":1}}', '{"points":[[1,2] [3,4]]}',
    ]) expect(scan(text), text).toBeNull()
  })
})

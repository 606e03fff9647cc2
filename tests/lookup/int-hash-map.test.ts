import { describe, expect, it } from 'vitest'
import { IntHashMap } from '../../server/lookup/int-hash-map.ts'
import { createRng } from '../../server/demo/prng.ts'

describe('IntHashMap', () => {
  it('answers like a Map through growth, overwrites and misses', () => {
    const rng = createRng('int-hash-map')
    const map = new IntHashMap(4) // grows many times
    const expected = new Map<number, number>()
    for (let n = 0; n < 50_000; n++) {
      // Dense runs and scattered keys, up to the largest allowed key, and repeats.
      const key = n % 3 === 0 ? 1 + (n >> 2) : 1 + Math.floor(rng.next() * 0x7ffffffe)
      const value = Math.floor(rng.next() * 2 ** 32) - 2 ** 31
      map.set(key, value)
      expected.set(key, value)
    }
    map.set(0x7fffffff, -7)
    expected.set(0x7fffffff, -7)
    expect(map.size).toBe(expected.size)
    for (const [key, value] of expected) expect(map.get(key)).toBe(value)
    let misses = 0
    for (let n = 0; n < 20_000; n++) {
      const key = 1 + Math.floor(rng.next() * 0x7ffffffe)
      if (expected.has(key)) continue
      misses++
      expect(map.get(key)).toBeUndefined()
      expect(map.has(key)).toBe(false)
    }
    expect(misses).toBeGreaterThan(19_000)
  })

  it('refuses keys it cannot store', () => {
    const map = new IntHashMap()
    for (const key of [0, -1, 1.5, 0x80000000, Number.NaN]) expect(() => map.set(key, 1)).toThrow(/Unexpected key value/)
    expect(map.size).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import { coefficientOfVariation, extremes, gini, median, shareBeyond, spread } from '../../server/analytics/balance.ts'
import { toCsv } from '../../server/analytics/csv-table.ts'

/** Gini by its definition: mean absolute difference over all ordered pairs, divided by twice the mean. */
function giniByPairs(xs: number[]): number {
  const n = xs.length
  const mean = xs.reduce((a, b) => a + b, 0) / n
  let sum = 0
  for (const a of xs) for (const b of xs) sum += Math.abs(a - b)
  return sum / (2 * n * n * mean)
}

/** A seeded generator (mulberry32), so a failure is reproducible. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('balance', () => {
  it('computes the Gini coefficient in sorted form equal to the pairwise definition', () => {
    expect(gini([1, 1, 1, 1])).toBe(0)
    expect(gini([0, 0, 0, 10])).toBeCloseTo(0.75, 12) // one of four carries everything: (n − 1) / n
    expect(gini([1, 2, 3, 4, 5])).toBeCloseTo(giniByPairs([1, 2, 3, 4, 5]), 12)
    const rnd = random(42)
    for (let trial = 0; trial < 20; trial++) {
      const xs = Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => Math.round(rnd() * 1000) / 10)
      if (xs.every((x) => x === 0)) continue
      expect(gini(xs)).toBeCloseTo(giniByPairs(xs), 10)
    }
  })

  it('answers null where a statistic is undefined, and refuses negative or non-finite values', () => {
    expect(gini([])).toBeNull()
    expect(gini([0, 0])).toBeNull()
    expect(coefficientOfVariation([0, 0])).toBeNull()
    expect(median([])).toBeNull()
    expect(spread([])).toEqual({ n: 0, mean: null, median: null, gini: null, cv: null, maxOverMedian: null, shareBeyondBand: null })
    expect(() => gini([1, -2])).toThrow(/Unexpected value: -2/)
    expect(() => spread([1, Number.NaN])).toThrow(/Unexpected value: NaN/)
    expect(() => extremes([], -1, 0)).toThrow(/Unexpected limit value: -1/)
  })

  it('gives CV, max/median and the share beyond ±25 % of the mean', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9] // mean 5, population sd 2
    const s = spread(xs)
    expect(s).toMatchObject({ n: 8, mean: 5, median: 4.5 })
    expect(s.cv).toBeCloseTo(2 / 5, 12)
    expect(s.maxOverMedian).toBeCloseTo(9 / 4.5, 12)
    // |x − 5| > 1.25: 2, 7, 9 → 3 of 8; 4 and 6.25 lie inside the band.
    expect(s.shareBeyondBand).toBe(3 / 8)
    expect(shareBeyond([3.75, 6.25], 5)).toBe(0) // the band's edges are inside
    expect(spread([0, 0, 3]).maxOverMedian).toBeNull()
  })

  it('lists the most over- and under-loaded with their deviation, ties by code', () => {
    const items = [
      { code: 'b', name: 'B', value: 10 },
      { code: 'a', name: 'A', value: 10 },
      { code: 'c', name: 'C', value: 0 },
      { code: 'd', name: 'D', value: 4 },
    ]
    const { over, under } = extremes(items, 2, 6)
    expect(over.map((r) => r.code)).toEqual(['a', 'b'])
    expect(over[0]!.deviation).toBeCloseTo(4 / 6, 12)
    expect(under).toEqual([
      { code: 'c', name: 'C', value: 0, deviation: -1 },
      { code: 'd', name: 'D', value: 4, deviation: (4 - 6) / 6 },
    ])
    expect(extremes(items, 1, 0).over[0]!.deviation).toBeNull()
  })
})

describe('csv table', () => {
  it('quotes by RFC 4180, ends lines with CRLF, leaves nulls empty and adds a BOM on request', () => {
    const cols = [
      { name: 'name', value: (r: { name: string; v: number | null }) => r.name },
      { name: 'v', value: (r: { name: string; v: number | null }) => r.v },
    ]
    expect(toCsv(cols, [{ name: '第"1",网格', v: 1.5 }, { name: 'x\ny', v: null }])).toBe('name,v\r\n"第""1"",网格",1.5\r\n"x\ny",\r\n')
    expect(toCsv(cols, [], { bom: true })).toBe('\uFEFFname,v\r\n')
  })
})

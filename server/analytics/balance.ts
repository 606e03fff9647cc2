/**
 * How evenly a measure (weighted load, load per administrator, population, …)
 * is spread over a set of grids. Pure: numbers in, numbers out. A statistic
 * that is undefined for the input (no values, or a mean of 0 to divide by) is
 * `null`, never NaN or an exception.
 */

export interface Spread {
  n: number
  mean: number | null
  median: number | null
  /** 0 = every grid carries the same, → 1 = one grid carries everything. */
  gini: number | null
  /** Population standard deviation / mean: the grids are the whole set, not a sample. */
  cv: number | null
  maxOverMedian: number | null
  /** Share of the grids whose value lies more than `band` (default 25 %) above or below the mean. */
  shareBeyondBand: number | null
}

export interface Ranked {
  code: string
  name: string
  value: number
  /** (value − mean) / mean, as a fraction; null when the mean is 0. */
  deviation: number | null
}

export function spread(values: readonly number[], band = 0.25): Spread {
  for (const v of values) checkValue(v)
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return { n, mean: null, median: null, gini: null, cv: null, maxOverMedian: null, shareBeyondBand: null }
  const m = mean(sorted)!
  const med = medianOfSorted(sorted)!
  return {
    n,
    mean: m,
    median: med,
    gini: giniOfSorted(sorted),
    cv: coefficientOfVariation(sorted),
    maxOverMedian: med === 0 ? null : sorted[n - 1]! / med,
    shareBeyondBand: shareBeyond(sorted, m, band),
  }
}

/**
 * Gini coefficient in its sorted form: with x₁ ≤ … ≤ xₙ,
 * G = 2 Σ i·xᵢ / (n Σ xᵢ) − (n + 1) / n. O(n log n) instead of the O(n²)
 * mean-absolute-difference definition it equals.
 */
export function gini(values: readonly number[]): number | null {
  for (const v of values) checkValue(v)
  return giniOfSorted([...values].sort((a, b) => a - b))
}

export function coefficientOfVariation(values: readonly number[]): number | null {
  const m = mean(values)
  if (m === null || m === 0) return null
  let ss = 0
  for (const v of values) ss += (v - m) ** 2
  return Math.sqrt(ss / values.length) / m
}

export function median(values: readonly number[]): number | null {
  return medianOfSorted([...values].sort((a, b) => a - b))
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null
  let sum = 0
  for (const v of values) sum += v
  return sum / values.length
}

/** Share of `values` more than `band` × |mean| away from `mean` (a value equal to the band's edge is inside). */
export function shareBeyond(values: readonly number[], m: number, band = 0.25): number | null {
  if (values.length === 0) return null
  let beyond = 0
  for (const v of values) if (Math.abs(v - m) > band * Math.abs(m)) beyond++
  return beyond / values.length
}

/** The `limit` highest and lowest items, each with its deviation from `m` (ties broken by code, so answers are stable). */
export function extremes(items: readonly { code: string; name: string; value: number }[], limit: number, m: number | null): { over: Ranked[]; under: Ranked[] } {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`Unexpected limit value: ${limit}`)
  const ranked = items.map((i) => ({ code: i.code, name: i.name, value: i.value, deviation: m === null || m === 0 ? null : (i.value - m) / m }))
  const byCode = (a: Ranked, b: Ranked) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
  return {
    over: [...ranked].sort((a, b) => b.value - a.value || byCode(a, b)).slice(0, limit),
    under: [...ranked].sort((a, b) => a.value - b.value || byCode(a, b)).slice(0, limit),
  }
}

function giniOfSorted(sorted: readonly number[]): number | null {
  const n = sorted.length
  let sum = 0
  let weighted = 0
  for (let i = 0; i < n; i++) {
    sum += sorted[i]!
    weighted += (i + 1) * sorted[i]!
  }
  if (n === 0 || sum === 0) return null
  // Clamp binary noise: equal values give −1e-17 rather than 0.
  return Math.max(0, (2 * weighted) / (n * sum) - (n + 1) / n)
}

function medianOfSorted(sorted: readonly number[]): number | null {
  const n = sorted.length
  if (n === 0) return null
  const mid = n >> 1
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function checkValue(v: number) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`Unexpected value: ${v} (balance measures are finite and ≥ 0)`)
}

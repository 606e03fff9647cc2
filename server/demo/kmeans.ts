/**
 * k-means (Lloyd) with k-means++ seeding on plain coordinate arrays. On points
 * drawn from a population density, the centres of k-means space themselves
 * closer where people are dense, so their Voronoi cells make compact units that
 * are smaller in dense areas.
 */
import type { Rng } from './prng.ts'

export interface Clusters {
  /** Centre coordinates, k of each. */
  cx: Float64Array
  cy: Float64Array
  /** Cluster of each input point. */
  assignment: Int32Array
}

export function kmeans(xs: Float64Array, ys: Float64Array, k: number, rng: Rng, iterations = 25): Clusters {
  const n = xs.length
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`Unexpected k value: ${k} (points: ${n})`)
  const cx = new Float64Array(k)
  const cy = new Float64Array(k)
  seedPlusPlus(xs, ys, cx, cy, rng)
  const assignment = new Int32Array(n)
  const sumX = new Float64Array(k)
  const sumY = new Float64Array(k)
  const count = new Int32Array(k)
  for (let iter = 0; iter < iterations; iter++) {
    let moved = 0
    for (let i = 0; i < n; i++) {
      const c = nearest(cx, cy, xs[i]!, ys[i]!)
      if (c !== assignment[i] || iter === 0) moved++
      assignment[i] = c
    }
    if (moved === 0) break
    sumX.fill(0)
    sumY.fill(0)
    count.fill(0)
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!
      sumX[c]! += xs[i]!
      sumY[c]! += ys[i]!
      count[c]!++
    }
    // An emptied cluster keeps its centre; it may win points back next round.
    for (let c = 0; c < k; c++) {
      if (count[c]! > 0) {
        cx[c] = sumX[c]! / count[c]!
        cy[c] = sumY[c]! / count[c]!
      }
    }
  }
  for (let i = 0; i < n; i++) assignment[i] = nearest(cx, cy, xs[i]!, ys[i]!)
  return { cx, cy, assignment }
}

/** Index of the centre nearest to (x, y); ties go to the lower index. */
export function nearest(cx: Float64Array, cy: Float64Array, x: number, y: number): number {
  let best = 0
  let bestD = Infinity
  for (let c = 0; c < cx.length; c++) {
    const dx = cx[c]! - x
    const dy = cy[c]! - y
    const d = dx * dx + dy * dy
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best
}

function seedPlusPlus(xs: Float64Array, ys: Float64Array, cx: Float64Array, cy: Float64Array, rng: Rng) {
  const n = xs.length
  const d2 = new Float64Array(n).fill(Infinity)
  let pick = rng.int(n)
  for (let c = 0; c < cx.length; c++) {
    cx[c] = xs[pick]!
    cy[c] = ys[pick]!
    let total = 0
    for (let i = 0; i < n; i++) {
      const dx = xs[i]! - cx[c]!
      const dy = ys[i]! - cy[c]!
      d2[i] = Math.min(d2[i]!, dx * dx + dy * dy)
      total += d2[i]!
    }
    if (total === 0) break
    let r = rng.next() * total
    pick = n - 1
    for (let i = 0; i < n; i++) {
      r -= d2[i]!
      if (r <= 0) {
        pick = i
        break
      }
    }
  }
}

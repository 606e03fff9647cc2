/**
 * Getis-Ord Gi* hot spot z-scores with binary weights and the location itself
 * in its own neighbourhood, as ArcGIS "Hot Spot Analysis" and R
 * spdep::localG(x, nb2listw(include.self(nb), style = "B")) compute them.
 *
 * For location i with W_i = 1 + |N(i)| cells in its neighbourhood:
 *
 *   z_i = (Σ_{j ∈ {i} ∪ N(i)} x_j − W_i·x̄) / (s · √((n·W_i − W_i²) / (n − 1)))
 *
 * where x̄ and s² = Σ(x − x̄)²/n are taken over ALL n values, i included. That
 * global mean and population variance is what makes it Gi* rather than Gi
 * (spdep's Gi drops x_i from both); the fixture from scripts/fixtures/
 * spdep-localg.R pins it down.
 */
import { checkNeighbours, type Neighbours } from './neighbours.ts'

/** Gi* z-scores: binary weights, self included (ArcGIS "Hot Spot Analysis"; R spdep::localG with include.self()). */
export function giStar(x: ArrayLike<number>, nb: Neighbours): Float64Array {
  const n = x.length
  checkNeighbours(nb, n)
  const { mean, sd } = populationMoments(x, 0, n)
  const z = new Float64Array(n)
  const { offsets, indices } = nb
  for (let i = 0; i < n; i++) {
    let sum = x[i]!
    const end = offsets[i + 1]!
    for (let r = offsets[i]!; r < end; r++) sum += x[indices[r]!]!
    z[i] = giZ(sum, end - offsets[i]! + 1, n, mean, sd)
  }
  return z
}

/**
 * The Gi* z of a neighbourhood with `weight` members summing to `sum`, among
 * `n` values with the given mean and population s.d. Shared with the
 * space-time version, where n is the size of the whole cube.
 *
 * A neighbourhood that covers every value, or data with no spread, has no
 * variance to compare against; it scores 0 (no evidence either way) rather
 * than NaN, so callers can rank and bin without special cases.
 */
export function giZ(sum: number, weight: number, n: number, mean: number, sd: number): number {
  const variance = (n * weight - weight * weight) / (n - 1)
  if (!(sd > 0) || !(variance > 0)) return 0
  return (sum - weight * mean) / (sd * Math.sqrt(variance))
}

/** Mean and population standard deviation (divisor n) of values[from..to), two-pass for accuracy. */
export function populationMoments(values: ArrayLike<number>, from: number, to: number): { mean: number; sd: number } {
  const count = to - from
  let total = 0
  for (let i = from; i < to; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) throw new Error(`Unexpected value at ${i}: ${v}`)
    total += v
  }
  const mean = total / count
  let squares = 0
  for (let i = from; i < to; i++) {
    const d = values[i]! - mean
    squares += d * d
  }
  return { mean, sd: Math.sqrt(squares / count) }
}

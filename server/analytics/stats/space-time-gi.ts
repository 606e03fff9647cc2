/**
 * Gi* over a space-time cube, as ArcGIS's Emerging Hot Spot Analysis computes
 * it before classifying trends. A bin's neighbourhood is the location and its
 * spatial neighbours, at its own step and the `timeWindow` steps before it
 * (fewer at the start of the series), all with weight 1. The mean and s.d. are
 * those of the whole cube, so a location that is busy every week stays hot
 * every week instead of being measured against that week alone.
 *
 * Two passes: first the spatial sum of every bin (location plus neighbours,
 * one CSR walk per step), then the sum of those over the time window, added
 * afresh for each bin rather than as a running total so that no rounding
 * drifts along a 104-week series.
 */
import { giZ, populationMoments } from './getis-ord.ts'
import { checkNeighbours, type Neighbours } from './neighbours.ts'

/** Default "neighbourhood time step" of ArcGIS Emerging Hot Spot Analysis. */
export const DEFAULT_TIME_WINDOW = 1

/** Gi* for every (step, location) of a space-time cube. values is step-major: values[step*n + i]. A location's neighbourhood at step t = itself and its spatial neighbours at steps t-timeWindow..t (ArcGIS Emerging Hot Spot Analysis "neighbourhood time step", default 1). Binary weights, self included; mean and s.d. over the whole cube, as ArcGIS does. */
export function spaceTimeGiStar(values: Float64Array, n: number, steps: number, nb: Neighbours, timeWindow = DEFAULT_TIME_WINDOW): Float64Array {
  checkCube(values, n, steps)
  if (!Number.isInteger(timeWindow) || timeWindow < 0) throw new Error(`Unexpected timeWindow value: ${timeWindow}`)
  checkNeighbours(nb, n)
  const total = n * steps
  const { mean, sd } = populationMoments(values, 0, total)
  const spatial = spatialSums(values, n, steps, nb)
  const z = new Float64Array(total)
  const { offsets } = nb
  for (let t = 0; t < steps; t++) {
    const first = Math.max(0, t - timeWindow)
    const stepsIn = t - first + 1
    for (let i = 0; i < n; i++) {
      let sum = 0
      for (let u = first; u <= t; u++) sum += spatial[u * n + i]!
      const weight = (offsets[i + 1]! - offsets[i]! + 1) * stepsIn
      z[t * n + i] = giZ(sum, weight, total, mean, sd)
    }
  }
  return z
}

/** values[t*n + i] plus the values of i's spatial neighbours at the same step. */
function spatialSums(values: Float64Array, n: number, steps: number, nb: Neighbours): Float64Array {
  const out = new Float64Array(n * steps)
  const { offsets, indices } = nb
  for (let t = 0; t < steps; t++) {
    const row = t * n
    for (let i = 0; i < n; i++) {
      let sum = values[row + i]!
      const end = offsets[i + 1]!
      for (let r = offsets[i]!; r < end; r++) sum += values[row + indices[r]!]!
      out[row + i] = sum
    }
  }
  return out
}

export function checkCube(values: Float64Array, n: number, steps: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`Unexpected n value: ${n}`)
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`Unexpected steps value: ${steps}`)
  if (values.length !== n * steps) throw new Error(`Unexpected values length: ${values.length} (n ${n} × steps ${steps} = ${n * steps})`)
}

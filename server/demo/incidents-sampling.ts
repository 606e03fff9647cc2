/**
 * Drawing from distributions for the demo incidents: a category's grid (by
 * cumulative weights and binary search), a uniform point inside a grid or a
 * cluster's disc (by rejection, judged by the same grid index as intake),
 * Poisson counts. Seeded draws only; no allocation per draw.
 */
import type { IncidentCluster } from './incidents-clusters.ts'
import type { IncidentCity } from './incidents-generate.ts'
import { driverWeight, type SpatialDriver } from './incidents-profiles.ts'
import type { Rng } from './prng.ts'

/** Picks grids for a category in proportion to its driver times each grid's lasting hotness, and points inside them. */
export function gridPlacer(city: IncidentCity, drivers: readonly SpatialDriver[], rng: Rng) {
  const n = city.grids.length
  // A grid's hotness lasts the whole window: some places simply see more trouble.
  const hot = Float64Array.from({ length: n }, () => Math.exp(0.45 * rng.normal()))
  const byDriver = new Map<SpatialDriver, Float64Array>()
  const cdfs = drivers.map((driver) => {
    let cdf = byDriver.get(driver)
    if (!cdf) {
      const kindHot = Float64Array.from({ length: n }, () => Math.exp(0.35 * rng.normal()))
      cdf = cumulative(city.grids.map((g, i) => driverWeight(driver, g) * hot[i]! * kindHot[i]!))
      byDriver.set(driver, cdf)
    }
    return cdf
  })
  return {
    pick: (category: number, u: number) => pickIndex(cdfs[category]!, u),
    /** A uniform point of grid g (rejection inside its box, judged by the same index as intake). */
    pointIn(g: number, r: Rng, out: Float64Array) {
      const b = city.bbox
      for (let tries = 0; tries < 200; tries++) {
        out[0] = r.range(b[4 * g]!, b[4 * g + 2]!)
        out[1] = r.range(b[4 * g + 1]!, b[4 * g + 3]!)
        if (city.lookup(out[0]!, out[1]!) === g) return
      }
      throw new Error(`No point found inside grid ${city.grids[g]!.code}`)
    },
  }
}

/** A point around the cluster's centre (normal, σ = radius / 2, cut at the radius) inside the city; its grid, or −1. */
export function pointInDisc(c: IncidentCluster, city: IncidentCity, rng: Rng, out: Float64Array): number {
  const mPerLon = 111_320 * Math.cos((c.centre[1] * Math.PI) / 180)
  for (let tries = 0; tries < 50; tries++) {
    const dx = rng.normal() * (c.radiusM / 2)
    const dy = rng.normal() * (c.radiusM / 2)
    if (dx * dx + dy * dy > c.radiusM * c.radiusM) continue
    out[0] = c.centre[0] + dx / mPerLon
    out[1] = c.centre[1] + dy / 110_574
    const g = city.lookup(out[0]!, out[1]!)
    if (g >= 0) return g
  }
  return -1
}

/** Cumulative shares of `weights` (last = 1). */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length)
  let sum = 0
  for (let i = 0; i < weights.length; i++) out[i] = sum += Math.max(0, weights[i]!)
  if (!(sum > 0)) throw new Error('Unexpected weights: none positive')
  for (let i = 0; i < out.length; i++) out[i]! /= sum
  return out
}

/** The first index whose cumulative share exceeds u (binary search). */
export function pickIndex(cdf: Float64Array, u: number): number {
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cdf[mid]! > u) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** A Poisson draw: by multiplication for small means, normal approximation above 40. */
export function poisson(mean: number, rng: Rng): number {
  if (mean <= 0) return 0
  if (mean > 40) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()))
  const limit = Math.exp(-mean)
  let k = 0
  for (let p = rng.next(); p > limit; p *= rng.next()) k++
  return k
}

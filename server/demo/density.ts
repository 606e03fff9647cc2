/**
 * A synthetic population density for the demo city: dense cores at the town
 * centres (the four central streets densest), scattered village and industrial
 * clusters, and a thin rural background. The generator draws sample points from
 * it; everything population-related is counted from those samples.
 */
import type { Rng } from './prng.ts'

export interface Core {
  lon: number
  lat: number
  /** Standard deviation in metres. */
  sigma: number
  weight: number
}

export interface TownSeed {
  code: string
  kind: string
  lon: number
  lat: number
}

const M_PER_DEG_LAT = 110_574
export const mPerDegLon = (lat: number) => 111_320 * Math.cos((lat * Math.PI) / 180)

export function densityCores(towns: readonly TownSeed[], bbox: [number, number, number, number], rng: Rng): Core[] {
  const cores: Core[] = []
  for (const t of towns) {
    const weight = t.kind === 'street' ? rng.range(2.2, 3.0) : t.kind === 'functional_area' ? 0.6 : rng.range(0.8, 1.8)
    cores.push({ lon: t.lon, lat: t.lat, sigma: rng.range(1800, 3200), weight })
  }
  // Villages and industrial parks: many small clusters anywhere in the city.
  const [minLon, minLat, maxLon, maxLat] = bbox
  for (let i = 0; i < 220; i++) {
    cores.push({ lon: rng.range(minLon, maxLon), lat: rng.range(minLat, maxLat), sigma: rng.range(400, 1200), weight: rng.range(0.03, 0.12) })
  }
  return cores
}

/**
 * Draws `n` points from the density: a mixture of the Gaussian cores and a
 * uniform background over `bbox` (share `background`). Points can fall outside
 * the city; the caller keeps those inside.
 */
export function samplePoints(cores: readonly Core[], bbox: [number, number, number, number], n: number, background: number, rng: Rng) {
  const total = cores.reduce((s, c) => s + c.weight, 0)
  const cumulative = new Float64Array(cores.length)
  let acc = 0
  cores.forEach((c, i) => (cumulative[i] = acc += c.weight / total))
  const lon = new Float64Array(n)
  const lat = new Float64Array(n)
  const [minLon, minLat, maxLon, maxLat] = bbox
  for (let i = 0; i < n; i++) {
    if (rng.next() < background) {
      lon[i] = rng.range(minLon, maxLon)
      lat[i] = rng.range(minLat, maxLat)
      continue
    }
    const r = rng.next()
    let c = 0
    while (c < cores.length - 1 && cumulative[c]! < r) c++
    const core = cores[c]!
    lon[i] = core.lon + (rng.normal() * core.sigma) / mPerDegLon(core.lat)
    lat[i] = core.lat + (rng.normal() * core.sigma) / M_PER_DEG_LAT
  }
  return { lon, lat }
}

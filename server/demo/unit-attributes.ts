import type { Rng } from './prng.ts'

/**
 * Plausible synthetic attributes of a grid from its sample count: population
 * from the samples, and households, buildings, rented rooms and businesses in
 * ratios typical of Dongguan (many migrant workers in rented rooms, dense
 * urban cores with larger buildings).
 */
export function unitAttributes(samples: number, perSample: number, areaM2: number, rng: Rng) {
  const population = Math.round((samples + 0.5) * perSample * rng.range(0.9, 1.1))
  const density = population / Math.max(areaM2 / 1e6, 0.01)
  const urban = Math.min(1, density / 20000)
  return {
    population,
    households: Math.round(population / rng.range(2.4, 3.2)),
    buildings: Math.max(1, Math.round(population / (8 + 30 * urban) * rng.range(0.8, 1.2))),
    rented_rooms: Math.round(population * rng.range(0.12, 0.4)),
    businesses: Math.round(population * rng.range(0.02, 0.07)),
  }
}

/**
 * Metres per degree of longitude and latitude at a latitude, on the WGS84
 * ellipsoid (the radii of curvature along the meridian and the prime
 * vertical): a local plane that measures short distances to about a
 * millionth, where the equator's 110,574 m for every degree of latitude was
 * 0.15 % short in Dongguan and 0.6 % short at 70° N.
 */
const A = 6_378_137
const F = 1 / 298.257223563
const E2 = F * (2 - F)
const DEG = Math.PI / 180

/** [metres per degree of longitude, metres per degree of latitude] at `lat` (degrees). */
export function metresPerDegree(lat: number): [number, number] {
  const s = Math.sin(lat * DEG)
  const w = 1 - E2 * s * s
  const n = A / Math.sqrt(w)
  const m = (A * (1 - E2)) / (w * Math.sqrt(w))
  return [n * Math.cos(lat * DEG) * DEG, m * DEG]
}

import { latLngToCell } from 'h3-js'
import { metresPerDegree } from '../lookup/ellipsoid.ts'
import type { TrackPoint } from './track-input.ts'

export const PATROL_RES = 10
/** Sample spacing along a segment: well under a resolution-10 cell (edge ≈ 66 m), so no cell passed through is skipped. */
const STEP_M = 15

/** The H3 cells a track passes through, each with the (interpolated) time it first got there; and the track's length. */
export function trackCells(points: TrackPoint[]): { cells: Map<string, number>; lengthM: number } {
  const cells = new Map<string, number>()
  let lengthM = 0
  const visit = (lon: number, lat: number, t: number) => {
    const c = latLngToCell(lat, lon, PATROL_RES)
    if (!cells.has(c)) cells.set(c, t)
  }
  visit(points[0]!.lon, points[0]!.lat, points[0]!.t)
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    const [kx, ky] = metresPerDegree((a.lat + b.lat) / 2)
    const metres = Math.hypot((b.lon - a.lon) * kx, (b.lat - a.lat) * ky)
    lengthM += metres
    const steps = Math.ceil(metres / STEP_M)
    for (let s = 1; s <= steps; s++) {
      const f = s / steps
      visit(a.lon + f * (b.lon - a.lon), a.lat + f * (b.lat - a.lat), a.t + f * (b.t - a.t))
    }
  }
  return { cells, lengthM }
}

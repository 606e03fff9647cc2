import { cellToBoundary, gridDisk, latLngToCell } from 'h3-js'
import { metresPerDegree } from '../lookup/ellipsoid.ts'
import type { TrackPoint } from './track-input.ts'

export const PATROL_RES = 10
/**
 * Sample spacing along a segment: under a resolution-10 cell's narrowest width
 * (≈ 114 m), so consecutive samples lie in the same cell or in two cells at
 * most two apart; what a step can jump over is a corner, checked exactly.
 */
const STEP_M = 15

/**
 * The H3 cells a track touches — every cell whose hexagon (cellToBoundary, in
 * lon/lat as PostGIS reads it) the line intersects, a corner it cuts for a
 * metre included — each with the (interpolated) time it first got there; and
 * the track's length on the WGS84 ellipsoid.
 *
 * The line is followed in steps of at most 15 m; between two steps in
 * different cells it can only have crossed a corner of a cell next to both,
 * so those (two at most) are clipped against the step exactly (Cyrus–Beck).
 */
export function trackCells(points: TrackPoint[]): { cells: Map<string, number>; lengthM: number } {
  const cells = new Map<string, number>()
  let lengthM = 0
  const first = points[0]!
  let pLon = first.lon
  let pLat = first.lat
  let pT = first.t
  let pCell = latLngToCell(pLat, pLon, PATROL_RES)
  cells.set(pCell, pT)
  const rings = new Map<string, string[]>()
  const ring = (cell: string) => {
    let r = rings.get(cell)
    if (r === undefined) rings.set(cell, (r = gridDisk(cell, 1)))
    return r
  }
  const step = (lon: number, lat: number, t: number) => {
    const cell = latLngToCell(lat, lon, PATROL_RES)
    if (cell !== pCell) {
      const around = ring(cell)
      for (const r of ring(pCell)) {
        if (r === pCell || r === cell || cells.has(r) || !around.includes(r)) continue
        const f = entry(r, pLon, pLat, lon, lat)
        if (f !== null) cells.set(r, pT + f * (t - pT))
      }
      if (!cells.has(cell)) cells.set(cell, t)
      pCell = cell
    }
    pLon = lon
    pLat = lat
    pT = t
  }
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    if (b.gap) {
      // A new track segment: the way from a was not recorded, so it adds neither length nor cells.
      pCell = latLngToCell(b.lat, b.lon, PATROL_RES)
      if (!cells.has(pCell)) cells.set(pCell, b.t)
      pLon = b.lon
      pLat = b.lat
      pT = b.t
      continue
    }
    const [kx, ky] = metresPerDegree((a.lat + b.lat) / 2)
    const metres = Math.hypot((b.lon - a.lon) * kx, (b.lat - a.lat) * ky)
    lengthM += metres
    const steps = Math.ceil(metres / STEP_M)
    for (let s = 1; s <= steps; s++) {
      const f = s / steps
      step(s === steps ? b.lon : a.lon + f * (b.lon - a.lon), s === steps ? b.lat : a.lat + f * (b.lat - a.lat), a.t + f * (b.t - a.t))
    }
  }
  return { cells, lengthM }
}

/**
 * Where the segment p→q first meets cell `cell`'s hexagon, as a fraction of
 * the segment (0 when p is in it), or null when it misses it. A touch of its
 * boundary counts, as ST_Intersects counts it.
 */
export function entry(cell: string, px: number, py: number, qx: number, qy: number): number | null {
  const boundary = cellToBoundary(cell) // [lat, lng] pairs, a convex ring
  const n = boundary.length
  // Longitudes taken next to p's, should the hexagon straddle the antimeridian.
  const x = (k: number) => {
    const lng = boundary[k]![1]!
    return lng - px > 180 ? lng - 360 : lng - px < -180 ? lng + 360 : lng
  }
  const y = (k: number) => boundary[k]![0]!
  let cx = 0
  let cy = 0
  for (let k = 0; k < n; k++) (cx += x(k)), (cy += y(k))
  cx /= n
  cy /= n
  const dx = qx - px
  const dy = qy - py
  let tIn = 0
  let tOut = 1
  for (let k = 0; k < n; k++) {
    const vx = x(k)
    const vy = y(k)
    const ex = x((k + 1) % n) - vx
    const ey = y((k + 1) % n) - vy
    // cross(e, point − v) has the centre's sign inside the edge's half-plane.
    const side = Math.sign(ex * (cy - vy) - ey * (cx - vx))
    const num = side * (ex * (py - vy) - ey * (px - vx))
    const den = side * (ex * dy - ey * dx)
    if (den === 0) {
      if (num < 0) return null
    } else if (den > 0) tIn = Math.max(tIn, -num / den)
    else tOut = Math.min(tOut, -num / den)
    if (tIn > tOut) return null
  }
  return tIn
}

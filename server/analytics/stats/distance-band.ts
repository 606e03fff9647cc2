/**
 * Fixed-distance neighbours on the sphere: every pair of points whose
 * great-circle (haversine) distance is at most a given number of metres.
 *
 * Points are bucketed on their 3-D unit vectors, in cubes whose side is at
 * least the chord of the band, so a point's partners can only lie in its own
 * or one of the 26 surrounding cubes. Working in 3-D rather than in degrees
 * means the antimeridian, the poles and the shrinking of a degree of longitude
 * need no special cases. The cubes form a dense grid over the points' bounding
 * box, filled by counting sort; when the band is small next to the spread of
 * the points the cubes are made coarser so that the grid stays within
 * O(n) cells (coarser cubes only add candidates). Membership is decided by
 * the same haversine expression that `haversineMetres` evaluates.
 */
import { CsrBuilder } from './csr-builder.ts'
import type { Neighbours } from './neighbours.ts'

/** Mean Earth radius (IUGG), the one used for all distances in this folder. */
export const EARTH_RADIUS_METRES = 6371008.8

const RAD = Math.PI / 180
/** The grid may have this many cubes, or 8 per point if that is more. */
const MIN_CUBE_BUDGET = 1 << 16

/** Great-circle distance in metres between two lon/lat points given in degrees. */
export function haversineMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  return haversineFromRadians(lat1 * RAD, Math.cos(lat1 * RAD), lon1 * RAD, lat2 * RAD, Math.cos(lat2 * RAD), lon2 * RAD)
}

/** Neighbours within `metres` of each point (self excluded), as sorted CSR rows. */
export function distanceBandNeighbours(lon: Float64Array, lat: Float64Array, metres: number): Neighbours {
  if (lon.length !== lat.length) throw new Error(`Unexpected coordinate lengths: ${lon.length} lon, ${lat.length} lat`)
  if (!Number.isFinite(metres) || metres < 0) throw new Error(`Unexpected metres value: ${metres}`)
  const n = lon.length
  const points = unitVectors(lon, lat)
  const grid = cubeGrid(points, generousChord(metres))
  const builder = new CsrBuilder(n, 8)
  const { latRad, cosLat, lonRad, x, y, z } = points
  const { start, order, size, min, dims } = grid
  const [nx, ny, nz] = [dims[0]!, dims[1]!, dims[2]!]
  // Straight-line prefilter, with the same margin as the cubes; the haversine decides.
  const chordLimit = generousChord(metres) ** 2
  for (let i = 0; i < n; i++) {
    const xi = x[i]!
    const yi = y[i]!
    const zi = z[i]!
    const cx = cubeOf(xi, min[0]!, size)
    const cy = cubeOf(yi, min[1]!, size)
    const cz = cubeOf(zi, min[2]!, size)
    for (let kz = Math.max(0, cz - 1); kz <= Math.min(nz - 1, cz + 1); kz++) {
      for (let ky = Math.max(0, cy - 1); ky <= Math.min(ny - 1, cy + 1); ky++) {
        const rowKey = nx * (ky + ny * kz)
        // Three cubes adjacent along x are adjacent in the grid: one contiguous run of points.
        const from = start[rowKey + Math.max(0, cx - 1)]!
        const to = start[rowKey + Math.min(nx - 1, cx + 1) + 1]!
        for (let p = from; p < to; p++) {
          const j = order[p]!
          if (j === i) continue
          const ex = x[j]! - xi
          const ey = y[j]! - yi
          const ez = z[j]! - zi
          if (ex * ex + ey * ey + ez * ez > chordLimit) continue
          const d = haversineFromRadians(latRad[i]!, cosLat[i]!, lonRad[i]!, latRad[j]!, cosLat[j]!, lonRad[j]!)
          if (d <= metres) builder.push(j)
        }
      }
    }
    builder.endRow()
  }
  return builder.finish()
}

interface UnitVectors {
  latRad: Float64Array
  cosLat: Float64Array
  lonRad: Float64Array
  x: Float64Array
  y: Float64Array
  z: Float64Array
}

interface CubeGrid {
  /** Points of cube c are order[start[c] .. start[c + 1]). */
  start: Int32Array
  order: Int32Array
  size: number
  min: Float64Array
  dims: Int32Array
}

function haversineFromRadians(lat1: number, cos1: number, lon1: number, lat2: number, cos2: number, lon2: number): number {
  const sinLat = Math.sin((lat2 - lat1) / 2)
  const sinLon = Math.sin((lon2 - lon1) / 2)
  const h = sinLat * sinLat + cos1 * cos2 * sinLon * sinLon
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * Straight-line distance between unit vectors that corresponds to `metres`
 * along the sphere, plus a hair so that rounding in the unit vectors can never
 * exclude a pair the haversine would accept.
 */
function generousChord(metres: number): number {
  const angle = Math.min(Math.PI, metres / EARTH_RADIUS_METRES)
  return 2 * Math.sin(angle / 2) * (1 + 1e-9) + 1e-12
}

function unitVectors(lon: Float64Array, lat: Float64Array): UnitVectors {
  const n = lon.length
  const out: UnitVectors = {
    latRad: new Float64Array(n), cosLat: new Float64Array(n), lonRad: new Float64Array(n),
    x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n),
  }
  for (let i = 0; i < n; i++) {
    const lo = lon[i]!
    const la = lat[i]!
    if (!Number.isFinite(lo) || !(la >= -90 && la <= 90)) throw new Error(`Unexpected coordinate at ${i}: ${lo}, ${la}`)
    const phi = la * RAD
    const lambda = lo * RAD
    const c = Math.cos(phi)
    out.latRad[i] = phi
    out.cosLat[i] = c
    out.lonRad[i] = lambda
    out.x[i] = c * Math.cos(lambda)
    out.y[i] = c * Math.sin(lambda)
    out.z[i] = Math.sin(phi)
  }
  return out
}

/**
 * Cubes at least as wide as the (generous) chord, widened until the grid fits
 * the budget, then a counting sort of the points by cube.
 */
function cubeGrid(points: UnitVectors, chord: number): CubeGrid {
  const axes = [points.x, points.y, points.z]
  const n = points.x.length
  const min = new Float64Array(3)
  const extent = new Float64Array(3)
  for (let a = 0; a < 3; a++) {
    let lo = Infinity
    let hi = -Infinity
    for (const v of axes[a]!) {
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    min[a] = n > 0 ? lo : 0
    extent[a] = n > 0 ? hi - lo : 0
  }
  const budget = Math.max(MIN_CUBE_BUDGET, 8 * n)
  const cubesFor = (size: number) => extent.reduce((product, e) => product * (Math.floor(e / size) + 1), 1)
  let size = chord
  while (cubesFor(size) > budget) size *= 1.5
  const dims = Int32Array.from(extent, (e) => Math.floor(e / size) + 1)
  const cubeIndex = new Int32Array(n)
  const start = new Int32Array(dims[0]! * dims[1]! * dims[2]! + 1)
  for (let i = 0; i < n; i++) {
    const c = cubeOf(points.x[i]!, min[0]!, size) + dims[0]! * (cubeOf(points.y[i]!, min[1]!, size) + dims[1]! * cubeOf(points.z[i]!, min[2]!, size))
    cubeIndex[i] = c
    start[c + 1]!++
  }
  for (let c = 1; c < start.length; c++) start[c]! += start[c - 1]!
  const fill = start.slice(0, start.length - 1)
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[fill[cubeIndex[i]!]!++] = i
  return { start, order, size, min, dims }
}

function cubeOf(value: number, min: number, size: number): number {
  return Math.floor((value - min) / size)
}

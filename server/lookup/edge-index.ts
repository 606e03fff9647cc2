/**
 * The edges of all grid rings in a static R-tree (flatbush), with distances in
 * metres measured in a local equirectangular frame — accurate to well under 1 %
 * across a city, which is all the index builder's safety margins need.
 */
import Flatbush from 'flatbush'
import { EARTH_RADIUS_M } from '../planning/cell-graph.ts'
import { metresPerDegree } from './ellipsoid.ts'
import { GridPolygons, OUTSIDE } from './grid-polygons.ts'

/** Beyond this the nearest grid's distance is measured on the sphere, not in the city's plane. */
const FAR_M = 50_000

export class EdgeIndex {
  readonly polygons: GridPolygons
  /** Metres per degree of longitude and latitude at the region's centre. */
  readonly kx: number
  readonly ky: number
  private readonly edges: Flatbush
  /** Vertex index of each edge's start (its end is the next vertex), and its grid. */
  private readonly edgeStart: Uint32Array
  private readonly edgeGrid: Uint32Array
  private readonly grids: Flatbush

  constructor(polygons: GridPolygons) {
    this.polygons = polygons
    const { coords, ringStart, gridRing, bbox } = polygons
    let minLat = Infinity
    let maxLat = -Infinity
    for (let g = 0; g < polygons.size; g++) (minLat = Math.min(minLat, bbox[4 * g + 1]!)), (maxLat = Math.max(maxLat, bbox[4 * g + 3]!))
    const midLat = polygons.size > 0 ? (minLat + maxLat) / 2 : 0
    ;[this.kx, this.ky] = metresPerDegree(midLat)

    let count = 0
    for (let r = 0; r < ringStart.length - 1; r++) count += ringStart[r + 1]! - ringStart[r]! - 1
    this.edgeStart = new Uint32Array(count)
    this.edgeGrid = new Uint32Array(count)
    this.edges = new Flatbush(Math.max(count, 1))
    let e = 0
    for (let g = 0; g < polygons.size; g++) {
      for (let r = gridRing[g]!; r < gridRing[g + 1]!; r++) {
        for (let v = ringStart[r]!; v < ringStart[r + 1]! - 1; v++) {
          const ax = coords[2 * v]!, ay = coords[2 * v + 1]!, bx = coords[2 * v + 2]!, by = coords[2 * v + 3]!
          this.edges.add(Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by))
          this.edgeStart[e] = v
          this.edgeGrid[e++] = g
        }
      }
    }
    if (count === 0) this.edges.add(0, 0, 0, 0)
    this.edges.finish()
    this.grids = new Flatbush(Math.max(polygons.size, 1))
    for (let g = 0; g < polygons.size; g++) this.grids.add(bbox[4 * g]!, bbox[4 * g + 1]!, bbox[4 * g + 2]!, bbox[4 * g + 3]!)
    if (polygons.size === 0) this.grids.add(0, 0, 0, 0)
    this.grids.finish()
  }

  /** Distance in metres from (lon, lat) to edge e. */
  edgeDistance(e: number, lon: number, lat: number): number {
    const c = this.polygons.coords
    const v = this.edgeStart[e]!
    const t = this.closestAt(e, lon, lat)
    return Math.hypot((c[2 * v]! + t * (c[2 * v + 2]! - c[2 * v]!) - lon) * this.kx, (c[2 * v + 1]! + t * (c[2 * v + 3]! - c[2 * v + 1]!) - lat) * this.ky)
  }

  /** Where along edge e (0 at its start, 1 at its end) the point closest to (lon, lat) in the plane lies. */
  private closestAt(e: number, lon: number, lat: number): number {
    const c = this.polygons.coords
    const v = this.edgeStart[e]!
    const ax = (c[2 * v]! - lon) * this.kx, ay = (c[2 * v + 1]! - lat) * this.ky
    const dx = (c[2 * v + 2]! - c[2 * v]!) * this.kx, dy = (c[2 * v + 3]! - c[2 * v + 1]!) * this.ky
    const len2 = dx * dx + dy * dy
    return len2 > 0 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0
  }

  /** Grids with an edge closer than `metres` to (lon, lat), ascending, into `out`; returns how many. */
  gridsNear(lon: number, lat: number, metres: number, out: number[]): number {
    out.length = 0
    const dLon = metres / this.kx
    const dLat = metres / this.ky
    for (const e of this.edges.search(lon - dLon, lat - dLat, lon + dLon, lat + dLat)) {
      if (this.edgeDistance(e, lon, lat) < metres) {
        const g = this.edgeGrid[e]!
        if (!out.includes(g)) out.push(g)
      }
    }
    out.sort((a, b) => a - b)
    return out.length
  }

  /** The covering grid with the lowest index (codes are sorted, so the lowest code), or −1. */
  gridAt(lon: number, lat: number): number {
    let best = -1
    for (const g of this.grids.search(lon, lat, lon, lat)) {
      if ((best === -1 || g < best) && this.polygons.locate(g, lon, lat) !== OUTSIDE) best = g
    }
    return best
  }

  /** Every grid covering (lon, lat), ascending, into `out`; returns how many (more than one where grids overlap). */
  gridsAt(lon: number, lat: number, out: number[]): number {
    out.length = 0
    for (const g of this.grids.search(lon, lat, lon, lat)) if (this.polygons.locate(g, lon, lat) !== OUTSIDE) out.push(g)
    out.sort((a, b) => a - b)
    return out.length
  }

  /** Whether a grid other than `g` covers (lon, lat) too. */
  coveredByAnother(g: number, lon: number, lat: number): boolean {
    for (const h of this.grids.search(lon, lat, lon, lat)) if (h !== g && this.polygons.locate(h, lon, lat) !== OUTSIDE) return true
    return false
  }

  /** The grid nearest to (lon, lat) and its distance in metres, or null when there are no grids. */
  nearest(lon: number, lat: number): { grid: number; metres: number } | null {
    if (this.polygons.size === 0) return null
    let best: { grid: number; metres: number } | null = null
    // Nearest by bounding box first; the true nearest is among the closest few boxes.
    for (const g of this.grids.neighbors(lon, lat, 12)) {
      const metres = this.distanceToGrid(g, lon, lat)
      if (!best || metres < best.metres || (metres === best.metres && g < best.grid)) best = { grid: g, metres }
    }
    if (!best) return null
    // The plane about the city measures well nearby; far away it does not (it knows no sphere, nor that
    // 180° W is 180° E), so there the nearest grid is found on the great circle instead.
    if (best.metres < FAR_M) return { grid: best.grid, metres: best.metres }
    return this.nearestOnSphere(lon, lat)
  }

  /**
   * The grid with the edge nearest on the sphere, and that distance: each edge taken as the great-circle
   * arc between its ends, its closest point found on the sphere itself (the city's plane, far from its
   * centre and at high latitude, misplaces it by up to an edge's length). Ties go to the lowest grid. A
   * scan of every edge: far points are rare.
   */
  private nearestOnSphere(lon: number, lat: number): { grid: number; metres: number } {
    let grid = -1
    let best = Infinity
    const c = this.polygons.coords
    const p = unitVector(lon === -180 ? 180 : lon, lat, new Float64Array(3)) // one point, one answer
    const a = new Float64Array(3)
    const b = new Float64Array(3)
    for (let e = 0; e < this.edgeGrid.length; e++) {
      const v = this.edgeStart[e]!
      unitVector(c[2 * v]!, c[2 * v + 1]!, a)
      unitVector(c[2 * v + 2]!, c[2 * v + 3]!, b)
      const d = arcAngle(p, a, b)
      const g = this.edgeGrid[e]!
      // Grids as near as each other to a micrometre tie (a shared vertex, reached through either grid's edges).
      if (d < best - TIE) (best = d), (grid = g)
      else if (d <= best + TIE) (best = Math.min(best, d)), (grid = Math.min(grid, g))
    }
    return { grid, metres: best * EARTH_RADIUS_M }
  }

  private distanceToGrid(g: number, lon: number, lat: number): number {
    let min = Infinity
    const { bbox } = this.polygons
    for (const e of this.edges.search(bbox[4 * g]!, bbox[4 * g + 1]!, bbox[4 * g + 2]!, bbox[4 * g + 3]!)) {
      if (this.edgeGrid[e] === g) min = Math.min(min, this.answeredDistance(e, lon, lat))
    }
    return min
  }

  /**
   * Distance in metres from (lon, lat) to edge e as answered to a caller: the closest point found in the
   * city's plane, the distance measured with the ellipsoid's scale at the latitude halfway between the two
   * (the city's fixed scale drifts with latitude: 1 % over 45 km at 70° N).
   */
  private answeredDistance(e: number, lon: number, lat: number): number {
    const c = this.polygons.coords
    const v = this.edgeStart[e]!
    const t = this.closestAt(e, lon, lat)
    const x = c[2 * v]! + t * (c[2 * v + 2]! - c[2 * v]!)
    const y = c[2 * v + 1]! + t * (c[2 * v + 3]! - c[2 * v + 1]!)
    const [kx, ky] = metresPerDegree((lat + y) / 2)
    return Math.hypot((x - lon) * kx, (y - lat) * ky)
  }
}

const RAD = Math.PI / 180
/** A micrometre on the sphere, in radians. */
const TIE = 1e-6 / EARTH_RADIUS_M

function unitVector(lon: number, lat: number, out: Float64Array): Float64Array {
  const cosLat = Math.cos(lat * RAD)
  out[0] = cosLat * Math.cos(lon * RAD)
  out[1] = cosLat * Math.sin(lon * RAD)
  out[2] = Math.sin(lat * RAD)
  return out
}

/** The angle (radians) from unit vector p to the shorter great-circle arc from a to b. */
function arcAngle(p: Float64Array, a: Float64Array, b: Float64Array): number {
  // n = a × b, the arc's pole; p lies beside the arc when a → p and p → b both turn about n.
  const nx = a[1]! * b[2]! - a[2]! * b[1]!
  const ny = a[2]! * b[0]! - a[0]! * b[2]!
  const nz = a[0]! * b[1]! - a[1]! * b[0]!
  const nn = Math.sqrt(nx * nx + ny * ny + nz * nz)
  if (nn > 1e-15) {
    const ap = (a[1]! * p[2]! - a[2]! * p[1]!) * nx + (a[2]! * p[0]! - a[0]! * p[2]!) * ny + (a[0]! * p[1]! - a[1]! * p[0]!) * nz
    const pb = (p[1]! * b[2]! - p[2]! * b[1]!) * nx + (p[2]! * b[0]! - p[0]! * b[2]!) * ny + (p[0]! * b[1]! - p[1]! * b[0]!) * nz
    if (ap >= 0 && pb >= 0) return Math.asin(Math.min(1, Math.abs(p[0]! * nx + p[1]! * ny + p[2]! * nz) / nn))
  }
  return Math.min(angleBetween(p, a), angleBetween(p, b))
}

function angleBetween(u: Float64Array, v: Float64Array): number {
  const cx = u[1]! * v[2]! - u[2]! * v[1]!
  const cy = u[2]! * v[0]! - u[0]! * v[2]!
  const cz = u[0]! * v[1]! - u[1]! * v[0]!
  return Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!)
}

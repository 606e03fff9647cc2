/**
 * Chooses the index for a generation: the H3 cell index when its region suits
 * it (one icosahedron face, a city-sized area) and a check on sample points
 * confirms it, else the exact R-tree index — slower, never wrong. Either way
 * the answers are the same; only the speed differs.
 */
import { latLngToCell } from 'h3-js'
import { createRng } from '../demo/prng.ts'
import { EdgeIndex } from './edge-index.ts'
import { GridIndex } from './grid-index.ts'
import { GridPolygons, ON_BOUNDARY } from './grid-polygons.ts'

export interface PointIndex {
  readonly polygons: GridPolygons
  readonly edges: EdgeIndex
  /** Set by lookup(): whether the point lies on the answered grid's boundary. */
  onBoundary: boolean
  /** Index of the grid covering (lon, lat) — the lowest code when several do — or −1. */
  lookup(lon: number, lat: number): number
  /** lookup() of every point of interleaved lon/lat `coords`: grid[p] its answer, boundary[p] 1 when on that grid's boundary. */
  lookupMany(coords: Float64Array, grid: Int32Array, boundary: Uint8Array): void
  readonly kind: 'h3' | 'exact' | 'patched'
  readonly stats: Record<string, number | string>
}

/** lookupMany as a loop over lookup(), for the indexes with no faster way. */
export function lookupEach(index: PointIndex, coords: Float64Array, grid: Int32Array, boundary: Uint8Array): void {
  for (let p = 0; p < coords.length >> 1; p++) {
    grid[p] = index.lookup(coords[2 * p]!, coords[2 * p + 1]!)
    boundary[p] = index.onBoundary ? 1 : 0
  }
}

/** No cells: an R-tree of grid boxes, then the exact test. */
export class ExactIndex implements PointIndex {
  readonly kind = 'exact' as const
  readonly edges: EdgeIndex
  onBoundary = false
  readonly stats: Record<string, number | string>

  constructor(readonly polygons: GridPolygons, reason: string) {
    this.edges = new EdgeIndex(polygons)
    this.stats = { reason }
  }

  lookup(lon: number, lat: number): number {
    const g = this.edges.gridAt(lon, lat)
    this.onBoundary = g >= 0 && (this.polygons.locate(g, lon, lat) === ON_BOUNDARY || this.edges.coveredByAnother(g, lon, lat))
    return g
  }

  lookupMany(coords: Float64Array, grid: Int32Array, boundary: Uint8Array): void {
    lookupEach(this, coords, grid, boundary)
  }
}

/** Regions larger than this many degrees across are left to the exact index (cells would not pay off). */
const MAX_SPAN_DEG = 5

/** A log line; 'warn' for what an operator should see (the fast index not built, so lookups are slower). */
export type IndexLog = (msg: string, level?: 'info' | 'warn') => void

export function buildPointIndex(polygons: GridPolygons, log: IndexLog = () => {}): PointIndex {
  const reason = unsuitable(polygons)
  if (reason) return new ExactIndex(polygons, reason)
  let index: GridIndex
  try {
    index = new GridIndex(polygons)
  } catch (err) {
    log(`H3 index not built (${(err as Error).message}); using the exact index: answers are the same, lookups slower`, 'warn')
    return new ExactIndex(polygons, (err as Error).message)
  }
  const mismatch = selfCheck(index)
  if (mismatch) {
    log(`H3 index failed its self-check (${mismatch}); using the exact index: answers are the same, lookups slower`, 'warn')
    return new ExactIndex(polygons, mismatch)
  }
  return index
}

function unsuitable(polygons: GridPolygons): string | null {
  if (polygons.size === 0) return 'no grids'
  const [minLon, minLat, maxLon, maxLat] = polygons.extent()
  if (maxLon - minLon > MAX_SPAN_DEG || maxLat - minLat > MAX_SPAN_DEG) return `region spans more than ${MAX_SPAN_DEG}°`
  if (Math.abs(minLat) > 80 || Math.abs(maxLat) > 80) return 'region near a pole'
  return null
}

/** Seeded sample points over the region: the index must agree with the exact test and its cells with h3-js. */
function selfCheck(index: GridIndex): string | null {
  const rng = createRng('index-self-check')
  const { bbox, size } = index.polygons
  const plane = new Float64Array(2)
  const ij = new Int32Array(2)
  for (let k = 0; k < 2000; k++) {
    const g = rng.int(size)
    const lon = rng.range(bbox[4 * g]!, bbox[4 * g + 2]!)
    const lat = rng.range(bbox[4 * g + 1]!, bbox[4 * g + 3]!)
    const fast = index.lookup(lon, lat)
    const exact = index.edges.gridAt(lon, lat)
    if (fast !== exact) return `grid ${fast} ≠ ${exact} at ${lon},${lat}`
    if (k < 300) {
      index.fine.projection.project(lon, lat, plane)
      index.fine.cellOfPlane(plane[0]!, plane[1]!, ij)
      if (index.fine.h3(ij[0]!, ij[1]!) !== latLngToCell(lat, lon, index.fine.res)) return `H3 cell differs at ${lon},${lat}`
    }
  }
  return null
}

/**
 * Point-to-grid index of one generation: H3 cells at two resolutions kept as
 * typed arrays. A resolution-9 cell (≈0.1 km²) with no grid edge near it
 * answers directly; the others are refined into resolution-11 cells
 * (≈0.002 km²), which again answer directly or keep their few candidate grids,
 * against which the point is tested exactly. The hot path allocates nothing.
 *
 * Semantics equal PostGIS ST_Covers(grid, point) in lon/lat. A point covered by
 * several grids (on a shared edge or vertex) goes to the one with the lowest
 * code, and `onBoundary` says the point lies on that grid's boundary — or
 * inside it and inside another grid as well, where two grids overlap.
 */
import type { EdgeIndex } from './edge-index.ts'
import { CANDIDATES, GridLevels, OUT, REFINE } from './grid-levels.ts'
import { ON_BOUNDARY, OUTSIDE, type GridPolygons } from './grid-polygons.ts'
import type { H3Lattice } from './h3-lattice.ts'

export { COARSE_RES, FINE_RES } from './grid-levels.ts'

/** Points projected at a time by lookupMany. */
const PROJECT_BLOCK = 512
/** Fine keys are offsets in rows of fSpanJ cells, with no bound on the rows. */
const FINE_ROWS = 0x7fffffff

export class GridIndex {
  readonly kind = 'h3' as const
  readonly polygons: GridPolygons
  readonly levels: GridLevels
  private readonly planeBlock = new Float64Array(2 * PROJECT_BLOCK)
  private readonly one = new Float64Array(2)
  private readonly oneGrid = new Int32Array(1)
  private readonly oneBoundary = new Uint8Array(1)
  /** Set by lookup(): whether the point lies on the answered grid's boundary. */
  onBoundary = false

  constructor(polygons: GridPolygons) {
    this.polygons = polygons
    this.levels = new GridLevels(polygons)
  }

  get edges(): EdgeIndex {
    return this.levels.edges
  }

  get coarse(): H3Lattice {
    return this.levels.coarse
  }

  get fine(): H3Lattice {
    return this.levels.fine
  }

  get stats(): Record<string, number> {
    return this.levels.stats
  }

  /** Index of the grid covering (lon, lat), or −1; sets `onBoundary`. */
  lookup(lon: number, lat: number): number {
    this.one[0] = lon
    this.one[1] = lat
    this.lookupMany(this.one, this.oneGrid, this.oneBoundary)
    this.onBoundary = this.oneBoundary[0] === 1
    return this.oneGrid[0]!
  }

  /**
   * Answers every point of interleaved lon/lat `coords`: grid[p] the index of
   * the grid covering point p or −1, boundary[p] 1 when it lies on that grid's
   * boundary. Points are projected a block at a time, and the loop keeps the
   * index's arrays in locals: this is the path every lookup takes.
   */
  lookupMany(coords: Float64Array, grid: Int32Array, boundary: Uint8Array): void {
    const { minLon, minLat, maxLon, maxLat, coarse, fine, coarseCells, ci0, cj0, cSpanI, cSpanJ, fi0, fj0, fSpanJ, fineCells, candStart, candList, projection } = this.levels
    const polygons = this.polygons
    const plane = this.planeBlock
    const count = coords.length >> 1
    for (let from = 0; from < count; from += PROJECT_BLOCK) {
      const to = Math.min(count, from + PROJECT_BLOCK)
      projection.projectMany(coords, from, to, plane)
      for (let p = from, k = 0; p < to; p++, k += 2) {
        const lon = coords[2 * p]!
        const lat = coords[2 * p + 1]!
        boundary[p] = 0
        if (!(lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat)) {
          grid[p] = OUT
          continue
        }
        const X = plane[k]!
        const Y = plane[k + 1]!
        const c = coarse.offsetOf(X, Y, ci0, cj0, cSpanI, cSpanJ)
        const direct = c < 0 ? REFINE : coarseCells[c]!
        if (direct !== REFINE) {
          grid[p] = direct
          continue
        }
        const fo = c < 0 ? -1 : fine.offsetOf(X, Y, fi0, fj0, FINE_ROWS, fSpanJ)
        const f = fo < 0 ? undefined : fineCells.get(fo + 1)
        if (f === undefined) {
          grid[p] = this.exact(lon, lat)
          boundary[p] = this.onBoundary ? 1 : 0
        } else if (f > CANDIDATES) grid[p] = f
        else {
          // Candidates come in code order: the first grid covering the point answers. A point inside
          // it is still on a boundary when a later candidate covers it too (grids overlapping by a sliver).
          const list = CANDIDATES - f
          let answer = OUT
          for (let q = candStart[list]!, end = candStart[list + 1]!; q < end; q++) {
            const g = candList[q]!
            const where = polygons.locate(g, lon, lat)
            if (where === OUTSIDE) continue
            if (answer !== OUT || where === ON_BOUNDARY) {
              boundary[p] = 1
              if (answer === OUT) answer = g
              break
            }
            answer = g
          }
          grid[p] = answer
        }
      }
    }
  }

  /** The slow exact answer without cells; never needed inside the region, kept as the safe fallback. */
  private exact(lon: number, lat: number): number {
    const g = this.edges.gridAt(lon, lat)
    this.onBoundary = g >= 0 && (this.polygons.locate(g, lon, lat) === ON_BOUNDARY || this.edges.coveredByAnother(g, lon, lat))
    return g
  }

  /** Every coarse cell with what it answers, for storing as H3 cells (−1 outside, −2 refined). */
  *coarseEntries(): Generator<{ h3: string; value: number }> {
    const { cSpanI, cSpanJ, coarseCells, coarse, ci0, cj0 } = this.levels
    for (let i = 0; i < cSpanI; i++) {
      for (let j = 0; j < cSpanJ; j++) {
        const value = coarseCells[i * cSpanJ + j]!
        if (value !== OUT) yield { h3: coarse.h3(i + ci0, j + cj0), value }
      }
    }
  }
}

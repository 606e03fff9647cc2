/**
 * Point-to-grid index of one generation: H3 cells at two resolutions kept as
 * typed arrays. A resolution-9 cell (≈0.1 km²) with no grid edge near it
 * answers directly; the others are refined into resolution-11 cells
 * (≈0.002 km²), which again answer directly or keep their few candidate grids,
 * against which the point is tested exactly. The hot path allocates nothing.
 *
 * Semantics equal PostGIS ST_Covers(grid, point) in lon/lat. A point covered by
 * several grids (on a shared edge or vertex) goes to the one with the lowest
 * code, and `onBoundary` says the point lies on that grid's boundary.
 */
import { EdgeIndex } from './edge-index.ts'
import { GridPolygons, INSIDE, ON_BOUNDARY, OUTSIDE } from './grid-polygons.ts'
import { FaceProjection, H3Lattice } from './h3-lattice.ts'
import { IntHashMap } from './int-hash-map.ts'

export const COARSE_RES = 9
export const FINE_RES = 11
/** Margin on a cell's circumradius: covers H3's distortion and the metric's approximation. */
const SAFETY = 1.2

const OUT = -1
const REFINE = -2
/** Fine-cell values ≤ CANDIDATES encode candidate list −(v − CANDIDATES). */
const CANDIDATES = -3
/** Points projected at a time by lookupMany. */
const PROJECT_BLOCK = 512
/** Fine keys are offsets in rows of fSpanJ cells, with no bound on the rows. */
const FINE_ROWS = 0x7fffffff

export class GridIndex {
  readonly kind = 'h3' as const
  readonly polygons: GridPolygons
  readonly edges: EdgeIndex
  readonly coarse: H3Lattice
  readonly fine: H3Lattice
  /** Region bbox: outside it nothing is covered. */
  private readonly minLon: number
  private readonly minLat: number
  private readonly maxLon: number
  private readonly maxLat: number
  private readonly projection: FaceProjection
  /** Coarse cells, dense over their (i, j) range. */
  private readonly coarseCells: Int32Array
  private readonly ci0: number
  private readonly cj0: number
  private readonly cSpanJ: number
  private readonly cSpanI: number
  /** Fine cells, hashed by packed (i, j). */
  private readonly fineCells: IntHashMap
  private readonly fi0: number
  private readonly fj0: number
  private readonly fSpanJ: number
  /** Candidate lists: grids candList[candStart[k] … candStart[k + 1] − 1], ascending. */
  private readonly candStart: Int32Array
  private readonly candList: Int32Array
  private readonly plane = new Float64Array(2)
  private readonly ij = new Int32Array(2)
  private readonly planeBlock = new Float64Array(2 * PROJECT_BLOCK)
  private readonly one = new Float64Array(2)
  private readonly oneGrid = new Int32Array(1)
  private readonly oneBoundary = new Uint8Array(1)
  /** Set by lookup(): whether the point lies on the answered grid's boundary. */
  onBoundary = false
  readonly stats: Record<string, number>

  constructor(polygons: GridPolygons) {
    const started = performance.now()
    this.polygons = polygons
    this.edges = new EdgeIndex(polygons)
    const { bbox } = polygons
    let minLon = Infinity, minLat = Infinity, maxLon = -Infinity, maxLat = -Infinity
    for (let g = 0; g < polygons.size; g++) {
      minLon = Math.min(minLon, bbox[4 * g]!)
      minLat = Math.min(minLat, bbox[4 * g + 1]!)
      maxLon = Math.max(maxLon, bbox[4 * g + 2]!)
      maxLat = Math.max(maxLat, bbox[4 * g + 3]!)
    }
    if (polygons.size === 0) [minLon, minLat, maxLon, maxLat] = [0, 0, 0, 0]
    this.minLon = minLon
    this.minLat = minLat
    this.maxLon = maxLon
    this.maxLat = maxLat
    const cLon = (minLon + maxLon) / 2
    const cLat = (minLat + maxLat) / 2
    this.projection = new FaceProjection(cLon, cLat)
    for (const [lon, lat] of boxSamples(minLon, minLat, maxLon, maxLat)) {
      if (!this.projection.holds(lon, lat)) {
        throw new Error(`Unexpected region ${minLon},${minLat},${maxLon},${maxLat}: it spans two icosahedron faces`)
      }
    }
    this.coarse = new H3Lattice(this.projection, cLon, cLat, COARSE_RES, 100)
    this.fine = new H3Lattice(this.projection, cLon, cLat, FINE_RES, 1000)
    const coarseRadius = this.radiusMetres(this.coarse, minLon, minLat, maxLon, maxLat) * SAFETY
    const fineRadius = this.radiusMetres(this.fine, minLon, minLat, maxLon, maxLat) * SAFETY

    // Coarse level: a dense array over the lattice range of the region.
    const cr = this.latticeRange(this.coarse, minLon, minLat, maxLon, maxLat)
    this.ci0 = cr.i0
    this.cj0 = cr.j0
    this.cSpanI = cr.i1 - cr.i0 + 1
    this.cSpanJ = cr.j1 - cr.j0 + 1
    this.coarseCells = new Int32Array(this.cSpanI * this.cSpanJ).fill(OUT)
    const near: number[] = []
    const refine: [number, number][] = []
    for (let i = cr.i0; i <= cr.i1; i++) {
      for (let j = cr.j0; j <= cr.j1; j++) {
        const [lon, lat] = this.cellCentre(this.coarse, i, j)
        if (!this.nearRegion(lon, lat, coarseRadius)) continue
        const k = (i - cr.i0) * this.cSpanJ + (j - cr.j0)
        if (this.edges.gridsNear(lon, lat, coarseRadius, near) > 0) {
          this.coarseCells[k] = REFINE
          refine.push([i, j])
        } else this.coarseCells[k] = this.edges.gridAt(lon, lat)
      }
    }

    // Fine level: every fine cell whose centre can hold a point of a refined coarse cell.
    // Fine cells reach beyond the region by up to a coarse cell plus the refinement reach.
    const fineMargin = Math.ceil((3 * this.coarse.spacing) / this.fine.spacing) + 4
    const fr = this.latticeRange(this.fine, minLon, minLat, maxLon, maxLat, fineMargin)
    this.fi0 = fr.i0
    this.fj0 = fr.j0
    this.fSpanJ = fr.j1 - fr.j0 + 1
    this.fineCells = new IntHashMap(refine.length * 90)
    const lists = new Map<string, number>()
    const starts = [0]
    const members: number[] = []
    const reach = ((this.coarse.spacing + this.fine.spacing) / Math.sqrt(3)) * SAFETY
    const { p0x, p0y, ax, ay, bx, by } = this.fine
    // Fine lattice offsets that can lie within `reach` of a coarse centre: within reach
    // plus a fine spacing of the fine cell holding that centre (which is nearer than a
    // spacing), in row order.
    const disc: number[] = []
    const discReach = reach + this.fine.spacing
    const steps = Math.ceil((2 * reach) / this.fine.spacing) + 2
    for (let di = -steps; di <= steps; di++) {
      for (let dj = -steps; dj <= steps; dj++) if (Math.hypot(di * ax + dj * bx, di * ay + dj * by) <= discReach) disc.push(di, dj)
    }
    const uv = new Int32Array(2)
    for (const [ci, cj] of refine) {
      const [cx, cy] = this.coarse.centre(ci, cj)
      this.fine.cellOfPlane(cx, cy, uv)
      // The grid of the last fine cell with no edge near it, when it was the previous
      // cell of the row: two neighbouring cells' edge-free discs overlap, so they lie
      // in the same grid, and the point-in-polygon test is not repeated.
      let lastFree = -1
      let lastFreeGrid = OUT
      for (let d = 0; d < disc.length; d += 2) {
        const i = uv[0]! + disc[d]!
        const j = uv[1]! + disc[d + 1]!
        const fx = p0x + i * ax + j * bx
        const fy = p0y + i * ay + j * by
        if (Math.hypot(fx - cx, fy - cy) > reach) continue
        const key = this.fineKey(i, j)
        if (this.fineCells.has(key)) continue
        const [lon, lat] = this.projection.unproject(fx, fy)
        if (this.edges.gridsNear(lon, lat, fineRadius, near) === 0) {
          const grid = lastFree === key - 1 ? lastFreeGrid : this.edges.gridAt(lon, lat)
          this.fineCells.set(key, grid)
          lastFree = key
          lastFreeGrid = grid
          continue
        }
        const inside = this.edges.gridAt(lon, lat)
        if (inside >= 0 && !near.includes(inside)) near.push(inside)
        near.sort((a, b) => a - b)
        const name = near.join(',')
        let list = lists.get(name)
        if (list === undefined) {
          list = lists.size
          lists.set(name, list)
          members.push(...near)
          starts.push(members.length)
        }
        this.fineCells.set(key, CANDIDATES - list)
      }
    }
    this.candStart = Int32Array.from(starts)
    this.candList = Int32Array.from(members)
    this.stats = {
      coarseCells: this.coarseCells.length,
      fineCells: this.fineCells.size,
      candidateLists: lists.size,
      buildMs: Math.round(performance.now() - started),
    }
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
    const { minLon, minLat, maxLon, maxLat, coarse, fine, coarseCells, ci0, cj0, cSpanI, cSpanJ, fi0, fj0, fSpanJ, fineCells, candStart, candList, polygons } = this
    const plane = this.planeBlock
    const count = coords.length >> 1
    for (let from = 0; from < count; from += PROJECT_BLOCK) {
      const to = Math.min(count, from + PROJECT_BLOCK)
      this.projection.projectMany(coords, from, to, plane)
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
          const list = CANDIDATES - f
          let answer = OUT
          for (let q = candStart[list]!, end = candStart[list + 1]!; q < end; q++) {
            const g = candList[q]!
            const where = polygons.locate(g, lon, lat)
            if (where === OUTSIDE) continue
            boundary[p] = where === ON_BOUNDARY ? 1 : 0
            answer = g
            break
          }
          grid[p] = answer
        }
      }
    }
  }

  /** The slow exact answer without cells; never needed inside the region, kept as the safe fallback. */
  private exact(lon: number, lat: number): number {
    const g = this.edges.gridAt(lon, lat)
    this.onBoundary = g >= 0 && this.polygons.locate(g, lon, lat) === ON_BOUNDARY
    return g
  }

  /** Every coarse cell with what it answers, for storing as H3 cells (−1 outside, −2 refined). */
  *coarseEntries(): Generator<{ h3: string; value: number }> {
    for (let i = 0; i < this.cSpanI; i++) {
      for (let j = 0; j < this.cSpanJ; j++) {
        const value = this.coarseCells[i * this.cSpanJ + j]!
        if (value !== OUT) yield { h3: this.coarse.h3(i + this.ci0, j + this.cj0), value }
      }
    }
  }

  private fineKey(i: number, j: number): number {
    return (i - this.fi0) * this.fSpanJ + (j - this.fj0) + 1
  }

  private cellCentre(lattice: H3Lattice, i: number, j: number): [number, number] {
    const [x, y] = lattice.centre(i, j)
    return this.projection.unproject(x, y)
  }

  private nearRegion(lon: number, lat: number, metres: number): boolean {
    const dLon = metres / this.edges.kx
    const dLat = metres / this.edges.ky
    return lon >= this.minLon - dLon && lon <= this.maxLon + dLon && lat >= this.minLat - dLat && lat <= this.maxLat + dLat
  }

  /** Lattice (i, j) range covering the region with a margin of `margin` cells. */
  private latticeRange(lattice: H3Lattice, minLon: number, minLat: number, maxLon: number, maxLat: number, margin = 2) {
    let i0 = Infinity, j0 = Infinity, i1 = -Infinity, j1 = -Infinity
    for (const [lon, lat] of boxSamples(minLon, minLat, maxLon, maxLat)) {
      this.projection.project(lon, lat, this.plane)
      lattice.cellOfPlane(this.plane[0]!, this.plane[1]!, this.ij)
      i0 = Math.min(i0, this.ij[0]!)
      j0 = Math.min(j0, this.ij[1]!)
      i1 = Math.max(i1, this.ij[0]!)
      j1 = Math.max(j1, this.ij[1]!)
    }
    return { i0: i0 - margin, j0: j0 - margin, i1: i1 + margin, j1: j1 + margin }
  }

  /** Largest centre-to-corner distance of the lattice's cells over the region, in metres. */
  private radiusMetres(lattice: H3Lattice, minLon: number, minLat: number, maxLon: number, maxLat: number): number {
    let max = 0
    for (const [lon, lat] of boxSamples(minLon, minLat, maxLon, maxLat)) {
      this.projection.project(lon, lat, this.plane)
      lattice.cellOfPlane(this.plane[0]!, this.plane[1]!, this.ij)
      const [x, y] = lattice.centre(this.ij[0]!, this.ij[1]!)
      const [clon, clat] = this.projection.unproject(x, y)
      // Corners of a hexagon lie at the circumradius = spacing / √3 in the plane.
      for (let k = 0; k < 6; k++) {
        const a = (k * Math.PI) / 3
        const r = lattice.spacing / Math.sqrt(3)
        const [vlon, vlat] = this.projection.unproject(x + r * Math.cos(a), y + r * Math.sin(a))
        max = Math.max(max, Math.hypot((vlon - clon) * this.edges.kx, (vlat - clat) * this.edges.ky))
      }
    }
    return max
  }
}

/** Corners, edge points and the centre of a box: enough to bound a smooth map over it. */
function boxSamples(minLon: number, minLat: number, maxLon: number, maxLat: number): [number, number][] {
  const out: [number, number][] = []
  for (let a = 0; a <= 4; a++) for (let b = 0; b <= 4; b++) out.push([minLon + ((maxLon - minLon) * a) / 4, minLat + ((maxLat - minLat) * b) / 4])
  return out
}

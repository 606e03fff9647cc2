/**
 * The two levels of the point-to-grid index (grid-index.ts answers from
 * them), built from a generation's grid polygons: resolution-9 H3 cells over
 * the region as a dense array, each the grid it lies in, "outside", or
 * "refine" when a grid edge passes near; and the resolution-11 cells of the
 * refined ones, hashed, each a grid or a short list of candidate grids.
 */
import { EdgeIndex } from './edge-index.ts'
import type { GridPolygons } from './grid-polygons.ts'
import { FaceProjection } from './face-projection.ts'
import { H3Lattice } from './h3-lattice.ts'
import { IntHashMap } from './int-hash-map.ts'

export const COARSE_RES = 9
export const FINE_RES = 11
/** Margin on a cell's circumradius: covers H3's distortion and the metric's approximation. */
const SAFETY = 1.2

/** Cell values: a grid index ≥ 0, or one of these. */
export const OUT = -1
export const REFINE = -2
/** Fine-cell values ≤ CANDIDATES encode candidate list −(v − CANDIDATES). */
export const CANDIDATES = -3

export class GridLevels {
  readonly edges: EdgeIndex
  readonly projection: FaceProjection
  readonly coarse: H3Lattice
  readonly fine: H3Lattice
  /** Region bbox: outside it nothing is covered. */
  readonly minLon: number
  readonly minLat: number
  readonly maxLon: number
  readonly maxLat: number
  /** Coarse cells, dense over their (i, j) range. */
  readonly coarseCells: Int32Array
  readonly ci0: number
  readonly cj0: number
  readonly cSpanJ: number
  readonly cSpanI: number
  /** Fine cells, hashed by their offset in rows of fSpanJ cells, plus one. */
  readonly fineCells: IntHashMap
  readonly fi0: number
  readonly fj0: number
  readonly fSpanJ: number
  /** Candidate lists: grids candList[candStart[k] … candStart[k + 1] − 1], ascending. */
  readonly candStart: Int32Array
  readonly candList: Int32Array
  readonly stats: Record<string, number>
  private readonly plane = new Float64Array(2)
  private readonly ij = new Int32Array(2)

  constructor(polygons: GridPolygons) {
    const started = performance.now()
    this.edges = new EdgeIndex(polygons)
    const [minLon, minLat, maxLon, maxLat] = polygons.extent()
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
    const covering: number[] = []
    const refine: [number, number][] = []
    for (let i = cr.i0; i <= cr.i1; i++) {
      for (let j = cr.j0; j <= cr.j1; j++) {
        const [lon, lat] = this.cellCentre(this.coarse, i, j)
        if (!this.nearRegion(lon, lat, coarseRadius)) continue
        const k = (i - cr.i0) * this.cSpanJ + (j - cr.j0)
        // With no edge near, the whole cell lies in the grids covering its centre: one answers directly;
        // several (grids that overlap) are refined, where candidate lists say every point is on a boundary.
        const covers = this.edges.gridsNear(lon, lat, coarseRadius, near) > 0 ? -1 : this.edges.gridsAt(lon, lat, covering)
        if (covers < 0 || covers > 1) {
          this.coarseCells[k] = REFINE
          refine.push([i, j])
        } else this.coarseCells[k] = covers === 1 ? covering[0]! : OUT
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
    // A fine cell's value as a list of candidate grids (ascending), each point tested against them.
    const listOf = (grids: number[]): number => {
      const name = grids.join(',')
      let list = lists.get(name)
      if (list === undefined) {
        list = lists.size
        lists.set(name, list)
        members.push(...grids)
        starts.push(members.length)
      }
      return CANDIDATES - list
    }
    const uv = new Int32Array(2)
    for (const [ci, cj] of refine) {
      const [cx, cy] = this.coarse.centre(ci, cj)
      this.fine.cellOfPlane(cx, cy, uv)
      // The value of the last fine cell with no edge near it, when it was the previous
      // cell of the row: two neighbouring cells' edge-free discs overlap, so they lie
      // in the same grids, and the point-in-polygon tests are not repeated.
      let freeI = NaN
      let freeJ = NaN
      let freeValue = OUT
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
          // No edge near: the grids covering the centre cover all of the cell. One answers directly;
          // several (overlapping) are a list, whose test says the point is on a boundary.
          const covers = freeI === i && freeJ === j - 1 ? -1 : this.edges.gridsAt(lon, lat, covering)
          const value = covers < 0 ? freeValue : covers === 0 ? OUT : covers === 1 ? covering[0]! : listOf(covering)
          this.fineCells.set(key, value)
          freeI = i
          freeJ = j
          freeValue = value
          continue
        }
        // Candidates: the grids with an edge through the cell, and those covering all of it (its centre).
        this.edges.gridsAt(lon, lat, covering)
        for (const g of covering) if (!near.includes(g)) near.push(g)
        near.sort((a, b) => a - b)
        this.fineCells.set(key, listOf(near))
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

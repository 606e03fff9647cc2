/**
 * H3 cells of one resolution, as plain integer lattice coordinates, for a region
 * that lies on one icosahedron face (a city does). On a face, H3 projects the
 * sphere gnomonically about the face centre and lays a regular hexagonal
 * lattice over the plane; so a point's cell is the nearest lattice point of its
 * gnomonic projection. Computing that takes a few multiplications instead of
 * h3-js's string-returning call, which is what makes millions of lookups a
 * second possible. The lattice is calibrated against h3-js itself (the
 * centres of the origin's neighbours, then of the cells latLngToCell finds up
 * to a span away; the projection is face-projection.ts), and tests prove the cells are
 * identical to h3-js's `latLngToCell` on millions of random points. Only a
 * point within about 1e-10 of a cell's size from a cell edge can differ: that
 * is h3-js's own floating-point noise around the ideal lattice.
 */
import { cellToLatLng, cellToLocalIj, latLngToCell, localIjToCell } from 'h3-js'
import type { FaceProjection } from './face-projection.ts'

/** Lattice coordinates cellOfPlane can answer: ±2²⁴ cells from the origin (offsets stay below 2⁵³). */
const LATTICE_HALF = 2 ** 24

/** The H3 cells of one resolution near a region, as lattice coordinates (i, j) along H3's local i and j axes at an origin cell. */
export class H3Lattice {
  readonly res: number
  readonly origin: string
  readonly projection: FaceProjection
  /** Plane position of lattice point (0, 0) and the two basis vectors. */
  readonly p0x: number
  readonly p0y: number
  readonly ax: number
  readonly ay: number
  readonly bx: number
  readonly by: number
  /** Inverse of the basis matrix, for plane → fractional lattice coordinates. */
  private readonly m0: number
  private readonly m1: number
  private readonly m2: number
  private readonly m3: number

  constructor(projection: FaceProjection, lon: number, lat: number, res: number, span: number) {
    this.res = res
    this.projection = projection
    this.origin = latLngToCell(lat, lon, res)
    const ij = cellToLocalIj(this.origin, this.origin)
    const o = this.planeOf(this.origin)
    this.p0x = o[0]
    this.p0y = o[1]
    // The basis, first from the origin's neighbours along H3's local i and j axes (a short
    // baseline: h3-js's degree output rounds it by ~1e-11 of a cell)…
    const step = (di: number, dj: number) => {
      const [x, y] = this.planeOf(localIjToCell(this.origin, { i: ij.i + di, j: ij.j + dj }))
      return [x - o[0], y - o[1]] as const
    }
    let [ax, ay] = step(1, 0)
    let [bx, by] = step(0, 1)
    // …then from the cells up to `span` steps away on each side, found by latLngToCell at the points the
    // short basis predicts (off by far less than a cell, so they are those cells exactly): the long
    // baseline makes the rounding negligible. Local IJ itself is not used that far out: across a
    // base cell's edge it may turn (about 3 % of places, Buenos Aires among them).
    const far = (k: number, vx: number, vy: number) => {
      const [x, y] = this.planeOf(this.cellAtPlane(o[0] + k * vx, o[1] + k * vy))
      return [x, y] as const
    }
    // Both ends on this face (H3 projects each point about its nearest face centre, so beyond the face's
    // edge the lattice bends): the span is halved until they are.
    const onFace = (k: number, vx: number, vy: number) => this.projection.holds(...this.projection.unproject(o[0] + k * vx, o[1] + k * vy))
    const long = (vx: number, vy: number) => {
      let k = span
      while (k > 1 && !(onFace(k, vx, vy) && onFace(-k, vx, vy))) k = Math.floor(k / 2)
      const [px, py] = far(k, vx, vy)
      const [mx, my] = far(-k, vx, vy)
      return [(px - mx) / (2 * k), (py - my) / (2 * k)] as const
    }
    ;[ax, ay] = long(ax, ay)
    ;[bx, by] = long(bx, by)
    this.ax = ax
    this.ay = ay
    this.bx = bx
    this.by = by
    // H3's i and j axes are 120° apart: offsetOf's choice of the nearest corner relies on it.
    const cos = (ax * bx + ay * by) / (ax * ax + ay * ay)
    const ratio = Math.hypot(bx, by) / Math.hypot(ax, ay)
    if (Math.abs(cos + 0.5) > 1e-6 || Math.abs(ratio - 1) > 1e-6) throw new Error(`Unexpected H3 lattice at ${lon},${lat} res ${res}: axes not 120° apart and of one length (cos ${cos}, ratio ${ratio})`)
    const det = ax * by - bx * ay
    this.m0 = by / det
    this.m1 = -bx / det
    this.m2 = -ay / det
    this.m3 = ax / det
  }

  /** The H3 cell (h3-js) holding the point whose projection is (X, Y). */
  private cellAtPlane(X: number, Y: number): string {
    const [lon, lat] = this.projection.unproject(X, Y)
    return latLngToCell(lat, lon, this.res)
  }

  private planeOf(cell: string): [number, number] {
    const [lat, lon] = cellToLatLng(cell)
    const out = new Float64Array(2)
    this.projection.project(lon, lat, out)
    return [out[0]!, out[1]!]
  }

  /**
   * The lattice cell holding plane point (X, Y): the nearest lattice point.
   * Writes i, j into out[0], out[1].
   */
  cellOfPlane(X: number, Y: number, out: Int32Array): void {
    const offset = this.offsetOf(X, Y, -LATTICE_HALF, -LATTICE_HALF, 2 * LATTICE_HALF, 2 * LATTICE_HALF)
    if (offset < 0) throw new Error(`Unexpected plane point ${X},${Y}: over ${LATTICE_HALF} cells from the lattice origin`)
    const i = Math.floor(offset / (2 * LATTICE_HALF))
    out[0] = i - LATTICE_HALF
    out[1] = offset - i * 2 * LATTICE_HALF - LATTICE_HALF
  }

  /**
   * The cell holding plane point (X, Y) as an offset into a dense (i, j) range:
   * (i − i0) · spanJ + (j − j0), or −1 when the cell lies outside
   * [i0, i0 + spanI) × [j0, j0 + spanJ). The same cell as cellOfPlane, with
   * nothing written to memory (the lookup's hot path).
   *
   * The nearest lattice point is a corner of the basis parallelogram holding
   * the point, at fractional position (u, v) in it. The basis vectors are 120°
   * apart (the constructor checks), so the squared distance to corner (0, 0)
   * is u² − uv + v² (in squared spacings), and each other corner's differs from
   * it by a linear term: (1, 0) is nearer than (0, 0) when 2u − v > 1 and
   * nearer than (1, 1) when u > 2v; (0, 1) likewise with u and v swapped;
   * (1, 1) is nearer than (0, 0) when u + v > 1. The choice is made with
   * bitwise arithmetic on the comparisons (+ makes them 0 or 1) rather than branches: which corner
   * wins is random from point to point, and mispredicted branches cost three
   * times the arithmetic. Ties go to (0, 0), then (1, 0) and (0, 1).
   */
  offsetOf(X: number, Y: number, i0: number, j0: number, spanI: number, spanJ: number): number {
    const dx = X - this.p0x
    const dy = Y - this.p0y
    const U = this.m0 * dx + this.m1 * dy
    const V = this.m2 * dx + this.m3 * dy
    const fu = Math.floor(U)
    const fv = Math.floor(V)
    const u = U - fu
    const v = V - fv
    const far = +(u + v > 1) & +(u < 2 * v) & +(v < 2 * u)
    const di = fu + (far | (+(2 * u - v > 1) & +(u >= 2 * v))) - i0
    const dj = fv + (far | (+(2 * v - u > 1) & +(v >= 2 * u))) - j0
    return di < 0 || dj < 0 || di >= spanI || dj >= spanJ ? -1 : di * spanJ + dj
  }

  /** Centre of lattice cell (i, j) in the plane. */
  centre(i: number, j: number): [number, number] {
    return [this.p0x + i * this.ax + j * this.bx, this.p0y + i * this.ay + j * this.by]
  }

  /** Distance between neighbouring cell centres, in plane units (√3 × the hexagon's edge). */
  get spacing(): number {
    return Math.hypot(this.ax, this.ay)
  }

  /** The H3 index of lattice cell (i, j): the cell holding its centre (h3-js's own answer, far from any edge). */
  h3(i: number, j: number): string {
    const [x, y] = this.centre(i, j)
    return this.cellAtPlane(x, y)
  }
}

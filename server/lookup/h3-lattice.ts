/**
 * H3 cells of one resolution, as plain integer lattice coordinates, for a region
 * that lies on one icosahedron face (a city does). On a face, H3 projects the
 * sphere gnomonically about the face centre and lays a regular hexagonal
 * lattice over the plane; so a point's cell is the nearest lattice point of its
 * gnomonic projection. Computing that takes a few multiplications instead of
 * h3-js's string-returning call, which is what makes millions of lookups a
 * second possible. The lattice is calibrated against h3-js itself (cell
 * centres through local IJ coordinates), and tests prove the cells are
 * identical to h3-js's `latLngToCell` on millions of random points. Only a
 * point within about 1e-10 of a cell's size from a cell edge can differ: that
 * is h3-js's own floating-point noise around the ideal lattice.
 */
import { cellToLatLng, cellToLocalIj, getPentagons, latLngToCell, localIjToCell } from 'h3-js'

const DEG = Math.PI / 180
/**
 * Offsets from the region's centre (radians, ≈ 5.7°) within which projectMany
 * takes sines and cosines from series: the first term left out is below 1e-18
 * of the result there.
 */
const SERIES_LIMIT = 0.1
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362_880
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40_320, C10 = -1 / 3_628_800
/** Lattice coordinates cellOfPlane can answer: ±2²⁴ cells from the origin (offsets stay below 2⁵³). */
const LATTICE_HALF = 2 ** 24

/** Gnomonic projection about the centre of the icosahedron face that holds a region. */
export class FaceProjection {
  /** Face centre n and tangent basis e1 (east), e2 (north), as unit vectors. */
  readonly n: Float64Array
  readonly e1: Float64Array
  readonly e2: Float64Array
  /** The region's centre, about which projectMany takes its series. */
  readonly lon0: number
  readonly lat0: number
  private readonly cosLon0: number
  private readonly sinLon0: number
  private readonly cosLat0: number
  private readonly sinLat0: number
  private readonly one = new Float64Array(2)

  constructor(lon: number, lat: number) {
    this.lon0 = lon
    this.lat0 = lat
    this.cosLon0 = Math.cos(lon * DEG)
    this.sinLon0 = Math.sin(lon * DEG)
    this.cosLat0 = Math.cos(lat * DEG)
    this.sinLat0 = Math.sin(lat * DEG)
    this.n = nearestFaceCentre(unitVector(lon, lat))
    const [nx, ny, nz] = this.n as unknown as [number, number, number]
    const e1 = normalize([-ny, nx, 0])
    this.e1 = Float64Array.from(e1)
    this.e2 = Float64Array.from([ny * e1[2]! - nz * e1[1]!, nz * e1[0]! - nx * e1[2]!, nx * e1[1]! - ny * e1[0]!])
  }

  /** True when (lon, lat) projects about this face (its nearest face centre is this one). */
  holds(lon: number, lat: number): boolean {
    const c = nearestFaceCentre(unitVector(lon, lat))
    return c[0] === this.n[0] && c[1] === this.n[1] && c[2] === this.n[2]
  }

  /** Writes the plane coordinates of (lon, lat) into out[0], out[1]. */
  project(lon: number, lat: number, out: Float64Array): void {
    this.one[0] = lon
    this.one[1] = lat
    this.projectMany(this.one, 0, 1, out)
  }

  /**
   * Plane coordinates of points `from` … `to` − 1 of interleaved lon/lat
   * `coords`, into `out` from 0, with the basis in locals (batch lookups
   * spend a fifth of their time here). Near the region's centre (lon0, lat0)
   * the sines and cosines come from the centre's by the angle-addition
   * formulas, with the offset's own from their Taylor series (exact to well
   * under a unit in the last place within SERIES_LIMIT): a third of the time of
   * four Math.sin/cos calls. Farther points take Math's.
   */
  projectMany(coords: Float64Array, from: number, to: number, out: Float64Array): void {
    const n0 = this.n[0]!, n1 = this.n[1]!, n2 = this.n[2]!
    const a0 = this.e1[0]!, a1 = this.e1[1]!, a2 = this.e1[2]!
    const b0 = this.e2[0]!, b1 = this.e2[1]!, b2 = this.e2[2]!
    const { lon0, lat0, cosLon0, sinLon0, cosLat0, sinLat0 } = this
    for (let p = from, k = 0; p < to; p++, k += 2) {
      const lon = coords[2 * p]!
      const lat = coords[2 * p + 1]!
      const u = (lon - lon0) * DEG
      const v = (lat - lat0) * DEG
      let x: number, y: number, z: number
      if (u <= SERIES_LIMIT && u >= -SERIES_LIMIT && v <= SERIES_LIMIT && v >= -SERIES_LIMIT) {
        const u2 = u * u
        const v2 = v * v
        const su = u + u * u2 * (S3 + u2 * (S5 + u2 * (S7 + u2 * S9)))
        const cu = 1 + u2 * (C2 + u2 * (C4 + u2 * (C6 + u2 * (C8 + u2 * C10))))
        const sv = v + v * v2 * (S3 + v2 * (S5 + v2 * (S7 + v2 * S9)))
        const cv = 1 + v2 * (C2 + v2 * (C4 + v2 * (C6 + v2 * (C8 + v2 * C10))))
        const cl = cosLat0 * cv - sinLat0 * sv
        x = cl * (cosLon0 * cu - sinLon0 * su)
        y = cl * (sinLon0 * cu + cosLon0 * su)
        z = sinLat0 * cv + cosLat0 * sv
      } else {
        const cl = Math.cos(lat * DEG)
        x = cl * Math.cos(lon * DEG)
        y = cl * Math.sin(lon * DEG)
        z = Math.sin(lat * DEG)
      }
      const r = 1 / (x * n0 + y * n1 + z * n2)
      out[k] = (x * a0 + y * a1 + z * a2) * r
      out[k + 1] = (x * b0 + y * b1 + z * b2) * r
    }
  }

  /** The point whose projection is (X, Y), as [lon, lat]. */
  unproject(X: number, Y: number): [number, number] {
    const n = this.n, e1 = this.e1, e2 = this.e2
    const x = n[0]! + X * e1[0]! + Y * e2[0]!
    const y = n[1]! + X * e1[1]! + Y * e2[1]!
    const z = n[2]! + X * e1[2]! + Y * e2[2]!
    const len = Math.hypot(x, y, z)
    return [Math.atan2(y, x) / DEG, Math.asin(z / len) / DEG]
  }
}

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

function unitVector(lon: number, lat: number): [number, number, number] {
  const cl = Math.cos(lat * DEG)
  return [cl * Math.cos(lon * DEG), cl * Math.sin(lon * DEG), Math.sin(lat * DEG)]
}

function normalize(v: number[]): number[] {
  const len = Math.hypot(...v)
  return v.map((c) => c / len)
}

let faceCentres: Float64Array[] | null = null

/**
 * The 20 face centres of H3's icosahedron, from its 12 vertices (the centres of
 * the resolution-0 pentagons): a face is three mutually adjacent vertices, its
 * centre their normalised sum. H3 assigns every point to its nearest face centre.
 */
function nearestFaceCentre(p: [number, number, number]): Float64Array {
  if (!faceCentres) {
    const vertices = getPentagons(0).map((c) => {
      const [lat, lon] = cellToLatLng(c)
      return unitVector(lon, lat)
    })
    const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!
    // Adjacent icosahedron vertices are 63.43° apart (cos = 1/√5 ≈ 0.447); others are ≥ 116°.
    const adjacent = (a: number[], b: number[]) => dot(a, b) > 0.3
    faceCentres = []
    for (let a = 0; a < 12; a++)
      for (let b = a + 1; b < 12; b++)
        for (let c = b + 1; c < 12; c++) {
          const [va, vb, vc] = [vertices[a]!, vertices[b]!, vertices[c]!]
          if (adjacent(va, vb) && adjacent(vb, vc) && adjacent(va, vc)) {
            faceCentres.push(Float64Array.from(normalize([va[0] + vb[0] + vc[0], va[1] + vb[1] + vc[1], va[2] + vb[2] + vc[2]])))
          }
        }
    if (faceCentres.length !== 20) throw new Error(`Expected 20 icosahedron faces, found ${faceCentres.length}`)
  }
  let best = faceCentres[0]!
  let bestDot = -Infinity
  for (const f of faceCentres) {
    const d = f[0]! * p[0] + f[1]! * p[1] + f[2]! * p[2]
    if (d > bestDot) {
      bestDot = d
      best = f
    }
  }
  return best
}

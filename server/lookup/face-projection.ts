/**
 * The gnomonic projection H3 lays its hexagonal lattice on: about the centre
 * of the icosahedron face nearest a point. A city lies on one face (checked
 * by GridLevels), and its points project onto one plane where each
 * resolution's cells form a regular lattice (h3-lattice.ts).
 */
import { cellToLatLng, getPentagons } from 'h3-js'

const DEG = Math.PI / 180
/**
 * Offsets from the region's centre (radians, ≈ 5.7°) within which projectMany
 * takes sines and cosines from series: the first term left out is below 1e-18
 * of the result there.
 */
const SERIES_LIMIT = 0.1
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362_880
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40_320, C10 = -1 / 3_628_800

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

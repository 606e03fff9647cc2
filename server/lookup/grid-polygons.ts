/**
 * The grids of one generation as flat typed arrays, with a point-in-polygon
 * test that answers as PostGIS ST_Covers does in lon/lat: inside, outside or on
 * the boundary (edges and vertices). It is PostGIS's own test (liblwgeom's
 * winding rule with lw_segment_side, the same double-precision operations in
 * the same order), so a point within rounding of an edge is on it exactly when
 * PostGIS says so; plain ray casting, which divides, disagrees with PostGIS on
 * about one edge point in eight.
 */

export interface GridPolygonsInput {
  codes: string[]
  /** One MultiPolygon coordinates array per grid (GeoJSON order: polygons → rings → [lon, lat]). */
  multipolygons: number[][][][][]
}

export const OUTSIDE = 0
export const INSIDE = 1
export const ON_BOUNDARY = 2

export class GridPolygons {
  readonly codes: string[]
  /** All ring vertices, interleaved lon/lat. */
  readonly coords: Float64Array
  /** Ring r spans vertices ringStart[r] … ringStart[r + 1] − 1 (closed: last = first). */
  readonly ringStart: Uint32Array
  /** Grid g owns rings gridRing[g] … gridRing[g + 1] − 1. */
  readonly gridRing: Uint32Array
  /** Bounding box of grid g: bbox[4g … 4g+3] = minLon, minLat, maxLon, maxLat. */
  readonly bbox: Float64Array

  constructor(input: GridPolygonsInput) {
    this.codes = input.codes
    let vertices = 0
    let rings = 0
    for (const mp of input.multipolygons) for (const poly of mp) for (const ring of poly) (rings++, (vertices += ring.length))
    this.coords = new Float64Array(vertices * 2)
    this.ringStart = new Uint32Array(rings + 1)
    this.gridRing = new Uint32Array(input.codes.length + 1)
    this.bbox = new Float64Array(input.codes.length * 4)
    let v = 0
    let r = 0
    input.multipolygons.forEach((mp, g) => {
      this.gridRing[g] = r
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity
      for (const poly of mp) {
        for (const ring of poly) {
          this.ringStart[r++] = v
          for (const [x, y] of ring as [number, number][]) {
            this.coords[2 * v] = x
            this.coords[2 * v + 1] = y
            v++
            if (x < minX) minX = x
            if (x > maxX) maxX = x
            if (y < minY) minY = y
            if (y > maxY) maxY = y
          }
        }
      }
      this.bbox.set([minX, minY, maxX, maxY], 4 * g)
    })
    this.ringStart[r] = v
    this.gridRing[input.codes.length] = r
  }

  get size(): number {
    return this.codes.length
  }

  /** The grids `picked` (indexes, ascending) on their own. */
  subset(picked: readonly number[]): GridPolygons {
    return new GridPolygons({ codes: picked.map((g) => this.codes[g]!), multipolygons: picked.map((g) => this.ringsOf(g)) })
  }

  /** Grid g's rings, each as a polygon of its own: the same point set, since every test is even-odd over all of a grid's rings. */
  ringsOf(g: number): [number, number][][][] {
    const rings: [number, number][][][] = []
    for (let r = this.gridRing[g]!; r < this.gridRing[g + 1]!; r++) {
      const ring: [number, number][] = []
      for (let v = this.ringStart[r]!; v < this.ringStart[r + 1]!; v++) ring.push([this.coords[2 * v]!, this.coords[2 * v + 1]!])
      rings.push([ring])
    }
    return rings
  }

  /** The box around every grid, as [minLon, minLat, maxLon, maxLat]; all 0 when there are no grids. */
  extent(): [number, number, number, number] {
    if (this.size === 0) return [0, 0, 0, 0]
    const bb = this.bbox
    let minLon = Infinity, minLat = Infinity, maxLon = -Infinity, maxLat = -Infinity
    for (let g = 0; g < this.size; g++) {
      minLon = Math.min(minLon, bb[4 * g]!)
      minLat = Math.min(minLat, bb[4 * g + 1]!)
      maxLon = Math.max(maxLon, bb[4 * g + 2]!)
      maxLat = Math.max(maxLat, bb[4 * g + 3]!)
    }
    return [minLon, minLat, maxLon, maxLat]
  }

  /** OUTSIDE, INSIDE or ON_BOUNDARY of grid g, exactly (even-odd over all rings, as OGC polygons with holes). */
  locate(g: number, x: number, y: number): number {
    const b = 4 * g
    const bb = this.bbox
    if (x < bb[b]! || x > bb[b + 2]! || y < bb[b + 1]! || y > bb[b + 3]!) return OUTSIDE
    const c = this.coords
    let inside = false
    for (let r = this.gridRing[g]!, rEnd = this.gridRing[g + 1]!; r < rEnd; r++) {
      const end = this.ringStart[r + 1]! - 1
      for (let i = this.ringStart[r]!; i < end; i++) {
        const ax = c[2 * i]!, ay = c[2 * i + 1]!
        const bx = c[2 * i + 2]!, by = c[2 * i + 3]!
        const aAbove = ay > y
        const bAbove = by > y
        // Only edges that reach the point's latitude can touch it or cross its ray.
        if (aAbove === bAbove && ay !== y && by !== y) continue
        // The side of a→b the point is on, positive to the right (y up), computed as PostGIS computes it
        // (liblwgeom's lw_segment_side: these operations in this order, in double precision), so that a
        // point within rounding of an edge falls where ST_Covers puts it. Exact predicates (robust-predicates'
        // orient2d) disagreed with PostGIS on 2.4 % of points interpolated along edges near 0° (tests/lookup/lookup-exact).
        const side = (x - ax) * (by - ay) - (bx - ax) * (y - ay)
        if (side === 0 && x >= Math.min(ax, bx) && x <= Math.max(ax, bx) && y >= Math.min(ay, by) && y <= Math.max(ay, by)) {
          return ON_BOUNDARY
        }
        // Half-open crossing rule on the ray towards +x: the edge crosses it when
        // the point is left of the edge taken upwards.
        if (aAbove !== bAbove && (bAbove ? side < 0 : side > 0)) inside = !inside
      }
    }
    return inside ? INSIDE : OUTSIDE
  }
}

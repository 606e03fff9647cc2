import { describe, expect, it } from 'vitest'
import { createRng } from '../../server/demo/prng.ts'
import { buildPointIndex } from '../../server/lookup/build-index.ts'
import { GridPolygons, OUTSIDE } from '../../server/lookup/grid-polygons.ts'

/** nx × ny square grids of `size` degrees from (lon0, lat0), codes in order. */
function squares(lon0: number, lat0: number, nx: number, ny: number, size: number) {
  const codes: string[] = []
  const multipolygons: number[][][][][] = []
  for (let i = 0; i < nx; i++)
    for (let j = 0; j < ny; j++) {
      const x = lon0 + i * size
      const y = lat0 + j * size
      codes.push(`441900003001${String(codes.length + 1).padStart(3, '0')}`)
      multipolygons.push([[[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]])
    }
  return new GridPolygons({ codes, multipolygons })
}

/** The answer by definition: the lowest-index grid that covers the point. */
function bruteForce(p: GridPolygons, lon: number, lat: number) {
  for (let g = 0; g < p.size; g++) if (p.locate(g, lon, lat) !== OUTSIDE) return g
  return -1
}

describe('buildPointIndex', () => {
  const cases = [
    { name: 'a city-sized region (H3 cells)', polygons: squares(113.7, 22.9, 6, 5, 0.02), kind: 'h3' },
    { name: 'a region wider than 5° (exact index)', polygons: squares(100, 20, 4, 4, 2), kind: 'exact' },
    { name: 'a region around an icosahedron vertex (pentagon at 58.16° E, 10.45° N)', polygons: squares(58.0, 10.3, 6, 6, 0.05), kind: undefined },
    { name: 'a region across the antimeridian side (179.9° E)', polygons: squares(179.8, -17, 3, 3, 0.03), kind: undefined },
  ]
  for (const c of cases) {
    it(`answers exactly for ${c.name}`, () => {
      const index = buildPointIndex(c.polygons)
      if (c.kind) expect(index.kind).toBe(c.kind)
      const { bbox } = c.polygons
      const minLon = Math.min(...Array.from({ length: c.polygons.size }, (_, g) => bbox[4 * g]!))
      const maxLon = Math.max(...Array.from({ length: c.polygons.size }, (_, g) => bbox[4 * g + 2]!))
      const minLat = Math.min(...Array.from({ length: c.polygons.size }, (_, g) => bbox[4 * g + 1]!))
      const maxLat = Math.max(...Array.from({ length: c.polygons.size }, (_, g) => bbox[4 * g + 3]!))
      const rng = createRng(c.name)
      const wrong: string[] = []
      for (let k = 0; k < 20_000; k++) {
        const lon = rng.range(minLon - 0.01, maxLon + 0.01)
        const lat = rng.range(minLat - 0.01, maxLat + 0.01)
        const got = index.lookup(lon, lat)
        const want = bruteForce(c.polygons, lon, lat)
        if (got !== want && wrong.length < 3) wrong.push(`${lon},${lat}: ${got} ≠ ${want}`)
      }
      expect(wrong).toEqual([])
    })
  }

  it('answers a batch (lookupMany) exactly as point by point, across blocks, vertices and points outside', () => {
    for (const c of cases) {
      const index = buildPointIndex(c.polygons)
      const rng = createRng(`many ${c.name}`)
      const { bbox } = c.polygons
      const n = 3_000 // several projection blocks
      const coords = new Float64Array(2 * n)
      for (let k = 0; k < n; k++) {
        const g = rng.int(c.polygons.size)
        const [x0, y0, x1, y1] = [bbox[4 * g]!, bbox[4 * g + 1]!, bbox[4 * g + 2]!, bbox[4 * g + 3]!]
        // A third on corners (shared by up to four grids), the rest inside or just outside the grid's box.
        const corner = k % 3 === 0
        coords[2 * k] = corner ? (rng.next() < 0.5 ? x0 : x1) : rng.range(x0 - 0.3 * (x1 - x0), x1 + 0.3 * (x1 - x0))
        coords[2 * k + 1] = corner ? (rng.next() < 0.5 ? y0 : y1) : rng.range(y0 - 0.3 * (y1 - y0), y1 + 0.3 * (y1 - y0))
      }
      const grid = new Int32Array(n).fill(99)
      const boundary = new Uint8Array(n).fill(9)
      index.lookupMany(coords, grid, boundary)
      const wrong: string[] = []
      for (let k = 0; k < n; k++) {
        const want = index.lookup(coords[2 * k]!, coords[2 * k + 1]!)
        const wantBoundary = index.onBoundary ? 1 : 0
        if ((grid[k] !== want || boundary[k] !== wantBoundary) && wrong.length < 3) wrong.push(`${c.name} ${coords[2 * k]},${coords[2 * k + 1]}: ${grid[k]}/${boundary[k]} ≠ ${want}/${wantBoundary}`)
        if (want !== bruteForce(c.polygons, coords[2 * k]!, coords[2 * k + 1]!) && wrong.length < 3) wrong.push(`${c.name} ${coords[2 * k]},${coords[2 * k + 1]}: lookup ${want} is not the lowest covering grid`)
      }
      expect(wrong).toEqual([])
      expect(boundary.filter((b) => b === 1).length).toBeGreaterThan(n / 4)
    }
  })

  it('says onBoundary inside a sliver where two grids overlap, on both indexes, and answers the lowest code there', () => {
    // Two 0.02° squares whose shared edge is drawn twice: the left one reaches 1e-7° (about 1 cm) past it.
    for (const [lon0, size] of [[113.7, 0.02], [100, 3]] as const) {
      const codes = ['441900003001001', '441900003002001']
      const e = lon0 + size
      const multipolygons = [
        [[[[lon0, 22.9], [e + 1e-7, 22.9], [e + 1e-7, 22.9 + size], [lon0, 22.9 + size], [lon0, 22.9]]]],
        [[[[e, 22.9], [e + size, 22.9], [e + size, 22.9 + size], [e, 22.9 + size], [e, 22.9]]]],
      ]
      const polygons = new GridPolygons({ codes, multipolygons })
      const index = buildPointIndex(polygons)
      const inSliver = [e + 5e-8, 22.9 + size / 3] as const
      expect(index.lookup(...inSliver), index.kind).toBe(0)
      expect(index.onBoundary, `${index.kind}: inside both grids`).toBe(true)
      const batch = { grid: new Int32Array(2), boundary: new Uint8Array(2) }
      index.lookupMany(Float64Array.of(...inSliver, e - size / 2, 22.9 + size / 3), batch.grid, batch.boundary)
      expect([...batch.grid, ...batch.boundary]).toEqual([0, 0, 1, 0])
      expect(index.lookup(e + 2e-7, 22.9 + size / 3)).toBe(1)
      expect(index.onBoundary).toBe(false)
    }
  })

  it('measures the nearest grid of a far point on the sphere, never more than half the Earth away', () => {
    const polygons = squares(113.7, 22.9, 3, 3, 0.02)
    const index = buildPointIndex(polygons)
    const haversine = (lon1: number, lat1: number, lon2: number, lat2: number) => {
      const r = Math.PI / 180
      const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2
      return 2 * 6371008.8 * Math.asin(Math.sqrt(a))
    }
    // The city's south-west corner is its closest point to each of these.
    for (const [lon, lat] of [[-170, -80], [0, 0], [113.0, 22.0]] as const) {
      const n = index.edges.nearest(lon, lat)!
      const truth = haversine(lon, lat, 113.7, 22.9)
      expect(n.metres, `${lon},${lat}`).toBeLessThan(20_037_600)
      expect(Math.abs(n.metres - truth) / truth, `${lon},${lat}: ${n.metres} vs ${truth}`).toBeLessThan(0.01)
    }
    // One point, one answer: 180° W is 180° E. And the grid is the one nearest on the sphere (its corner vertex).
    const [west, east] = [index.edges.nearest(-180, 0)!, index.edges.nearest(180, 0)!]
    expect(west).toEqual(east)
    let nearestVertex = { grid: -1, metres: Infinity }
    for (let g = 0; g < polygons.size; g++) {
      for (let v = polygons.ringStart[polygons.gridRing[g]!]!; v < polygons.ringStart[polygons.gridRing[g + 1]!]!; v++) {
        const d = haversine(-179, 10, polygons.coords[2 * v]!, polygons.coords[2 * v + 1]!)
        if (d < nearestVertex.metres) nearestVertex = { grid: g, metres: d }
      }
    }
    const far = index.edges.nearest(-179, 10)!
    expect(far.grid).toBe(nearestVertex.grid)
    expect(far.metres).toBeLessThanOrEqual(nearestVertex.metres * 1.0001)
    // Nearby, the plane: 0.01° east of the city at 22.93° N.
    const near = index.edges.nearest(113.77, 22.93)!
    expect(Math.abs(near.metres - 0.01 * 111_320 * Math.cos((22.93 * Math.PI) / 180))).toBeLessThan(5)
  })

  it('finds the grid nearest on the sphere for far points at high latitude, where the plane misplaces closest points', () => {
    // A city at Tromsø's latitude; far points all round, some thousands of kilometres off.
    const polygons = squares(18.8, 69.55, 8, 8, 0.03)
    const index = buildPointIndex(polygons)
    // Independently: every edge's great-circle arc walked in 2,000 steps (slerp), the closest sample refined by halving.
    const R = 6371007.180918475
    const vec = (lon: number, lat: number) => {
      const [l, f] = [(lon * Math.PI) / 180, (lat * Math.PI) / 180]
      return [Math.cos(f) * Math.cos(l), Math.cos(f) * Math.sin(l), Math.sin(f)]
    }
    const angle = (u: number[], v: number[]) => Math.atan2(Math.hypot(u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!), u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!)
    const slerp = (a: number[], b: number[], t: number) => {
      const w = angle(a, b)
      const [ka, kb] = w < 1e-12 ? [1 - t, t] : [Math.sin((1 - t) * w) / Math.sin(w), Math.sin(t * w) / Math.sin(w)]
      return [ka * a[0]! + kb * b[0]!, ka * a[1]! + kb * b[1]!, ka * a[2]! + kb * b[2]!]
    }
    const truth = (lon: number, lat: number) => {
      const p = vec(lon, lat)
      let best = { grid: -1, metres: Infinity }
      for (let g = 0; g < polygons.size; g++) {
        const ring = polygons.gridRing[g]!
        for (let v = polygons.ringStart[ring]!; v < polygons.ringStart[ring + 1]! - 1; v++) {
          const [a, b] = [vec(polygons.coords[2 * v]!, polygons.coords[2 * v + 1]!), vec(polygons.coords[2 * v + 2]!, polygons.coords[2 * v + 3]!)]
          const at = (t: number) => angle(p, slerp(a, b, t))
          let t0 = 0
          for (let k = 1; k <= 2000; k++) if (at(k / 2000) < at(t0)) t0 = k / 2000
          let [lo, hi] = [Math.max(0, t0 - 1 / 2000), Math.min(1, t0 + 1 / 2000)]
          for (let k = 0; k < 60; k++) {
            const [m1, m2] = [lo + (hi - lo) / 3, hi - (hi - lo) / 3]
            if (at(m1) < at(m2)) hi = m2
            else lo = m1
          }
          const metres = Math.min(at(t0), at((lo + hi) / 2)) * R
          if (metres < best.metres - 1e-4) best = { grid: g, metres }
          else if (metres <= best.metres + 1e-4) best = { grid: Math.min(g, best.grid), metres: Math.min(metres, best.metres) }
        }
      }
      return best
    }
    let checked = 0
    for (let k = 0; k < 24; k++) {
      const bearing = (k * 15 * Math.PI) / 180
      for (const reach of [0.6, 3, 15, 40]) {
        const lon = 18.8 + 0.12 + (reach * Math.sin(bearing)) / Math.cos((69.67 * Math.PI) / 180)
        const lat = Math.max(-89, Math.min(89, 69.67 + reach * Math.cos(bearing)))
        const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180
        const got = index.edges.nearest(wrapped, lat)!
        const want = truth(wrapped, lat)
        expect(got.grid, `${wrapped},${lat}: ${got.metres} vs ${want.metres}`).toBe(want.grid)
        expect(Math.abs(got.metres - want.metres), `${wrapped},${lat}`).toBeLessThan(0.01)
        checked++
      }
    }
    expect(checked).toBe(96)
  })
})

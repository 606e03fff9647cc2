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
})

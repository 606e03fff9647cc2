import { latLngToCell } from 'h3-js'
import { describe, expect, it } from 'vitest'
import { createRng } from '../../server/demo/prng.ts'
import { FaceProjection } from '../../server/lookup/face-projection.ts'
import { H3Lattice } from '../../server/lookup/h3-lattice.ts'

// Dongguan's bounding box with a margin.
const BOX = { minLon: 113.45, minLat: 22.6, maxLon: 114.35, maxLat: 23.2 }

describe('H3 lattice point → cell', () => {
  const projection = new FaceProjection(113.9, 22.9)

  for (const [res, span, points] of [[11, 1000, 2_000_000], [9, 100, 500_000], [10, 300, 300_000]] as const) {
    it(`gives the same cell as h3-js latLngToCell at resolution ${res} on ${points.toLocaleString('en')} random points`, () => {
      const lattice = new H3Lattice(projection, 113.9, 22.9, res, span)
      const rng = createRng(`lattice-${res}`)
      const plane = new Float64Array(2)
      const ij = new Int32Array(2)
      const mismatches: string[] = []
      for (let k = 0; k < points; k++) {
        const lon = rng.range(BOX.minLon, BOX.maxLon)
        const lat = rng.range(BOX.minLat, BOX.maxLat)
        projection.project(lon, lat, plane)
        lattice.cellOfPlane(plane[0]!, plane[1]!, ij)
        const ours = lattice.h3(ij[0]!, ij[1]!)
        const theirs = latLngToCell(lat, lon, res)
        if (ours !== theirs && mismatches.length < 5) mismatches.push(`${lon},${lat}: ${ours} ≠ ${theirs}`)
      }
      expect(mismatches).toEqual([])
    })
  }

  // h3-js's own floating-point noise puts its boundaries up to ~1e-10 of a cell
  // off the ideal lattice (measured by bisection), so "right next to" here means
  // between a billionth and a millionth of a cell away.
  it('agrees on points within a millionth of a cell of a boundary', () => {
    const lattice = new H3Lattice(projection, 113.9, 22.9, 11, 1000)
    const rng = createRng('near-boundaries')
    const plane = new Float64Array(2)
    const ij = new Int32Array(2)
    let checked = 0
    for (let k = 0; k < 20_000; k++) {
      // A point a hair off the midpoint between a cell centre and one of its neighbours.
      const i = rng.int(2000) - 1000
      const j = rng.int(2000) - 1000
      const [di, dj] = rng.pick([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [-1, -1]] as const)
      const [ax, ay] = lattice.centre(i, j)
      const [bx, by] = lattice.centre(i + di, j + dj)
      const t = 0.5 + (rng.next() < 0.5 ? -1 : 1) * 10 ** (-9 + 3 * rng.next())
      const [lon, lat] = projection.unproject(ax + t * (bx - ax), ay + t * (by - ay))
      projection.project(lon, lat, plane)
      lattice.cellOfPlane(plane[0]!, plane[1]!, ij)
      expect(lattice.h3(ij[0]!, ij[1]!)).toBe(latLngToCell(lat, lon, 11))
      checked++
    }
    expect(checked).toBe(20_000)
  })

  // Within ≈ 5.7° of its centre the projection takes sines and cosines from series; farther out, Math's.
  it('gives h3-js cells for points far from the region centre too, on the same face', () => {
    const lattice = new H3Lattice(projection, 113.9, 22.9, 7, 30)
    const rng = createRng('far-points')
    const plane = new Float64Array(2)
    const ij = new Int32Array(2)
    let far = 0
    for (let k = 0; k < 50_000; k++) {
      const lon = rng.range(100, 128)
      const lat = rng.range(10, 36)
      if (!projection.holds(lon, lat)) continue
      if (Math.abs(lon - 113.9) > 6 || Math.abs(lat - 22.9) > 6) far++
      projection.project(lon, lat, plane)
      lattice.cellOfPlane(plane[0]!, plane[1]!, ij)
      expect(lattice.h3(ij[0]!, ij[1]!), `${lon},${lat}`).toBe(latLngToCell(lat, lon, 7))
    }
    expect(far).toBeGreaterThan(10_000)
  })

  // Cities elsewhere, Buenos Aires among them: there H3's local IJ turns across a base cell's edge
  // within the calibration span and the face's edge is near, yet the lattice must come out exact.
  for (const [name, lon0, lat0] of [['Buenos Aires', -58.45, -34.61], ['Sydney', 151.2, -33.87], ['New York', -73.95, 40.72], ['Tromsø', 18.95, 69.65], ['London', -0.1, 51.5]] as const) {
    it(`gives h3-js cells around ${name} at resolutions 9 and 11`, () => {
      const there = new FaceProjection(lon0, lat0)
      const rng = createRng(`city-${name}`)
      const plane = new Float64Array(2)
      const ij = new Int32Array(2)
      for (const [res, span] of [[9, 100], [11, 1000]] as const) {
        const lattice = new H3Lattice(there, lon0, lat0, res, span)
        let checked = 0
        for (let k = 0; k < 40_000; k++) {
          const lon = lon0 + rng.range(-0.2, 0.2)
          const lat = lat0 + rng.range(-0.15, 0.15)
          if (!there.holds(lon, lat)) continue
          there.project(lon, lat, plane)
          lattice.cellOfPlane(plane[0]!, plane[1]!, ij)
          expect(lattice.h3(ij[0]!, ij[1]!), `${lon},${lat} res ${res}`).toBe(latLngToCell(lat, lon, res))
          checked++
        }
        expect(checked).toBeGreaterThan(10_000)
      }
    })
  }

  it('refuses a point on another icosahedron face', () => {
    expect(projection.holds(113.9, 22.9)).toBe(true)
    expect(projection.holds(-70, -30)).toBe(false)
  })
})

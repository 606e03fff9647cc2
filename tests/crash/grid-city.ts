/**
 * A synthetic city of any size for the crash and load suites: towns side by
 * side, each cut into communities, each cut into square grids — so a
 * FeatureCollection of thousands of grids is made in milliseconds, nests and
 * tiles exactly, and imports without a single complaint. Populations come
 * from a seeded generator, so a rebalance has something to even out and two
 * runs see the same city.
 */
import { createRng } from '../../server/demo/prng.ts'
import { feature, rectangle, type Ring, type TestFeature } from '../helpers/square-city.ts'

export interface GridCityOptions {
  /** Towns in a row, west to east. */
  towns?: number
  /** Communities per town: cols × rows. */
  communities?: [number, number]
  /** Grids per community: cols × rows. */
  grids?: [number, number]
  /** Side of a grid in degrees. */
  size?: number
  lon0?: number
  lat0?: number
  /** Segments per grid side (1: plain squares); more makes every polygon, and the import, heavier. */
  segments?: number
  seed?: string
}

export interface GridCity {
  type: 'FeatureCollection'
  features: TestFeature[]
  /** [minLon, minLat, maxLon, maxLat] of the whole city. */
  bbox: [number, number, number, number]
  /** Codes by level, in feature order. */
  codes: { city: string[]; town: string[]; community: string[]; grid: string[] }
}

/** Rounds away binary noise so that neighbours share their edges exactly. */
const exact = (x: number) => Math.round(x * 1e9) / 1e9
const three = (n: number) => String(n).padStart(3, '0')

/** A rectangle whose sides are cut every `step` degrees (from x0/y0), so neighbours' shared sides carry the same vertices. */
function densified(x0: number, y0: number, x1: number, y1: number, step: number): Ring {
  const along = (a: number, b: number) => {
    const out: number[] = []
    for (let k = 0; a + k * step < b - step / 2; k++) out.push(exact(a + k * step))
    return out
  }
  const xs = along(x0, x1)
  const ys = along(y0, y1)
  const X1 = exact(x1)
  const Y1 = exact(y1)
  return [
    ...xs.map((x) => [x, exact(y0)] as [number, number]),
    ...ys.map((y) => [X1, y] as [number, number]),
    ...[...xs.slice(1), X1].reverse().map((x) => [x, Y1] as [number, number]),
    ...[...ys.slice(1), Y1].reverse().map((y) => [exact(x0), y] as [number, number]),
    [exact(x0), exact(y0)],
  ]
}

export function gridCity(options: GridCityOptions = {}): GridCity {
  const { towns = 1, communities: [cx, cy] = [2, 1], grids: [gx, gy] = [10, 10], size = 0.004, lon0 = 113.7, lat0 = 22.9, segments = 1, seed = 'grid-city' } = options
  if (gx * gy > 999 || cx * cy > 999 || towns > 999) throw new Error(`Unexpected grid-city size: ${towns} towns × ${cx * cy} communities × ${gx * gy} grids (at most 999 each, 3-digit codes)`)
  const rng = createRng(seed)
  const townW = cx * gx * size
  const commW = gx * size
  const commH = gy * size
  const step = size / segments
  const box = (x0: number, y0: number, w: number, h: number) => (segments === 1 ? rectangle(exact(x0), exact(y0), exact(x0 + w), exact(y0 + h)) : densified(x0, y0, x0 + w, y0 + h, step))
  const bbox: GridCity['bbox'] = [lon0, lat0, exact(lon0 + towns * townW), exact(lat0 + cy * commH)]
  const codes: GridCity['codes'] = { city: ['441900'], town: [], community: [], grid: [] }
  const features: TestFeature[] = [feature('city', '441900', '测试市', [box(lon0, lat0, towns * townW, cy * commH)])]
  for (let t = 0; t < towns; t++) {
    const town = `441900${three(t + 1)}`
    codes.town.push(town)
    features.push(feature('town', town, `测试镇${t + 1}`, [box(lon0 + t * townW, lat0, townW, cy * commH)]))
    let c = 0
    // Numbered north→south, west→east, like real codes.
    for (let row = cy - 1; row >= 0; row--) {
      for (let col = 0; col < cx; col++) {
        const community = `${town}${three(++c)}`
        const x0 = lon0 + t * townW + col * commW
        const y0 = lat0 + row * commH
        codes.community.push(community)
        features.push(feature('community', community, `测试镇${t + 1}第${c}社区`, [box(x0, y0, commW, commH)]))
        let g = 0
        for (let r = gy - 1; r >= 0; r--) {
          for (let k = 0; k < gx; k++) {
            const grid = `${community}${three(++g)}`
            codes.grid.push(grid)
            const population = 200 + rng.int(2800)
            features.push(feature('grid', grid, `${community}第${g}网格`, [box(x0 + k * size, y0 + r * size, size, size)], {
              population,
              households: Math.round(population / 2.6),
            }))
          }
        }
      }
    }
  }
  return { type: 'FeatureCollection', features, bbox, codes }
}

/** Seeded points over a box (a bit beyond it, so some fall outside every grid). */
export function randomPoints(bbox: [number, number, number, number], n: number, seed: string): [number, number][] {
  const rng = createRng(seed)
  const [x0, y0, x1, y1] = bbox
  const mx = (x1 - x0) * 0.02
  const my = (y1 - y0) * 0.02
  return Array.from({ length: n }, () => [+rng.range(x0 - mx, x1 + mx).toFixed(7), +rng.range(y0 - my, y1 + my).toFixed(7)] as [number, number])
}

/**
 * A small synthetic city for import tests: one city, one town and one community
 * covering the same rectangle, cut into nx × ny square grids. Coordinates are
 * near Dongguan so geodesic areas are realistic.
 */
export interface SquareCityOptions {
  nx?: number
  ny?: number
  /** Side of a grid in degrees. */
  size?: number
  lon0?: number
  lat0?: number
}

export type Ring = [number, number][]

export function rectangle(x0: number, y0: number, x1: number, y1: number): Ring {
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
}

export interface TestFeature {
  type: 'Feature'
  properties: { code: string; [key: string]: unknown }
  geometry: { type: string; coordinates: unknown }
}

export function feature(level: string, code: string, name: string, rings: Ring[] | unknown, extra: Record<string, unknown> = {}): TestFeature {
  return {
    type: 'Feature',
    properties: { level, code, name, ...extra },
    geometry: { type: 'Polygon', coordinates: rings },
  }
}

/** Rounds away binary noise (113.7 + 0.01 is 113.71000000000001) so that edges meet exactly. */
const exact = (x: number) => Math.round(x * 1e9) / 1e9

export function squareCity(options: SquareCityOptions = {}) {
  const { nx = 10, ny = 10, size = 0.01, lon0 = 113.7, lat0 = 22.9 } = options
  const whole = rectangle(lon0, lat0, exact(lon0 + nx * size), exact(lat0 + ny * size))
  const features = [
    feature('city', '441900', '东莞市', [whole]),
    feature('town', '441900003', '东城街道', [whole], { population: nx * ny * 1000 }),
    feature('community', '441900003001', '测试社区', [whole]),
  ]
  let n = 0
  // Numbered north→south, west→east, like real grid codes.
  for (let row = ny - 1; row >= 0; row--) {
    for (let col = 0; col < nx; col++) {
      n++
      const x0 = exact(lon0 + col * size)
      const y0 = exact(lat0 + row * size)
      features.push(
        feature('grid', `441900003001${String(n).padStart(3, '0')}`, `测试社区第${n}网格`, [rectangle(x0, y0, exact(x0 + size), exact(y0 + size))], {
          population: 1000,
        }),
      )
    }
  }
  return { type: 'FeatureCollection', features }
}

/** Index in squareCity's features of grid number `n` (1-based). */
export const gridIndex = (n: number) => 2 + n

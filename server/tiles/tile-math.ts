/**
 * Web Mercator tile arithmetic (the XYZ scheme: y grows southwards). Pure
 * functions. Mercator maps lon to x and lat to y independently, so a tile is a
 * lon/lat rectangle too: the database clips in EPSG:4326 with that rectangle
 * (an index-friendly `&&`) and the projection into tile pixels happens here.
 */

/** Tile coordinates per tile side, as in ST_AsMVTGeom's default. */
export const EXTENT = 4096
/** Pixels of geometry kept beyond each tile edge, so strokes and symbols do not break at seams. */
export const BUFFER = 64

const MAX_LAT = 85.0511287798066

export interface TileId {
  z: number
  x: number
  y: number
}

/** [west, south, east, north] in degrees. */
export type Bounds = [number, number, number, number]

const lonOf = (x: number, n: number) => (x / n) * 360 - 180
const latOf = (y: number, n: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI

/** The tile's rectangle widened by `buffer` tile pixels each side (clamped to the Mercator world). */
export function tileBounds({ z, x, y }: TileId, buffer = 0): Bounds {
  const n = 2 ** z
  const b = buffer / EXTENT
  return [
    Math.max(-180, lonOf(x - b, n)),
    Math.max(-MAX_LAT, latOf(Math.min(n, y + 1 + b), n)),
    Math.min(180, lonOf(x + 1 + b, n)),
    Math.min(MAX_LAT, latOf(Math.max(0, y - b), n)),
  ]
}

/** Whether x and y name a tile of zoom z. */
export function isTileOf(z: number, x: number, y: number): boolean {
  const n = 2 ** z
  return Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < n && y < n
}

/**
 * Degrees spanned by half a tile pixel in the tile's north–south direction,
 * the finer of the two (cos(lat) of a pixel's longitude span): simplifying by
 * it changes nothing that survives the snap to whole pixels.
 */
export function halfPixelDegrees({ z, y }: TileId): number {
  const lat = latOf(y + 0.5, 2 ** z)
  return (180 / (2 ** z * EXTENT)) * Math.cos((lat * Math.PI) / 180)
}

/** Projects lon/lat into the pixel coordinates of one tile (not rounded). */
export interface TileProjection {
  x(lon: number): number
  y(lat: number): number
}

export function tileProjection({ z, x, y }: TileId): TileProjection {
  const scale = 2 ** z * EXTENT
  const x0 = x * EXTENT
  const y0 = y * EXTENT
  return {
    x: (lon) => ((lon + 180) / 360) * scale - x0,
    y: (lat) => {
      const s = Math.sin((Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180)
      return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * scale - y0
    },
  }
}

/** The tiles of zoom z that a lon/lat rectangle touches, as inclusive ranges. */
export function tileRange(bounds: Bounds, z: number): { x0: number; y0: number; x1: number; y1: number } {
  const n = 2 ** z
  const p = tileProjection({ z, x: 0, y: 0 })
  const clamp = (v: number) => Math.min(n - 1, Math.max(0, Math.floor(v / EXTENT)))
  return { x0: clamp(p.x(bounds[0])), y0: clamp(p.y(bounds[3])), x1: clamp(p.x(bounds[2])), y1: clamp(p.y(bounds[1])) }
}

import { AppError } from '../errors.ts'
import { decimalOrNaN } from './validators.ts'

export interface BboxOptions {
  /**
   * OGC API – Features Core (/req/core/fc-bbox-definition): six numbers
   * (minLon,minLat,minZ,maxLon,maxLat,maxZ; heights ignored) are taken too,
   * and minLon > maxLon is a box crossing the antimeridian.
   */
  ogc?: boolean
}

/** A bbox parameter: four plain decimals minLon,minLat,maxLon,maxLat in WGS84 range (not crossing the antimeridian, unless `ogc`). */
export function parseBbox(text: string, { ogc = false }: BboxOptions = {}): [number, number, number, number] {
  const parts = text.split(',')
  const counts = ogc ? [4, 6] : [4]
  if (!counts.includes(parts.length) || !parts.every((p) => Number.isFinite(decimalOrNaN(p)))) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; expected four numbers minLon,minLat,maxLon,maxLat${ogc ? ' (or six with heights: minLon,minLat,minZ,maxLon,maxLat,maxZ)' : ''}`)
  }
  const numbers = parts.map(decimalOrNaN)
  const [minLon, minLat, maxLon, maxLat] = (parts.length === 6 ? [numbers[0], numbers[1], numbers[3], numbers[4]] : numbers) as [number, number, number, number]
  if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90 || minLat > maxLat) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; longitudes must lie in −180…180, latitudes in −90…90 with minLat ≤ maxLat`)
  }
  if (minLon > maxLon && !ogc) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; a box crossing the antimeridian (minLon > maxLon) is not supported`)
  }
  return [minLon, minLat, maxLon, maxLat]
}

import { AppError } from '../errors.ts'
import { decimalOrNaN } from './validators.ts'

/** A bbox parameter: four plain decimals minLon,minLat,maxLon,maxLat in WGS84 range, not crossing the antimeridian. */
export function parseBbox(text: string): [number, number, number, number] {
  const parts = text.split(',')
  if (parts.length !== 4 || !parts.every((p) => Number.isFinite(decimalOrNaN(p)))) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; expected four numbers minLon,minLat,maxLon,maxLat`)
  }
  const [minLon, minLat, maxLon, maxLat] = parts.map(decimalOrNaN) as [number, number, number, number]
  if (minLon < -180 || maxLon > 180 || minLat < -90 || maxLat > 90 || minLat > maxLat) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; longitudes must lie in −180…180, latitudes in −90…90 with minLat ≤ maxLat`)
  }
  if (minLon > maxLon) {
    throw new AppError('invalid-parameter', `Unexpected bbox value: ${text}; a box crossing the antimeridian (minLon > maxLon) is not supported`)
  }
  return [minLon, minLat, maxLon, maxLat]
}

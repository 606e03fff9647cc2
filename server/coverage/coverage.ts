/**
 * Coverage check of a parent unit (city, town or community): the parts of it
 * no child covers (gaps) and the sibling pairs whose areas overlap. Exact, in
 * PostGIS, with fixed-precision overlays; areas are on the ellipsoid.
 */
import type { Db, Queryable } from '../db/client.ts'
import { AppError, notFound } from '../errors.ts'
import { GENERATION } from '../units/queries.ts'
import * as q from './queries.ts'

export interface CoverageOptions {
  /** Check the generation valid at this moment (default: the current one). */
  at?: string | Date
  /** Gaps and overlaps smaller than this (m²) are slivers and not reported. Default 1. */
  minAreaM2?: number
}

export interface Gap {
  areaM2: number
  /** areaM2 / parent.areaM2 */
  share: number
  geometry: GeoJsonGeometry
  /** A point inside the gap, [lon, lat]. */
  location: [number, number]
}

export interface Overlap extends Gap {
  codes: [string, string]
}

export interface GeoJsonGeometry {
  type: string
  coordinates: unknown
}

export interface CoverageReport {
  parent: { code: string; level: string; name: string; areaM2: number }
  generation: { id: number; label: string; validFrom: string; validTo: string | null }
  /** The `at` asked for (ISO 8601), null for the current generation. */
  at: string | null
  minAreaM2: number
  /** Number of children. */
  children: number
  gaps: Gap[]
  overlaps: Overlap[]
  /** Gaps and overlaps found but below minAreaM2. */
  ignored: { gaps: number; overlaps: number }
  /** No gap and no overlap of minAreaM2 or more. */
  clean: boolean
}

export const DEFAULT_MIN_AREA_M2 = 1

export async function checkCoverage(db: Db, parentCode: string, options: CoverageOptions = {}): Promise<CoverageReport> {
  const minAreaM2 = options.minAreaM2 ?? DEFAULT_MIN_AREA_M2
  if (!Number.isFinite(minAreaM2) || minAreaM2 < 0) throw new AppError('invalid-parameter', `Unexpected minAreaM2 value: ${minAreaM2}`)
  const at = options.at === undefined ? null : new Date(options.at)
  if (at && Number.isNaN(at.getTime())) throw new AppError('invalid-parameter', `Unexpected at value: ${String(options.at)}`)

  const gen = (await db.query<GenerationRow>(GENERATION, [at?.toISOString() ?? null])).rows[0]
  if (!gen) throw new AppError('not-found', at ? `No boundary generation was valid at ${at.toISOString()}` : 'No boundary generation has been imported yet')
  const parent = (await db.query<ParentRow>(q.PARENT, [gen.id, parentCode])).rows[0]
  if (!parent) throw notFound('unit', parentCode)
  if (parent.level === 'grid') {
    throw new AppError(
      'bad-request',
      `Unit ${parentCode} is a grid, the lowest level: it has no children whose coverage could be checked; check its community ${parentCode.slice(0, -3)} instead`,
    )
  }

  const params = [gen.id, parentCode, minAreaM2]
  const gaps = await one<FoundRow<GapItem>>(db, q.GAPS, params)
  const overlaps = await one<FoundRow<GapItem & { codes: [string, string] }>>(db, q.OVERLAPS, params)
  const share = (a: number) => (parent.area_m2 > 0 ? a / parent.area_m2 : 0)
  const measured = (g: GapItem): Gap => ({ areaM2: g.areaM2, share: share(g.areaM2), geometry: g.geometry, location: [g.lon, g.lat] })

  return {
    parent: { code: parent.code, level: parent.level, name: parent.name_zh, areaM2: parent.area_m2 },
    generation: {
      id: gen.id,
      label: gen.label,
      validFrom: gen.valid_from.toISOString(),
      validTo: gen.valid_to?.toISOString() ?? null,
    },
    at: at?.toISOString() ?? null,
    minAreaM2,
    children: parent.children,
    gaps: gaps.items.map(measured),
    overlaps: overlaps.items.map((o) => ({ codes: o.codes, ...measured(o) })),
    ignored: { gaps: gaps.found - gaps.items.length, overlaps: overlaps.found - overlaps.items.length },
    clean: gaps.items.length === 0 && overlaps.items.length === 0,
  }
}

/** The gaps and overlaps as one FeatureCollection for the map (`kind`: gap | overlap), the rest as foreign members. */
export function coverageFeatureCollection(report: CoverageReport) {
  const { gaps, overlaps, ...rest } = report
  const feature = (kind: 'gap' | 'overlap', { geometry, ...properties }: Gap | Overlap) => ({
    type: 'Feature' as const,
    geometry,
    properties: { kind, ...properties },
  })
  return {
    type: 'FeatureCollection' as const,
    ...rest,
    features: [...gaps.map((g) => feature('gap', g)), ...overlaps.map((o) => feature('overlap', o))],
  }
}

interface GenerationRow {
  id: number
  label: string
  valid_from: Date
  valid_to: Date | null
}

interface ParentRow {
  code: string
  level: string
  name_zh: string
  area_m2: number
  children: number
}

interface GapItem {
  areaM2: number
  lon: number
  lat: number
  geometry: GeoJsonGeometry
}

interface FoundRow<T> {
  found: number
  items: T[]
}

/** The single row of an aggregate; anything else means the statement failed without saying so. */
async function one<T>(db: Queryable, sql: string, params: unknown[]): Promise<T> {
  const { rows } = await db.query<T>(sql, params)
  if (rows.length !== 1) throw new Error(`Coverage query returned ${rows.length} rows instead of 1: ${sql.trim().slice(0, 120)}`)
  return rows[0]!
}

/**
 * The checks of a boundary import that need no database: GeoJSON structure,
 * coordinates, rings, levels, codes, names and attributes. Each problem names
 * the feature's index and code. Features that pass become `UnitInput`s for the
 * geometric checks that PostGIS runs afterwards.
 */
import gjv from 'geojson-validation'
import { codeLength, isLevel, levelOfCode, parentCode, type Level } from './unit-codes.ts'
import { forbiddenInName, NAME_RULE } from '../plugins/display-name.ts'

export type CheckName =
  | 'structure'
  | 'geometry-type'
  | 'coordinates'
  | 'ring'
  | 'level'
  | 'code'
  | 'duplicate-code'
  | 'name'
  | 'attributes'
  | 'parent'
  | 'validity'
  | 'empty'
  | 'valid-from'
  | 'outside-parent'
  | 'sibling-overlap'

export interface ImportIssue {
  /** Index of the feature in the submitted collection; null for the collection itself or a unit carried over. */
  index: number | null
  code: string | null
  check: CheckName
  message: string
  /** [lon, lat] where the problem is, when there is a place to point at. */
  location?: [number, number]
  [detail: string]: unknown
}

export const ATTRIBUTES = ['population', 'households', 'buildings', 'rented_rooms', 'businesses'] as const
export type Attribute = (typeof ATTRIBUTES)[number]

export interface UnitInput {
  index: number
  code: string
  level: Level
  parentCode: string | null
  nameZh: string
  nameEn: string | null
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown }
  attributes: Record<Attribute, number | null>
  extra: Record<string, unknown>
}

const KNOWN_PROPERTIES = new Set<string>(['level', 'code', 'name', 'name_zh', 'name_en', 'parent', 'parent_code', ...ATTRIBUTES])

export interface FeatureCheckResult {
  units: UnitInput[]
  issues: ImportIssue[]
  /** Every code the collection names, passing or not, with its first feature index. */
  codes: Map<string, number>
}

/** Checks a whole FeatureCollection; never throws on bad input. */
export function checkFeatureCollection(body: unknown): FeatureCheckResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return collectionIssue('The body must be a GeoJSON FeatureCollection object')
  }
  const fc = body as Record<string, unknown>
  if (fc.type !== 'FeatureCollection') {
    return collectionIssue(`The body's "type" must be "FeatureCollection", not ${JSON.stringify(fc.type)}`)
  }
  if (!Array.isArray(fc.features)) return collectionIssue('The FeatureCollection has no "features" array')

  const units: UnitInput[] = []
  const issues: ImportIssue[] = []
  const firstIndexOfCode = new Map<string, number>()
  fc.features.forEach((feature, index) => {
    const found = checkFeature(feature, index)
    issues.push(...found.issues)
    const code = found.code
    if (code !== null) {
      const first = firstIndexOfCode.get(code)
      if (first !== undefined) {
        issues.push({ index, code, check: 'duplicate-code', message: `Code ${code} is also used by feature ${first}`, otherIndex: first })
        return
      }
      firstIndexOfCode.set(code, index)
    }
    if (found.unit) units.push(found.unit)
  })
  return { units, issues, codes: firstIndexOfCode }
}

function collectionIssue(message: string): FeatureCheckResult {
  return { units: [], issues: [{ index: null, code: null, check: 'structure', message }], codes: new Map() }
}

function checkFeature(feature: unknown, index: number): { unit: UnitInput | null; code: string | null; issues: ImportIssue[] } {
  const issues: ImportIssue[] = []
  const props = isObject(feature) && isObject(feature.properties) ? feature.properties : {}
  const rawCode = props.code
  const code = typeof rawCode === 'string' ? rawCode : typeof rawCode === 'number' ? String(rawCode) : null
  const issue = (check: CheckName, message: string, more: Partial<ImportIssue> = {}) =>
    issues.push({ index, code, check, message, ...more })

  // The Feature envelope first (type, properties, geometry member), then our own
  // coordinate checks, which say more than the library's; the library then
  // vouches for the geometry's structure.
  const structure = traced(() => gjv.isFeature(isObject(feature) ? { ...feature, geometry: null } : feature, true))
  if (!isObject(feature) || structure.length > 0) {
    issue('structure', `Feature ${structure.join('; ')}`)
    return { unit: null, code, issues }
  }
  if (!isObject(feature.properties)) issue('structure', 'Feature has no "properties" object')

  const geometry = feature.geometry as Record<string, unknown> | null
  if (!geometry || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) {
    issue('geometry-type', `Geometry must be a Polygon or MultiPolygon, not ${geometry ? JSON.stringify(geometry.type) : 'null'}`)
  } else {
    const before = issues.length
    checkCoordinates(geometry.type, geometry.coordinates, issue)
    if (issues.length === before) {
      const geometryStructure = traced(() => gjv.isGeometryObject(geometry, true))
      if (geometryStructure.length > 0) issue('structure', `Geometry ${geometryStructure.join('; ')}`)
    }
  }

  // Level and code: the code's length must fit the level, and the parent is the code minus its last 3 digits.
  let level: Level | null = null
  if (props.level !== undefined && !isLevel(props.level)) {
    issue('level', `Unknown level ${JSON.stringify(props.level)}; expected city, town, community or grid`)
  } else if (code === null) {
    issue('code', 'Feature has no "code" string property')
  } else {
    level = isLevel(props.level) ? props.level : levelOfCode(code)
    if (level === null || !/^[0-9]+$/.test(code) || code.length !== codeLength(level)) {
      issue('code', `Malformed code ${JSON.stringify(code)}: a ${level ?? 'unit'} code has ${level ? codeLength(level) : '6, 9, 12 or 15'} digits (6-digit region code + 3 per level)`)
      level = null
    }
  }
  let parent: string | null = null
  if (level !== null && code !== null) {
    parent = parentCode(code)
    const declared = props.parent ?? props.parent_code
    if (declared !== undefined && declared !== null && String(declared) !== parent) {
      issue('code', `Code ${code} belongs under parent ${parent ?? '(none)'}, but the feature names parent ${JSON.stringify(declared)}`)
    }
  }

  const nameZh = props.name_zh ?? props.name
  if (typeof nameZh !== 'string' || nameZh.trim() === '') issue('name', 'Feature needs a non-empty "name" (Chinese name)')
  const nameEn = props.name_en
  if (nameEn !== undefined && nameEn !== null && typeof nameEn !== 'string') issue('name', '"name_en" must be a string')
  for (const [key, value] of [['name', nameZh], ['name_en', nameEn]] as const) {
    const bad = typeof value === 'string' ? forbiddenInName(value) : null
    if (bad) issue('name', `"${key}" ${NAME_RULE}; it holds ${bad}`)
  }

  const attributes = {} as Record<Attribute, number | null>
  for (const key of ATTRIBUTES) {
    const v = props[key]
    if (v === undefined || v === null) attributes[key] = null
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483_647) attributes[key] = v
    else {
      issue('attributes', `"${key}" must be a whole number ≥ 0, not ${JSON.stringify(v)}`)
      attributes[key] = null
    }
  }

  if (issues.length > 0 || level === null || code === null) return { unit: null, code, issues }
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(props)) if (!KNOWN_PROPERTIES.has(k)) extra[k] = v
  return {
    code,
    issues,
    unit: {
      index,
      code,
      level,
      parentCode: parent,
      nameZh: (nameZh as string).trim(),
      nameEn: typeof nameEn === 'string' && nameEn.trim() !== '' ? nameEn.trim() : null,
      geometry: geometry as UnitInput['geometry'],
      attributes,
      extra,
    },
  }
}

type IssueFn = (check: CheckName, message: string, more?: Partial<ImportIssue>) => void

/** Positions finite and in WGS84 range; rings closed with at least 4 positions. Reports the first problem per ring. */
function checkCoordinates(type: 'Polygon' | 'MultiPolygon', coordinates: unknown, issue: IssueFn) {
  const polygons = type === 'Polygon' ? [coordinates] : Array.isArray(coordinates) ? coordinates : null
  if (!polygons || polygons.length === 0) return issue('coordinates', `${type} has no coordinates`)
  polygons.forEach((rings, p) => {
    const prefix = type === 'Polygon' ? 'coordinates' : `coordinates[${p}]`
    if (!Array.isArray(rings) || rings.length === 0) return issue('ring', `${prefix} must be a non-empty array of rings`)
    rings.forEach((ring, r) => {
      const where = `${prefix}[${r}]`
      if (!Array.isArray(ring)) return issue('ring', `${where} must be an array of positions`)
      for (let i = 0; i < ring.length; i++) {
        const pos = ring[i]
        const lon = Array.isArray(pos) ? pos[0] : undefined
        const lat = Array.isArray(pos) ? pos[1] : undefined
        if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat)) {
          return issue('coordinates', `${where}[${i}] is not a finite [lon, lat] pair: ${showPosition(pos)}`, { path: `${where}[${i}]` })
        }
        if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
          return issue('coordinates', `${where}[${i}] = [${lon}, ${lat}] is outside WGS84 range (lon −180…180, lat −90…90)`, {
            path: `${where}[${i}]`,
          })
        }
      }
      if (ring.length < 4) return issue('ring', `${where} has ${ring.length} positions; a closed ring needs at least 4`, { path: where })
      const first = ring[0] as number[]
      const last = ring[ring.length - 1] as number[]
      if (first[0] !== last[0] || first[1] !== last[1]) {
        issue('ring', `${where} is not closed: it starts at [${first[0]}, ${first[1]}] and ends at [${last[0]}, ${last[1]}]`, {
          path: where,
          location: [first[0]!, first[1]!],
        })
      }
    })
  })
}

/** Shows a position as sent: JSON.stringify would print Infinity and NaN as null. */
function showPosition(pos: unknown): string {
  return Array.isArray(pos) ? `[${pos.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')}]` : JSON.stringify(pos) ?? String(pos)
}

function traced(check: () => string[]): string[] {
  try {
    return check()
  } catch {
    return ['is not well-formed GeoJSON']
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

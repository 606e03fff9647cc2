/**
 * What every workload and supervision answer is about: a period [from, to)
 * and the grids under one parent unit of one boundary generation. Read from
 * the query string, checked, and resolved with defaults filled in, so the
 * answer can echo exactly what it was computed from.
 */
import type { Db } from '../db/client.ts'
import { AppError, notFound } from '../errors.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import * as q from './workload-queries.ts'

export const DEFAULT_DAYS = 365
/** A date (2025-01-01) or a date-time with its offset (2025-01-01T08:00:00+08:00 or …Z). */
export const MOMENT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$'
/** City, town or community code. */
export const PARENT_PATTERN = '^[0-9]{6}([0-9]{3}){0,2}$'
/** A bare date is a day of the city's calendar: Dongguan is UTC+8 all year (see incident_day() in migration 010). */
const CITY_OFFSET = '+08:00'
const CITY_OFFSET_MS = 8 * 3_600_000
const DAY_MS = 86_400_000

export interface Period {
  from: Date
  to: Date
}

export interface ScopeUnit {
  code: string
  level: 'city' | 'town' | 'community' | 'grid'
  name_zh: string
  name_en: string | null
  parent_code: string | null
  population: number | null
  households: number | null
  area_m2: number
}

export interface Scope {
  ix: IndexedGeneration
  parent: ScopeUnit
  /** Every unit under the parent, the parent first, by code. */
  units: ScopeUnit[]
  grids: ScopeUnit[]
}

export function invalidParameter(name: string, message: string): AppError {
  return new AppError('invalid-parameter', `${name} ${message}`, { parameter: name, errors: [{ where: `querystring/${name}`, message }] })
}

/** A moment from a query parameter, or an invalid-parameter error naming it. */
export function readMoment(name: string, value: string): Date {
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(value)
  const t = Date.parse(value.length === 10 ? `${value}T00:00:00${CITY_OFFSET}` : value)
  // Date.parse rolls 2025-02-30 over into March; a real date survives the round trip.
  const real = date && new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!)).toISOString().startsWith(date[0])
  if (!real || Number.isNaN(t)) throw invalidParameter(name, `must be a date (2025-01-01) or a date-time with offset (2025-01-01T08:00:00+08:00); got ${JSON.stringify(value)}`)
  return new Date(t)
}

/** [from, to): by default the 365 days up to now; an empty or backwards period is refused. */
export function readPeriod(query: { from?: string; to?: string }, now = new Date()): Period {
  const to = query.to ? readMoment('to', query.to) : now
  const from = query.from ? readMoment('from', query.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS)
  if (from >= to) throw invalidParameter('from', `(${from.toISOString()}) must be before to (${to.toISOString()}): the period [from, to) is empty`)
  return { from, to }
}

/**
 * The grids under `parent` in the generation valid at `at` (default: the
 * current one). Without a parent: the generation's city, when it has exactly one.
 */
export async function resolveScope(db: Db, lookup: LookupService, parent: string | undefined, at: Date | undefined): Promise<Scope> {
  const ix = await lookup.indexFor(at?.toISOString())
  const units = (await db.query<ScopeUnit>(q.SCOPE_UNITS, [ix.generation.id, parent ?? null])).rows
  let top: ScopeUnit | undefined
  if (parent) {
    top = units.find((u) => u.code === parent)
    if (!top) throw notFound('city, town or community', parent)
  } else {
    const cities = units.filter((u) => u.level === 'city')
    if (cities.length !== 1) throw invalidParameter('parent', `is needed: generation ${ix.generation.id} holds ${cities.length} cities`)
    top = cities[0]!
  }
  const inside = units.filter((u) => u.code.startsWith(top.code))
  return { ix, parent: top, units: inside, grids: inside.filter((u) => u.level === 'grid') }
}

/**
 * The parameters an answer was computed from, resolved, for `params`. Moments
 * in the city's time with its offset (from=2025-01-01 echoes as
 * 2025-01-01T00:00:00+08:00, the moment it means, as the caller wrote it).
 */
export function echoPeriod(period: Period, scope: Scope, at: Date | undefined) {
  return { from: cityMoment(period.from), to: cityMoment(period.to), parent: scope.parent.code, at: at ? cityMoment(at) : null, generation: scope.ix.generation.id }
}

/** ISO 8601 in the city's time: 2025-01-01T00:00:00+08:00 (milliseconds only when there are any). */
export function cityMoment(d: Date): string {
  const local = new Date(d.getTime() + CITY_OFFSET_MS).toISOString()
  return `${local.endsWith('.000Z') ? local.slice(0, 19) : local.slice(0, 23)}${CITY_OFFSET}`
}

/**
 * Query parameters shared by the H3 and hotspot endpoints, and their
 * normalisation: local calendar days [from, to), optional filters as arrays
 * (null = no filter), every value echoed back so a result can be reproduced.
 */
import { Type, type Static } from 'typebox'
import { AppError } from '../errors.ts'
import { At } from '../lookup/lookup-schemas.ts'
import { MAX_RES, MIN_RES } from './h3-ids.ts'

const DAY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
const list = (item: string) => Type.String({ pattern: `^${item}(,${item})*$` })
export const CHANNELS = ['patrol', 'citizen', 'hotline', 'sensor', 'system'] as const
export const STATUSES = ['reported', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'rejected', 'reopened'] as const

export const FILTER_PROPS = {
  from: Type.Optional(Type.String({ pattern: DAY, description: 'first local day (YYYY-MM-DD, Asia/Shanghai), inclusive' })),
  to: Type.Optional(Type.String({ pattern: DAY, description: 'last local day, exclusive' })),
  categories: Type.Optional(list('[A-Z][A-Z0-9_-]{0,31}')),
  channels: Type.Optional(list(`(${CHANNELS.join('|')})`)),
  status: Type.Optional(list(`(${STATUSES.join('|')})`)),
  measure: Type.Optional(Type.Unsafe<'count' | 'load'>({ type: 'string', enum: ['count', 'load'], default: 'count' })),
  per1000: Type.Optional(Type.Boolean({ description: 'divide by residents (per 1,000)' })),
  parent: Type.Optional(Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description: 'city, town, community or grid code' })),
  at: Type.Optional(At),
}
export const FilterQuery = Type.Object(FILTER_PROPS)
export type FilterQuery = Static<typeof FilterQuery>

export interface Filters {
  from: string
  to: string
  categories: string[] | null
  channels: string[] | null
  status: string[] | null
  measure: 'count' | 'load'
  per1000: boolean
  parent: string | null
  at: string | null
}

const DAY_MS = 86_400_000
const CITY_OFFSET_MS = 8 * 3_600_000

/** Today's local day in the city (UTC+8). */
export function localToday(now = Date.now()): string {
  return new Date(now + CITY_OFFSET_MS).toISOString().slice(0, 10)
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
}

function checkDay(name: string, day: string): void {
  const t = Date.parse(`${day}T00:00:00Z`)
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) throw new AppError('invalid-parameter', `${name}=${day} is not a calendar date`, { parameter: name })
  if (Number(day.slice(0, 4)) < 1000) throw new AppError('invalid-parameter', `${name}=${day}: years before 1000 are not taken`, { parameter: name })
}

/** Normalises the filters; the default window is the `defaultDays` days ending today (inclusive). */
export function readFilters(q: FilterQuery, defaultDays = 365): Filters {
  const to = q.to ?? addDays(localToday(), 1)
  checkDay('to', to)
  const from = q.from ?? addDays(to, -defaultDays)
  checkDay('from', from)
  if (from >= to) throw new AppError('invalid-parameter', `Empty time window: from=${from} must be before to=${to} (to is exclusive)`, { parameter: 'from' })
  const split = (v: string | undefined) => (v ? [...new Set(v.split(','))] : null)
  return {
    from,
    to,
    categories: split(q.categories),
    channels: split(q.channels),
    status: split(q.status),
    measure: q.measure ?? 'count',
    per1000: q.per1000 ?? false,
    parent: q.parent ?? null,
    at: q.at ?? null,
  }
}

export const ResQuery = Type.Integer({ minimum: MIN_RES, maximum: MAX_RES, description: `H3 resolution ${MIN_RES}–${MAX_RES}` })

/** The cube's SQL parameters $2…$6 after the resolution. */
export function filterArgs(f: Filters): unknown[] {
  return [f.from, f.to, f.categories, f.channels, f.status]
}

/**
 * Reads a collection's features and extent from the database: the one place
 * that knows which SQL and which parameters each kind of collection takes.
 */
import type { Db } from '../db/client.ts'
import { CONFIDENTIAL_CLASSES } from '../open311/routes.ts'
import { likeLiteral } from '../units/unit-features.ts'
import type { Collection } from './collections.ts'
import type { ItemsQuery } from './items-query.ts'
import * as q from './queries.ts'

export interface ItemsPage {
  numberMatched: number
  /** Each feature as GeoJSON text. */
  features: string[]
}

export interface Extent {
  bbox: [number, number, number, number] | null
  /** First and last moment of the data; null is an open end. */
  interval: [Date | null, Date | null]
}

const HIDDEN = [...CONFIDENTIAL_CLASSES]

export async function readItems(db: Db, collection: Collection, query: ItemsQuery): Promise<ItemsPage> {
  const { count, items, params } = itemsSql(collection, query)
  const [matched, page] = await Promise.all([
    db.query<{ n: number }>(count, params),
    db.query<{ feature: string }>(items, [...params, query.limit, query.offset]),
  ])
  return { numberMatched: matched.rows[0]!.n, features: page.rows.map((r) => r.feature) }
}

function itemsSql(collection: Collection, { bbox, datetime, filters }: ItemsQuery) {
  if (collection.kind === 'incident') {
    const params = [HIDDEN, datetime?.start ?? null, datetime?.end ?? null, bbox, filters.category, filters.status, filters.grid_code, filters.town_code]
    return { count: q.COUNT_INCIDENTS, items: q.INCIDENT_ITEMS, params }
  }
  // No datetime: the current generation. An open end of an interval is unbounded.
  const interval = datetime ? [datetime.start ?? '-infinity', datetime.end ?? 'infinity'] : [null, null]
  const name = filters.name ? likeLiteral(filters.name) : null
  const params = [collection.level, ...interval, bbox, filters.code, filters.parent_code, name]
  return { count: q.COUNT_UNITS, items: q.UNIT_ITEMS, params }
}

/** One feature as GeoJSON text, or null when the collection has no feature with this id. */
export async function readItem(db: Db, collection: Collection, featureId: string): Promise<string | null> {
  let result
  if (collection.kind === 'unit') {
    // code, or code@generation for an earlier version (as items with a datetime name them).
    const m = /^([0-9]{6,15})(?:@([1-9][0-9]{0,8}))?$/.exec(featureId)
    if (!m) return null
    result = await db.query<{ feature: string }>(q.UNIT_ITEM, [collection.level, m[1], m[2] ? Number(m[2]) : null])
  } else {
    if (!/^[1-9][0-9]{0,15}$/.test(featureId)) return null
    result = await db.query<{ feature: string }>(q.INCIDENT_ITEM, [HIDDEN, featureId])
  }
  return result.rows[0]?.feature ?? null
}

interface ExtentRow {
  min_lon: number | null
  min_lat: number | null
  max_lon: number | null
  max_lat: number | null
  first: Date | null
  last: Date | null
}

export async function readExtent(db: Db, collection: Collection): Promise<Extent> {
  const { rows } =
    collection.kind === 'unit'
      ? await db.query<ExtentRow>(q.UNIT_EXTENT, [collection.level])
      : await db.query<ExtentRow>(q.INCIDENT_EXTENT, [HIDDEN])
  const r = rows[0]!
  const bbox = r.min_lon === null ? null : ([r.min_lon, r.min_lat, r.max_lon, r.max_lat] as [number, number, number, number])
  return { bbox, interval: [r.first, r.last] }
}

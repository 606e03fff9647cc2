/**
 * The query string of /ogc/collections/{id}/items: the route's schema (the
 * standard parameters plus the collection's attribute filters) and the checks
 * a schema cannot express — bbox numbers, datetime, unknown parameters, the
 * limit's clamp.
 */
import { Type, type TSchema } from 'typebox'
import { parseBbox } from '../plugins/bbox.ts'
import { AppError } from '../errors.ts'
import type { Collection } from './collections.ts'
import { parseDatetime, type DatetimeFilter } from './datetime-param.ts'

/** The standard allows a server to clamp a larger limit rather than refuse it; we do. */
export const MAX_LIMIT = 10_000
export const DEFAULT_LIMIT = 100

/** `f=json` is the one format (GeoJSON for items); without `f` the answer is JSON too. */
export const FormatParam = Type.Unsafe<'json'>({ type: 'string', enum: ['json'] })

/** The standard parameters of every items request (described for clients in ./openapi.ts). */
const COMMON = {
  f: FormatParam,
  bbox: Type.String(),
  limit: Type.Integer({ minimum: 1, default: DEFAULT_LIMIT }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  datetime: Type.String(),
} satisfies Record<string, TSchema>

/** The route's query-string schema: `limit` has no maximum here, so a larger one reaches the clamp. */
export function itemsQuerySchema(collection: Collection) {
  const properties = { ...COMMON, ...collection.filters }
  return Type.Object(Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, Type.Optional(schema)])))
}

export interface ItemsQuery {
  limit: number
  offset: number
  bbox: [number, number, number, number] | null
  datetime: DatetimeFilter | null
  /** Attribute filters by name; null when absent. */
  filters: Record<string, string | null>
}

export function readItemsQuery(collection: Collection, query: Record<string, unknown>): ItemsQuery {
  const known = new Set([...Object.keys(COMMON), ...Object.keys(collection.filters)])
  const unknown = Object.keys(query).find((name) => !known.has(name))
  if (unknown !== undefined) {
    throw new AppError('invalid-parameter', `Unknown query parameter ${JSON.stringify(unknown)}; collection ${collection.id} accepts ${[...known].join(', ')}`)
  }
  return {
    limit: Math.min(Number(query.limit ?? DEFAULT_LIMIT), MAX_LIMIT),
    offset: Number(query.offset ?? 0),
    bbox: typeof query.bbox === 'string' ? parseBbox(query.bbox, { ogc: true }) : null,
    datetime: typeof query.datetime === 'string' ? parseDatetime(query.datetime) : null,
    filters: Object.fromEntries(Object.keys(collection.filters).map((name) => [name, typeof query[name] === 'string' ? query[name] : null])),
  }
}


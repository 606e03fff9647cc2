import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { batchSnippets, BATCH_FIELDS, pickFields, singleAnswer, SINGLE_FIELDS, type BatchField } from './answers.ts'
import { gcj02ToWgs84 } from './gcj02.ts'
import type { LookupService } from './lookup-service.ts'
import * as q from './queries.ts'
import { isStreamRequest, registerLookupStreams } from './stream-routes.ts'

export const MAX_BATCH_POINTS = 1_000_000

const Crs = Type.Unsafe<'wgs84' | 'gcj02'>({ type: 'string', enum: ['wgs84', 'gcj02'], default: 'wgs84', description: 'Input coordinates: WGS84 (default) or GCJ-02 from Chinese map apps' })
const At = Type.String({ format: 'date-time', description: 'Answer from the generation valid at this moment' })
const fieldList = (names: readonly string[]) => Type.String({ pattern: `^(${names.join('|')})(,(${names.join('|')}))*$`, description: `Comma-separated: ${names.join(', ')}` })

const LookupQuery = Type.Object({
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  at: Type.Optional(At),
  crs: Crs,
  nearest: Type.Boolean({ default: false }),
  fields: Type.Optional(fieldList(SINGLE_FIELDS)),
})

const MyGridQuery = Type.Object({ lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), crs: Crs })

const BatchQuery = Type.Object({ at: Type.Optional(At), crs: Crs, fields: Type.Optional(fieldList(BATCH_FIELDS)) })

export interface LookupRoutesOptions {
  db: Db
  lookup: LookupService
}

export default async function lookupRoutes(app: FastifyInstance, opts: LookupRoutesOptions) {
  const wgs = new Float64Array(2)
  const toWgs84 = (lon: number, lat: number, crs: string) => {
    if (crs === 'gcj02') gcj02ToWgs84(lon, lat, wgs)
    else (wgs[0] = lon), (wgs[1] = lat)
    return wgs
  }

  app.get<{ Querystring: Static<typeof LookupQuery> }>('/api/v1/lookup', { schema: { querystring: LookupQuery }, config: { roles: EVERYONE } }, async (request) => {
    const { lon, lat, at, crs, nearest, fields } = request.query
    const ix = await opts.lookup.indexFor(at)
    const p = toWgs84(lon, lat, crs)
    const g = ix.index.lookup(p[0]!, p[1]!)
    return pickFields(singleAnswer(ix, g, p[0]!, p[1]!, ix.index.onBoundary, nearest), fields)
  })

  // Citizens: my grid, its community and town, and how to reach its administrators.
  app.get<{ Querystring: Static<typeof MyGridQuery> }>('/api/v1/my-grid', { config: { roles: EVERYONE }, schema: { querystring: MyGridQuery } }, async (request) => {
    const { lon, lat, crs } = request.query
    const ix = await opts.lookup.indexFor()
    const p = toWgs84(lon, lat, crs)
    const g = ix.index.lookup(p[0]!, p[1]!)
    const a = singleAnswer(ix, g, p[0]!, p[1]!, ix.index.onBoundary, true)
    return {
      grid: a.grid,
      community: a.community,
      town: a.town,
      administrators: (a.administrators as { name: string; phone: string | null }[]).map((x) => ({ name: x.name, phone: x.phone })),
      ...(g < 0 ? { nearest: a.nearest } : {}),
    }
  })

  // MapIt-style: every unit covering the point, straight from PostGIS.
  app.get<{ Params: { point: string }; Querystring: { at?: string; crs: 'wgs84' | 'gcj02' } }>(
    '/api/v1/point/4326/:point',
    {
      schema: {
        params: Type.Object({ point: Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?,-?[0-9]+(\\.[0-9]+)?$', description: 'lon,lat' }) }),
        querystring: Type.Object({ at: Type.Optional(At), crs: Crs }),
      },
      config: { roles: EVERYONE },
    },
    async (request) => {
      const [lon, lat] = request.params.point.split(',').map(Number) as [number, number]
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
        throw new AppError('invalid-parameter', `Unexpected point value: ${request.params.point}; lon must be in −180…180 and lat in −90…90`)
      }
      const ix = await opts.lookup.indexFor(request.query.at)
      const p = toWgs84(lon, lat, request.query.crs)
      const { rows } = await opts.db.query<{ code: string; level: string; name_zh: string; name_en: string | null; parent_code: string | null }>(
        q.UNITS_COVERING,
        [ix.generation.id, p[0], p[1]],
      )
      return {
        point: [p[0], p[1]],
        generation: ix.generation,
        units: rows.map((u) => ({ code: u.code, level: u.level, name: u.name_zh, name_en: u.name_en, parent: u.parent_code })),
      }
    },
  )

  app.post<{ Querystring: Static<typeof BatchQuery>; Body: unknown }>(
    '/api/v1/lookup/batch',
    // Streams (NDJSON, CSV) are answered by a pre-handler of this same route, behind the same roles.
    { bodyLimit: 64 * 1024 * 1024, schema: { querystring: BatchQuery }, config: { roles: EVERYONE } },
    async (request, reply) => {
      if (isStreamRequest(request)) return reply // answered by the streaming pre-handler
      const points = (request.body as { points?: unknown } | null)?.points
      if (!Array.isArray(points)) throw new AppError('bad-request', 'The body must be {"points": [[lon, lat], …]}')
      if (points.length > MAX_BATCH_POINTS) {
        throw new AppError('payload-too-large', `${points.length} points is over the batch limit of ${MAX_BATCH_POINTS}; send NDJSON or CSV to the same URL to stream any number`)
      }
      const ix = await opts.lookup.indexFor(request.query.at)
      const fields = (request.query.fields?.split(',') ?? BATCH_FIELDS) as BatchField[]
      const { byGrid, none, withBoundary } = batchSnippets(ix, fields)
      const out: string[] = new Array(points.length)
      const errors: { index: number; message: string }[] = []
      const crs = request.query.crs
      for (let k = 0; k < points.length; k++) {
        const pt = points[k]
        const lon = Array.isArray(pt) ? pt[0] : undefined
        const lat = Array.isArray(pt) ? pt[1] : undefined
        if (typeof lon !== 'number' || typeof lat !== 'number' || !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
          if (errors.length < 1000) errors.push({ index: k, message: `points[${k}] is not a [lon, lat] pair in WGS84 range: ${JSON.stringify(pt)}` })
          out[k] = 'null'
          continue
        }
        const p = toWgs84(lon, lat, crs)
        const g = ix.index.lookup(p[0]!, p[1]!)
        const members = g >= 0 ? byGrid[g]! : none
        out[k] = withBoundary ? `{${members}${members ? ',' : ''}"onBoundary":${ix.index.onBoundary}}` : `{${members}}`
      }
      if (errors.length > 0 && errors.length === points.length) {
        throw new AppError('bad-request', `No valid point; first: ${errors[0]!.message}`, { errors })
      }
      reply.type('application/json; charset=utf-8')
      return `{"generation":${JSON.stringify(ix.generation)},"count":${points.length},"errors":${JSON.stringify(errors)},"results":[${out.join(',')}]}`
    },
  )

  registerLookupStreams(app, opts.lookup, toWgs84)
}

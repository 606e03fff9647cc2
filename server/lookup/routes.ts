import type { FastifyInstance, FastifyReply } from 'fastify'
import { Type, type Static } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { readMoment } from '../analytics/period-scope.ts'
import { AppError } from '../errors.ts'
import { pickFields, singleAnswer, singleJson, SINGLE_FIELDS } from './answers.ts'
import batchRoute from './batch-route.ts'
import { gcj02ToWgs84 } from './gcj02.ts'
import { At, Crs, fieldList, SingleAnswer } from './lookup-schemas.ts'
import type { IndexedGeneration, UnitRef } from './indexed-generation.ts'
import type { LookupService } from './lookup-service.ts'
import * as q from './queries.ts'

const LookupQuery = Type.Object({
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  at: Type.Optional(At),
  crs: Crs,
  nearest: Type.Boolean({ default: false }),
  fields: Type.Optional(fieldList(SINGLE_FIELDS)),
})

// Unknown parameters are refused: my-grid answers for today only, and `at=` silently ignored would mislead.
const MyGridQuery = Type.Object({ lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), crs: Crs }, { additionalProperties: false })

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

  // The hot path: no promise when the current index is ready, and the whole
  // answer as text made mostly ahead (answers.ts). With `fields`, or the
  // nearest grid, the answer is an object that the response schema has
  // Fastify serialise with fast-json-stringify.
  type Query = Static<typeof LookupQuery>
  type UnitRow = { code: string; level: string; name_zh: string; name_en: string | null }
  /**
   * A point no grid covers may still lie in a community and a town (a gap a
   * boundary import left): their own polygons say so, from PostGIS. Fills
   * `community` and `town` of such an answer.
   */
  const coverOutside = async (ix: IndexedGeneration, a: Record<string, unknown>, lon: number, lat: number) => {
    const { rows } = await opts.db.query<UnitRow>(q.UNITS_COVERING, [ix.generation.id, lon, lat])
    const unit = (level: string): UnitRef | null => {
      const u = rows.find((c) => c.level === level)
      return u ? { code: u.code, name: u.name_zh, name_en: u.name_en } : null
    }
    a.community = unit('community')
    a.town = unit('town')
    return a
  }
  const answer = (ix: IndexedGeneration, { lon, lat, crs, nearest, fields }: Query, reply: FastifyReply) => {
    const p = toWgs84(lon, lat, crs)
    const g = ix.index.lookup(p[0]!, p[1]!)
    if (g < 0 && ix.gaps.uncovered !== false) {
      const [x, y] = [p[0]!, p[1]!] // p is shared: read before waiting
      const a = singleAnswer(ix, g, x, y, false, nearest)
      return ix.uncovered(opts.db).then(async (gaps) => pickFields(gaps ? await coverOutside(ix, a, x, y) : a, fields))
    }
    if (fields || (nearest && g < 0)) return pickFields(singleAnswer(ix, g, p[0]!, p[1]!, ix.index.onBoundary, nearest), fields)
    reply.type('application/json; charset=utf-8')
    return singleJson(ix, g, p[0]!, p[1]!, ix.index.onBoundary)
  }
  // "As of" a past moment: the generation valid then, and the administrators who served the grid then (their history).
  const answerAt = async (query: Query) => {
    const { lon, lat, at, crs, nearest, fields } = query
    const ix = await opts.lookup.indexFor(at)
    const p = toWgs84(lon, lat, crs)
    const g = ix.index.lookup(p[0]!, p[1]!)
    const [x, y] = [p[0]!, p[1]!]
    const a = singleAnswer(ix, g, x, y, ix.index.onBoundary, nearest)
    const wanted = fields === undefined || fields.split(',').some((f) => f.trim() === 'administrators')
    if (g >= 0 && wanted) a.administrators = await opts.lookup.administratorsAt(ix.grids[g]!.code, readMoment('at', at!))
    if (g < 0 && (await ix.uncovered(opts.db))) await coverOutside(ix, a, x, y)
    return pickFields(a, fields)
  }
  app.get<{ Querystring: Query }>('/api/v1/lookup', { schema: { querystring: LookupQuery, response: { 200: SingleAnswer } }, config: { roles: EVERYONE } }, (request, reply) => {
    if (request.query.at) return answerAt(request.query)
    const ready = opts.lookup.ready
    return ready ? answer(ready, request.query, reply) : opts.lookup.indexFor().then((ix) => answer(ix, request.query, reply))
  })

  // Citizens: my grid, its community and town, and how to reach its administrators.
  app.get<{ Querystring: Static<typeof MyGridQuery> }>('/api/v1/my-grid', { config: { roles: EVERYONE }, schema: { querystring: MyGridQuery } }, async (request) => {
    const { lon, lat, crs } = request.query
    const ix = await opts.lookup.indexFor()
    const p = toWgs84(lon, lat, crs)
    const g = ix.index.lookup(p[0]!, p[1]!)
    const [x, y] = [p[0]!, p[1]!]
    const a = singleAnswer(ix, g, x, y, ix.index.onBoundary, true)
    // Outside every grid: the community and town covering the point still say whom to ask.
    if (g < 0 && (await ix.uncovered(opts.db))) await coverOutside(ix, a, x, y)
    return {
      grid: a.grid,
      community: a.community,
      town: a.town,
      administrators: (a.administrators as { name: string; phone: string | null }[]).map((x) => ({ name: x.name, phone: x.phone })),
      ...(g < 0 ? { nearest: a.nearest } : {}),
    }
  })

  // MapIt-style: every unit covering the point, straight from PostGIS.
  const NUMBER = '-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?'
  app.get<{ Params: { point: string }; Querystring: { at?: string; crs: 'wgs84' | 'gcj02' } }>(
    '/api/v1/point/4326/:point',
    {
      schema: {
        // Numbers as JSON writes them (an exponent too: 1e-7), as the query form takes them.
        params: Type.Object({ point: Type.String({ pattern: `^${NUMBER},${NUMBER}$`, description: 'lon,lat' }) }),
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

  await app.register(batchRoute, { lookup: opts.lookup, toWgs84 })
}

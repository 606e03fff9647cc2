import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { MOMENT_PATTERN, readMoment } from '../analytics/period-scope.ts'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { checkCoverage, coverageFeatureCollection, DEFAULT_MIN_AREA_M2 } from './coverage.ts'

const Params = Type.Object({
  code: Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description: 'Code of the parent unit (city, town or community)' }),
})

const CoverageQuery = Type.Object({
  at: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'Check the generation valid at this moment (default: current): a date-time with offset, or a date (its midnight in the city, UTC+8)' })),
  minAreaM2: Type.Number({ minimum: 0, maximum: 1e12, default: DEFAULT_MIN_AREA_M2, description: 'Smaller gaps and overlaps are slivers, not reported' }),
  format: Type.Union([Type.Literal('json'), Type.Literal('geojson')], { default: 'json', description: 'geojson: a FeatureCollection for the map' }),
})

export default async function coverageRoutes(app: FastifyInstance, opts: { db: Db }) {
  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof CoverageQuery> }>(
    '/api/v1/units/:code/coverage',
    { schema: { params: Params, querystring: CoverageQuery }, config: { roles: EVERYONE } },
    async (request, reply) => {
      const { at, minAreaM2, format } = request.query
      const report = await checkCoverage(opts.db, request.params.code, { at: at ? readMoment('at', at) : undefined, minAreaM2 })
      if (format === 'geojson') {
        reply.type('application/geo+json; charset=utf-8')
        return { ...coverageFeatureCollection(report), format }
      }
      return { ...report, format }
    },
  )
}

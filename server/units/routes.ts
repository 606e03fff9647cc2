import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { MOMENT_PATTERN, readMoment } from '../analytics/period-scope.ts'
import { CONSOLE_DEMO_PLANNER_KEY_NAME } from '../auth/console-demo-key.ts'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { parseBbox } from '../plugins/bbox.ts'
import { AppError, notFound } from '../errors.ts'
import { ADMINISTRATORS_OF_GRID, ADMINISTRATORS_OF_GRID_AT, visiblePhone } from '../administrators/queries.ts'
import { importUnits } from './import-units.ts'
import * as q from './queries.ts'
import { likeLiteral, unitFeature, type UnitRow } from './unit-features.ts'
import { DisplayName } from '../plugins/display-name.ts'

const Code = Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description: 'Hierarchical unit code (6, 9, 12 or 15 digits)' })
const At = Type.String({ pattern: MOMENT_PATTERN, description: 'Answer from the generation valid at this moment (default: current): a date-time with offset, or a date (its midnight in the city, UTC+8)' })

const ListQuery = Type.Object({
  level: Type.Optional(Type.Unsafe<'city' | 'town' | 'community' | 'grid'>({ type: 'string', enum: ['city', 'town', 'community', 'grid'] })),
  parent: Type.Optional(Code),
  bbox: Type.Optional(Type.String({ pattern: '^\\s*-?[0-9.]+(\\s*,\\s*-?[0-9.]+){3}\\s*$', description: 'minLon,minLat,maxLon,maxLat' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Code prefix or part of the Chinese or English name' })),
  simplify: Type.Optional(Type.Number({ minimum: 0, maximum: 10000, description: 'Simplification tolerance in metres' })),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  at: Type.Optional(At),
})

const ImportQuery = Type.Object({
  dryRun: Type.Boolean({ default: false }),
  fix: Type.Boolean({ default: false }),
  clip: Type.Boolean({ default: false }),
  mode: Type.Unsafe<'replace' | 'merge'>({ type: 'string', enum: ['replace', 'merge'], default: 'replace' }),
  toleranceM2: Type.Number({ minimum: 0, maximum: 1e9, default: 1 }),
  validFrom: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'When the new generation starts (default: now): a date-time with offset, or a date (its midnight in the city, UTC+8)' })),
  label: Type.Optional(DisplayName(200)),
})

export interface UnitRoutesOptions {
  db: Db
  importBodyLimit: number
  /** Called after a generation was stored; the answer waits for it (lookups answering from the new generation). */
  onPublished?: () => Promise<unknown>
}

export default async function unitRoutes(app: FastifyInstance, opts: UnitRoutesOptions) {
  const { db } = opts

  async function generationAt(at: string | undefined) {
    const gen = (await db.query<{ id: number; label: string; valid_from: Date; valid_to: Date | null }>(q.GENERATION, [at ? readMoment('at', at) : null])).rows[0]
    if (!gen) throw new AppError('not-found', at ? `No boundary generation was valid at ${at}` : 'No boundary generation has been imported yet')
    return gen
  }
  const generationInfo = (g: { id: number; label: string; valid_from: Date; valid_to: Date | null }) => ({
    id: g.id,
    label: g.label,
    validFrom: g.valid_from.toISOString(),
    validTo: g.valid_to?.toISOString() ?? null,
  })

  type GenerationRow = Record<string, unknown> & { valid_from: Date; valid_to: Date | null }
  const describeGeneration = (g: GenerationRow) => ({
    id: g.id,
    label: g.label,
    validFrom: g.valid_from.toISOString(),
    validTo: g.valid_to?.toISOString() ?? null,
    current: g.valid_to === null,
    createdAt: (g.created_at as Date).toISOString(),
    createdBy: g.created_by,
    source: g.source,
    note: g.note,
    units: g.units,
  })
  app.get('/api/v1/generations', { config: { roles: EVERYONE } }, async () => {
    const { rows } = await db.query<GenerationRow>(q.GENERATIONS)
    return { items: rows.map(describeGeneration) }
  })
  app.get<{ Params: { id: number } }>('/api/v1/generations/:id', { config: { roles: EVERYONE }, schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) } }, async (request) => {
    const row = (await db.query<GenerationRow>(q.GENERATION_BY_ID, [request.params.id])).rows[0]
    if (!row) throw notFound('generation', String(request.params.id))
    return describeGeneration(row)
  })

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/units', { schema: { querystring: ListQuery }, config: { roles: EVERYONE } }, async (request) => {
    const query = request.query
    const gen = await generationAt(query.at)
    const bbox = query.bbox ? parseBbox(query.bbox) : null
    const filter = [gen.id, query.level ?? null, query.parent ?? null, bbox, query.q ? likeLiteral(query.q) : null]
    const [count, page] = await Promise.all([
      db.query<{ n: number }>(q.COUNT_UNITS, filter),
      db.query<UnitRow>(q.LIST_UNITS, [...filter, query.simplify ?? 0, query.limit, query.offset]),
    ])
    const numberMatched = count.rows[0]!.n
    const links = [{ rel: 'self', type: 'application/geo+json', href: request.url }]
    if (query.offset + page.rows.length < numberMatched) {
      const next = new URLSearchParams(request.query as unknown as Record<string, string>)
      next.set('offset', String(query.offset + query.limit))
      next.set('limit', String(query.limit))
      links.push({ rel: 'next', type: 'application/geo+json', href: `/api/v1/units?${next}` })
    }
    return {
      type: 'FeatureCollection',
      generation: generationInfo(gen),
      numberMatched,
      numberReturned: page.rows.length,
      links,
      features: page.rows.map((r) => unitFeature(r)),
    }
  })

  app.get<{ Params: { code: string }; Querystring: { at?: string } }>(
    '/api/v1/units/:code',
    { schema: { params: Type.Object({ code: Code }), querystring: Type.Object({ at: Type.Optional(At) }) }, config: { roles: EVERYONE } },
    async (request) => {
      const { code } = request.params
      const gen = await generationAt(request.query.at)
      const row = (await db.query<UnitRow>(q.GET_UNIT, [gen.id, code])).rows[0]
      if (!row) {
        const when = request.query.at ? `valid at ${request.query.at}` : 'current'
        throw new AppError('not-found', `No unit with code ${JSON.stringify(code)} in generation ${gen.id} (${JSON.stringify(gen.label)}, the one ${when})`)
      }
      const [ancestors, children, administrators] = await Promise.all([
        db.query<{ code: string; level: string; name_zh: string; name_en: string | null }>(q.ANCESTORS, [gen.id, code]),
        db.query<{ code: string }>(q.CHILD_CODES, [gen.id, code]),
        // With `at`: who served the grid then (their assignment history); otherwise everyone assigned today.
        row.level !== 'grid' ? Promise.resolve({ rows: [] })
          : request.query.at ? db.query(ADMINISTRATORS_OF_GRID_AT, [code, readMoment('at', request.query.at)])
          : db.query(ADMINISTRATORS_OF_GRID, [code]),
      ])
      return unitFeature(row, {
        generation: generationInfo(gen),
        ancestors: ancestors.rows.map((a) => ({ code: a.code, level: a.level, name: a.name_zh, name_en: a.name_en })),
        children: children.rows.map((c) => c.code),
        ...(row.level === 'grid' ? { administrators: administrators.rows.map((a) => adminSummary(a, request.principal.role)) } : {}),
      })
    },
  )

  app.post<{ Querystring: Static<typeof ImportQuery>; Body: unknown }>(
    '/api/v1/units/import',
    { bodyLimit: opts.importBodyLimit, schema: { querystring: ImportQuery }, config: { roles: ['admin', 'planner'] } },
    async (request, reply) => {
      if (request.principal.name === CONSOLE_DEMO_PLANNER_KEY_NAME) {
        throw new AppError('forbidden', `The console's demo planner key (${JSON.stringify(request.principal.name)}) plans only; importing boundaries, which may replace the whole city, needs an admin or planner key of your own`)
      }
      const query = request.query
      const report = await importUnits(db, request.body, {
        ...query,
        validFrom: query.validFrom ? readMoment('validFrom', query.validFrom) : undefined,
        actor: request.principal.name,
        source: 'api',
      })
      if (!report.dryRun) await opts.onPublished?.()
      // Grid administrators' keys of removed grids see their remaining grids at once.
      if (report.administratorsUnassigned?.length) app.keyCache.clear()
      reply.code(report.dryRun ? 200 : 201)
      return report
    },
  )
}

/** An administrator as a unit lists it. */
export function adminSummary(a: Record<string, unknown>, role: string) {
  return { id: a.id, employeeNo: a.employee_no, name: a.name, phone: visiblePhone(a, role), active: a.active }
}

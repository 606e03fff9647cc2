/**
 * The planning studio's API, /api/v1/plans. Reads for planners, analysts,
 * supervisors and admins; edits and publishing for planners and admins.
 * Edits name the version they were made on (body `version` or `If-Match`);
 * every answer carries the plan's current version as its ETag.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { invalidParameter, readMoment } from '../analytics/period-scope.ts'
import { createPlan } from './create-plan.ts'
import { planCsv, planGeoJson, rowsFromCsv, rowsFromGeoJson } from './exchange.ts'
import type { PlanOp } from './operations.ts'
import { EditBody, Id, NewPlanBody, PublishBody, READERS, REQUIRED, ScopeCode, WRITERS } from './plan-schemas.ts'
import { describePlan, discardPlan, editPlan, type EditOp } from './plan-service.ts'
import { PlanStore } from './plan-state.ts'
import { publishPlan } from './publish.ts'
import * as q from './queries.ts'
import { rebasePlan } from './rebase.ts'

export interface PlanRoutesOptions {
  db: Db
  lookup: LookupService
}

export default async function planRoutes(app: FastifyInstance, opts: PlanRoutesOptions) {
  const { db, lookup } = opts
  const store = new PlanStore(db)
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_request, body, done) => done(null, body))

  const versionOf = (request: FastifyRequest, body?: { version?: number }): number | undefined => {
    const match = request.headers['if-match']
    let tagged: number | undefined
    if (typeof match === 'string' && match.trim() !== '*') {
      // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag W/"7" never matches.
      if (/^W\//.test(match.trim())) throw new AppError('invalid-parameter', `If-Match ${match} is a weak entity tag, which never matches; send the plan's ETag as it came, e.g. "7"`)
      tagged = Number(/^"?(\d+)"?$/.exec(match.trim())?.[1])
      if (!Number.isInteger(tagged)) throw new AppError('invalid-parameter', `Unexpected If-Match value: ${match}; expected the plan version as an ETag, e.g. "7"`)
    }
    if (body?.version !== undefined && tagged !== undefined && tagged !== body.version) {
      throw new AppError('invalid-parameter', `The body names version ${body.version} and If-Match names ${match}: say which version the change was made on once, or twice the same`)
    }
    return body?.version ?? tagged
  }
  /**
   * Changing a plan's content needs the version the change was made on, so a
   * client can never overwrite a colleague's edit it has not seen (428
   * otherwise). `If-Match: *` is the explicit "whatever is current".
   */
  const requiredVersion = (request: FastifyRequest, body?: { version?: number }): number | undefined => {
    const version = versionOf(request, body)
    if (version === undefined && request.headers['if-match'] !== '*') {
      throw new AppError('precondition-required', 'Name the plan version this change is made on: body "version", or If-Match with the plan view\'s ETag (e.g. If-Match: "7"); If-Match: * applies it to whatever version is current', {
        errors: [{ where: 'body/version', message: 'is required (or the If-Match header)' }],
      })
    }
    return version
  }
  const tagged = <T extends { plan: { version: number } }>(reply: FastifyReply, body: T) => {
    reply.header('etag', `"${body.plan.version}"`)
    return body
  }

  app.post<{ Body: Static<typeof NewPlanBody> }>(
    '/api/v1/plans',
    { schema: { body: NewPlanBody }, config: { roles: WRITERS } },
    async (request, reply) => {
      const b = request.body
      const id = await createPlan(db, {
        scope: b.scope,
        name: b.name,
        res: b.res,
        // Dates as analytics read them: a bare date is its midnight in the city.
        from: b.from ? readMoment('from', b.from) : undefined,
        to: b.to ? readMoment('to', b.to) : undefined,
        constraints: b.constraints,
        actor: request.principal.name,
      })
      reply.code(201).header('location', `/api/v1/plans/${id}`)
      return tagged(reply, describePlan(await store.load(id)))
    },
  )

  app.get<{ Querystring: { scope?: string; status?: string; limit: number; offset: number } }>(
    '/api/v1/plans',
    {
      schema: {
        querystring: Type.Object({
          scope: Type.Optional(ScopeCode),
          status: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['draft', 'published', 'discarded'] })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
      },
      config: { roles: READERS },
    },
    async (request) => {
      const { scope, status, limit, offset } = request.query
      const filter = [scope ?? null, status ?? null]
      const [count, page] = await Promise.all([db.query<{ n: number }>(q.COUNT_PLANS, filter), db.query<Record<string, unknown>>(q.LIST_PLANS, [...filter, limit, offset])])
      const rows = page.rows
      const numberMatched = count.rows[0]!.n
      const links = [{ rel: 'self', href: request.url }]
      if (offset + rows.length < numberMatched) {
        const next = new URLSearchParams(request.query as unknown as Record<string, string>)
        next.set('offset', String(offset + limit))
        next.set('limit', String(limit))
        links.push({ rel: 'next', href: `/api/v1/plans?${next}` })
      }
      return {
        numberMatched,
        numberReturned: rows.length,
        links,
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          scope: r.scope_code,
          scopeName: r.scope_name,
          res: r.res,
          status: r.status,
          version: r.version,
          baseGeneration: r.base_generation_id,
          baseIsCurrent: r.base_is_current,
          publishedGeneration: r.published_generation_id,
          createdBy: r.created_by,
          createdAt: (r.created_at as Date).toISOString(),
          updatedBy: r.updated_by,
          updatedAt: (r.updated_at as Date).toISOString(),
        })),
      }
    },
  )

  app.get<{ Params: { id: number } }>('/api/v1/plans/:id', { schema: { params: Id }, config: { roles: READERS } }, async (request, reply) =>
    tagged(reply, describePlan(await store.load(request.params.id))),
  )

  app.post<{ Params: { id: number }; Body: EditBody }>(
    '/api/v1/plans/:id/edits',
    { schema: { params: Id, body: EditBody }, config: { roles: WRITERS } },
    async (request, reply) => {
      const { version: _v, ...op } = request.body
      const missing = REQUIRED[op.op].filter((f) => op[f] === undefined)
      if (missing.length > 0) throw new AppError('invalid-parameter', `The ${op.op} edit needs the field${missing.length === 1 ? '' : 's'} ${missing.map((f) => JSON.stringify(f)).join(', ')}`, { missing })
      return tagged(reply, await editPlan(store, request.params.id, requiredVersion(request, request.body), op as EditOp, request.principal.name))
    },
  )

  for (const op of ['undo', 'redo'] as const) {
    app.post<{ Params: { id: number }; Body: { version?: number } | undefined }>(
      `/api/v1/plans/:id/${op}`,
      {
        schema: { params: Id, body: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false, description: 'Optional: the version may come as If-Match instead, with no body at all' }) },
        config: { roles: WRITERS, optionalBody: true },
        // No body at all (the version in If-Match) is an empty one.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {}
        },
      },
      async (request, reply) => tagged(reply, await editPlan(store, request.params.id, requiredVersion(request, request.body ?? undefined), { op }, request.principal.name)),
    )
  }

  app.get<{ Params: { id: number } }>('/api/v1/plans/:id/blocks', { schema: { params: Id }, config: { roles: READERS } }, async (request, reply) => {
    const state = await store.load(request.params.id)
    reply.type('application/geo+json').header('etag', `"${state.row.version}"`)
    return planGeoJson(db, state, false)
  })

  app.get<{ Params: { id: number }; Querystring: { format: 'geojson' | 'csv'; dissolve: boolean } }>(
    '/api/v1/plans/:id/export',
    {
      schema: {
        params: Id,
        querystring: Type.Object({
          format: Type.Unsafe<'geojson' | 'csv'>({ type: 'string', enum: ['geojson', 'csv'], default: 'geojson' }),
          dissolve: Type.Boolean({ default: false, description: 'GeoJSON: one feature per grid (the union of its cells) instead of one per cell' }),
        }),
      },
      config: { roles: READERS },
    },
    async (request, reply) => {
      const state = await store.load(request.params.id)
      const name = `plan-${state.row.id}-v${state.row.version}`
      if (request.query.format === 'csv') {
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`)
        return planCsv(state)
      }
      reply.type('application/geo+json').header('content-disposition', `attachment; filename="${name}.geojson"`)
      return planGeoJson(db, state, request.query.dissolve)
    },
  )

  app.put<{ Params: { id: number }; Body: unknown }>(
    '/api/v1/plans/:id/assignment',
    { schema: { params: Id }, bodyLimit: 16 * 1024 * 1024, config: { roles: WRITERS } },
    async (request, reply) => {
      const type = request.headers['content-type'] ?? ''
      const file = type.startsWith('text/csv') ? rowsFromCsv(String(request.body)) : rowsFromGeoJson(request.body)
      const op: PlanOp = { op: 'assign', ...file }
      return tagged(reply, await editPlan(store, request.params.id, requiredVersion(request), op, request.principal.name))
    },
  )

  app.get<{ Params: { id: number }; Querystring: { with: number } }>(
    '/api/v1/plans/:id/compare',
    { schema: { params: Id, querystring: Type.Object({ with: Type.Integer({ minimum: 1, maximum: 2147483647 }) }) }, config: { roles: READERS } },
    async (request) => {
      const a = await store.load(request.params.id)
      const b = await store.load(request.query.with)
      // Plans compare cell by cell: they must cover some of the same ground at the same resolution.
      const [sa, sb] = [a.row.scope_code, b.row.scope_code]
      if (!sa.startsWith(sb) && !sb.startsWith(sa)) {
        throw invalidParameter('with', `plan ${b.row.id} covers ${sb} and plan ${a.row.id} covers ${sa}: they share no ground to compare; compare plans of the same scope (or one inside the other)`)
      }
      if (a.row.res !== b.row.res) {
        throw invalidParameter('with', `plan ${b.row.id} is drawn with H3 cells of resolution ${b.row.res} and plan ${a.row.id} of resolution ${a.row.res}: they share no cell to compare`)
      }
      const keyed = (s: typeof a) => new Map(s.blocks.h3.map((h, i) => [`${s.blocks.communities[s.blocks.community[i]!]}:${h}`, s.grids[s.assignment[i]!]!.code]))
      const ka = keyed(a)
      const kb = keyed(b)
      let differ = 0
      let shared = 0
      for (const [key, grid] of ka) {
        const other = kb.get(key)
        if (other === undefined) continue
        shared++
        if (other !== grid) differ++
      }
      const da = describePlan(a)
      const dbb = describePlan(b)
      return {
        plans: [
          { plan: da.plan, metrics: da.metrics.after, disruption: da.disruption, violations: da.violations.length },
          { plan: dbb.plan, metrics: dbb.metrics.after, disruption: dbb.disruption, violations: dbb.violations.length },
        ],
        cells: { shared, differ },
      }
    },
  )

  app.post<{ Params: { id: number }; Body: Static<typeof PublishBody> | undefined }>(
    '/api/v1/plans/:id/publish',
    { schema: { params: Id, body: Type.Optional(PublishBody) }, config: { roles: WRITERS } },
    async (request, reply) => {
      const body = request.body ?? {}
      const published = await publishPlan(store, db, request.params.id, {
        version: requiredVersion(request, body),
        validFrom: body.validFrom ? readMoment('validFrom', body.validFrom) : undefined,
        label: body.label,
        note: body.note,
        actor: request.principal.name,
      })
      // The switch: the new index is built beside the old one and swapped in
      // one assignment, and the tiles forget the old generation, before the
      // planner hears that the plan is live.
      const started = performance.now()
      await lookup.changed()
      app.tiles?.invalidate()
      void app.tiles?.warm()
      // Administrators of removed grids moved to the heirs: grid_admin keys see their new grids now.
      if (published.administratorsMoved.length > 0) app.keyCache.clear()
      reply.code(201).header('location', `/api/v1/generations/${published.generation.id}`)
      return { ...published, indexMs: Math.round(performance.now() - started) }
    },
  )

  app.post<{ Params: { id: number }; Body: { version?: number } | undefined }>(
    '/api/v1/plans/:id/rebase',
    { schema: { params: Id, body: Type.Optional(Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })) }, config: { roles: WRITERS } },
    async (request, reply) => {
      const id = await rebasePlan(store, request.params.id, versionOf(request, request.body ?? undefined), request.principal.name)
      reply.code(201).header('location', `/api/v1/plans/${id}`)
      return tagged(reply, describePlan(await store.load(id)))
    },
  )

  // Like undo and redo: the version in the body or If-Match; no body at all (an empty one with a JSON type included) is fine.
  app.delete<{ Params: { id: number }; Body: { version?: number } | undefined }>(
    '/api/v1/plans/:id',
    {
      schema: { params: Id, body: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false, description: 'Optional: the version may come as If-Match instead, with no body at all' }) },
      config: { roles: WRITERS, optionalBody: true },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
    },
    async (request, reply) => tagged(reply, await discardPlan(store, request.params.id, requiredVersion(request, request.body ?? undefined), request.principal.name)),
  )
}

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { recordAudit } from '../audit/audit-log.ts'
import { AppError, notFound } from '../errors.ts'
import { parseBbox } from '../plugins/bbox.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { problemsText, readIncident, type Channel } from './incident-input.ts'
import { incidentFeature, incidentsCsv, publicView, staffView, type IncidentRow } from './incident-views.ts'
import { listIncidents } from './incident-list.ts'
import { intakeIncidents } from './intake.ts'
import * as q from './queries.ts'
import { registerBulkIntake } from './bulk-intake.ts'
import { transition } from './transitions.ts'
import { MOMENT_PATTERN, readMoment } from '../analytics/period-scope.ts'
import { assertKnownCategories, CategoryBody, upsertCategory, type CategoryInput } from './categories.ts'
import { ACTIONS, STATUSES, type Action } from './workflow.ts'

const STAFF = ['admin', 'supervisor', 'grid_admin', 'department', 'system', 'analyst', 'planner']
const EVERYONE = [...STAFF, 'public']

/**
 * Who may report through which channel: anyone as a citizen; patrols are grid
 * administrators' (or a system's that relays their app); the hotline, sensors
 * and other systems come through system keys; supervisors and admins may
 * enter any. An anonymous caller can thus never pose as the hotline, nor take
 * one of its external ids first.
 */
const CHANNEL_ROLES: Record<Channel, readonly string[]> = {
  citizen: EVERYONE,
  patrol: ['grid_admin', 'system', 'supervisor', 'admin'],
  hotline: ['system', 'supervisor', 'admin'],
  sensor: ['system', 'supervisor', 'admin'],
  system: ['system', 'supervisor', 'admin'],
}

/** Why this caller may not report through `channel`, or null. */
export function channelRefusal(request: FastifyRequest, channel: Channel): string | null {
  const role = (request as FastifyRequest & { principal?: Caller }).principal?.role ?? 'public'
  const roles = CHANNEL_ROLES[channel]
  return roles.includes(role) ? null : `channel ${channel} needs a key of role ${roles.join(', ')}${role === 'public' ? ' (no key was sent)' : ` (this key has role ${role})`}`
}
const codeList = (pattern: string) => Type.String({ pattern: `^${pattern}(,${pattern})*$` })

const ListQuery = Type.Object({
  grid: Type.Optional(codeList('[0-9]{15}')),
  community: Type.Optional(codeList('[0-9]{12}')),
  town: Type.Optional(codeList('[0-9]{9}')),
  status: Type.Optional(codeList(`(${STATUSES.join('|')})`)),
  category: Type.Optional(codeList('[A-Z][A-Z0-9_-]{0,31}')),
  channel: Type.Optional(codeList('(patrol|citizen|hotline|sensor|system)')),
  from: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'reported at or after: a date-time with offset, or a date (its midnight in the city, UTC+8)' })),
  to: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'reported before: a date-time with offset, or a date (its midnight in the city, UTC+8)' })),
  bbox: Type.Optional(Type.String({ pattern: '^\\s*-?[0-9.]+(\\s*,\\s*-?[0-9.]+){3}\\s*$' })),
  overdue: Type.Boolean({ default: false }),
  sort: Type.Unsafe<string>({ type: 'string', enum: Object.keys(q.LIST_INCIDENTS), default: '-reported_at' }),
  format: Type.Unsafe<'json' | 'geojson' | 'csv'>({ type: 'string', enum: ['json', 'geojson', 'csv'], default: 'json' }),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
})

const TransitionBody = Type.Object(
  {
    action: Type.Unsafe<Action>({ type: 'string', enum: [...ACTIONS] }),
    note: Type.Optional(Type.String({ maxLength: 4000 })),
    media: Type.Optional(Type.Array(Type.String({ pattern: '^https?://\\S+$', maxLength: 2000 }), { maxItems: 20 })),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    duplicateOf: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)

export interface IncidentRoutesOptions {
  db: Db
  lookup: LookupService
}

interface Caller {
  role?: string
  name?: string
  department?: string
  grids?: string[]
}

/**
 * What a caller may see: a grid administrator only the incidents of their own
 * grids, a department only those dispatched to it; everyone else is not confined.
 */
export function confinement(request: FastifyRequest): { grids: string[] | null; department: string | null } {
  const p = (request as FastifyRequest & { principal?: Caller }).principal
  return { grids: p?.role === 'grid_admin' ? (p.grids ?? []) : null, department: p?.role === 'department' ? (p.department ?? '') : null }
}

function assertMayTouch(request: FastifyRequest, row: IncidentRow) {
  const { grids, department } = confinement(request)
  if (grids && !grids.includes(row.grid_code as string)) throw new AppError('forbidden', `Incident ${row.id} is not in one of your grids`)
  if (department !== null && row.department !== department) throw new AppError('forbidden', `Incident ${row.id} was not dispatched to your department`)
}

/**
 * Who takes which step: the department a case was dispatched to reports it
 * handled; verifying it on site, and every other step, is for the grid's
 * administrators (their own grids), supervisors and admins.
 */
const GRID_STAFF = ['grid_admin', 'supervisor', 'admin']
const ACTION_ROLES: Record<Action, readonly string[]> = {
  accept: GRID_STAFF, dispatch: GRID_STAFF, handle: ['department', 'supervisor', 'admin'], verify: GRID_STAFF,
  close: GRID_STAFF, reject: GRID_STAFF, merge: GRID_STAFF, reopen: GRID_STAFF, unlink: GRID_STAFF,
}

/** Roles that may see a reporter's contact: those who act on the case. Nobody but the reporter sees the receipt token. */
const SEES_REPORTER = ['admin', 'supervisor', 'grid_admin', 'department']

const roleOf = (request: FastifyRequest) => (request as FastifyRequest & { principal?: Caller }).principal?.role ?? 'public'

/** Who is calling, as recorded in histories: the API key's name ('anonymous' without a key). */
export function actorOf(request: FastifyRequest): string | null {
  return (request as FastifyRequest & { principal?: { name?: string } }).principal?.name ?? null
}

export default async function incidentRoutes(app: FastifyInstance, opts: IncidentRoutesOptions) {
  const { db, lookup } = opts
  let categories: Set<string> | null = null
  const categoryCodes = async () => (categories ??= new Set((await db.query<{ code: string }>(q.CATEGORY_CODES)).rows.map((r) => r.code)))

  app.get('/api/v1/incident-categories', { config: { roles: EVERYONE } }, async () => {
    const { rows } = await db.query<Record<string, unknown>>(q.CATEGORIES)
    return { items: rows.map((c) => ({ code: c.code, name: c.name_zh, name_en: c.name_en, class: c.class, department: c.department, slaHours: c.sla_hours, effortWeight: c.effort_weight, attributes: c.attributes, active: c.active })) }
  })

  app.put<{ Params: { code: string }; Body: CategoryInput }>(
    '/api/v1/incident-categories/:code',
    { config: { roles: ['admin'] }, schema: { params: Type.Object({ code: Type.String({ pattern: '^[A-Z][A-Z0-9_-]{0,31}$' }) }), body: CategoryBody } },
    async (request, reply) => {
      const result = await upsertCategory(db, request.params.code, request.body, actorOf(request))
      categories = null // the next intake reads the catalogue again
      reply.code(result.created ? 201 : 200)
      return result.category
    },
  )

  app.post('/api/v1/incidents', { config: { roles: EVERYONE }, bodyLimit: 256 * 1024 }, async (request, reply) => {
    const read = readIncident(request.body, await categoryCodes())
    if (!read.ok) {
      // `where` as every other route names the place; `field` kept for clients that read it.
      const errors = read.problems.map((p) => ({ where: p.field ? `body/${p.field}` : 'body', field: p.field, message: p.message }))
      throw new AppError('invalid-parameter', `Incident rejected: ${problemsText(read.problems)}`, { errors })
    }
    const refusal = channelRefusal(request, read.value.channel)
    if (refusal !== null) {
      // No key where a channel needs one is a missing credential (401), a key of the wrong role a refusal (403).
      if (roleOf(request) === 'public') {
        reply.header('www-authenticate', 'Bearer realm="zhiwang"')
        throw new AppError('unauthorized', `Incident rejected: ${refusal}`)
      }
      throw new AppError('forbidden', `Incident rejected: ${refusal}`)
    }
    const [result] = await intakeIncidents(db, lookup, [read.value], actorOf(request))
    if (result!.refused) throw new AppError('conflict', `Incident rejected: ${result!.refused}`)
    reply.code(result!.created ? 201 : 200)
    // Which open report a new one duplicates is staff knowledge: to an anonymous caller it would
    // tell that an incident (perhaps of a class never shown in public) is open near a point.
    if (roleOf(request) === 'public') {
      const { duplicateOf: _hidden, ...shown } = result!
      return shown
    }
    return result
  })

  registerBulkIntake(app, db, lookup, categoryCodes, STAFF)

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/incidents', { config: { roles: STAFF }, schema: { querystring: ListQuery } }, async (request, reply) => {
    const f = request.query
    const list = (v: string | undefined) => (v ? v.split(',') : null)
    const bbox = f.bbox ? parseBbox(f.bbox) : null
    const own = confinement(request)
    const from = f.from ? readMoment('from', f.from) : null
    const to = f.to ? readMoment('to', f.to) : null
    if (from && to && from >= to) {
      throw new AppError('invalid-parameter', `from (${f.from}) must be before to (${f.to}): the period [from, to) is empty`, { errors: [{ where: 'querystring/from', message: 'must be before to' }] })
    }
    await assertKnownCategories(db, list(f.category), 'category')
    const filter = [list(f.grid), list(f.community), list(f.town), list(f.status), list(f.category), list(f.channel), from?.toISOString() ?? null, to?.toISOString() ?? null, bbox, f.overdue, own.grids, own.department]
    const page = await listIncidents(db, filter, f.sort, f.limit, f.offset)
    const { numberMatched, numberMatchedIsEstimate } = page
    if (f.format === 'csv') {
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="incidents.csv"')
      return incidentsCsv(page.rows)
    }
    const links = [{ rel: 'self', href: request.url }]
    if (page.hasNext) {
      const next = new URLSearchParams(request.query as unknown as Record<string, string>)
      next.set('offset', String(f.offset + f.limit))
      links.push({ rel: 'next', href: `/api/v1/incidents?${next}` })
    }
    if (f.format === 'geojson') {
      reply.type('application/geo+json')
      return { type: 'FeatureCollection', numberMatched, numberMatchedIsEstimate, numberReturned: page.rows.length, links, features: page.rows.map(incidentFeature) }
    }
    return { numberMatched, numberMatchedIsEstimate, numberReturned: page.rows.length, links, items: page.rows.map(staffView) }
  })

  app.get<{ Params: { id: number } }>(
    '/api/v1/incidents/:id',
    { config: { roles: STAFF }, schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) } },
    async (request) => {
      const row = (await db.query<IncidentRow>(q.GET_INCIDENT, [request.params.id])).rows[0]
      if (!row) throw notFound('incident', String(request.params.id))
      assertMayTouch(request, row)
      const [events, duplicates] = await Promise.all([db.query(q.EVENTS, [row.id]), db.query<{ id: number }>(q.PROBABLE_DUPLICATES, [row.id])])
      const contact = SEES_REPORTER.includes(roleOf(request)) ? { reporter: row.reporter } : {}
      return { ...staffView(row), ...contact, history: events.rows, probableDuplicates: duplicates.rows.map((d) => d.id) }
    },
  )

  app.post<{ Params: { id: number }; Body: Static<typeof TransitionBody> }>(
    '/api/v1/incidents/:id/transitions',
    { config: { roles: ['admin', 'supervisor', 'grid_admin', 'department'] }, schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), body: TransitionBody } },
    async (request) => {
      const row = (await db.query<IncidentRow>(q.GET_INCIDENT, [request.params.id])).rows[0]
      if (!row) throw notFound('incident', String(request.params.id))
      const { action, duplicateOf } = request.body
      // A field the step does not take is refused by name rather than ignored.
      for (const [field, takenBy] of [['department', 'dispatch'], ['duplicateOf', 'merge']] as const) {
        if (request.body[field] !== undefined && action !== takenBy) throw new AppError('invalid-parameter', `body/${field} is taken by "${takenBy}" only, not by "${action}"`, { parameter: field })
      }
      // The role first: a key whose role never takes this step is told so, whoever's incident it is.
      const role = roleOf(request)
      if (!ACTION_ROLES[action].includes(role)) throw new AppError('forbidden', `"${action}" is for role ${ACTION_ROLES[action].join(', ')}; this key has role ${role}`)
      assertMayTouch(request, row)
      if (action === 'merge' && duplicateOf !== undefined) {
        const target = (await db.query<IncidentRow>(q.GET_INCIDENT, [duplicateOf])).rows[0]
        if (target) assertMayTouch(request, target)
      }
      return transition(db, request.params.id, { ...request.body, actor: actorOf(request) })
    },
  )

  // Citizens follow their report by its receipt token, and rate it once closed.
  app.get<{ Params: { token: string } }>(
    '/api/v1/incidents/by-token/:token',
    { config: { roles: EVERYONE }, schema: { params: Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }) } },
    async (request) => {
      const row = (await db.query<IncidentRow>(q.GET_BY_TOKEN, [request.params.token])).rows[0]
      if (!row) throw notFound('incident receipt', request.params.token)
      const events = await db.query<{ at: Date; action: string; to_status: string }>(q.EVENTS, [row.id])
      return { ...publicView(row), history: events.rows.map((e) => ({ at: e.at, action: e.action, status: e.to_status })) }
    },
  )

  app.post<{ Params: { token: string }; Body: { satisfaction: number } }>(
    '/api/v1/incidents/by-token/:token/rating',
    {
      config: { roles: EVERYONE },
      schema: {
        params: Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }),
        body: Type.Object({ satisfaction: Type.Integer({ minimum: 1, maximum: 5 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const row = (await db.query<IncidentRow>(q.GET_BY_TOKEN, [request.params.token])).rows[0]
      if (!row) throw notFound('incident receipt', request.params.token)
      const satisfaction = request.body.satisfaction
      await db.transaction(async (tx) => {
        const now = (await tx.query<{ status: string; satisfaction: number | null }>(q.RATING_NOW, [row.id])).rows[0]!
        if (now.status !== 'closed') throw new AppError('conflict', `Incident ${row.id} is ${now.status}; it can be rated once closed`)
        if (now.satisfaction !== null) throw new AppError('conflict', `Incident ${row.id} was already rated (${now.satisfaction}); a rating is given once each time it is closed`)
        await tx.query(q.RATE, [row.id, satisfaction])
        await recordAudit(tx, { actor: 'reporter (receipt token)', action: 'incident.rate', subject: `incident:${row.id}`, detail: { before: { satisfaction: null }, after: { satisfaction } } })
      })
      return { id: row.id, satisfaction }
    },
  )

  app.get('/api/v1/supervision/queue', { config: { roles: ['admin', 'supervisor'] } }, async () => {
    const { rows } = await db.query<IncidentRow>(q.LIST_INCIDENTS['-supervision_level']!, [null, null, null, ['dispatched'], null, null, null, null, null, true, null, null, 1000, 0])
    return { items: rows.map(staffView) }
  })
}

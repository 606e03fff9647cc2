import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { likeLiteral } from '../units/unit-features.ts'
import { EmployeeNo as EmployeeNoSchema } from './employee-no.ts'
import * as q from './queries.ts'
import { patchAdministrator, putAdministrators, type Since, type StoreResult } from './write.ts'
import { DisplayName } from '../plugins/display-name.ts'

const ListQuery = Type.Object({
  grid: Type.Optional(Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description: 'A grid code, or a town/community code for all grids under it' })),
  active: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name or employee number' })),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
})

const EmployeeNo = EmployeeNoSchema()
const Fields = {
  name: DisplayName(200, { description: 'Not blank, one line' }),
  phone: Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Null()], { description: 'Work phone, public contact for citizens while active' }),
  active: Type.Boolean({ description: 'false: no longer serves (kept for the history); the grids are kept but nobody is told to call them' }),
  grids: Type.Array(Type.String({ pattern: '^[0-9]{15}$' }), { maxItems: 1000, description: 'Codes of grids of the current generation the administrator serves' }),
}
const WholeAdministrator = Type.Object(
  { name: Fields.name, phone: Type.Optional(Fields.phone), active: Type.Optional(Fields.active), grids: Fields.grids },
  { additionalProperties: false },
)
const AdministratorList = Type.Object(
  {
    administrators: Type.Array(
      Type.Object({ employeeNo: EmployeeNo, name: Fields.name, phone: Type.Optional(Fields.phone), active: Type.Optional(Fields.active), grids: Fields.grids }, { additionalProperties: false }),
      { minItems: 1, maxItems: 50_000 },
    ),
  },
  { additionalProperties: false },
)
const AdministratorPatch = Type.Object(
  { name: Type.Optional(Fields.name), phone: Type.Optional(Fields.phone), active: Type.Optional(Fields.active), grids: Type.Optional(Fields.grids) },
  { additionalProperties: false, minProperties: 1 },
)
const ByEmployeeNo = Type.Object({ employeeNo: EmployeeNo })
const SinceQuery = Type.Object({
  since: Type.Unsafe<Since>({
    type: 'string', enum: ['now', 'unknown'], default: 'now',
    description: 'When the grid assignments this request adds began: now, or unknown (served since before records: a city loading the list it already had, so past incidents count for them)',
  }),
}, { additionalProperties: false })

const unknown = (employeeNo: string) => new AppError('not-found', `No administrator with employee number ${JSON.stringify(employeeNo)}`)

export default async function administratorRoutes(app: FastifyInstance, opts: { db: Db; lookup: LookupService }) {
  const path = (employeeNo: string) => `/api/v1/administrators/${encodeURIComponent(employeeNo)}`
  /** After a change: lookups name the new administrators and grid_admin keys see their new grids at once on this server (other servers within their polling interval). */
  const changed = async (result: StoreResult) => {
    if (result.created.length + result.updated.length === 0) return
    app.keyCache.clear()
    await opts.lookup.changed()
  }
  /** One administrator as GET shows it; null when unknown. */
  const view = async (employeeNo: string, role: string) => {
    const a = (await opts.db.query<{ id: number; employee_no: string; name: string; phone: string | null; active: boolean; grids: string[] }>(q.ADMINISTRATOR_BY_EMPLOYEE_NO, [employeeNo])).rows[0]
    if (!a) return null
    const history = (await opts.db.query<{ grid_code: string; valid_from: Date | null; valid_to: Date | null }>(q.ASSIGNMENT_HISTORY, [a.id])).rows
    return {
      id: a.id,
      employeeNo: a.employee_no,
      name: a.name,
      phone: q.visiblePhone(a, role),
      active: a.active,
      grids: a.grids,
      // Periods served while active; from null: since before records were kept.
      assignments: history.map((h) => ({ grid: h.grid_code, from: h.valid_from?.toISOString() ?? null, to: h.valid_to?.toISOString() ?? null })),
    }
  }

  app.get<{ Params: Static<typeof ByEmployeeNo> }>('/api/v1/administrators/:employeeNo', { schema: { params: ByEmployeeNo }, config: { roles: EVERYONE } }, async (request) => {
    const a = await view(request.params.employeeNo, request.principal.role)
    if (!a) throw unknown(request.params.employeeNo)
    return a
  })

  app.put<{ Params: Static<typeof ByEmployeeNo>; Body: Static<typeof WholeAdministrator>; Querystring: Static<typeof SinceQuery> }>(
    '/api/v1/administrators/:employeeNo',
    { schema: { params: ByEmployeeNo, body: WholeAdministrator, querystring: SinceQuery }, config: { roles: ['admin'] } },
    async (request, reply) => {
      const { employeeNo } = request.params
      const b = request.body
      const result = await putAdministrators(opts.db, [{ employeeNo, name: b.name, phone: b.phone ?? null, active: b.active ?? true, grids: b.grids }], request.principal.name, () => 'body', request.query.since)
      await changed(result)
      if (result.created.length > 0) reply.code(201).header('location', path(employeeNo))
      return view(employeeNo, request.principal.role)
    },
  )

  app.patch<{ Params: Static<typeof ByEmployeeNo>; Body: Static<typeof AdministratorPatch>; Querystring: Static<typeof SinceQuery> }>(
    '/api/v1/administrators/:employeeNo',
    { schema: { params: ByEmployeeNo, body: AdministratorPatch, querystring: SinceQuery }, config: { roles: ['admin'] } },
    async (request) => {
      const done = await patchAdministrator(opts.db, request.params.employeeNo, request.body, request.principal.name, request.query.since)
      if (!done) throw unknown(request.params.employeeNo)
      await changed(done.result)
      return view(request.params.employeeNo, request.principal.role)
    },
  )

  // A city's list at once (each entry whole): one transaction, all or nothing.
  app.post<{ Body: Static<typeof AdministratorList>; Querystring: Static<typeof SinceQuery> }>(
    '/api/v1/administrators',
    { schema: { body: AdministratorList, querystring: SinceQuery }, config: { roles: ['admin'] }, bodyLimit: 32 * 1024 * 1024 },
    async (request) => {
      const entries = request.body.administrators.map((a) => ({ employeeNo: a.employeeNo, name: a.name, phone: a.phone ?? null, active: a.active ?? true, grids: a.grids }))
      const result = await putAdministrators(opts.db, entries, request.principal.name, (i) => `body/administrators/${i}`, request.query.since)
      await changed(result)
      if (result.created.length + result.updated.length >= 1000) await opts.db.exec(q.ANALYZE_ADMINISTRATORS)
      return { created: result.created.length, updated: result.updated.length, unchanged: result.unchanged.length }
    },
  )

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/administrators', { schema: { querystring: ListQuery }, config: { roles: EVERYONE } }, async (request) => {
    const query = request.query
    const filter = [query.grid ?? null, query.active ?? null, query.q ? likeLiteral(query.q) : null]
    const [count, page] = await Promise.all([
      opts.db.query<{ n: number }>(q.COUNT_ADMINISTRATORS, filter),
      opts.db.query<Record<string, unknown>>(q.LIST_ADMINISTRATORS, [...filter, query.limit, query.offset]),
    ])
    const numberMatched = count.rows[0]!.n
    const links = [{ rel: 'self', href: request.url }]
    if (query.offset + page.rows.length < numberMatched) {
      const next = new URLSearchParams(request.query as unknown as Record<string, string>)
      next.set('offset', String(query.offset + query.limit))
      next.set('limit', String(query.limit))
      links.push({ rel: 'next', href: `/api/v1/administrators?${next}` })
    }
    return {
      numberMatched,
      numberReturned: page.rows.length,
      links,
      items: page.rows.map((a) => ({
        id: a.id,
        employeeNo: a.employee_no,
        name: a.name,
        phone: q.visiblePhone(a, request.principal.role),
        active: a.active,
        grids: a.grids,
      })),
    }
  })
}

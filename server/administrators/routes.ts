import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { likeLiteral } from '../units/unit-features.ts'
import * as q from './queries.ts'

const ListQuery = Type.Object({
  grid: Type.Optional(Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description: 'A grid code, or a town/community code for all grids under it' })),
  active: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name or employee number' })),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
})

export default async function administratorRoutes(app: FastifyInstance, opts: { db: Db }) {
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
        // The work phone of someone who no longer serves is nobody's public business.
        phone: a.active || request.principal.role !== 'public' ? a.phone : null,
        active: a.active,
        grids: a.grids,
      })),
    }
  })
}

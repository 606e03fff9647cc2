import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import * as q from './queries.ts'

const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Exact action, e.g. units.import, key.create, key.revoke' })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Exact actor (a key name, or who ran a CLI)' })),
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Exact subject, e.g. generation:3, api_key:7' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after this moment' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before this moment' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
})

export default async function auditRoutes(app: FastifyInstance, opts: { db: Db }) {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/v1/audit',
    { schema: { querystring: AuditQuery }, config: { roles: ['admin'] } },
    async (request) => {
      const query = request.query
      if (query.from && query.to && new Date(query.from) >= new Date(query.to)) {
        throw new AppError('invalid-parameter', `Unexpected time range: from ${query.from} is not before to ${query.to}`)
      }
      const filter = [query.action ?? null, query.actor ?? null, query.subject ?? null, query.from ?? null, query.to ?? null]
      const [count, page] = await Promise.all([
        opts.db.query<{ n: number }>(q.COUNT_AUDIT, filter),
        opts.db.query<{ id: number; at: Date; actor: string | null; action: string; subject: string | null; detail: unknown }>(
          q.LIST_AUDIT,
          [...filter, query.limit, query.offset],
        ),
      ])
      const numberMatched = count.rows[0]!.n
      const links = [{ rel: 'self', href: request.url }]
      if (query.offset + page.rows.length < numberMatched) {
        const next = new URLSearchParams(request.query as unknown as Record<string, string>)
        next.set('offset', String(query.offset + query.limit))
        next.set('limit', String(query.limit))
        links.push({ rel: 'next', href: `/api/v1/audit?${next}` })
      }
      return {
        numberMatched,
        numberReturned: page.rows.length,
        links,
        items: page.rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail })),
      }
    },
  )
}

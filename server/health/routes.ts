import type { FastifyInstance } from 'fastify'
import type { Db } from '../db/client.ts'

const READY = `SELECT g.id, g.label, (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units
               FROM generation g WHERE g.valid_to IS NULL`

export default async function healthRoutes(app: FastifyInstance, opts: { db: Db }) {
  /** Liveness: the process answers. */
  app.get('/health/live', async () => ({ status: 'ok' }))

  /** Readiness: the database answers and holds a current generation. */
  app.get('/health', async (_request, reply) => {
    try {
      const { rows } = await opts.db.query<{ id: number; label: string; units: number }>(READY)
      return { status: 'ok', backend: opts.db.backend, generation: rows[0] ?? null }
    } catch (err) {
      reply.code(503).type('application/problem+json; charset=utf-8')
      return {
        type: '/problems/service-unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: `Database not reachable: ${(err as Error).message}`,
      }
    }
  })
}

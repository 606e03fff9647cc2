import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Db } from '../db/client.ts'

const READY = `SELECT g.id, g.label, (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units
               FROM generation g WHERE g.valid_to IS NULL`

export default async function healthRoutes(app: FastifyInstance, opts: { db: Db }) {
  /** Liveness: the process answers (also while draining or under pressure: it is alive). */
  app.get('/health/live', async () => ({ status: 'ok' }))

  /** Readiness: not shutting down, and the database answers and holds a current generation. */
  app.get('/health', async (_request, reply) => {
    // Draining (see server/plugins/lifecycle.ts): in-flight work finishes, new work goes elsewhere.
    if (app.lifecycle?.draining) return unavailable(reply, 'The server is shutting down: it finishes the requests it has and takes no new ones')
    try {
      const { rows } = await opts.db.query<{ id: number; label: string; units: number }>(READY)
      // Without boundaries every lookup is a 404: a load balancer should send traffic elsewhere (an import makes it ready).
      if (!rows[0]) return unavailable(reply, 'No boundary generation has been imported yet: lookups cannot answer (import units to make this server ready)')
      return { status: 'ok', backend: opts.db.backend, generation: rows[0] }
    } catch (err) {
      return unavailable(reply, `Database not reachable: ${(err as Error).message}`)
    }
  })
}

function unavailable(reply: FastifyReply, detail: string) {
  reply.code(503).type('application/problem+json; charset=utf-8')
  return { type: '/problems/service-unavailable', title: 'Service unavailable', status: 503, detail }
}

import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { EVERYONE } from '../auth/roles.ts'

const PAGE = new URL('../../web/index.html', import.meta.url)

/** The start page at `/`: a citizen's grid lookup and links into the API (the map console comes later). */
export default async function consoleRoute(app: FastifyInstance) {
  const html = readFileSync(PAGE, 'utf8')
  app.get('/', { config: { roles: EVERYONE } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
}

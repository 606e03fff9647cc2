import Fastify, { type FastifyServerOptions } from 'fastify'
import administratorRoutes from './administrators/routes.ts'
import type { Db } from './db/client.ts'
import healthRoutes from './health/routes.ts'
import jsonBody from './plugins/json-body.ts'
import problems from './plugins/problems.ts'
import unitRoutes from './units/routes.ts'

export interface AppOptions {
  db: Db
  importBodyLimit?: number
  logger?: FastifyServerOptions['logger']
}

/** Builds the API around an open database; `listen()` is the caller's business (tests use `inject`). */
export async function buildApp(options: AppOptions) {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: true } },
  })
  await app.register(problems)
  await app.register(jsonBody)
  await app.register(healthRoutes, { db: options.db })
  await app.register(unitRoutes, { db: options.db, importBodyLimit: options.importBodyLimit ?? 64 * 1024 * 1024 })
  await app.register(administratorRoutes, { db: options.db })
  return app
}

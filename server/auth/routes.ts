import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { notFound } from '../errors.ts'
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.ts'
import { EVERYONE, KEY_ROLES } from './roles.ts'
import { EmployeeNo } from '../administrators/employee-no.ts'
import { DisplayName } from '../plugins/display-name.ts'

const NewKey = Type.Object(
  {
    name: DisplayName(200, { description: 'Who uses the key; the actor in the audit log' }),
    // Checked by createApiKey, whose message lists the roles.
    role: Type.String({ description: `One of ${KEY_ROLES.join(', ')}` }),
    administratorEmployeeNo: Type.Optional(EmployeeNo('grid_admin keys: the administrator whose grids the key may see')),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'department keys: the department incidents are dispatched to' })),
  },
  { additionalProperties: false },
)

const KeyId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) })

/** Admin API of keys, and who-am-I for any caller. */
export default async function keyRoutes(app: FastifyInstance, opts: { db: Db }) {
  app.post<{ Body: Static<typeof NewKey> }>(
    '/api/v1/keys',
    { schema: { body: NewKey }, config: { roles: ['admin'] } },
    async (request, reply) => {
      const { key, secret } = await createApiKey(opts.db, request.body, request.principal.name)
      reply.code(201).header('cache-control', 'no-store')
      return { ...key, secret, note: 'The secret is shown only this once; only its hash is stored.' }
    },
  )

  app.get('/api/v1/keys', { config: { roles: ['admin'] } }, async () => ({ items: await listApiKeys(opts.db) }))

  app.delete<{ Params: Static<typeof KeyId> }>(
    '/api/v1/keys/:id',
    { schema: { params: KeyId }, config: { roles: ['admin'] } },
    async (request) => {
      const result = await revokeApiKey(opts.db, request.params.id, request.principal.name)
      if (!result) throw notFound('API key', String(request.params.id))
      await app.keyCache.forget(result.key.id)
      return result.key
    },
  )

  app.get('/api/v1/me', { config: { roles: EVERYONE } }, async (request) => request.principal)
}

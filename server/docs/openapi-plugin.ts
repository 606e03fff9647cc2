/**
 * The native API described in OpenAPI 3.1 at `/docs/openapi.json` and as a
 * page at `/docs`, generated from the route schemas by @fastify/swagger in
 * dynamic mode (so the description cannot drift from what the server
 * validates) and completed by complete-document.ts. Registered before the
 * routes, so that its onRoute hook sees them all. /ogc describes itself at
 * /ogc/api and is left out, as are the console's files.
 */
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { EVERYONE } from '../auth/roles.ts'
import { completeDocument, describeRoute, loadExamples } from './complete-document.ts'
import { DOCS_CSP, renderDocsPage } from './docs-page.ts'

const INFO = {
  title: 'Zhiwang 智网 API',
  version: '1',
  description:
    'Grid-based social governance: towns, communities and grids, point-to-grid lookup, incidents and analytics. ' +
    'Coordinates are WGS84 lon/lat; errors are application/problem+json (RFC 9457). ' +
    'Present a key as "Authorization: Bearer <key>" or "X-API-Key: <key>"; reads are public. ' +
    'OGC API – Features is described separately at /ogc/api.',
}

async function openapi(app: FastifyInstance) {
  const examples = loadExamples()
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: INFO,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    exposeHeadRoutes: true,
    transform: ({ schema, url, route }) => ({ schema: describeRoute(route, schema as Record<string, unknown> | undefined, app.initialConfig.bodyLimit ?? 1024 * 1024), url }),
    transformObject: (documents) => completeDocument('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject, examples),
  })

  let page: string | null = null
  app.get('/docs/openapi.json', { config: { roles: EVERYONE } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache')
    return app.swagger()
  })
  app.get('/docs', { config: { roles: EVERYONE } }, async (_request, reply) => {
    page ??= renderDocsPage(app.swagger() as unknown as Record<string, unknown>)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', DOCS_CSP).send(page)
  })
}

export default fp(openapi, { name: 'openapi', dependencies: ['auth'] })

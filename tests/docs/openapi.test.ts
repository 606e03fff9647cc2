import { Validator } from '@seriousme/openapi-schema-validator'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { EXCLUDED, openapiPath } from '../../server/docs/complete-document.ts'
import { freshDb } from '../helpers/backends.ts'

type App = Awaited<ReturnType<typeof buildApp>>
type Operation = Record<string, unknown> & {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[]
  requestBody?: { content: Record<string, { schema?: Record<string, unknown>; example?: unknown }> }
  responses: Record<string, { description?: string; $ref?: string; content?: Record<string, { example?: unknown }> }>
}

describe('the API description at /docs', () => {
  let db: Db
  let app: App
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> }

  beforeAll(async () => {
    db = await freshDb('pglite')
    app = await buildApp({ db })
    const res = await app.inject('/docs/openapi.json')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    doc = res.json()
    return async () => {
      await app.close()
      await db.close()
    }
  })

  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))

  it('has every route of the server with its method, but /ogc and the console files', () => {
    const routes = app.routeRoles.filter((r) => !EXCLUDED.test(r.url))
    expect(routes.length).toBeGreaterThan(100)
    const missing = routes.filter((r) => !doc.paths[openapiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`)
    expect(missing).toEqual([])
    const documented = operations().length
    expect(documented).toBe(routes.length)
    expect(Object.keys(doc.paths).filter((p) => EXCLUDED.test(p))).toEqual([])
    // The planning studio and the docs themselves are routes like any other.
    expect(doc.paths['/api/v1/plans/{id}/edits']?.post).toBeDefined()
    expect(doc.paths['/docs/openapi.json']?.get).toBeDefined()
  })

  it('validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('carries the request schemas the server validates with', () => {
    const lookup = doc.paths['/api/v1/lookup']!.get!
    const lat = lookup.parameters!.find((p) => p.name === 'lat')!
    expect(lat).toMatchObject({ in: 'query', required: true, schema: { type: 'number', minimum: -90, maximum: 90 } })
    // A parameter with a default is not required, whatever the validation schema says.
    expect(lookup.parameters!.find((p) => p.name === 'crs')).toMatchObject({ required: false, schema: { enum: ['wgs84', 'gcj02'], default: 'wgs84' } })
    expect(doc.paths['/api/v1/units/{code}']!.get!.parameters!.find((p) => p.in === 'path')).toMatchObject({ name: 'code', required: true, schema: { pattern: '^[0-9]{6}([0-9]{3}){0,3}$' } })
    const newKey = doc.paths['/api/v1/keys']!.post!.requestBody!.content['application/json']!.schema!
    expect(newKey.required).toEqual(['name', 'role'])
    // Routes that read their body themselves get it from the docs catalogue.
    expect(Object.keys(doc.paths['/api/v1/lookup/batch']!.post!.requestBody!.content).sort()).toEqual(['application/json', 'application/octet-stream', 'application/x-ndjson', 'text/csv'])
    expect(doc.paths['/api/v1/incidents']!.post!.requestBody).toBeDefined()
    expect(doc.paths['/api/v1/units/import']!.post!.requestBody).toBeDefined()
  })

  it('gives every operation a summary, its roles, declared path parameters, and an answer with an example per media type', () => {
    const ids = new Set<string>()
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`
      expect(op.summary, where).toBeTruthy()
      expect(op.tags, where).toHaveLength(1)
      expect(ids.has(op.operationId as string), `${where}: duplicate operationId`).toBe(false)
      ids.add(op.operationId as string)
      expect((op['x-roles'] as string[]).length, where).toBeGreaterThan(0)
      for (const name of path.match(/\{[^}]+\}/g) ?? []) {
        expect(op.parameters?.find((p) => p.in === 'path' && `{${p.name}}` === name), `${where}: ${name}`).toMatchObject({ required: true })
      }
      if (['post', 'put'].includes(method) && !/\/(undo|redo|publish|rebase)$/.test(path)) expect(op.requestBody, where).toBeDefined()
      for (const media of Object.values(op.requestBody?.content ?? {})) expect(media.example, `${where} body`).toBeDefined()

      const success = Object.entries(op.responses).filter(([status]) => /^2/.test(status))
      expect(success, where).toHaveLength(1)
      const [, answer] = success[0]!
      expect(answer.description, where).toBeTruthy()
      if (method === 'head') continue
      expect(Object.keys(answer.content ?? {}).length, where).toBeGreaterThan(0)
      for (const [type, media] of Object.entries(answer.content!)) expect(media.example, `${where} ${type}`).toBeDefined()
    }
  })

  it('names the problem answers: 401 everywhere, 403 for keyed routes, 429 for limited public ones', () => {
    const responses = doc.components.responses!
    for (const { path, method, op } of operations()) {
      if (path.startsWith('/open311/')) continue
      for (const r of Object.values(op.responses)) if (r.$ref) expect(responses[r.$ref.split('/').pop()!], `${method} ${path} ${r.$ref}`).toBeDefined()
    }
    expect(Object.keys(doc.paths['/api/v1/lookup']!.get!.responses)).toEqual(['200', '400', '401', '429', '503'])
    expect(Object.keys(doc.paths['/api/v1/audit']!.get!.responses)).toEqual(['200', '400', '401', '403', '503'])
    expect(Object.keys(doc.paths['/health/live']!.get!.responses)).toEqual(['200', '401', '503'])
    expect(doc.paths['/api/v1/keys']!.post!.responses['201']).toBeDefined()
    expect((responses.TooManyRequests as { headers: object }).headers).toHaveProperty('Retry-After')
  })

  it('is readable as a page that loads nothing from anywhere', async () => {
    const res = await app.inject('/docs')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/)
    const html = res.body
    expect(html).toMatch(/<details id="getApiV1Lookup">/)
    expect(html).toContain('/api/v1/lookup/batch')
    expect(html).not.toMatch(/<script/i)
    // Every src and href stays on this server (or is data:/a fragment).
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!)
    expect(refs.filter((r) => !/^(\/|#|data:)/.test(r))).toEqual([])
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/)
  })
})

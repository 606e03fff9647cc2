import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { CapturedExample } from '../../server/docs/complete-document.ts'
import type { Db } from '../../server/db/client.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { freshDb } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

/**
 * The examples of the API description are real answers: each request below
 * runs against a 4 × 4 square city and its answer, trimmed, must have the
 * shape of the example stored in server/docs/examples.json. When an answer
 * changes shape on purpose, regenerate the file:
 *
 *   UPDATE_DOCS_EXAMPLES=1 npx vitest run tests/docs/examples.test.ts
 */
const FILE = fileURLToPath(new URL('../../server/docs/examples.json', import.meta.url))
const UPDATE = process.env.UPDATE_DOCS_EXAMPLES === '1'

type Who = 'public' | 'supervisor' | 'admin'
interface Capture { key: string; url: string; who?: Who; method?: string; body?: unknown }

const POINT = 'lon=113.715&lat=22.925'
const CAPTURES: Capture[] = [
  { key: 'GET /health', url: '/health' },
  { key: 'GET /health/live', url: '/health/live' },
  { key: 'GET /problems/{code}', url: '/problems/not-found' },
  { key: 'GET /console/config.json', url: '/console/config.json' },
  { key: 'GET /api/v1/generations', url: '/api/v1/generations' },
  { key: 'GET /api/v1/units', url: '/api/v1/units?level=grid&limit=2' },
  { key: 'GET /api/v1/units/{code}', url: '/api/v1/units/441900003001006' },
  { key: 'GET /api/v1/units/{code}/coverage', url: '/api/v1/units/441900003001/coverage' },
  { key: 'GET /api/v1/lookup', url: `/api/v1/lookup?${POINT}` },
  { key: 'GET /api/v1/my-grid', url: `/api/v1/my-grid?${POINT}` },
  { key: 'GET /api/v1/point/4326/{point}', url: '/api/v1/point/4326/113.715,22.925' },
  { key: 'POST /api/v1/lookup/batch', url: '/api/v1/lookup/batch', body: { points: [[113.715, 22.925], [113.71, 22.935], [0, 0]] } },
  { key: 'GET /api/v1/administrators', url: '/api/v1/administrators?limit=2' },
  { key: 'PUT /api/v1/administrators/{employeeNo}', url: '/api/v1/administrators/DG00300042', who: 'admin', method: 'PUT', body: { name: '周婷', phone: '13807690042', grids: ['441900003001006'] } },
  { key: 'GET /api/v1/administrators/{employeeNo}', url: '/api/v1/administrators/DG00300042' },
  { key: 'POST /api/v1/administrators', url: '/api/v1/administrators', who: 'admin', body: { administrators: [{ employeeNo: 'DG00300042', name: '周婷', phone: '13807690042', grids: ['441900003001006'] }, { employeeNo: 'DG00300043', name: '黄磊', grids: ['441900003001007'] }] } },
  { key: 'GET /api/v1/me', url: '/api/v1/me', who: 'supervisor' },
  { key: 'GET /api/v1/incident-categories', url: '/api/v1/incident-categories' },
  { key: 'POST /api/v1/incidents', url: '/api/v1/incidents', body: { category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'citizen', description: '垃圾堆积' } },
  { key: 'GET /api/v1/incidents/by-token/{token}', url: '/api/v1/incidents/by-token/:token' },
  { key: 'GET /api/v1/incidents', url: '/api/v1/incidents?limit=2', who: 'supervisor' },
  { key: 'GET /api/v1/incidents/{id}', url: '/api/v1/incidents/:id', who: 'supervisor' },
  { key: 'POST /api/v1/incidents/{id}/transitions', url: '/api/v1/incidents/:id/transitions', who: 'supervisor', body: { action: 'accept', note: '已受理' } },
  { key: 'GET /api/v1/supervision/queue', url: '/api/v1/supervision/queue', who: 'supervisor' },
  { key: 'GET /api/v1/patrols/coverage', url: '/api/v1/patrols/coverage?community=441900003001', who: 'supervisor' },
  { key: 'GET /api/v1/analytics/series', url: '/api/v1/analytics/series?step=month', who: 'supervisor' },
  { key: 'GET /api/v1/analytics/workload', url: '/api/v1/analytics/workload?parent=441900003001', who: 'supervisor' },
  { key: 'GET /api/v1/analytics/balance', url: '/api/v1/analytics/balance?limit=2', who: 'supervisor' },
  { key: 'GET /tiles/grids.json', url: '/tiles/grids.json' },
  { key: 'POST /api/v1/keys', url: '/api/v1/keys', who: 'admin', body: { name: 'city-hotline', role: 'system' } },
  { key: 'GET /api/v1/keys', url: '/api/v1/keys', who: 'admin' },
  { key: 'GET /api/v1/audit', url: '/api/v1/audit?limit=2', who: 'admin' },
]

/** What a reader needs of an answer: two items of a list, whole coordinate tuples, short strings, no secret. */
export function trimExample(value: unknown, key = ''): unknown {
  if (key === 'secret' && typeof value === 'string') return 'zw_… (shown only in this answer)'
  if (typeof value === 'string') return value.length > 160 ? `${value.slice(0, 160)}…` : value
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) return value.slice(0, 4)
    return value.slice(0, 2).map((v) => trimExample(v))
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimExample(v, k)]))
  return value
}

/** The types and keys of a value, lists by their first item. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])]
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]).sort())
  return typeof value
}

describe('examples in the API description', () => {
  let db: Db
  let app: Awaited<ReturnType<typeof buildApp>>
  const headers: Record<Who, Record<string, string>> = { public: {}, supervisor: {}, admin: {} }
  const captured: Record<string, CapturedExample> = {}

  beforeAll(async () => {
    db = await freshDb('pglite')
    await importUnits(db, squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z'), label: 'Square city' })
    headers.supervisor = await keyHeaders(db, { name: 'examples-supervisor', role: 'supervisor' })
    headers.admin = await keyHeaders(db, { name: 'examples-admin', role: 'admin' })
    app = await buildApp({ db })
    const ids: Record<string, string> = {}
    for (const c of CAPTURES) {
      const url = c.url.replace(/:(id|token)/, (_, name: string) => ids[name]!)
      const res = await app.inject({
        method: (c.method ?? (c.body ? 'POST' : 'GET')) as 'GET' | 'POST',
        url,
        headers: { ...headers[c.who ?? 'public'], ...(c.body ? { 'content-type': 'application/json' } : {}) },
        ...(c.body ? { payload: JSON.stringify(c.body) } : {}),
      })
      expect(res.statusCode, `${c.key}: ${res.body.slice(0, 300)}`).toBeLessThan(300)
      const type = String(res.headers['content-type']).split(';')[0]!
      const body = /json/.test(type) ? res.json() : res.body
      if (c.key === 'POST /api/v1/incidents') Object.assign(ids, { id: String(body.id), token: body.token })
      captured[c.key] = { status: res.statusCode, type, example: trimExample(body) }
    }
    if (UPDATE) writeFileSync(FILE, JSON.stringify(Object.fromEntries(Object.entries(captured).sort()), null, 1) + '\n')
    return async () => {
      await app.close()
      await db.close()
    }
  })

  it('stores, for every request here, an example of the shape the server answers with', () => {
    const stored = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, CapturedExample>
    for (const [key, real] of Object.entries(captured)) {
      const example = stored[key]
      expect(example, `${key}: no stored example; run UPDATE_DOCS_EXAMPLES=1 npx vitest run tests/docs/examples.test.ts`).toBeDefined()
      expect({ status: example!.status, type: example!.type }, key).toEqual({ status: real.status, type: real.type })
      expect(shapeOf(example!.example), `${key} changed shape; regenerate as above if on purpose`).toEqual(shapeOf(real.example))
    }
    expect(Object.keys(stored).sort()).toEqual(Object.keys(captured).sort())
  })

  it('uses them in the description, each under its operation and media type', async () => {
    const doc = (await app.inject('/docs/openapi.json')).json()
    for (const [key, real] of Object.entries(captured)) {
      const [method, path] = key.split(' ') as [string, string]
      const answer = doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(real.status)]
      expect(answer, key).toBeDefined()
      expect(shapeOf(answer.content[real.type]?.example), key).toEqual(shapeOf(real.example))
    }
    // No secret ever reaches the description.
    expect(JSON.stringify(doc)).not.toMatch(/"secret":"(?!zw_…)/)
  })
})

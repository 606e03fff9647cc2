import { execFile } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureGdal } from '../../scripts/ensure-gdal.ts'
import { buildApp } from '../../server/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { INCIDENTS, PUBLIC_INCIDENTS, REPORTER_PHONE, seedOgcFixture } from './ogc-fixture.ts'

type App = Awaited<ReturnType<typeof buildApp>>
interface Link { href: string; rel: string; type: string }
interface Feature { id: string | number; geometry: { type: string }; properties: Record<string, unknown> }
interface Page { numberMatched: number; numberReturned: number; timeStamp: string; links: Link[]; features: Feature[] }

const CONFORMANCE = ['core', 'geojson', 'oas30'].map((c) => `http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/${c}`)
const PUBLIC_PROPERTIES = ['agency', 'category', 'category_name', 'community_code', 'description', 'expected_at', 'grid_code', 'media_url', 'reported_at', 'status', 'town_code', 'updated_at']

describeBackends('OGC API – Features', ({ db }) => {
  let app: App
  beforeAll(async () => {
    await seedOgcFixture(db())
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  const get = async (url: string) => {
    const res = await app.inject(url.startsWith('http') ? new URL(url).pathname + new URL(url).search : url)
    return { status: res.statusCode, type: res.headers['content-type'] as string, body: res.json() }
  }
  const items = async (url: string) => {
    const res = await get(url)
    expect(res.status, url).toBe(200)
    expect(res.type, url).toMatch(/^application\/geo\+json(;|$)/)
    return res.body as Page
  }
  const count = async (sql: string, params: unknown[] = []) => (await db().query<{ n: number }>(`SELECT count(*)::int AS n ${sql}`, params)).rows[0]!.n
  const gridsAt = (at: string) => count(`FROM unit WHERE level = 'grid' AND generation_id = generation_at($1)`, [at])
  const expectProblem = async (url: string, status: number, detail: RegExp) => {
    const res = await get(url)
    expect(res.status, url).toBe(status)
    expect(res.type, url).toMatch(/^application\/problem\+json/)
    expect(res.body.detail, url).toMatch(detail)
  }

  it('answers the landing page, conformance and an OpenAPI 3.0 definition with every filter', async () => {
    const landing = await get('/ogc')
    expect(landing.type).toMatch(/^application\/json/)
    const rels = Object.fromEntries(landing.body.links.map((l: Link) => [l.rel, l]))
    expect(rels['service-desc']).toMatchObject({ type: 'application/vnd.oai.openapi+json;version=3.0', href: expect.stringMatching(/\/ogc\/api$/) })
    expect(Object.keys(rels).sort()).toEqual(['conformance', 'data', 'self', 'service-desc'])
    expect((await get('/ogc/conformance?f=json')).body.conformsTo).toEqual(CONFORMANCE)

    const api = await get(rels['service-desc'].href)
    expect(api.type).toBe('application/vnd.oai.openapi+json;version=3.0')
    expect(api.body.openapi).toMatch(/^3\.0\./)
    const params = (path: string) =>
      api.body.paths[path].get.parameters.map((p: { name?: string; $ref?: string }) => p.name ?? p.$ref!.split('/').pop())
    expect(params('/collections/grids/items')).toEqual(['f', 'bbox', 'limit', 'offset', 'datetime', 'code', 'parent_code', 'name'])
    expect(params('/collections/incidents/items')).toEqual(['f', 'bbox', 'limit', 'offset', 'datetime', 'category', 'status', 'grid_code', 'town_code'])
    expect(Object.keys(api.body.paths)).toContain('/collections/towns/items/{featureId}')
    expect(api.body.components.parameters.limit.schema).toMatchObject({ minimum: 1, maximum: 10000, default: 100 })
  })

  it('describes each collection with its extent computed from the data and its links', async () => {
    const { status, body } = await get('/ogc/collections')
    expect(status).toBe(200)
    expect(body.collections.map((c: { id: string }) => c.id)).toEqual(['towns', 'communities', 'grids', 'incidents'])
    for (const c of body.collections) {
      expect(c.links.find((l: Link) => l.rel === 'items')).toEqual(expect.objectContaining({ type: 'application/geo+json', href: expect.stringMatching(new RegExp(`/ogc/collections/${c.id}/items$`)) }))
      expect(c.extent.spatial.crs).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84')
      expect((await get(`/ogc/collections/${c.id}`)).body).toEqual(c)
    }
    const grids = body.collections[2]
    grids.extent.spatial.bbox[0].forEach((v: number, i: number) => expect(v).toBeCloseTo([113.7, 22.9, 113.82, 23.0][i]!, 9))
    expect(grids.extent.temporal.interval).toEqual([['2021-01-01T00:00:00.000Z', null]])

    const incidents = body.collections[3]
    const { rows } = await db().query<Record<string, number | Date>>(
      `SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1, first, last
       FROM (SELECT ST_Extent(i.geom) e, min(i.reported_at) first, max(i.reported_at) last ${PUBLIC_INCIDENTS}) x`,
    )
    const r = rows[0]!
    expect(incidents.extent.spatial.bbox).toEqual([[r.x0, r.y0, r.x1, r.y1]])
    expect(incidents.extent.temporal.interval).toEqual([[(r.first as Date).toISOString(), (r.last as Date).toISOString()]])
  })

  it('pages through every item of every collection with next links, exactly numberMatched and no duplicates', async () => {
    const expected = {
      towns: await count(`FROM unit WHERE level = 'town' AND generation_id = current_generation()`),
      communities: 1,
      grids: await count(`FROM unit WHERE level = 'grid' AND generation_id = current_generation()`),
      incidents: await count(PUBLIC_INCIDENTS),
    }
    expect(expected.grids).toBe(120)
    expect(expected.incidents).toBe(INCIDENTS * 0.75)
    for (const [id, total] of Object.entries(expected)) {
      const seen: (string | number)[] = []
      let url: string | undefined = `/ogc/collections/${id}/items?limit=13`
      let pages = 0
      while (url) {
        const page = await items(url)
        expect(page.numberMatched, url).toBe(total)
        expect(page.numberReturned, url).toBe(page.features.length)
        expect(Date.parse(page.timeStamp)).not.toBeNaN()
        expect(page.links.some((l) => l.rel === 'prev')).toBe(pages > 0)
        seen.push(...page.features.map((f) => f.id))
        url = page.links.find((l) => l.rel === 'next')?.href
        pages++
      }
      expect(seen, id).toHaveLength(total)
      expect(new Set(seen).size, id).toBe(total)
      expect(pages).toBe(Math.max(1, Math.ceil(total / 13)))
    }
    // Exactly a page's worth: no next link pointing at an empty page.
    expect((await items('/ogc/collections/grids/items?limit=120')).links.map((l) => l.rel)).toEqual(['self', 'collection'])
    // Past the end: empty, and "prev" leads back to the last page that holds grids, not to another empty one.
    const beyond = await items('/ogc/collections/grids/items?offset=500&limit=13')
    expect(beyond.features).toHaveLength(0)
    const back = await items(beyond.links.find((l) => l.rel === 'prev')!.href)
    expect(back.features).toHaveLength(13)
    expect(back.links.some((l) => l.rel === 'next')).toBe(false)
  })

  it('clamps a limit above 10,000 and keeps the other parameters in the next link', async () => {
    const page = await items('/ogc/collections/incidents/items?limit=20000&status=closed&f=json')
    expect(page.numberReturned).toBe(page.numberMatched)
    const small = await items('/ogc/collections/incidents/items?limit=5&status=closed')
    const next = new URL(small.links.find((l) => l.rel === 'next')!.href)
    expect(Object.fromEntries(next.searchParams)).toEqual({ status: 'closed', limit: '5', offset: '5' })
    expect((await items('/ogc/collections/grids/items')).numberReturned).toBe(100)
  })

  it('filters by bbox exactly as PostGIS ST_Intersects', async () => {
    const boxes = ['113.705,22.985,113.715,22.995', '113.7,22.9,113.71,22.91', '113.75,22.95,113.9,23.1', '0,0,1,1', '113.70001, 22.90001, 113.70002, 22.90002']
    for (const bbox of boxes) {
      const box = bbox.split(',').map(Number)
      const env = 'ST_MakeEnvelope($1, $2, $3, $4, 4326)'
      const grids = await count(`FROM unit WHERE level = 'grid' AND generation_id = current_generation() AND ST_Intersects(geom, ${env})`, box)
      expect((await items(`/ogc/collections/grids/items?bbox=${bbox}`)).numberMatched, bbox).toBe(grids)
      const incidents = await count(`${PUBLIC_INCIDENTS} AND ST_Intersects(i.geom, ${env})`, box)
      expect((await items(`/ogc/collections/incidents/items?bbox=${bbox}&limit=1000`)).numberMatched, bbox).toBe(incidents)
    }
    expect((await items('/ogc/collections/grids/items?bbox=113.705,22.985,113.715,22.995')).numberMatched).toBe(4)
    // Six numbers carry heights, which are ignored (OGC API – Features Core, /req/core/fc-bbox-definition).
    expect((await items('/ogc/collections/grids/items?bbox=113.705,22.985,-5,113.715,22.995,100')).numberMatched).toBe(4)
    // minLon > maxLon crosses the antimeridian: east of minLon plus west of maxLon.
    const across = (await items('/ogc/collections/grids/items?bbox=113.75,22.9,-179,23.1&limit=10000')).numberMatched
    expect(across).toBe(await count(`FROM unit WHERE level = 'grid' AND generation_id = current_generation() AND ST_Intersects(geom, ST_MakeEnvelope(113.75, 22.9, 180, 23.1, 4326))`))
    expect(across).toBeGreaterThan(0)
    const wrapped = (await items('/ogc/collections/grids/items?bbox=170,22.9,113.72,23.1&limit=10000')).numberMatched
    expect(wrapped).toBe(await count(`FROM unit WHERE level = 'grid' AND generation_id = current_generation() AND ST_Intersects(geom, ST_MakeEnvelope(-180, 22.9, 113.72, 23.1, 4326))`))
    expect(wrapped + across).toBeGreaterThan(across)
  })

  it('filters units by the generation valid at a datetime, and incidents by reported_at', async () => {
    const grids = async (datetime: string) => (await items(`/ogc/collections/grids/items?datetime=${encodeURIComponent(datetime)}&limit=1`)).numberMatched
    expect(await grids('2022-06-01T00:00:00Z')).toBe(30)
    expect(await gridsAt('2022-06-01T00:00:00Z')).toBe(30)
    expect(await grids('2023-01-01T08:00:00+08:00')).toBe(120)
    expect(await grids('2020-12-31T23:59:59.999Z')).toBe(0)
    expect(await grids('../2022-12-31T23:59:59Z')).toBe(30)
    expect(await grids('2023-01-01T00:00:00Z/..')).toBe(120)
    // An interval spanning the boundary change holds both generations: a code once per generation.
    const both = await items('/ogc/collections/grids/items?datetime=2022-01-01T00:00:00Z/2023-06-01T00:00:00Z&limit=10000')
    expect(both.numberMatched).toBe(150)
    expect(new Set(both.features.map((f) => `${f.id}@${f.properties.valid_from}`)).size).toBe(150)
    // Feature ids are unique too: an earlier generation's version is code@generation, and can be fetched by it.
    expect(new Set(both.features.map((f) => f.id)).size).toBe(150)
    const older = both.features.find((f) => String(f.id).includes('@'))!
    expect(older.properties.valid_to).not.toBeNull()
    const fetched = await app.inject({ url: `/ogc/collections/grids/items/${encodeURIComponent(String(older.id))}` })
    expect(fetched.statusCode).toBe(200)
    expect(fetched.json()).toMatchObject({ id: older.id, properties: { valid_from: older.properties.valid_from } })
    const old = await items('/ogc/collections/communities/items?datetime=2022-06-01T00:00:00Z')
    expect(old.features[0]!.properties).toMatchObject({ name: '旧城社区', valid_from: '2021-01-01T00:00:00Z', valid_to: '2023-01-01T00:00:00Z' })

    const incidents = async (datetime: string) => (await items(`/ogc/collections/incidents/items?datetime=${encodeURIComponent(datetime)}&limit=1`)).numberMatched
    const between = (a: string, b: string) => count(`${PUBLIC_INCIDENTS} AND i.reported_at BETWEEN $1 AND $2`, [a, b])
    expect(await incidents('2024-03-01T00:00:00Z/2024-06-01T00:00:00Z')).toBe(await between('2024-03-01T00:00:00Z', '2024-06-01T00:00:00Z'))
    expect(await incidents('../2024-02-01T00:00:00Z')).toBe(await between('-infinity', '2024-02-01T00:00:00Z'))
    expect(await incidents('2024-06-01T00:00:00+08:00/..')).toBe(await between('2024-05-31T16:00:00Z', 'infinity'))
    // Incident 2 (CONS-02, public) was reported at 2024-01-01 + 60 h, alone at that instant; interval ends are inclusive.
    expect(await incidents('2024-01-03T12:00:00Z')).toBe(1)
    expect(await incidents('2024-01-03T12:00:00Z/2024-01-03T12:00:00Z')).toBe(1)
    expect(await incidents('2024-01-03T12:00:00.001Z')).toBe(0)
  })

  it('filters by attributes: units by code, parent_code and name, incidents by category, status, grid and town', async () => {
    const ids = async (url: string) => (await items(url)).features.map((f) => f.id)
    expect(await ids('/ogc/collections/grids/items?code=441900003001005')).toEqual(['441900003001005'])
    expect((await items('/ogc/collections/grids/items?parent_code=441900003001')).numberMatched).toBe(120)
    expect((await items('/ogc/collections/grids/items?parent_code=441900003002')).numberMatched).toBe(0)
    expect(await ids('/ogc/collections/communities/items?name=%E9%B8%BF%E7%A6%8F')).toEqual(['441900003001'])
    expect(await ids('/ogc/collections/communities/items?name=hongFU')).toEqual(['441900003001'])
    expect((await items('/ogc/collections/grids/items?name=%25')).numberMatched).toBe(0)
    expect((await items('/ogc/collections/grids/items?name=%E7%AC%AC1%E7%BD%91%E6%A0%BC')).numberMatched).toBe(1)

    const grid = (await db().query<{ grid_code: string }>(`SELECT grid_code ${PUBLIC_INCIDENTS} GROUP BY grid_code ORDER BY count(*) DESC, grid_code LIMIT 1`)).rows[0]!.grid_code
    const cases: [string, string, unknown[]][] = [
      ['category=FIRE-01', `AND i.category_code = $1`, ['FIRE-01']],
      ['status=closed', `AND i.status = $1`, ['closed']],
      [`grid_code=${grid}`, `AND i.grid_code = $1`, [grid]],
      ['town_code=441900003&status=dispatched&category=ENV-01', `AND i.town_code = $1 AND i.status = $2 AND i.category_code = $3`, ['441900003', 'dispatched', 'ENV-01']],
    ]
    for (const [query, sql, params] of cases) {
      const expected = await count(`${PUBLIC_INCIDENTS} ${sql}`, params)
      expect(expected, query).toBeGreaterThan(0)
      const page = await items(`/ogc/collections/incidents/items?${query}&limit=1000`)
      expect(page.numberMatched, query).toBe(expected)
    }
    // A category about persons is never listed.
    expect((await items('/ogc/collections/incidents/items?category=SEC-01')).numberMatched).toBe(0)
  })

  it('answers one feature by id, with public fields only, and 404 otherwise', async () => {
    const grid = await get('/ogc/collections/grids/items/441900003001002')
    expect(grid.type).toMatch(/^application\/geo\+json(;|$)/)
    expect(grid.body).toMatchObject({ type: 'Feature', id: '441900003001002', geometry: { type: 'MultiPolygon' }, properties: { level: 'grid', parent_code: '441900003001' } })
    expect(grid.body.links.map((l: Link) => l.rel)).toEqual(['self', 'collection'])

    const incident = await get('/ogc/collections/incidents/items/2')
    expect(incident.body).toMatchObject({ type: 'Feature', id: 2, geometry: { type: 'Point' }, properties: { category: 'CONS-02', reported_at: '2024-01-03T12:00:00Z' } })
    expect(Object.keys(incident.body.properties).sort()).toEqual(PUBLIC_PROPERTIES)
    const all = await app.inject('/ogc/collections/incidents/items?limit=10000')
    expect(all.body).not.toContain(REPORTER_PHONE)
    expect(all.body).not.toContain('ogc-token')

    await expectProblem('/ogc/collections/grids/items/441900003001999', 404, /441900003001999/)
    await expectProblem('/ogc/collections/towns/items/441900003001002', 404, /towns/)
    await expectProblem('/ogc/collections/incidents/items/3', 404, /"3"/) // SEC-01: hidden
    await expectProblem('/ogc/collections/incidents/items/abc', 404, /abc/)
    await expectProblem('/ogc/collections/roads', 404, /roads/)
    await expectProblem('/ogc/collections/roads/items', 404, /roads/)
    await expectProblem('/ogc/collections/roads/items/1', 404, /roads/)
  })

  it('refuses malformed and unknown parameters with 400 problem+json naming them', async () => {
    const bad: [string, RegExp][] = [
      ['grids/items?bbox=1,2,3', /bbox/],
      ['grids/items?bbox=1,2,3,4,5', /bbox/],
      ['grids/items?bbox=a,b,c,d', /bbox/],
      ['grids/items?bbox=0,91,1,92', /bbox/],
      ['grids/items?limit=0', /limit/],
      ['grids/items?limit=ten', /limit/],
      ['grids/items?offset=-1', /offset/],
      ['grids/items?datetime=yesterday', /datetime/],
      ['grids/items?datetime=2024-02-30T00:00:00Z', /datetime/],
      ['incidents/items?datetime=2024-02-01T00:00:00Z/2024-01-01T00:00:00Z', /datetime/],
      ['grids/items?f=html', /f/],
      ['grids/items?level=grid', /Unknown query parameter "level"/],
      ['incidents/items?code=441900003001001', /Unknown query parameter "code"/],
      ['incidents/items?status=lost', /status/],
      ['grids/items?code=12', /code/],
    ]
    for (const [path, detail] of bad) await expectProblem(`/ogc/collections/${path}`, 400, detail)
  })

  describe('read by GDAL (ogrinfo, OAPIF driver) over HTTP', () => {
    let root: string
    beforeAll(async () => {
      ensureGdal()
      await app.listen({ port: 0, host: '127.0.0.1' })
      root = `OAPIF:http://127.0.0.1:${(app.server.address() as AddressInfo).port}/ogc`
    })
    const ogrinfo = async (...args: string[]) => {
      const env = { ...process.env, no_proxy: '127.0.0.1', NO_PROXY: '127.0.0.1', GDAL_HTTP_TIMEOUT: '60' }
      const { stdout } = await promisify(execFile)('ogrinfo', ['-ro', ...args], { env, maxBuffer: 256 * 2 ** 20 })
      return stdout
    }

    it('lists the four layers with the feature counts and extents of the database', async () => {
      const out = await ogrinfo('-al', '-so', root)
      const layers = [...out.matchAll(/Layer name: (\w+)[\s\S]*?Feature Count: (\d+)/g)].map((m) => [m[1], Number(m[2])])
      expect(layers).toEqual([['towns', 1], ['communities', 1], ['grids', 120], ['incidents', INCIDENTS * 0.75]])
      expect(out).toContain('Extent: (113.700000, 22.900000) - (113.820000, 23.000000)')
    })

    it('reads every grid and every public incident, following the next links', async () => {
      const grids = await ogrinfo(root, 'grids', '-al', '-q')
      const codes = [...grids.matchAll(/^ {2}code \(String\) = (\d+)$/gm)].map((m) => m[1])
      const dbCodes = (await db().query<{ code: string }>(`SELECT code FROM unit WHERE level = 'grid' AND generation_id = current_generation() ORDER BY code`)).rows.map((r) => r.code)
      expect(codes).toEqual(dbCodes)
      expect(grids.match(/MULTIPOLYGON/g)).toHaveLength(120)

      const incidents = await ogrinfo(root, 'incidents', '-al', '-q')
      const fids = [...incidents.matchAll(/^OGRFeature\(incidents\):(\d+)$/gm)].map((m) => Number(m[1]))
      const dbIds = (await db().query<{ id: number }>(`SELECT i.id::int AS id ${PUBLIC_INCIDENTS} ORDER BY i.id`)).rows.map((r) => r.id)
      expect(fids).toEqual(dbIds)
      expect(incidents).not.toContain(REPORTER_PHONE)
    })
  })
})

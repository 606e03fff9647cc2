import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import auth from '../../server/auth/auth-plugin.ts'
import { CONSOLE_DEMO_PLANNER_KEY_NAME, ensureConsoleDemoKey } from '../../server/auth/console-demo-key.ts'
import { createApiKey, findKey, listApiKeys } from '../../server/auth/api-keys.ts'
import type { Db } from '../../server/db/client.ts'
import consoleRoute, { type ConsoleRouteOptions } from '../../server/health/console-route.ts'
import problems from '../../server/plugins/problems.ts'
import { freshDb } from '../helpers/backends.ts'

/** A stand-in for what `vite build` writes to web/dist. */
function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-dist-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>智网</title><script type="module" src="/assets/index-abc123.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), `console.log(${JSON.stringify('地图'.repeat(2000))})\n`)
  writeFileSync(join(dir, 'assets', 'worker-def456.mjs'), 'self.onmessage = () => {}\n')
  return dir
}

describe('console at /', () => {
  let db: Db
  const dirs: string[] = []
  const consoleApp = async (opts: ConsoleRouteOptions) => {
    const app = Fastify()
    await app.register(auth, { db })
    await app.register(problems)
    await app.register(consoleRoute, opts)
    return app
  }

  beforeAll(async () => {
    db = await freshDb('postgres')
  })
  afterAll(async () => {
    await db.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('serves the built console: index revalidated, hashed assets kept for a year, compressed when asked', async () => {
    const dist = fakeDist()
    dirs.push(dist)
    const app = await consoleApp({ distDir: dist })
    try {
      const page = await app.inject('/')
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(page.headers['cache-control']).toBe('no-cache')
      expect(page.body).toContain('/assets/index-abc123.js')
      const again = await app.inject({ url: '/', headers: { 'if-none-match': String(page.headers.etag) } })
      expect(again.statusCode).toBe(304)
      expect(again.body).toBe('')

      const js = await app.inject('/assets/index-abc123.js')
      expect(js.statusCode).toBe(200)
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
      expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      const gz = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } })
      expect(gz.headers['content-encoding']).toBe('gzip')
      expect(gunzipSync(gz.rawPayload).toString()).toBe(js.body)
      const br = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } })
      expect(br.headers['content-encoding']).toBe('br')
      expect(brotliDecompressSync(br.rawPayload).toString()).toBe(js.body)
      expect(br.rawPayload.length).toBeLessThan(js.rawPayload.length / 10)
      expect((await app.inject('/assets/worker-def456.mjs')).headers['content-type']).toBe('text/javascript; charset=utf-8')

      for (const url of ['/assets/index-zzz.js', '/assets/../index.html', '/assets/%2e%2e/%2e%2e/package.json']) {
        const res = await app.inject(url)
        expect(res.statusCode, url).toBe(404)
        expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/)
      }
    } finally {
      await app.close()
    }
  })

  it('answers 503 with a build hint when the console was not built', async () => {
    const app = await consoleApp({ distDir: join(tmpdir(), 'zhiwang-no-such-dist') })
    try {
      const res = await app.inject('/')
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ type: '/problems/service-unavailable', status: 503 })
      expect(res.json().detail).toContain('npm run build:web')
    } finally {
      await app.close()
    }
  })

  it('tells the console its demo key and basemap, and hands a new user a working key', async () => {
    const first = await ensureConsoleDemoKey(db)
    const second = await ensureConsoleDemoKey(db)
    expect(second).not.toBe(first)
    // Rotated: the earlier secret is revoked, exactly one console-demo key is live.
    expect((await findKey(db, first))?.revokedAt).toBeInstanceOf(Date)
    expect((await findKey(db, second))?.revokedAt).toBeNull()
    expect((await listApiKeys(db)).filter((k) => k.name === 'console-demo' && k.revokedAt === null)).toHaveLength(1)

    const app = await consoleApp({ demoKey: second, basemapStyle: 'http://127.0.0.1:8080/style.json' })
    try {
      const res = await app.inject('/console/config.json')
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      // No tile routes on this bare app: the console falls back to GeoJSON.
      expect(res.json()).toEqual({ demoKey: second, demoPlannerKey: null, basemapStyle: 'http://127.0.0.1:8080/style.json', tiles: null })
    } finally {
      await app.close()
    }
    // The key may be made after the app was built: a getter is asked on each request.
    let current: string | null = null
    const late = await consoleApp({ demoKey: () => current })
    try {
      expect((await late.inject('/console/config.json')).json().demoKey).toBeNull()
      current = second
      expect((await late.inject('/console/config.json')).json().demoKey).toBe(second)
    } finally {
      await late.close()
    }
  })

  it('is part of the API: public routes, no demo key unless given, tile layers listed', async () => {
    const app = await buildApp({ db })
    try {
      for (const url of ['/', '/assets/*', '/console/config.json']) {
        expect(app.routeRoles.find((r) => r.method === 'GET' && r.url === url)?.roles, url).toContain('public')
      }
      const config = (await app.inject('/console/config.json')).json()
      expect(config.demoKey).toBeNull()
      expect(config.basemapStyle).toBeNull()
      if (app.routeRoles.some((r) => r.url.startsWith('/tiles/'))) expect(config.tiles.grids).toMatchObject({ minzoom: expect.any(Number), maxzoom: expect.any(Number) })
      // Built (npm start builds it) or not: never a server error, never a demand for a key.
      expect([200, 503]).toContain((await app.inject('/')).statusCode)
    } finally {
      await app.close()
    }
  })

  it("keeps the studio's demo planner key, handed to anyone, to plans: no boundary import", async () => {
    const demo = await ensureConsoleDemoKey(db, 'planner', CONSOLE_DEMO_PLANNER_KEY_NAME)
    const own = (await createApiKey(db, { name: 'city-planner', role: 'planner' }, 'test')).secret
    const app = await buildApp({ db, console: { demoPlannerKey: demo } })
    try {
      expect((await app.inject('/console/config.json')).json().demoPlannerKey).toBe(demo)
      const feature = { type: 'Feature', properties: { level: 'city', code: '441900', name: '东莞市' }, geometry: { type: 'Polygon', coordinates: [[[113.7, 22.9], [113.8, 22.9], [113.8, 23], [113.7, 22.9]]] } }
      const importAs = (secret: string) => app.inject({
        method: 'POST', url: '/api/v1/units/import?dryRun=true', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        payload: { type: 'FeatureCollection', features: [feature] },
      })
      const refused = await importAs(demo)
      expect(refused.statusCode).toBe(403)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      expect(refused.json().detail).toMatch(/demo planner key.*plans only/)
      // The same request with a planner key of one's own is taken (a dry run: checked, nothing stored).
      expect((await importAs(own)).statusCode, (await importAs(own)).body).toBe(200)
      // The demo key still plans.
      expect((await app.inject({ method: 'GET', url: '/api/v1/plans', headers: { authorization: `Bearer ${demo}` } })).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})

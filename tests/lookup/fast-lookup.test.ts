/**
 * The short path for plain single lookups (server/lookup/fast-lookup.ts) must
 * answer exactly as the Fastify route does, and leave to Fastify every request
 * that a key, a rate limit, CORS or draining could change; with the access
 * log on it logs what Fastify logs.
 * Keyed callers take it once the key is known valid (cached by a request through Fastify).
 * Over real HTTP (which meets the short path) against `inject` (which goes
 * straight to Fastify, never to the short path) on the same app.
 */
import { Writable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp, type AppOptions } from '../../server/app.ts'
import { createApiKey } from '../../server/auth/api-keys.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
/** Headers Node's HTTP server adds to both paths as it pleases. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])
const plainHeaders = (h: Headers) => {
  const out: Record<string, string> = {}
  h.forEach((v, k) => (out[k] = v))
  return out
}
const headersOf = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !TRANSPORT.has(k)).map(([k, v]) => [k, String(v)]))

describeBackends('Single lookups on the short path', ({ db }) => {
  const apps: App[] = []
  const start = async (options: Partial<AppOptions> = {}) => {
    const app = await buildApp({ db: db(), ...options })
    apps.push(app)
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    await app.lookup.start()
    return { app, url }
  }
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().exec(`
      INSERT INTO administrator (employee_no, name, phone, active) VALUES ('F1', '陈静', '13807691001', true);
      INSERT INTO administrator_grid SELECT id, '441900003001006' FROM administrator WHERE employee_no = 'F1';`)
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
  })

  it('answers the same status, headers and bytes as the Fastify route, for every kind of point', async () => {
    const { app, url } = await start()
    const queries = [
      'lon=113.715&lat=22.925', // inside, with an administrator
      'lat=22.925&lon=113.715', // the other order
      'lon=113.71&lat=22.935', // on a shared edge
      'lon=113.71&lat=22.93', // on a shared vertex
      'lon=113.75&lat=22.915', // outside every grid
      'lon=113.7150&lat=22.9250', // trailing zeros
      'lon=-0&lat=0', // far away, signed zero
      'lon=180&lat=-90',
    ]
    // Whether the generation has gaps (none here) is known once its index answers: the first point
    // outside every grid takes the short path too, and no request waits for PostGIS to tell.
    expect(app.lookup.ready!.gaps.uncovered).toBe(false)
    for (const q of queries) {
      const before = app.fastLookup!.served
      const viaHttp = await fetch(`${url}/api/v1/lookup?${q}`)
      expect(app.fastLookup!.served, `${q} took the short path`).toBe(before + 1)
      const viaFastify = await app.inject(`/api/v1/lookup?${q}`)
      expect(viaHttp.status, q).toBe(viaFastify.statusCode)
      expect(headersOf(plainHeaders(viaHttp.headers)), q).toEqual(headersOf(viaFastify.headers))
      expect(Buffer.from(await viaHttp.arrayBuffer()).equals(viaFastify.rawPayload), q).toBe(true)
    }
    const inside = await (await fetch(`${url}/api/v1/lookup?lon=113.715&lat=22.925`)).json()
    expect(inside).toMatchObject({ point: [113.715, 22.925], grid: { code: '441900003001006' }, administrators: [{ employeeNo: 'F1' }] })
  })

  it('leaves to Fastify what the short path does not take, with the same answers as ever', async () => {
    const { app, url } = await start()
    const cases: [string, RequestInit, number][] = [
      ['lon=200&lat=22.9', {}, 400],
      ['lon=abc&lat=22.9', {}, 400],
      ['lon=113.715', {}, 400],
      ['lon=1.13715e2&lat=22.925', {}, 200],
      ['lon=%2B113.715&lat=22.925', {}, 200],
      ['lon=113.715&lat=22.925&fields=grid', {}, 200],
      ['lon=113.715&lat=22.925&crs=gcj02', {}, 200],
      ['lon=113.715&lat=22.925&at=2021-01-01', {}, 200],
      ['lon=113.715&lat=22.925&lon=113.72', {}, 400],
      ['lon=113.715&lat=22.925', { headers: { authorization: 'Bearer nosuchkey' } }, 401],
      ['lon=113.715&lat=22.925', { headers: { 'x-api-key': 'nosuchkey' } }, 401],
      ['lon=113.715&lat=22.925', { method: 'HEAD' }, 200],
      ['lon=113.715&lat=22.925', { method: 'POST' }, 405],
    ]
    const before = app.fastLookup!.served
    for (const [q, init, status] of cases) {
      const res = await fetch(`${url}/api/v1/lookup?${q}`, init)
      expect(res.status, `${init.method ?? 'GET'} ${q}`).toBe(status)
      if (status >= 400) expect(res.headers.get('content-type'), q).toMatch(/^application\/problem\+json/)
    }
    expect(app.fastLookup!.served).toBe(before)
    const picked = await (await fetch(`${url}/api/v1/lookup?lon=113.715&lat=22.925&fields=grid`)).json()
    expect(Object.keys(picked)).toEqual(['grid'])
  })

  it('takes a keyed caller once Fastify has found the key valid, with the same answers, and never a revoked key', async () => {
    const { app, url } = await start()
    const { secret, key } = await createApiKey(db(), { name: 'dispatch-system', role: 'system' }, 'tests')
    const admin = await keyHeaders(db(), { name: 'fast-admin', role: 'admin' })
    const q = '/api/v1/lookup?lon=113.715&lat=22.925'
    const start0 = app.fastLookup!.served
    const forms: Record<string, string>[] = [{ authorization: `Bearer ${secret}` }, { 'x-api-key': secret }]
    for (const [k, headers] of forms.entries()) {
      const viaHttp = await fetch(`${url}${q}`, { headers })
      const again = await fetch(`${url}${q}`, { headers })
      const viaFastify = await app.inject({ url: q, headers })
      for (const res of [viaHttp, again]) {
        expect(res.status).toBe(viaFastify.statusCode)
        expect(headersOf(plainHeaders(res.headers))).toEqual(headersOf(viaFastify.headers))
        expect(Buffer.from(await res.arrayBuffer()).equals(viaFastify.rawPayload)).toBe(true)
      }
      // The first time the key is seen Fastify checks it; from then on it is known.
      expect(app.fastLookup!.served, k === 0 ? 'Authorization: Bearer' : 'X-API-Key').toBe(start0 + (k === 0 ? 1 : 3))
    }
    // A key nobody issued, another scheme, a blank X-API-Key (no key): Fastify's answers, never the short path.
    const served = app.fastLookup!.served
    const odd: Record<string, string>[] = [{ authorization: `Bearer ${secret}x` }, { authorization: `Basic ${secret}` }, { 'x-api-key': ' ' }]
    const statuses = []
    for (const headers of odd) statuses.push((await fetch(`${url}${q}`, { headers })).status)
    expect(statuses).toEqual([401, 401, 200])
    expect(app.fastLookup!.served).toBe(served)
    // Revoked through the API: refused at once, on both paths.
    expect((await fetch(`${url}/api/v1/keys/${key.id}`, { method: 'DELETE', headers: admin })).status).toBe(200)
    const revoked = await fetch(`${url}${q}`, { headers: { authorization: `Bearer ${secret}` } })
    expect(revoked.status).toBe(401)
    expect(app.fastLookup!.served).toBe(served)

    // Keys with a limit of their own are counted by Fastify's rate limiter.
    const limited = await start({ rateLimit: { max: 100, windowMs: 60_000, keyedMax: 2, allowList: [] } })
    const other = await keyHeaders(db(), { name: 'limited-system', role: 'system' })
    const counted = []
    for (let i = 0; i < 3; i++) counted.push((await fetch(`${limited.url}${q}`, { headers: other })).status)
    expect(counted).toEqual([200, 200, 429])
    expect(limited.app.fastLookup!.served).toBe(0)
  })

  it('counts keyless callers against the rate limit unless their address is allowed', async () => {
    const limited = await start({ rateLimit: { max: 2, windowMs: 60_000, allowList: [] } })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/api/v1/lookup?lon=113.715&lat=22.925`)).status)
    expect(statuses).toEqual([200, 200, 429])
    expect(limited.app.fastLookup!.served).toBe(0)

    const allowed = await start({ rateLimit: { max: 2, windowMs: 60_000, allowList: ['127.0.0.1'] } })
    for (let i = 0; i < 3; i++) expect((await fetch(`${allowed.url}/api/v1/lookup?lon=113.715&lat=22.925`)).status).toBe(200)
    expect(allowed.app.fastLookup!.served).toBe(3)
  })

  it('keeps CORS, draining and the access log as Fastify has them', async () => {
    const cors = await start({ corsOrigins: ['https://ops.example.org'] })
    const plain = await fetch(`${cors.url}/api/v1/lookup?lon=113.715&lat=22.925`)
    expect(plain.headers.get('vary')).toBe('Origin')
    const fromPage = await fetch(`${cors.url}/api/v1/lookup?lon=113.715&lat=22.925`, { headers: { origin: 'https://ops.example.org' } })
    expect(fromPage.headers.get('access-control-allow-origin')).toBe('https://ops.example.org')
    expect(cors.app.fastLookup!.served).toBe(1)

    const lines: string[] = []
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) })
    const logged = await start({ logger: { level: 'info', stream } })
    // The access log on: the short path logs the two lines Fastify logs for the route, in the same shape.
    await fetch(`${logged.url}/api/v1/lookup?lon=113.715&lat=22.925`)
    expect(logged.app.fastLookup!.served).toBe(1)
    await fetch(`${logged.url}/api/v1/lookup?lon=113.715&lat=22.925&nearest=true`)
    expect(logged.app.fastLookup!.served).toBe(1)
    const entries = lines.map((l) => JSON.parse(l)).filter((e) => e.reqId !== undefined)
    expect(entries.map((e) => e.msg)).toEqual(['incoming request', 'request completed', 'incoming request', 'request completed'])
    expect(entries[0].req).toMatchObject({ method: 'GET', url: '/api/v1/lookup?lon=113.715&lat=22.925', remoteAddress: '127.0.0.1', host: new URL(logged.url).host })
    expect(entries[1]).toMatchObject({ res: { statusCode: 200 }, reqId: entries[0].reqId })
    expect(entries[2].reqId).not.toBe(entries[0].reqId)
    const shape = (e: Record<string, unknown>) => JSON.stringify(e, (k, v) => (['time', 'reqId', 'responseTime', 'url', 'remotePort'].includes(k) ? typeof v : v))
    expect(shape(entries[0])).toBe(shape(entries[2]))
    expect(shape(entries[1])).toBe(shape(entries[3]))

    const { app, url } = await start()
    app.lifecycle.draining = true
    const last = await fetch(`${url}/api/v1/lookup?lon=113.715&lat=22.925`)
    expect(last.status).toBe(200)
    expect(last.headers.get('connection')).toBe('close')
    expect(app.fastLookup!.served).toBe(0)
  })
})

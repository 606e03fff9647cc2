import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { API_CSP } from '../../server/plugins/security-headers.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { freshDb } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

const OPS = 'https://ops.example.org'

describe('body limits, security headers, CORS and back-pressure', () => {
  let db: Db
  let app: App
  let admin: Record<string, string>
  const apps: App[] = []

  beforeAll(async () => {
    db = await freshDb('pglite')
    await importUnits(db, squareCity({ nx: 2, ny: 2 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    admin = await keyHeaders(db, { name: 'guards-admin', role: 'admin' })
    app = await buildApp({ db, corsOrigins: [OPS, 'http://localhost:5173'], bodyLimit: 64 * 1024 })
    apps.push(app)
    return async () => {
      for (const a of apps) await a.close()
      await db.close()
    }
  })

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, type: string) => {
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: `/problems/${type}`, status })
  }

  it('answers a wrong method on an existing path with 405 and Allow, and an unknown path with 404', async () => {
    const patch = await app.inject({ method: 'PATCH', url: '/api/v1/plans/1', headers: admin })
    expectProblem(patch, 405, 'method-not-allowed')
    const allow = String(patch.headers.allow).split(', ')
    expect(allow).toEqual(expect.arrayContaining(['DELETE', 'GET']))
    expect(allow).not.toContain('PATCH')
    expect((patch.json() as { detail: string }).detail).toMatch(/^\/api\/v1\/plans\/1 takes .*GET.*, not PATCH$/)
    const put = await app.inject({ method: 'PUT', url: '/api/v1/lookup?lon=113.7&lat=22.9' })
    expectProblem(put, 405, 'method-not-allowed')
    expect(String(put.headers.allow)).toMatch(/GET/)
    expectProblem(await app.inject({ method: 'GET', url: '/api/v1/no-such-thing' }), 404, 'not-found')
    expectProblem(await app.inject({ method: 'PATCH', url: '/api/v1/plans/1/nothing' }), 404, 'not-found')
  })

  it('answers an oversized JSON body with 413 problem+json, at the default and at a route limit', async () => {
    // POST /api/v1/keys has no limit of its own: the app's (here 64 KiB) applies.
    const big = JSON.stringify({ name: 'x'.repeat(100 * 1024), role: 'analyst' })
    const tooBig = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...admin, 'content-type': 'application/json' }, payload: big })
    expectProblem(tooBig, 413, 'payload-too-large')
    expect(tooBig.json().detail).toBe('The body is larger than the 65,536-byte limit of POST /api/v1/keys; split it into smaller requests')
    const small = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...admin, 'content-type': 'application/json' }, payload: { name: 'fits', role: 'analyst' } })
    expect(small.statusCode).toBe(201)
    // POST /api/v1/incidents (public) sets 256 KiB itself.
    const report = JSON.stringify({ category: 'ENV-01', lon: 113.705, lat: 22.905, channel: 'citizen', description: 'x'.repeat(300 * 1024) })
    const tooLong = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { 'content-type': 'application/json' }, payload: report })
    expectProblem(tooLong, 413, 'payload-too-large')
    expect(tooLong.json()).toMatchObject({ limit: 256 * 1024 })
  })

  it('documents every body route with a finite limit, unless it streams', async () => {
    const doc = (await app.inject('/docs/openapi.json')).json()
    const streaming = new Set(['/api/v1/incidents/bulk', '/api/v1/lookup/batch'])
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['post', 'put', 'patch'].includes(method)) continue
        const limit = op['x-body-limit'] as number
        expect(limit, `${method} ${path}`).toBeGreaterThan(0)
        expect(limit, `${method} ${path}`).toBeLessThanOrEqual(64 * 1024 * 1024)
        if (streaming.has(path)) expect(op.description).toMatch(/streams: no limit/)
      }
    }
  })

  it('sends security headers on API answers, problems included, and a console policy on pages and scripts', async () => {
    for (const url of ['/api/v1/lookup?lon=113.705&lat=22.905', '/api/v1/units?level=grid', '/api/v1/nothing', '/tiles/grids/0/0/0.mvt', '/health']) {
      const res = await app.inject(url)
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
      expect(res.headers['x-frame-options'], url).toBe('DENY')
      expect(res.headers['referrer-policy'], url).toBe('no-referrer')
      expect(res.headers['content-security-policy'], url).toBe(API_CSP)
    }
    // A console of two files: the page, and a script (a worker takes its own script's policy).
    const dist = mkdtempSync(join(tmpdir(), 'zhiwang-dist-'))
    mkdirSync(join(dist, 'assets'))
    writeFileSync(join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/worker.mjs"></script>')
    writeFileSync(join(dist, 'assets', 'worker.mjs'), 'self.onmessage = () => {}')
    for (const basemapStyle of [null, 'https://tiles.example.com/style.json']) {
      const withConsole = await buildApp({ db, console: { distDir: dist, basemapStyle } })
      apps.push(withConsole)
      for (const url of ['/', '/assets/worker.mjs']) {
        const res = await withConsole.inject(url)
        expect(res.statusCode, url).toBe(200)
        const csp = String(res.headers['content-security-policy'])
        expect(csp, url).toMatch(/script-src 'self'; worker-src 'self' blob:/)
        expect(csp, url).toMatch(/img-src 'self' data: blob:/)
        expect(csp, url).toMatch(/frame-ancestors 'none'/)
        // Without a basemap nothing outside this server; with one, its host and other https: hosts for data.
        if (basemapStyle) expect(csp, url).toMatch(/connect-src 'self' https:\/\/tiles.example.com https:;/)
        else expect(csp, url).not.toMatch(/https:/)
        expect(res.headers['x-frame-options'], url).toBe('DENY')
        expect(res.headers['referrer-policy'], url).toBe('strict-origin-when-cross-origin')
      }
      expect((await withConsole.inject('/console/config.json')).headers['content-security-policy']).toBe(API_CSP)
    }
    rmSync(dist, { recursive: true, force: true })
    const docs = await app.inject('/docs')
    expect(docs.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/)
  })

  it('echoes an allowed origin, answers its preflight, and says nothing to another origin', async () => {
    const allowed = await app.inject({ url: '/api/v1/lookup?lon=113.705&lat=22.905', headers: { origin: OPS } })
    expect(allowed.statusCode).toBe(200)
    expect(allowed.headers['access-control-allow-origin']).toBe(OPS)
    expect(allowed.headers['access-control-expose-headers']).toMatch(/Retry-After/)
    expect(allowed.headers.vary).toMatch(/Origin/)
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined()

    const other = await app.inject({ url: '/api/v1/lookup?lon=113.705&lat=22.905', headers: { origin: 'https://evil.example.com' } })
    expect(other.statusCode).toBe(200)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect(other.headers.vary).toMatch(/Origin/)

    const preflight = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' }
    const ok = await app.inject({ method: 'OPTIONS', url: '/api/v1/lookup/batch', headers: { origin: OPS, ...preflight } })
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe(OPS)
    expect(ok.headers['access-control-allow-methods']).toMatch(/POST/)
    expect(String(ok.headers['access-control-allow-headers'])).toMatch(/Authorization.*Content-Type/)
    const refused = await app.inject({ method: 'OPTIONS', url: '/api/v1/lookup/batch', headers: { origin: 'https://evil.example.com', ...preflight } })
    expect(refused.headers['access-control-allow-origin']).toBeUndefined()
    // Not a CORS answer: the path exists, but not for OPTIONS outside an allowed preflight.
    expect(refused.statusCode).toBe(405)
    expect(String(refused.headers.allow)).toMatch(/POST/)

    // Without an allow-list there are no CORS headers at all.
    const closed = await buildApp({ db })
    apps.push(closed)
    const res = await closed.inject({ url: '/api/v1/me', headers: { origin: OPS } })
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    await expect(buildApp({ db, corsOrigins: ['ops.example.org'] })).rejects.toThrow(/Unexpected CORS origin value: "ops.example.org"/)
  })

  it('closes idle sockets and bounds the time to receive a request, as configured', async () => {
    const timed = await buildApp({ db, connectionTimeoutMs: 300, requestTimeoutMs: 4000 })
    apps.push(timed)
    const url = new URL(await timed.listen({ port: 0, host: '127.0.0.1' }))
    expect(timed.server.requestTimeout).toBe(4000)
    // A client that connects and says nothing is let go after the idle timeout.
    const socket = connect(Number(url.port), url.hostname)
    const started = Date.now()
    await new Promise((resolve) => socket.once('close', resolve))
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('cuts a request that trickles in once the request timeout has passed, not at the next 30 s check, with a 408 problem', async () => {
    const timed = await buildApp({ db, connectionTimeoutMs: 20_000, requestTimeoutMs: 1500 })
    apps.push(timed)
    const url = new URL(await timed.listen({ port: 0, host: '127.0.0.1' }))
    const socket = connect(Number(url.port), url.hostname)
    let answer = ''
    socket.on('data', (d) => (answer += d.toString()))
    const started = Date.now()
    socket.write('GET /api/v1/me HTTP/1.1\r\nHost: x\r\n')
    // A header line every 300 ms (each resets the idle timer), the request never finished.
    const trickle = setInterval(() => socket.writable && socket.write(`X-Slow-${Date.now()}: 1\r\n`), 300)
    await new Promise((resolve) => socket.once('close', resolve))
    clearInterval(trickle)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(1400)
    expect(took).toBeLessThan(3000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request timeout\r\n/)
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
    expect(body).toMatchObject({ type: '/problems/request-timeout', status: 408 })
    expect((await timed.inject('/problems/request-timeout')).statusCode).toBe(200)
  })

  it('answers 503 problem+json with Retry-After while the event loop lags, except liveness, and recovers', async () => {
    const pressured = await buildApp({ db, backPressure: { maxEventLoopDelayMs: 40, sampleIntervalMs: 50, retryAfterS: 3 } })
    apps.push(pressured)
    await pressured.ready()
    expect((await pressured.inject('/api/v1/me')).statusCode).toBe(200)
    // Keep the loop ~150 ms behind every 20 ms until a request is refused (or 5 s pass).
    let lagging = true
    const lag = async () => {
      while (lagging) {
        const until = Date.now() + 150
        while (Date.now() < until) {
          // busy: the event loop is blocked
        }
        await sleep(20)
      }
    }
    const lagger = lag()
    let refused = null
    for (const started = Date.now(); Date.now() - started < 5000 && !refused; await sleep(10)) {
      const res = await pressured.inject('/api/v1/me')
      if (res.statusCode === 503) refused = res
    }
    const live = await pressured.inject('/health/live')
    lagging = false
    await lagger
    expect(refused, 'no request was refused while the loop lagged').not.toBeNull()
    expectProblem(refused!, 503, 'service-unavailable')
    expect(refused!.headers['retry-after']).toBe('3')
    expect(refused!.json().detail).toMatch(/overloaded/)
    expect(live.statusCode).toBe(200)
    let recovered = false
    for (const started = Date.now(); Date.now() - started < 5000 && !recovered; await sleep(60)) recovered = (await pressured.inject('/api/v1/me')).statusCode === 200
    expect(recovered).toBe(true)
  })
})

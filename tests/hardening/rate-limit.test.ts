import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { freshDb } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'

type App = Awaited<ReturnType<typeof buildApp>>

/**
 * Keyless callers get `max` requests per window per address across the public
 * routes, then 429 problem+json with Retry-After; keyed callers are not counted
 * (or counted per key when `keyedMax` is set); probes, docs and the console are
 * never counted. inject() comes from 127.0.0.1 unless told otherwise.
 */
describe('rate limits on keyless callers', () => {
  let db: Db
  let analyst: Record<string, string>
  const apps: App[] = []
  const app = async (rateLimit?: Parameters<typeof buildApp>[0]['rateLimit']) => {
    const built = await buildApp({ db, rateLimit })
    apps.push(built)
    return built
  }
  const from = (ip: string) => ({ remoteAddress: ip })

  beforeAll(async () => {
    db = await freshDb('pglite')
    analyst = await keyHeaders(db, { name: 'limits-analyst', role: 'analyst' })
    return async () => {
      for (const a of apps) await a.close()
      await db.close()
    }
  })

  it('stops checking keys for an address that keeps presenting invalid ones, without locking out a valid key', async () => {
    const limited = await app({ max: 3, windowMs: 60_000 })
    await limited.inject({ url: '/api/v1/me', headers: analyst, ...from('203.0.113.50') }) // a valid key, known to this server
    const guess = (k: number, ip = '203.0.113.50') => limited.inject({ url: '/api/v1/me', headers: { 'x-api-key': `zw_guess${k}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` }, ...from(ip) })
    for (let k = 0; k < 3; k++) expect((await guess(k)).statusCode).toBe(401)
    const refused = await guess(3)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused.json()).toMatchObject({ type: '/problems/too-many-requests', limit: 3 })
    // The valid key still works from that address; another address still gets its 401s.
    expect((await limited.inject({ url: '/api/v1/me', headers: analyst, ...from('203.0.113.50') })).statusCode).toBe(200)
    expect((await guess(4, '198.51.100.60')).statusCode).toBe(401)
    // Without limits configured, bad keys are only refused.
    const open = await app()
    for (let k = 0; k < 5; k++) expect((await open.inject({ url: '/api/v1/me', headers: { 'x-api-key': `zw_guess${k}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb` }, ...from('203.0.113.50') })).statusCode).toBe(401)
  })

  it('answers 429 problem+json with Retry-After after N keyless requests, counted across public routes', async () => {
    const limited = await app({ max: 5, windowMs: 60_000 })
    const urls = ['/api/v1/me', '/api/v1/generations', '/api/v1/incident-categories', '/api/v1/me', '/api/v1/generations']
    for (const [k, url] of urls.entries()) {
      const res = await limited.inject({ url, ...from('203.0.113.7') })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - k))
    }
    const refused = await limited.inject({ url: '/api/v1/lookup?lon=113.7&lat=22.9', ...from('203.0.113.7') })
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    const retryAfter = Number(refused.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(refused.json()).toMatchObject({ type: '/problems/too-many-requests', status: 429, limit: 5, windowSeconds: 60, instance: '/api/v1/lookup?lon=113.7&lat=22.9' })
    expect(refused.json().detail).toMatch(/5 requests per 1 min .* send an API key/)

    // Another address has its own count; the probes, problem types and docs are never counted.
    expect((await limited.inject({ url: '/api/v1/me', ...from('198.51.100.2') })).statusCode).toBe(200)
    for (const url of ['/health/live', '/health', '/problems/not-found', '/docs/openapi.json']) {
      const res = await limited.inject({ url, ...from('203.0.113.7') })
      expect(res.statusCode, url).not.toBe(429)
      expect(res.headers['x-ratelimit-limit'], url).toBeUndefined()
    }
  })

  it('counts an IPv6 client by its /64', async () => {
    const limited = await app({ max: 2 })
    expect((await limited.inject({ url: '/api/v1/me', ...from('2001:db8:1:2::10') })).statusCode).toBe(200)
    expect((await limited.inject({ url: '/api/v1/me', ...from('2001:db8:1:2::20') })).statusCode).toBe(200)
    expect((await limited.inject({ url: '/api/v1/me', ...from('2001:db8:1:2:ffff::1') })).statusCode).toBe(429)
    expect((await limited.inject({ url: '/api/v1/me', ...from('2001:db8:1:3::10') })).statusCode).toBe(200)
  })

  it('does not count keyed callers, on public and keyed routes alike', async () => {
    const limited = await app({ max: 2 })
    for (let k = 0; k < 6; k++) {
      const res = await limited.inject({ url: '/api/v1/me', headers: analyst, ...from('203.0.113.9') })
      expect(res.statusCode).toBe(200)
      expect(res.json().role).toBe('analyst')
      expect(res.headers['x-ratelimit-limit']).toBeUndefined()
    }
    for (let k = 0; k < 2; k++) expect((await limited.inject({ url: '/api/v1/me', ...from('203.0.113.9') })).statusCode).toBe(200)
    expect((await limited.inject({ url: '/api/v1/me', ...from('203.0.113.9') })).statusCode).toBe(429)
    // The same address with a key still passes: the key, not the address, is accountable.
    expect((await limited.inject({ url: '/api/v1/analytics/series', headers: analyst, ...from('203.0.113.9') })).statusCode).toBe(200)
    // A keyless request to a keyed route is refused by auth (401), not counted.
    expect((await limited.inject({ url: '/api/v1/analytics/series', ...from('203.0.113.10') })).statusCode).toBe(401)
  })

  it('gives keyed callers their own, higher limit per key when keyedMax is set', async () => {
    const limited = await app({ max: 1, keyedMax: 3 })
    for (let k = 0; k < 3; k++) expect((await limited.inject({ url: '/api/v1/me', headers: analyst, ...from('203.0.113.11') })).statusCode).toBe(200)
    const refused = await limited.inject({ url: '/api/v1/me', headers: analyst, ...from('203.0.113.12') })
    expect(refused.statusCode).toBe(429)
    expect(refused.json().detail).toMatch(/3 requests per 1 min are allowed for the key "limits-analyst"/)
    expect(refused.headers['retry-after']).toBeDefined()
  })

  it('exempts the allow-list (loopback by default in main.ts) and limits nothing without options', async () => {
    const limited = await app({ max: 1, allowList: ['127.0.0.1', '::1'] })
    for (let k = 0; k < 4; k++) expect((await limited.inject({ url: '/api/v1/me' })).statusCode).toBe(200)
    for (let k = 0; k < 4; k++) expect((await limited.inject({ url: '/api/v1/me', ...from('::ffff:127.0.0.1') })).statusCode).toBe(200)
    expect((await limited.inject({ url: '/api/v1/me', ...from('192.0.2.1') })).statusCode).toBe(200)
    expect((await limited.inject({ url: '/api/v1/me', ...from('192.0.2.1') })).statusCode).toBe(429)

    const unlimited = await app()
    for (let k = 0; k < 50; k++) {
      const res = await unlimited.inject({ url: '/api/v1/me', ...from('192.0.2.1') })
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBeUndefined()
    }
  })
})

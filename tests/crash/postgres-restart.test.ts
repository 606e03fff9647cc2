import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/postgres-server.ts'
import type { ServerProcess } from '../helpers/server-process.ts'
import { call, expectLookupsMatchPostgis, freshCrashDb, generations, keyFor, serverSessions, startCrashServer, waitReady, type Answer, type CrashDb } from './crash-harness.ts'
import { gridCity, randomPoints } from './grid-city.ts'
import { controlPostgres, type PostgresControl } from './restartable-postgres.ts'

/**
 * PostgreSQL stopped and started again under the running server (a cluster
 * of this file's own: the run's shared one serves the other files). The stop
 * comes while a boundary import holds a transaction open — once cleanly
 * (`-m fast`: sessions terminated with 57P01) and once as a crash
 * (`-m immediate`). While the database is down, every request that needs it
 * answers 503 problem+json with Retry-After, within a few seconds — not 500,
 * and not a hang — readiness says 503 and liveness 200; the import in flight
 * gets 503 and stores nothing. Once PostgreSQL is back, the same process
 * answers 200 again by itself, with no restart.
 */
const CITY = gridCity({ towns: 1, communities: [2, 1], grids: [10, 10], seed: 'pg-restart' })
const BIG = gridCity({ towns: 2, communities: [2, 2], grids: [16, 16], size: 0.003, segments: 6, seed: 'pg-restart-big' })
const GRID = CITY.codes.grid[7]!
/** Longest acceptable answer while the database is down. */
const BOUND_MS = 10_000

describe('PostgreSQL restarted under the running server', () => {
  let cluster: ThrowawayPostgres
  let control: PostgresControl
  let c: CrashDb
  let server: ServerProcess
  let admin: Record<string, string>
  let system: Record<string, string>
  let pgDown = false

  beforeAll(async () => {
    cluster = await startThrowawayPostgres()
    control = await controlPostgres(cluster.url)
    c = await freshCrashDb(cluster.url, null)
    server = await startCrashServer(c.url) // migrates the empty database
    admin = await keyFor(c.db, 'admin')
    system = await keyFor(c.db, 'system')
    const imported = await call(`${server.url}/api/v1/units/import?validFrom=2024-01-01T00:00:00Z`, { method: 'POST', headers: admin, json: CITY })
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
  })
  afterAll(async () => {
    if (pgDown) await control.start()
    if (server?.child.exitCode === null) await server.stop()
    await c?.drop().catch(() => {})
    await cluster?.stop()
  })

  const report = (k: number) => ({ category: 'ENV-01', lon: 113.705 + k * 0.0001, lat: 22.905, channel: 'sensor', external_id: `pg-restart-${k}-${Date.now()}` })
  /** Requests that need the database, and the two health probes. */
  const probes = (k: number) => ({
    ready: call(`${server.url}/health`, { timeoutMs: 30_000 }),
    live: call(`${server.url}/health/live`, { timeoutMs: 30_000 }),
    unit: call(`${server.url}/api/v1/units/${GRID}`, { timeoutMs: 30_000 }),
    generations: call(`${server.url}/api/v1/generations`, { timeoutMs: 30_000 }),
    report: call(`${server.url}/api/v1/incidents`, { method: 'POST', headers: system, json: report(k), timeoutMs: 30_000 }),
    administrators: call(`${server.url}/api/v1/administrators?grid=${GRID}`, { timeoutMs: 30_000 }),
  })
  const settleAll = async <T extends Record<string, Promise<Answer>>>(p: T) =>
    Object.fromEntries(await Promise.all(Object.entries(p).map(async ([k, v]) => [k, await v]))) as { [K in keyof T]: Answer }

  const expectUnavailable = (name: string, a: Answer) => {
    expect({ name, status: a.status, type: a.headers.get('content-type') }).toEqual({ name, status: 503, type: expect.stringContaining('application/problem+json') })
    expect(a.ms, `${name} took ${Math.round(a.ms)} ms`).toBeLessThan(BOUND_MS)
    expect(a.body).toMatchObject({ type: '/problems/service-unavailable', status: 503 })
  }

  it.each(['fast', 'immediate'] as const)('answers 503 while PostgreSQL is down (stop -m %s) and recovers by itself', { timeout: 600_000 }, async (mode) => {
    expect(server.child.exitCode, 'the server is running').toBeNull()
    const up = await settleAll(probes(0))
    for (const [name, a] of Object.entries(up)) expect({ name, status: a.status }).toEqual({ name, status: name === 'report' ? 201 : 200 })
    const before = await generations(c)

    // An import holding a transaction open (it has written) when PostgreSQL goes.
    const importing = call(`${server.url}/api/v1/units/import`, { method: 'POST', headers: admin, json: BIG, timeoutMs: 60_000 })
    for (const until = Date.now() + 60_000; ; await sleep(2)) {
      if ((await serverSessions(c)).some((s) => s.xid !== null && /import_staging/.test(s.query))) break
      expect(Date.now(), 'the import never showed up in pg_stat_activity').toBeLessThan(until)
    }
    await control.stop(mode)
    pgDown = true

    const inFlight = await importing.catch((err) => {
      throw new Error(`the import in flight got no answer (${err.cause?.message ?? err.message}); server exit ${server.child.exitCode ?? server.child.signalCode}:\n${server.output().slice(-2500)}`)
    })
    expectUnavailable('import in flight', inFlight)
    for (let round = 1; round <= 2; round++) {
      const down = await settleAll(probes(round))
      expectUnavailable('readiness', down.ready)
      expect(down.live.status).toBe(200)
      for (const name of ['unit', 'generations', 'report', 'administrators'] as const) {
        expectUnavailable(name, down[name])
        expect(down[name].headers.get('retry-after'), `${name}: Retry-After`).toMatch(/^\d+$/)
      }
      // Lookups answer from the in-memory index, database or not.
      const lookup = await call(`${server.url}/api/v1/lookup?lon=113.705&lat=22.905&fields=grid`, { timeoutMs: 30_000 })
      expect(lookup.status).toBe(200)
      await sleep(1000)
    }
    expect(server.child.exitCode).toBeNull()

    await control.start()
    pgDown = false
    const started = Date.now()
    await waitReady(server.url, 30_000)
    const recoveredMs = Date.now() - started
    const again = await settleAll(probes(9))
    for (const [name, a] of Object.entries(again)) expect({ name, status: a.status }).toEqual({ name, status: name === 'report' ? 201 : 200 })
    expect(await generations(c)).toEqual(before) // the import answered 503 stored nothing
    expect(server.child.exitCode).toBeNull()
    await expectLookupsMatchPostgis(server.url, c, randomPoints(CITY.bbox, 1000, `pg-restart-${mode}`))
    console.log(`[postgres-restart -m ${mode}] import in flight: ${inFlight.status} in ${Math.round(inFlight.ms)} ms; ready again ${recoveredMs} ms after PostgreSQL started`)
  })
})

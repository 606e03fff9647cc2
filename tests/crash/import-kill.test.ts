import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerProcess } from '../helpers/server-process.ts'
import {
  call, expectLookupsMatchPostgis, freshCrashDb, generations, keyFor, killWhen, registryProblems, serverSessions, settle, startCrashServer, waitReady,
  type Answer, type CrashDb, type Generation,
} from './crash-harness.ts'
import { gridCity, randomPoints } from './grid-city.ts'

/**
 * A boundary import killed with SIGKILL at every stage of its transaction,
 * on a real PostgreSQL. The import is a city of 3,072 grids whose sides carry
 * 6 segments each (3,088 features, ~2 MB): staging, the PostGIS checks and the
 * write each last long enough to be caught in pg_stat_activity. After each
 * kill — once the killed server's sessions are gone, so the outcome is
 * settled — the registry holds either the generations it had before, or
 * those plus the whole new one (every feature stored, geometry equal to the
 * input, the previous generation closed where the new one starts, one audit
 * record); an import acknowledged with 201 must be the latter. A new server
 * on the same database then answers lookups as PostGIS does.
 */
const BASE = gridCity({ towns: 1, communities: [2, 1], grids: [8, 8], seed: 'import-base' })
const BIG = gridCity({ towns: 3, communities: [2, 2], grids: [16, 16], size: 0.003, segments: 6, seed: 'import-big' })

interface Moment { sentMs: number; answered: Answer | null; before: Generation[]; dryRunMs: number }
interface Trigger { name: string; expect: 'before' | 'after' | 'either'; when: (m: Moment) => Promise<string | null | false> }

describe('boundary import killed with SIGKILL [postgres]', () => {
  let c: CrashDb
  let server: ServerProcess | undefined
  let admin: Record<string, string>

  beforeAll(async () => {
    c = await freshCrashDb()
    admin = await keyFor(c.db, 'admin')
    server = await startCrashServer(c.url)
    const first = await call(`${server.url}/api/v1/units/import?validFrom=2024-01-01T00:00:00Z`, { method: 'POST', headers: admin, json: BASE })
    expect(first.status, JSON.stringify(first.body)).toBe(201)
  })
  afterAll(async () => {
    await server?.stop()
    await c?.drop()
  })

  /** The import's statement running right now, by a marker of its SQL (server/units/import-queries.ts). */
  const running = (marker: RegExp, label: string) => async () => {
    const s = (await serverSessions(c)).find((x) => x.state === 'active' && marker.test(x.query))
    return s ? `${label} (pid ${s.pid})` : null
  }
  const triggers: Trigger[] = [
    { name: 'staging the features', expect: 'before', when: running(/INSERT INTO import_staging/, 'INSERT INTO import_staging running') },
    { name: 'checking sibling overlaps', expect: 'before', when: running(/AS overlap_m2/, 'sibling-overlap check running') },
    { name: 'writing the units', expect: 'before', when: running(/INSERT INTO unit \(generation_id/, 'INSERT INTO unit running') },
    { name: 'half the dry-run time', expect: 'either', when: async (m) => performance.now() - m.sentMs >= m.dryRunMs / 2 && `${Math.round(m.dryRunMs / 2)} ms after sending` },
    {
      name: 'committed',
      expect: 'after',
      when: async (m) => {
        if (m.answered) return `answered ${m.answered.status} first`
        const n = (await c.rows<{ n: number }>(`SELECT count(*)::int AS n FROM generation`))[0]!.n
        return n > m.before.length && 'new generation visible, answer not yet received'
      },
    },
  ]

  it('leaves the generations before or after the import, never between, and every acknowledged import whole', { timeout: 900_000 }, async () => {
    const dry = await call<{ valid: boolean; counts: Record<string, number> }>(`${server!.url}/api/v1/units/import?dryRun=true`, { method: 'POST', headers: admin, json: BIG })
    expect(dry.status).toBe(200)
    expect(dry.body).toMatchObject({ valid: true, counts: { city: 1, town: 3, community: 12, grid: 3072 } })
    const outcomes: string[] = []

    for (const trigger of triggers) {
      // A statement may finish between two polls; then the import completes unkilled and the attempt is made again.
      for (let attempt = 1; ; attempt++) {
        const before = await generations(c)
        const moment: Moment = { sentMs: performance.now(), answered: null, before, dryRunMs: dry.ms }
        const request = call(`${server!.url}/api/v1/units/import`, { method: 'POST', headers: admin, json: BIG }).then((a) => (moment.answered = a), () => null)
        const reason = await killWhen(server!, () => trigger.when(moment), { abandon: () => moment.answered !== null && trigger.expect !== 'after' })
        await request
        if (reason === null) {
          expect(moment.answered!.status).toBe(201)
          expect(attempt, `${trigger.name}: never caught in ${attempt} attempts`).toBeLessThan(4)
          continue
        }
        server = undefined
        await settle(c)

        const after = await generations(c)
        const outcome = after.length === before.length ? 'before' : 'after'
        outcomes.push(`${trigger.name}: killed when ${reason} → ${outcome}${moment.answered ? ` (acknowledged ${moment.answered.status})` : ''}`)
        if (trigger.expect !== 'either') expect(outcome, trigger.name).toBe(trigger.expect)
        if (moment.answered?.status === 201) expect(outcome).toBe('after')
        expect(await registryProblems(c)).toEqual([])
        if (outcome === 'before') expect(after).toEqual(before)
        else await expectWholeImport(before, after, moment.answered)

        // A new server on the same database: ready, answering from the generation that is current.
        server = await startCrashServer(c.url)
        const health = await waitReady(server.url)
        expect(health.generation).toMatchObject({ id: after.at(-1)!.id, units: after.at(-1)!.units })
        break
      }
    }
    console.log(`[import-kill]\n  ${outcomes.join('\n  ')}`)
    expect(outcomes.some((o) => o.endsWith('→ before'))).toBe(true)
    expect(outcomes.some((o) => o.includes('→ after'))).toBe(true)
    await expectLookupsMatchPostgis(server!.url, c, [...randomPoints(BIG.bbox, 3000, 'import-kill'), ...gridCorners(200)])
  })

  /** The last generation is the import, whole: every feature with its input geometry, the previous one closed where it starts. */
  async function expectWholeImport(before: Generation[], after: Generation[], answered: Answer | null) {
    expect(after.length).toBe(before.length + 1)
    expect(after.slice(0, -2)).toEqual(before.slice(0, -1))
    const made = after.at(-1)!
    if (answered?.status === 201) expect((answered.body as { generation: { id: number } }).generation.id).toBe(made.id)
    expect(after.at(-2)!.valid_to).toEqual(made.valid_from)
    expect(made.valid_to).toBeNull()
    expect(made.units).toBe(BIG.features.length)
    const differ = await c.rows<{ code: string }>(`
      SELECT f.code FROM unnest($2::text[], $3::text[], $4::text[]) AS f(code, level, geojson)
      LEFT JOIN unit u ON u.generation_id = $1 AND u.code = f.code
      WHERE u.code IS NULL OR u.level <> f.level OR NOT ST_Equals(u.geom, ST_SetSRID(ST_GeomFromGeoJSON(f.geojson), 4326))`, [
      made.id,
      BIG.features.map((f) => f.properties.code),
      BIG.features.map((f) => f.properties.level),
      BIG.features.map((f) => JSON.stringify(f.geometry)),
    ])
    expect(differ).toEqual([])
  }

  /** Grid corners and edge midpoints of the big city: the points where "lowest code wins" decides. */
  function gridCorners(n: number): [number, number][] {
    const out: [number, number][] = []
    for (let k = 0; out.length < n; k += 37) {
      const ring = (BIG.features[4 + (k % (BIG.features.length - 4))]!.geometry.coordinates as [number, number][][])[0]!
      out.push(ring[0]!, ring[3]!)
    }
    return out
  }
})

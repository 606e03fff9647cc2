/**
 * The demo patrol tracks, checked from the database they were loaded into and
 * through the API: a sample of active administrators, walking pace in working
 * hours over the last 30 days, inside their own grids (PostGIS), cells that
 * the lines really pass through (h3-js cell centres near the line), coverage
 * that varies from grid to grid, determinism and idempotent seeding.
 */
import { cellToLatLng } from 'h3-js'
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { generateDemoPatrols, localMidnightBefore, type PatrolCity } from '../../server/demo/patrols-generate.ts'
import { seedDemoPatrolsIfEmpty, type PatrolSeedReport } from '../../server/demo/patrols-seed.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed-demo.ts'
import { loadIndexedGeneration } from '../../server/lookup/indexed-generation.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'

const DAY_MS = 86_400_000

async function rows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows
}

describeBackends('Demo patrol tracks', ({ db }) => {
  // The tracks fill the 30 local days before today's local midnight (UTC+8).
  const end = localMidnightBefore(new Date())
  let report: PatrolSeedReport
  let city: PatrolCity

  beforeAll(async () => {
    await seedDemoIfEmpty(db(), undefined, { incidents: false })
    report = (await seedDemoPatrolsIfEmpty(db(), { end }))!
    const generation = (await rows<{ id: number }>(db(), `SELECT current_generation() AS id`))[0]!.id
    const ix = await loadIndexedGeneration(db(), generation)
    const slot = new Map(ix.codes.map((c, g) => [c, g]))
    const admins = await rows<{ id: number; grids: string[] }>(db(), `
      SELECT a.id, array_agg(g.grid_code ORDER BY g.grid_code) AS grids FROM administrator a JOIN administrator_grid g ON g.administrator_id = a.id
      WHERE a.active GROUP BY a.id ORDER BY a.employee_no`)
    city = { administrators: admins.map((a) => ({ id: a.id, grids: a.grids.map((c) => slot.get(c)!) })), bbox: ix.index.polygons.bbox, lookup: (x, y) => ix.index.lookup(x, y) }
  })

  it('gives a sample of the active administrators tracks on foot, in working hours, over the last 30 days', async () => {
    const [r] = await rows<Record<'tracks' | 'administrators' | 'active' | 'inactive' | 'first' | 'last' | 'longest_min' | 'fastest_kmh' | 'earliest_hour' | 'latest_hour' | 'days', number>>(db(), `
      SELECT count(*)::int AS tracks, count(DISTINCT t.administrator_id)::int AS administrators,
             (SELECT count(*)::int FROM administrator WHERE active) AS active,
             count(*) FILTER (WHERE NOT a.active)::int AS inactive,
             min(extract(epoch FROM t.started_at) * 1000)::float8 AS first, max(extract(epoch FROM t.ended_at) * 1000)::float8 AS last,
             max(extract(epoch FROM t.ended_at - t.started_at) / 60)::float8 AS longest_min,
             max(t.length_m / extract(epoch FROM t.ended_at - t.started_at) * 3.6)::float8 AS fastest_kmh,
             min(((extract(epoch FROM t.started_at) + 28800) / 3600)::numeric % 24)::float8 AS earliest_hour,
             max(((extract(epoch FROM t.ended_at) + 28800) / 3600)::numeric % 24)::float8 AS latest_hour,
             count(DISTINCT floor((extract(epoch FROM t.started_at) + 28800) / 86400))::int AS days
      FROM patrol_track t JOIN administrator a ON a.id = t.administrator_id`)
    expect(r!).toMatchObject({ tracks: report.tracks, administrators: report.administrators, inactive: 0, days: 30 })
    expect(r!.administrators / r!.active).toBeGreaterThan(0.02)
    expect(r!.administrators / r!.active).toBeLessThan(0.04)
    expect(r!.tracks / r!.administrators).toBeGreaterThan(5)
    expect(r!.first).toBeGreaterThanOrEqual(end.getTime() - 30 * DAY_MS)
    expect(r!.last).toBeLessThan(end.getTime())
    expect(r!.longest_min).toBeLessThan(4 * 60)
    expect(r!.fastest_kmh).toBeLessThan(6)
    expect(r!.earliest_hour).toBeGreaterThanOrEqual(8)
    expect(r!.latest_hour).toBeLessThan(22)
    // Quieter at weekends.
    const [w] = await rows<{ weekday: number; weekend: number }>(db(), `
      SELECT count(*) FILTER (WHERE extract(isodow FROM started_at AT TIME ZONE '+08:00'::interval) < 6)::float8 / 5 AS weekday,
             count(*) FILTER (WHERE extract(isodow FROM started_at AT TIME ZONE '+08:00'::interval) >= 6)::float8 / 2 AS weekend
      FROM patrol_track`)
    expect(w!.weekend).toBeLessThan(w!.weekday * 0.6)
  })

  it('keeps each walk inside its administrator\'s own grids (PostGIS)', async () => {
    const shares = await rows<{ inside: number }>(db(), `
      SELECT (SELECT max(ST_Length(ST_Intersection(t.geom, u.geom)::geography)) FROM administrator_grid ag
              JOIN unit u ON u.code = ag.grid_code AND u.generation_id = current_generation()
              WHERE ag.administrator_id = t.administrator_id) / ST_Length(t.geom::geography) AS inside
      FROM patrol_track t`)
    const sorted = shares.map((s) => s.inside).sort((a, b) => a - b)
    expect(sorted).toHaveLength(report.tracks)
    expect(sorted[Math.floor(sorted.length * 0.05)]).toBeGreaterThan(0.97)
    expect(sorted[0]).toBeGreaterThan(0.8)
  })

  it('stores the cells each line passes through, with visit times inside the walk', async () => {
    const sample = await rows<{ id: number; line: string; started: number; ended: number }>(db(), `
      SELECT id, ST_AsGeoJSON(geom) AS line, (extract(epoch FROM started_at) * 1000)::float8 AS started, (extract(epoch FROM ended_at) * 1000)::float8 AS ended
      FROM patrol_track ORDER BY id LIMIT 40`)
    for (const track of sample) {
      const cells = await rows<{ h3: string; visited: number }>(db(), `
        SELECT c.h3, (extract(epoch FROM c.visited_at) * 1000)::float8 AS visited FROM patrol_cell c WHERE c.track_id = $1`, [track.id])
      expect(cells.length).toBeGreaterThan(3)
      for (const c of cells) {
        expect(c.visited).toBeGreaterThanOrEqual(track.started - 1)
        expect(c.visited).toBeLessThanOrEqual(track.ended + 1)
      }
      // Each cell's centre (h3-js) lies within a resolution-10 cell's radius (≤ 76 m) of the line (PostGIS, metres).
      const centres = cells.map((c) => cellToLatLng(c.h3))
      const [far] = await rows<{ max: number }>(db(), `
        SELECT max(ST_Distance(ST_GeomFromGeoJSON($1)::geography, ST_MakePoint(x, y)::geography)) AS max
        FROM unnest($2::float8[], $3::float8[]) AS p(x, y)`, [track.line, centres.map((c) => c[1]), centres.map((c) => c[0])])
      expect(far!.max).toBeLessThan(80)
    }
  })

  it('shows patrol coverage that varies between grids, in the coverage and workload APIs', async () => {
    const [busy] = await rows<{ grid: string }>(db(), `
      SELECT ag.grid_code AS grid FROM patrol_track t JOIN administrator_grid ag ON ag.administrator_id = t.administrator_id
      WHERE t.started_at >= $1 GROUP BY ag.grid_code ORDER BY count(*) DESC, ag.grid_code LIMIT 1`, [new Date(end.getTime() - 7 * DAY_MS)])
    const key = await keyHeaders(db(), { name: 'demo-patrols', role: 'analyst' })
    const app = await buildApp({ db: db() })
    try {
      const town = busy!.grid.slice(0, 9)
      const res = await app.inject({ url: `/api/v1/patrols/coverage?town=${town}`, headers: key })
      expect(res.statusCode).toBe(200)
      const items: { grid: string; share7: number; share30: number }[] = res.json().items
      const mine = items.find((i) => i.grid === busy!.grid)!
      expect(mine.share7).toBeGreaterThan(0)
      expect(mine.share30).toBeGreaterThanOrEqual(mine.share7)
      const workload = await app.inject({ url: `/api/v1/analytics/workload?parent=${town}&from=${new Date(end.getTime() - 30 * DAY_MS).toISOString()}&to=${end.toISOString()}`, headers: key })
      expect(workload.statusCode).toBe(200)
      const row = workload.json().items.find((i: { code: string }) => i.code === busy!.grid)
      expect(row.patrolCoverage).toBeCloseTo(mine.share30, 3)
      // Among the administrators who patrol, coverage over 30 days is spread out: neither all full nor all empty.
      const admins = await app.inject({ url: `/api/v1/analytics/supervision?by=administrator&from=${new Date(end.getTime() - 30 * DAY_MS).toISOString()}&to=${end.toISOString()}&limit=10000`, headers: key })
      const patrolling = new Set((await rows<{ employee_no: string }>(db(), `SELECT DISTINCT a.employee_no FROM patrol_track t JOIN administrator a ON a.id = t.administrator_id`)).map((r) => r.employee_no))
      const shares = admins.json().items.filter((i: { key: string }) => patrolling.has(i.key)).map((i: { patrolCoverage: number }) => i.patrolCoverage).sort((a: number, b: number) => a - b)
      expect(shares.length).toBe(report.administrators)
      expect(shares[Math.floor(shares.length * 0.25)]).toBeLessThan(0.7)
      expect(shares[Math.floor(shares.length * 0.75)]).toBeGreaterThan(0.5)
      expect(shares[0]).toBeGreaterThan(0)
    } finally {
      await app.close()
    }
  })

  it('is deterministic from the seed, and seeding again writes nothing', async () => {
    const json = (seed: number) => JSON.stringify(generateDemoPatrols(city, { seed, end, days: 7 }))
    expect(json(5)).toBe(json(5))
    expect(json(6)).not.toBe(json(5))
    const count = async () => (await rows<{ n: number; max: number }>(db(), `SELECT count(*)::int AS n, max(id)::int AS max FROM patrol_track`))[0]
    const before = await count()
    expect(await seedDemoPatrolsIfEmpty(db(), { end })).toBeNull()
    expect(await seedDemoIfEmpty(db(), undefined, { incidents: false, patrols: { end } })).toBe(false)
    expect(await count()).toEqual(before)
  })
})

/**
 * A published plan changes the grids of one community; the next generation's
 * index is the previous one patched with those grids. It must answer exactly
 * as PostGIS ST_Covers does (lowest code on shared edges) — everywhere, and
 * especially on and around the redrawn boundaries.
 */
import { beforeAll, expect, it } from 'vitest'
import { generateDongguan } from '../../server/demo/dongguan.ts'
import { createRng } from '../../server/demo/prng.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../../server/lookup/indexed-generation.ts'
import { createPlan } from '../../server/planning/create-plan.ts'
import { editPlan } from '../../server/planning/plan-service.ts'
import { PlanStore } from '../../server/planning/plan-state.ts'
import { publishPlan } from '../../server/planning/publish.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'

const POSTGIS = `
SELECT p.i::int AS i,
       (SELECT min(u.code) FROM unit u
        WHERE u.generation_id = $3 AND u.level = 'grid' AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) AS code
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)`

describeBackends('Patched lookup index after a published plan', ({ db }) => {
  let before: IndexedGeneration
  let after: IndexedGeneration
  let changed: string[]
  let box: [number, number, number, number]

  beforeAll(async () => {
    const city = await generateDongguan(db(), { communities: 40, grids: 200, samples: 20_000, seed: 'patched-index' })
    await importUnits(db(), city.units, { validFrom: new Date('2024-01-01T00:00:00Z') })
    before = await loadIndexedGeneration(db(), (await db().query<{ id: number }>(`SELECT current_generation() AS id`)).rows[0]!.id)
    // The community with the most grids, repartitioned into one grid more.
    const community = (await db().query<{ code: string; n: number }>(`
      SELECT parent_code AS code, count(*)::int AS n FROM unit WHERE generation_id = current_generation() AND level = 'grid'
      GROUP BY parent_code ORDER BY n DESC, parent_code LIMIT 1`)).rows[0]!
    const store = new PlanStore(db())
    const id = await createPlan(db(), { scope: community.code, actor: 'test' })
    await editPlan(store, id, undefined, { op: 'rebalance', k: community.n + 1, seed: 3, measures: [{ measure: 'area', weight: 1, tolerance: 0.1 }] }, 'test')
    const published = await publishPlan(store, db(), id, { actor: 'test', validFrom: new Date('2025-01-01T00:00:00Z') })
    changed = [...published.changed, ...published.removed]
    after = await loadIndexedGeneration(db(), published.generation.id, undefined, before)
    box = (await db().query<{ b: number[] }>(`
      SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS b
      FROM (SELECT ST_Extent(geom) AS e FROM unit WHERE generation_id = $1 AND code = ANY($2::text[])) x`, [published.generation.id, changed])).rows[0]!.b as [number, number, number, number]
  })

  async function disagreements(lon: number[], lat: number[]) {
    const expected = (await db().query<{ i: number; code: string | null }>(POSTGIS, [lon, lat, after.generation.id])).rows
    const wrong: string[] = []
    for (const row of expected) {
      const k = row.i - 1
      const g = after.index.lookup(lon[k]!, lat[k]!)
      const ours = g >= 0 ? after.codes[g]! : null
      if (ours !== row.code) wrong.push(`${lon[k]},${lat[k]}: index ${ours}, PostGIS ${row.code}`)
    }
    return wrong
  }

  it('is a patch of the previous index covering the changed grids only', () => {
    expect(after.index.kind).toBe('patched')
    expect(after.index.stats.changedGrids).toBe(changed.filter((c) => after.codes.includes(c)).length)
    expect(changed.length).toBeGreaterThan(2)
  })

  it('answers random points in and around the changed community as PostGIS does', async () => {
    const rng = createRng('patched-random')
    const [x0, y0, x1, y1] = box
    const lon: number[] = []
    const lat: number[] = []
    for (let i = 0; i < 20_000; i++) {
      lon.push(x0 - 0.01 + rng.next() * (x1 - x0 + 0.02))
      lat.push(y0 - 0.01 + rng.next() * (y1 - y0 + 0.02))
    }
    expect(await disagreements(lon, lat)).toEqual([])
  })

  it('answers the vertices and edge midpoints of the old and new changed grids as PostGIS does', async () => {
    const { rows } = await db().query<{ lon: number[]; lat: number[] }>(`
      WITH pts AS (
        SELECT (ST_DumpPoints(geom)).geom AS p FROM unit WHERE generation_id IN ($1, $2) AND code = ANY($3::text[])
        UNION ALL
        SELECT ST_LineInterpolatePoint(ST_MakeLine(a, b), 0.5) FROM (
          SELECT (d).geom AS a, lead((d).geom) OVER (PARTITION BY code, generation_id, (d).path[1], (d).path[2] ORDER BY (d).path[3]) AS b
          FROM (SELECT code, generation_id, ST_DumpPoints(geom) AS d FROM unit WHERE generation_id IN ($1, $2) AND code = ANY($3::text[])) s
        ) e WHERE b IS NOT NULL
      )
      SELECT array_agg(ST_X(p)) AS lon, array_agg(ST_Y(p)) AS lat FROM pts`, [before.generation.id, after.generation.id, changed])
    expect(rows[0]!.lon.length).toBeGreaterThan(100)
    expect(await disagreements(rows[0]!.lon, rows[0]!.lat)).toEqual([])
  })
})

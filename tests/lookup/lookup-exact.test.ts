import { beforeAll, expect, it } from 'vitest'
import { generateDongguan } from '../../server/demo/dongguan.ts'
import { createRng } from '../../server/demo/prng.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../../server/lookup/indexed-generation.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'

/** PostGIS's answer per point: the covering grids, ascending (the lowest answers; more than one means onBoundary). */
const POSTGIS = `
SELECT p.i::int AS i,
       (SELECT array_agg(u.code ORDER BY u.code) FROM unit u
        WHERE u.generation_id = $3 AND u.level = 'grid' AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) AS covering
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)`
const ON_BOUNDARY = `
SELECT ST_Intersects(ST_Boundary(geom), ST_SetSRID(ST_MakePoint($2, $3), 4326)) AS b
FROM unit WHERE generation_id = $4 AND code = $1`

describeBackends('Lookup index agrees with PostGIS ST_Covers', ({ db }) => {
  let ix: IndexedGeneration
  beforeAll(async () => {
    const city = await generateDongguan(db(), { communities: 60, grids: 300, samples: 30_000, seed: 'lookup-exact' })
    const report = await importUnits(db(), city.units)
    ix = await loadIndexedGeneration(db(), report.generation!.id)
  })

  async function compare(lon: number[], lat: number[]) {
    const expected = (await db().query<{ i: number; covering: string[] | null }>(POSTGIS, [lon, lat, ix.generation.id])).rows
    const wrong: string[] = []
    let covered = 0
    let boundary = 0
    for (const row of expected) {
      const k = row.i - 1
      const g = ix.index.lookup(lon[k]!, lat[k]!)
      const ours = g >= 0 ? ix.codes[g]! : null
      const theirs = row.covering?.[0] ?? null
      if (theirs) covered++
      if (ours !== theirs) {
        wrong.push(`${lon[k]},${lat[k]}: index ${ours}, PostGIS ${row.covering?.join('|') ?? null}`)
        continue
      }
      if (ours && (row.covering!.length > 1 || ix.index.onBoundary)) {
        // On the answered grid's boundary, or covered by another grid as well (grids overlapping by a sliver).
        const on = (await db().query<{ b: boolean }>(ON_BOUNDARY, [ours, lon[k], lat[k], ix.generation.id])).rows[0]!.b || row.covering!.length > 1
        if (on !== ix.index.onBoundary) wrong.push(`${lon[k]},${lat[k]}: onBoundary ${ix.index.onBoundary}, PostGIS ${on} (covering ${row.covering!.join('|')})`)
        if (on) boundary++
      }
    }
    return { wrong, covered, boundary }
  }

  it('on 20,000 random points over the city', async () => {
    const rng = createRng('random-points')
    const lon: number[] = []
    const lat: number[] = []
    for (let k = 0; k < 20_000; k++) (lon.push(rng.range(113.5, 114.3)), lat.push(rng.range(22.6, 23.2)))
    const { wrong, covered } = await compare(lon, lat)
    expect(wrong.slice(0, 5)).toEqual([])
    expect(covered).toBeGreaterThan(8_000)
  })

  it('on every vertex and every edge midpoint of the grids', async () => {
    const lon: number[] = []
    const lat: number[] = []
    const { coords, ringStart } = ix.index.polygons
    for (let r = 0; r < ringStart.length - 1; r++) {
      for (let v = ringStart[r]!; v < ringStart[r + 1]! - 1; v++) {
        const ax = coords[2 * v]!, ay = coords[2 * v + 1]!, bx = coords[2 * v + 2]!, by = coords[2 * v + 3]!
        lon.push(ax, (ax + bx) / 2)
        lat.push(ay, (ay + by) / 2)
      }
    }
    const { wrong, boundary } = await compare(lon, lat)
    expect(wrong.slice(0, 5)).toEqual([])
    // Vertices are always on a boundary; many float midpoints are too.
    expect(boundary).toBeGreaterThan(lon.length / 2)
  })
})

import { expect, it } from 'vitest'
import { queenNeighbours } from '../../server/analytics/grid-neighbours.ts'
import { generateDongguan } from '../../server/demo/dongguan.ts'
import { createRng } from '../../server/demo/prng.ts'
import { GridPolygons } from '../../server/lookup/grid-polygons.ts'
import { loadIndexedGeneration } from '../../server/lookup/indexed-generation.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'

/** PostGIS's queen contiguity of a generation's grids (what the grid hot spots used to ask it). */
const POSTGIS_GRIDS = `
SELECT a.code AS a, b.code AS b
FROM unit a JOIN unit b ON b.generation_id = a.generation_id AND b.level = 'grid' AND b.code > a.code AND ST_DWithin(a.geom, b.geom, 1e-7)
WHERE a.generation_id = $1 AND a.level = 'grid'`

/** The same for loose polygons given as GeoJSON ($1), by index. */
const POSTGIS_POLYGONS = `
WITH p AS (SELECT i::int - 1 AS i, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326) AS geom FROM unnest($1::text[]) WITH ORDINALITY AS t(g, i))
SELECT a.i AS a, b.i AS b FROM p a JOIN p b ON b.i > a.i AND ST_DWithin(a.geom, b.geom, 1e-7)`

type Ring = [number, number][]
const box = (x0: number, y0: number, x1: number, y1: number): Ring => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]

describeBackends('Queen neighbours of grids agree with PostGIS ST_DWithin(a, b, 1e-7)', ({ db }) => {
  it('on a generated city of 200 grids', async () => {
    const city = await generateDongguan(db(), { communities: 40, grids: 200, samples: 20_000, seed: 'grid-neighbours' })
    const report = await importUnits(db(), city.units)
    const ix = await loadIndexedGeneration(db(), report.generation!.id)
    const ours = queenNeighbours(ix.index.polygons).map(([a, b]) => `${ix.codes[a]} ${ix.codes[b]}`)
    const theirs = (await db().query<{ a: string; b: string }>(POSTGIS_GRIDS, [report.generation!.id])).rows.map((r) => `${r.a} ${r.b}`)
    expect(ours.length).toBeGreaterThan(400)
    expect(ours.sort()).toEqual(theirs.sort())
  })

  it('on polygons that touch at a vertex, leave gaps either side of the tolerance, nest, sit in holes and scatter at random', async () => {
    const X = 113.7
    const Y = 22.9
    const polygons: Ring[][] = [
      [box(X, Y, X + 0.01, Y + 0.01)], // 0
      [box(X + 0.01, Y + 0.01, X + 0.02, Y + 0.02)], // 1: touches 0 at one vertex
      [box(X + 0.01 + 5e-8, Y, X + 0.02, Y + 0.005)], // 2: 5e-8 east of 0 (neighbour), touches 1? no: ends below it
      [box(X - 0.01, Y, X - 2e-7, Y + 0.01)], // 3: 2e-7 west of 0 (not)
      [box(X + 0.004, Y + 0.004, X + 0.006, Y + 0.006)], // 4: inside 0, boundaries apart (overlap: neighbour)
      [box(X + 0.03, Y, X + 0.06, Y + 0.03), box(X + 0.04, Y + 0.01, X + 0.05, Y + 0.02)], // 5: a square with a hole
      [box(X + 0.042, Y + 0.012, X + 0.048, Y + 0.018)], // 6: in the hole, apart from 5 (not)
      [box(X + 0.04 + 3e-8, Y + 0.0101, X + 0.041, Y + 0.011)], // 7: in the hole, 3e-8 from its edge (neighbour of 5)
      [[[X + 0.02, Y + 0.002], [X + 0.025, Y + 0.004], [X + 0.02 + 9e-8, Y + 0.003], [X + 0.02, Y + 0.002]]], // 8: a sliver touching 2's east edge at a vertex
    ]
    // Random triangles around a few shared points, some exactly on them, some a hair away.
    const r0 = createRng('grid-neighbours')
    const rng = () => r0.next()
    for (let k = 0; k < 80; k++) {
      const cx = X + 0.1 + 0.002 * Math.floor(rng() * 5)
      const cy = Y + 0.1 + 0.002 * Math.floor(rng() * 5)
      const off = [0, 0, 4e-8, 9e-8, 1.1e-7, 3e-7][Math.floor(rng() * 6)]!
      const a = rng() * 2 * Math.PI
      const x0 = cx + off * Math.cos(a), y0 = cy + off * Math.sin(a)
      const r = 0.0005 + rng() * 0.002
      polygons.push([[[x0, y0], [x0 + r * Math.cos(a), y0 + r * Math.sin(a)], [x0 + r * Math.cos(a + 0.5), y0 + r * Math.sin(a + 0.5)], [x0, y0]]])
    }
    const gp = new GridPolygons({ codes: polygons.map((_, i) => String(i)), multipolygons: polygons.map((p) => [p]) })
    const ours = queenNeighbours(gp).map(([a, b]) => `${a} ${b}`)
    const theirs = (await db().query<{ a: number; b: number }>(POSTGIS_POLYGONS, [polygons.map((p) => JSON.stringify({ type: 'Polygon', coordinates: p }))])).rows.map((r) => `${r.a} ${r.b}`)
    expect(ours.sort()).toEqual(theirs.sort())
    // The crafted cases say what they say (so the comparison above is not vacuous).
    for (const pair of ['0 1', '0 2', '0 4', '5 7', '2 8']) expect(ours, pair).toContain(pair)
    for (const pair of ['0 3', '5 6', '0 5']) expect(ours, pair).not.toContain(pair)
    expect(ours.filter((p) => Number(p.split(' ')[0]) >= 9).length).toBeGreaterThan(20)
  })
})

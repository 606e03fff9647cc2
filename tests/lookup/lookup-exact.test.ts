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
/** On the grid's boundary as ST_Covers sees it: covered but not contained (the same point-in-polygon test decides both). */
const ON_BOUNDARY = `
SELECT ST_Covers(geom, pt) AND NOT ST_Contains(geom, pt) AS b
FROM unit, ST_SetSRID(ST_MakePoint($2, $3), 4326) AS pt WHERE generation_id = $4 AND code = $1`

describeBackends('Lookup index agrees with PostGIS ST_Covers', ({ db }) => {
  let ix: IndexedGeneration
  beforeAll(async () => {
    const city = await generateDongguan(db(), { communities: 60, grids: 300, samples: 30_000, seed: 'lookup-exact' })
    const report = await importUnits(db(), city.units)
    ix = await loadIndexedGeneration(db(), report.generation!.id)
  })

  async function compare(lon: number[], lat: number[], against: IndexedGeneration = ix) {
    const ix = against
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
  it('on points along slanted edges near 0° longitude and latitude, where rounding decides the side', async () => {
    // A 4 × 3 lattice of jittered cells 0.05° wide around (0, 0): PostGIS decides the side of an edge in
    // double precision, and so close to zero its rounding puts many points on the edge that lie a hair off it.
    const rng = createRng('near-zero')
    const NX = 4, NY = 3, D = 0.05
    const P = Array.from({ length: NX + 1 }, (_, i) => Array.from({ length: NY + 1 }, (_, j): [number, number] => [
      -0.1 + i * D + (i > 0 && i < NX ? rng.range(-0.3, 0.3) * D : 0),
      -0.075 + j * D + (j > 0 && j < NY ? rng.range(-0.3, 0.3) * D : 0),
    ]))
    const ring = (i0: number, i1: number, j0: number, j1: number) => {
      const r: [number, number][] = []
      for (let i = i0; i <= i1; i++) r.push(P[i]![j0]!)
      for (let j = j0 + 1; j <= j1; j++) r.push(P[i1]![j]!)
      for (let i = i1 - 1; i >= i0; i--) r.push(P[i]![j1]!)
      for (let j = j1 - 1; j >= j0; j--) r.push(P[i0]![j]!)
      return [r]
    }
    const feature = (level: string, code: string, rings: [number, number][][]) => ({ type: 'Feature', properties: { level, code, name: code }, geometry: { type: 'Polygon', coordinates: rings } })
    const units = { type: 'FeatureCollection', features: [
      feature('city', '999001', ring(0, NX, 0, NY)),
      feature('town', '999001001', ring(0, NX, 0, NY)),
      feature('community', '999001001001', ring(0, NX, 0, NY)),
      ...Array.from({ length: NX * NY }, (_, k) => feature('grid', `999001001001${String(k + 1).padStart(3, '0')}`, ring(k % NX, (k % NX) + 1, Math.floor(k / NX), Math.floor(k / NX) + 1))),
    ] }
    const report = await importUnits(db(), units)
    expect(report.errors).toEqual([])
    const near = await loadIndexedGeneration(db(), report.generation!.id)
    const lon: number[] = []
    const lat: number[] = []
    const { coords, ringStart } = near.index.polygons
    for (let r = 0; r < ringStart.length - 1; r++) {
      for (let v = ringStart[r]!; v < ringStart[r + 1]! - 1; v++) {
        const ax = coords[2 * v]!, ay = coords[2 * v + 1]!, bx = coords[2 * v + 2]!, by = coords[2 * v + 3]!
        for (let k = 0; k < 150; k++) {
          const t = rng.next()
          lon.push(ax + t * (bx - ax))
          lat.push(ay + t * (by - ay))
        }
      }
    }
    const { wrong, covered, boundary } = await compare(lon, lat, near)
    expect(wrong.slice(0, 5)).toEqual([])
    // A few fall outside both grids sharing the edge for PostGIS too: the two walk it in opposite directions,
    // and rounding the same sum in another order can put the point to the right of both.
    expect(covered).toBeGreaterThan(0.95 * lon.length)
    // Most such points are on an edge for PostGIS, not all: both kinds were compared.
    expect(boundary).toBeGreaterThan(lon.length / 2)
    expect(boundary).toBeLessThan(lon.length)
  })
})

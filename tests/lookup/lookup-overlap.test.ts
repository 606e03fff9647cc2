/**
 * Grids that overlap: an import's tolerance can let two siblings share ground
 * (the coverage check then reports it). A point there is covered by both: the
 * lowest code answers, on a boundary. And a point of one grid next to the
 * other's edge must not be lost because the other covers the centre of its
 * cell. Checked against PostGIS on the full index and on the index patched
 * from the previous generation (what a running server has after an import).
 */
import { beforeAll, expect, it } from 'vitest'
import { createRng } from '../../server/demo/prng.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../../server/lookup/indexed-generation.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { gridIndex, rectangle, squareCity } from '../helpers/square-city.ts'

/** The covering grids per point, ascending, and whether the point is on the lowest one's boundary. */
const POSTGIS = `
SELECT p.i::int AS i, c.codes, coalesce(ST_Intersects(ST_Boundary(w.geom), ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)), false) AS edge
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
CROSS JOIN LATERAL (SELECT array_agg(u.code ORDER BY u.code) AS codes FROM unit u
  WHERE u.generation_id = $3 AND u.level = 'grid' AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) c
LEFT JOIN unit w ON w.generation_id = $3 AND w.code = c.codes[1]`

// Grid 6 (113.71–113.72 × 22.92–22.93) reaches 0.004° (≈ 410 m) into grid 7 and 0.003° into grid 10 below it.
const OVERLAPPING = rectangle(113.71, 22.917, 113.724, 22.93)

describeBackends('Lookups where grids overlap', ({ db }) => {
  let full: IndexedGeneration
  let patched: IndexedGeneration
  beforeAll(async () => {
    const first = await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    const before = await loadIndexedGeneration(db(), first.generation!.id)
    const city = squareCity({ nx: 4, ny: 4 })
    city.features[gridIndex(6)]!.geometry.coordinates = [OVERLAPPING]
    const second = await importUnits(db(), city, { validFrom: new Date('2021-01-01T00:00:00Z'), toleranceM2: 1e12 })
    full = await loadIndexedGeneration(db(), second.generation!.id)
    patched = await loadIndexedGeneration(db(), second.generation!.id, undefined, before)
  })

  async function disagreements(ix: IndexedGeneration, lon: number[], lat: number[]) {
    const rows = (await db().query<{ i: number; codes: string[] | null; edge: boolean }>(POSTGIS, [lon, lat, ix.generation.id])).rows
    const wrong: string[] = []
    let overlap = 0
    for (const row of rows) {
      const k = row.i - 1
      const g = ix.index.lookup(lon[k]!, lat[k]!)
      const ours = g >= 0 ? ix.codes[g]! : null
      const theirs = row.codes?.[0] ?? null
      const boundary = theirs !== null && (row.codes!.length > 1 || row.edge)
      if (row.codes && row.codes.length > 1 && !row.edge) overlap++
      if (ours !== theirs || (ours !== null && ix.index.onBoundary !== boundary)) {
        wrong.push(`${lon[k]},${lat[k]}: ${ours} onBoundary ${ix.index.onBoundary}; PostGIS ${row.codes?.join('|') ?? null}${row.edge ? ' (on its edge)' : ''}`)
      }
    }
    return { wrong, overlap }
  }

  const points = () => {
    const rng = createRng('overlap')
    const lon: number[] = []
    const lat: number[] = []
    // Over the city, and densely around the overlapping grid.
    for (let k = 0; k < 6_000; k++) (lon.push(rng.range(113.695, 113.745)), lat.push(rng.range(22.895, 22.945)))
    for (let k = 0; k < 14_000; k++) (lon.push(rng.range(113.705, 113.73)), lat.push(rng.range(22.912, 22.935)))
    // The corners and edge midpoints of every grid, and points on the overlapping grid's edges.
    for (let x = 113.7; x <= 113.7401; x += 0.005) for (let y = 22.9; y <= 22.9401; y += 0.005) (lon.push(Math.round(x * 1e9) / 1e9), lat.push(Math.round(y * 1e9) / 1e9))
    for (let t = 0; t <= 1; t += 0.05) (lon.push(113.724, 113.71 + 0.014 * t), lat.push(22.917 + 0.013 * t, 22.917))
    return { lon, lat }
  }

  it('answers the lowest covering grid on a boundary inside the overlap, and never loses a point next to it (full index)', async () => {
    expect(full.index.kind).toBe('h3') // its self-check passes: cells and exact test agree, overlap included
    const { lon, lat } = points()
    const { wrong, overlap } = await disagreements(full, lon, lat)
    expect(wrong.slice(0, 5)).toEqual([])
    expect(overlap).toBeGreaterThan(1_000)
  })

  it('answers the same on the index patched from the previous generation', async () => {
    expect(patched.index.kind).toBe('patched')
    const { lon, lat } = points()
    const { wrong } = await disagreements(patched, lon, lat)
    expect(wrong.slice(0, 5)).toEqual([])
  })
})

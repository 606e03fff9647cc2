/**
 * Vector tile benchmark on the Dongguan demo city, on a throwaway PostgreSQL
 * 15 + PostGIS 3.3 server. The grids layer is requested for the tile pyramid
 * of the city's bounding box from the layer's minzoom (9) to 15 (every tile to 13, a seeded
 * random sample at 14 and 15), through the app's whole request path
 * (`app.inject`: routing, auth, cache, headers; no socket), first cold (tile
 * cache cleared; the per-day workload map is built once before and timed on
 * its own) and then warm (cached). As a baseline in the same run, the plain
 * ST_AsMVT SQL for the same tiles (geometry and unit columns, no workload) is
 * timed directly on the database. A few incidents and h3 tiles are timed too,
 * for information. Goals: grid tile p50 < 30 ms and p99 < 150 ms cold, < 5 ms
 * cached; they are reported, not enforced.
 *
 *   npm run bench:tiles -- [--sample N] [--seed S] [--quick]
 *     --sample  tiles drawn at each of zooms 14 and 15 (default 400)
 *     --quick   the demo city without incidents (workload loads are all 0)
 */
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { buildApp } from '../server/app.ts'
import { createApiKey } from '../server/auth/api-keys.ts'
import { openDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { createRng } from '../server/demo/prng.ts'
import { seedDemoIfEmpty } from '../server/demo/seed-demo.ts'
import { LAYERS } from '../server/tiles/layers.ts'
import { tileRange, type Bounds, type TileId } from '../server/tiles/tile-math.ts'
import { startThrowawayPostgres } from '../tests/helpers/postgres-server.ts'

// Bench-only SQL, so it lives here: what a tile server that leaves it all to PostGIS would run.
const BASELINE_GRID_MVT = `
SELECT ST_AsMVT(t, 'grids', 4096, 'geom') AS mvt FROM (
  SELECT code, name_zh AS name, name_en, parent_code AS parent, population, households,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
  FROM unit
  WHERE generation_id = $4 AND level = 'grid' AND geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
) t`
const BOUNDS = `SELECT current_generation() AS generation, ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
FROM (SELECT ST_Extent(geom) AS e FROM unit WHERE generation_id = current_generation()) x`

const { values: opt } = parseArgs({ options: { sample: { type: 'string', default: '400' }, seed: { type: 'string', default: '2024' }, quick: { type: 'boolean', default: false } } })
const SAMPLE = Number(opt.sample)
if (!(Number.isInteger(SAMPLE) && SAMPLE > 0)) throw new Error(`Unexpected --sample value: ${opt.sample}`)

const log = (msg: string) => console.log(`  ${msg}`)
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2))
const quantile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
const url = (layer: string, t: TileId, query = '') => `/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt${query}`

/** Every tile from the grid layer's minzoom to 13 and `SAMPLE` distinct random ones at 14 and 15, in zoom order. */
function pyramid(bounds: Bounds, seed: string): TileId[] {
  const rng = createRng(seed)
  const tiles: TileId[] = []
  for (let z = LAYERS.grids!.minzoom; z <= 15; z++) {
    const { x0, y0, x1, y1 } = tileRange(bounds, z)
    const w = x1 - x0 + 1
    const all = w * (y1 - y0 + 1)
    if (z <= 13 || all <= SAMPLE) {
      for (let k = 0; k < all; k++) tiles.push({ z, x: x0 + (k % w), y: y0 + Math.floor(k / w) })
      continue
    }
    const picked = new Set<number>()
    while (picked.size < SAMPLE) picked.add(rng.int(all))
    for (const k of [...picked].sort((a, b) => a - b)) tiles.push({ z, x: x0 + (k % w), y: y0 + Math.floor(k / w) })
  }
  return tiles
}

interface Timing {
  ms: number
  z: number
  bytes: number
  status: number
}

function summary(label: string, t: Timing[]) {
  const ms = t.map((x) => x.ms).sort((a, b) => a - b)
  const full = t.filter((x) => x.bytes > 0)
  const avgKb = full.reduce((s, x) => s + x.bytes, 0) / Math.max(1, full.length) / 1024
  console.log(`  ${label.padEnd(34)} n ${String(t.length).padStart(5)}  p50 ${fmt(quantile(ms, 0.5)).padStart(7)}  p99 ${fmt(quantile(ms, 0.99)).padStart(7)}  max ${fmt(ms.at(-1)!).padStart(7)} ms  ` +
    `${full.length} with data, avg ${avgKb.toFixed(1)} KiB`)
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) }
}

const pg = await startThrowawayPostgres()
const db = await openDb({ databaseUrl: pg.url })
try {
  console.log(`Tile benchmark: seed ${opt.seed}, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}`)
  const t0 = Date.now()
  await migrate(db)
  await seedDemoIfEmpty(db, log, { incidents: opt.quick ? false : {} })
  await db.exec('ANALYZE') // as autovacuum would have done by now on a running server
  const b = (await db.query<{ generation: number; w: number; s: number; e: number; n: number }>(BOUNDS)).rows[0]!
  const counts = (await db.query<{ grids: number; incidents: number }>(`SELECT (SELECT count(*)::int FROM unit WHERE generation_id = current_generation() AND level = 'grid') AS grids, (SELECT count(*)::int FROM incident) AS incidents`)).rows[0]!
  log(`${counts.grids.toLocaleString('en-US')} grids, ${counts.incidents.toLocaleString('en-US')} incidents, ready in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
    `city bounds ${[b.w, b.s, b.e, b.n].map((v) => v.toFixed(3)).join(', ')}`)

  const analyst = { authorization: `Bearer ${(await createApiKey(db, { name: 'bench-tiles', role: 'analyst' }, 'bench')).secret}` }
  const app = await buildApp({ db })
  const tiles = pyramid([b.w, b.s, b.e, b.n], opt.seed!)
  const perZoom = new Map<number, number>()
  for (const t of tiles) perZoom.set(t.z, (perZoom.get(t.z) ?? 0) + 1)
  log(`${tiles.length} grid tiles: ${[...perZoom].map(([z, n]) => `z${z} ${n}`).join(', ')}`)

  const request = async (path: string, headers: Record<string, string> = {}): Promise<Timing> => {
    const started = performance.now()
    const res = await app.inject({ url: path, headers })
    const ms = performance.now() - started
    if (res.statusCode !== 200 && res.statusCode !== 204) throw new Error(`${path} answered ${res.statusCode}: ${res.body}`)
    return { ms, z: Number(path.split('/')[3]), bytes: res.rawPayload.byteLength, status: res.statusCode }
  }
  const pass = async (paths: string[], headers?: Record<string, string>) => {
    const out: Timing[] = []
    for (const p of paths) out.push(await request(p, headers))
    return out
  }

  // The workload map (loads of the last 365 days, administrators, community means) is built once a day.
  let started = performance.now()
  await app.tiles.workloads.forGeneration(b.generation)
  log(`workload map of ${counts.grids} grids built in ${fmt(performance.now() - started)} ms (once per generation and day)`)
  await pass(tiles.slice(0, 20).map((t) => url('towns', t))) // warm up code paths and the connection pool
  app.tiles.cache.clear()

  // Cold and baseline interleaved, each first on every other tile, so both meet the same caches and the same load.
  const cold: Timing[] = []
  const baseline: Timing[] = []
  const sqlOnly = async (t: TileId): Promise<Timing> => {
    const s = performance.now()
    const { rows } = await db.query<{ mvt: Uint8Array }>(BASELINE_GRID_MVT, [t.z, t.x, t.y, b.generation])
    return { ms: performance.now() - s, z: t.z, bytes: rows[0]?.mvt.byteLength ?? 0, status: 200 }
  }
  started = performance.now()
  for (const [k, t] of tiles.entries()) {
    if (k % 2 === 0) baseline.push(await sqlOnly(t))
    cold.push(await request(url('grids', t)))
    if (k % 2 === 1) baseline.push(await sqlOnly(t))
  }
  const coldWallS = (performance.now() - started) / 1000
  // Warm: three passes over the cached pyramid, pooled; the cold phase's garbage is collected first when --expose-gc allows.
  ;(globalThis as { gc?: () => void }).gc?.()
  const warm: Timing[] = []
  for (let r = 0; r < 3; r++) warm.push(...(await pass(tiles.map((t) => url('grids', t)))))

  console.log(`\nGrid tiles (cold and baseline passes ${coldWallS.toFixed(1)} s; cache ${app.tiles.cache.size} tiles, ${(app.tiles.cache.bytes / 2 ** 20).toFixed(1)} MiB)`)
  for (const z of perZoom.keys()) {
    summary(`z${z} cold`, cold.filter((t) => t.z === z))
    summary(`z${z} baseline ST_AsMVT (SQL only)`, baseline.filter((t) => t.z === z))
  }
  console.log('')
  const c = summary('all cold (HTTP path, inject)', cold)
  const w = summary('all warm (cached, 3 passes)', warm)
  const base = summary('all baseline ST_AsMVT (SQL only)', baseline)

  // For information: incident points (last 365 days) and H3 cells at their zooms, cold.
  const center = { lon: (b.w + b.e) / 2, lat: (b.s + b.n) / 2 }
  const around = (z: number, r: number) => {
    const { x0, y0 } = tileRange([center.lon, center.lat, center.lon, center.lat], z)
    const out: TileId[] = []
    for (let dx = -r; dx <= r; dx++) for (let dy = -r; dy <= r; dy++) out.push({ z, x: x0 + dx, y: y0 + dy })
    return out
  }
  console.log('\nOther layers, cold, around the city centre (for information)')
  summary('incidents z12 (5×5 tiles)', await pass(around(12, 2).map((t) => url('incidents', t)), analyst))
  summary('incidents z14 (5×5 tiles)', await pass(around(14, 2).map((t) => url('incidents', t)), analyst))
  summary('h3 z9 res 7 (3×3 tiles)', await pass(around(9, 1).map((t) => url('h3', t)), analyst))
  summary('h3 z11 res 8 (5×5 tiles)', await pass(around(11, 2).map((t) => url('h3', t)), analyst))
  summary('h3 z13 res 9 (5×5 tiles)', await pass(around(13, 2).map((t) => url('h3', t)), analyst))

  const goals: [string, string, boolean][] = [
    ['grid tile p50 < 30 ms (cold)', `${fmt(c.p50)} ms (baseline ST_AsMVT ${fmt(base.p50)} ms)`, c.p50 < 30],
    ['grid tile p99 < 150 ms (cold)', `${fmt(c.p99)} ms (baseline ST_AsMVT ${fmt(base.p99)} ms)`, c.p99 < 150],
    ['cached grid tile p50 < 5 ms', `${fmt(w.p50)} ms`, w.p50 < 5],
    ['cached grid tile p99 < 5 ms', `${fmt(w.p99)} ms`, w.p99 < 5],
  ]
  console.log(`\nload average now ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores (other work on the machine shows in the p99s)`)
  console.log('\nGoals')
  for (const [goal, got, ok] of goals) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${goal.padEnd(32)} ${got}`)
  await app.close()
} finally {
  await db.close()
  await pg.stop()
}

/**
 * Lookup benchmark. Seeded points, uniform over the demo city's grid bbox, go
 * through Zhiwang's in-process index, its HTTP batch endpoint (binary, JSON
 * columns, JSON rows) and single-point endpoint, a flatbush + robust
 * point-in-polygon baseline and a PostGIS ST_Covers join; single GETs are also
 * set against a bare Fastify on the same cores, the ceiling of this machine.
 * Every answer (grid and onBoundary) is checked against PostGIS, on the random
 * points and on every grid vertex and edge midpoint. Speed goals are only
 * reported; a disagreement with PostGIS makes the run exit 1.
 *
 *   npm run bench:lookup -- [--points N] [--seed S] [--backend postgres|pglite] [--duration SEC] [--quick]
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Flatbush from 'flatbush'
import { openDb, type Db } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { createRng } from '../server/demo/prng.ts'
import { seedDemoIfEmpty } from '../server/demo/seed-demo.ts'
import type { PointIndex } from '../server/lookup/build-index.ts'
import { GridPolygons, ON_BOUNDARY, OUTSIDE } from '../server/lookup/grid-polygons.ts'
import { loadIndexedGeneration } from '../server/lookup/indexed-generation.ts'
import { CURRENT_GENERATION } from '../server/lookup/queries.ts'
import { startThrowawayPostgres } from '../tests/helpers/postgres-server.ts'
import { BATCH_FORMATS, emptyAnswers, httpBatch, load, lookupPaths, type Answers, type BatchFormat, type Points } from './bench-lookup-http.ts'
import { processCpu } from './bench-cpu.ts'
import { startCeilingServer, startChildServer, stopChild } from './bench-server.ts'

// Bench-only SQL, so it lives here. The points go into an indexed temporary
// table and the join runs grid by grid: PostGIS then reuses each grid's prepared
// geometry, about 5× faster than testing the grids point by point.
const CREATE_POINTS = `CREATE TEMP TABLE bench_point (i int, pt geometry(Point, 4326)) ON COMMIT DROP`
const INSERT_POINTS = `INSERT INTO bench_point SELECT $1::int + i - 1, ST_SetSRID(ST_MakePoint(lon, lat), 4326)
FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(lon, lat, i)`
const INDEX_POINTS = `CREATE INDEX ON bench_point USING gist (pt); ANALYZE bench_point`
/** Winner = lowest code among the covering grids, as the index answers. */
const POSTGIS_JOIN = `
SELECT DISTINCT ON (p.i) p.i, u.code, ST_Intersects(ST_Boundary(u.geom), p.pt) AS on_boundary
FROM unit u JOIN bench_point p ON ST_Covers(u.geom, p.pt)
WHERE u.generation_id = $1 AND u.level = 'grid' ORDER BY p.i, u.code`
/**
 * Points covered by more than one grid (where grids overlap by a sliver): the
 * index says onBoundary there too. Asked after the timed join, so the baseline
 * stays the plain join above.
 */
const POSTGIS_MULTI = `
SELECT p.i FROM unit u JOIN bench_point p ON ST_Covers(u.geom, p.pt)
WHERE u.generation_id = $1 AND u.level = 'grid' GROUP BY p.i HAVING count(*) > 1`
const CHUNK = 100_000

/** Answers every point; each approach has its own loop, so that its per-point call stays monomorphic. */
type Pass = (pts: Points, out: Answers) => void
interface Row { approach: string; rate: number; unit: string; notes: string; disagree?: [number, number] }

const { values: opt } = parseArgs({
  options: {
    points: { type: 'string' }, seed: { type: 'string', default: '2024' },
    backend: { type: 'string' }, duration: { type: 'string' }, quick: { type: 'boolean', default: false },
  },
})
const N = Number(opt.points ?? (opt.quick ? 100_000 : 1_000_000))
const DURATION = Number(opt.duration ?? (opt.quick ? 3 : 10))
const SEED = /^\d+$/.test(opt.seed!) ? Number(opt.seed) : opt.seed!
if (!(Number.isInteger(N) && N > 0)) throw new Error(`Unexpected --points value: ${opt.points}`)
if (!(DURATION > 0)) throw new Error(`Unexpected --duration value: ${opt.duration}`)
if (opt.backend && !['postgres', 'pglite'].includes(opt.backend)) throw new Error(`Unexpected --backend value: ${opt.backend}`)

/** A forced GC, with or without node's --expose-gc. */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc'))
const heapMb = () => (gc(), gc(), (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / 2 ** 20)
const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2))
const log = (msg: string) => console.log(`  ${msg}`)
const perSecond = (n: number, ms: number) => n / (ms / 1000)

/** PostGIS on a throwaway PostgreSQL 15 server by default; the embedded PGlite as fallback or on request. */
async function openBench(): Promise<{ db: Db; serverEnv: Record<string, string>; cleanup: () => Promise<void> }> {
  if (opt.backend !== 'pglite') {
    try {
      const pg = await startThrowawayPostgres()
      const db = await openDb({ databaseUrl: pg.url })
      return { db, serverEnv: { DATABASE_URL: pg.url }, cleanup: async () => (await db.close(), await pg.stop()) }
    } catch (err) {
      if (opt.backend === 'postgres') throw err
      console.log(`PostgreSQL server unavailable, using PGlite: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  // On disk: PGlite is single-process, so the server child reopens the directory once we close it.
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-bench-'))
  const db = await openDb({ dataDir: dir })
  return { db, serverEnv: { ZHIWANG_DATA_DIR: dir }, cleanup: async () => (await db.close().catch(() => {}), rmSync(dir, { recursive: true, force: true })) }
}

function randomPoints(polygons: GridPolygons, n: number): Points {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  const b = polygons.bbox
  for (let g = 0; g < polygons.size; g++) (x0 = Math.min(x0, b[4 * g]!)), (y0 = Math.min(y0, b[4 * g + 1]!)), (x1 = Math.max(x1, b[4 * g + 2]!)), (y1 = Math.max(y1, b[4 * g + 3]!))
  const rng = createRng(SEED)
  const pts = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) (pts[2 * i] = rng.range(x0, x1)), (pts[2 * i + 1] = rng.range(y0, y1))
  return pts
}

/** Every ring vertex and every edge midpoint (a+b)/2 in floating point: where a lookup is easiest to get wrong. */
function vertexAndMidpoints({ coords: c, ringStart }: GridPolygons): Points {
  const out: number[] = []
  for (let r = 0; r + 1 < ringStart.length; r++) {
    for (let v = ringStart[r]!; v < ringStart[r + 1]! - 1; v++) out.push(c[2 * v]!, c[2 * v + 1]!, (c[2 * v]! + c[2 * v + 2]!) / 2, (c[2 * v + 1]! + c[2 * v + 3]!) / 2)
  }
  return Float64Array.from(out)
}

/** The expected answers; timed from loading the points to the last row (one connection, so one core). */
async function postgisAnswers(db: Db, generationId: number, pts: Points, codeIndex: Map<string, number>) {
  const answers = emptyAnswers(pts.length / 2)
  const started = performance.now()
  let ms = 0
  await db.transaction(async (tx) => {
    await tx.exec(CREATE_POINTS)
    for (let from = 0; from < pts.length / 2; from += CHUNK) {
      const chunk = pts.subarray(2 * from, 2 * (from + CHUNK))
      await tx.query(INSERT_POINTS, [from, Array.from(chunk.filter((_, k) => k % 2 === 0)), Array.from(chunk.filter((_, k) => k % 2 === 1))])
    }
    await tx.exec(INDEX_POINTS)
    const { rows } = await tx.query<{ i: number; code: string; on_boundary: boolean }>(POSTGIS_JOIN, [generationId])
    for (const r of rows) (answers.grid[r.i] = codeIndex.get(r.code) ?? -2), (answers.boundary[r.i] = r.on_boundary ? 1 : 0)
    ms = performance.now() - started
    for (const r of (await tx.query<{ i: number }>(POSTGIS_MULTI, [generationId])).rows) answers.boundary[r.i] = 1
  })
  return { answers, ms }
}

/** Runs `pass` `runs` times (the first ones warm the JIT) and keeps the fastest. */
function timeBest(pts: Points, runs: number, pass: Pass) {
  const answers = emptyAnswers(pts.length / 2)
  let ms = Infinity
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    pass(pts, answers)
    ms = Math.min(ms, performance.now() - started)
  }
  return { answers, ms }
}

const indexPass = (index: PointIndex): Pass => (pts, out) => index.lookupMany(pts, out.grid, out.boundary)

/**
 * The plain-JS baseline: flatbush over grid bboxes, then the exact test of each
 * candidate; the lowest index wins. Its onBoundary is the winner's own edge only
 * (the lookup's also holds where a second grid covers the point, which would
 * cost the baseline an exact test of every candidate), so only its grid is
 * compared with PostGIS.
 */
function flatbushPass(polygons: GridPolygons): Pass {
  const tree = new Flatbush(polygons.size)
  for (let g = 0; g < polygons.size; g++) tree.add(polygons.bbox[4 * g]!, polygons.bbox[4 * g + 1]!, polygons.bbox[4 * g + 2]!, polygons.bbox[4 * g + 3]!)
  tree.finish()
  let x = 0, y = 0, best = -1
  // Returning false keeps flatbush from collecting results: no allocation per hit.
  const visit = (g: number) => (best < 0 || g < best) && polygons.locate(g, x, y) !== OUTSIDE && ((best = g), false)
  return (pts, out) => {
    for (let i = 0; i < pts.length / 2; i++) {
      ;(x = pts[2 * i]!), (y = pts[2 * i + 1]!), (best = -1)
      tree.search(x, y, x, y, visit)
      out.grid[i] = best
      out.boundary[i] = best >= 0 && polygons.locate(best, x, y) === ON_BOUNDARY ? 1 : 0
    }
  }
}

function countDisagreements(label: string, got: Answers, want: Answers, pts: Points, codes: string[], gridOnly = false): number {
  const name = (a: Answers, i: number) => `${a.grid[i]! >= 0 ? codes[a.grid[i]!] : a.grid[i] === -1 ? 'none' : '?'}${a.boundary[i] ? ' (boundary)' : ''}`
  const examples: string[] = []
  let count = 0
  for (let i = 0; i < want.grid.length; i++) {
    if (got.grid[i] === want.grid[i] && (gridOnly || got.boundary[i] === want.boundary[i])) continue
    if (count++ < 3) examples.push(`[${pts[2 * i]}, ${pts[2 * i + 1]}]: ${name(got, i)}, PostGIS ${name(want, i)}`)
  }
  if (count > 0) console.log(`  ${label}: ${count} disagreements with PostGIS, e.g.\n    ${examples.join('\n    ')}`)
  return count
}

function printTable(rows: Row[], postgisRate: number) {
  console.log(`\n${'approach'.padEnd(31)} ${'rate'.padStart(21)} ${'vs PostGIS'.padStart(10)}  ${'disagree'.padStart(8)}  notes`)
  for (const r of rows) {
    const cells = [r.approach.padEnd(31), fmt(r.rate).padStart(12), r.unit.padEnd(8), `${fmt(r.rate / postgisRate)}×`.padStart(10)]
    console.log(`${cells.join(' ')}  ${(r.disagree?.join(' / ') ?? '—').padStart(8)}  ${r.notes}`)
  }
  console.log('(disagree: with PostGIS on the random points / on the vertex and edge-midpoint points)')
}

const { db, serverEnv, cleanup } = await openBench()
let server: ChildProcess | undefined
const ceilings: { url: string; child: ChildProcess }[] = []
try {
  console.log(`Lookup benchmark: ${N.toLocaleString('en-US')} points, seed ${SEED}, ${db.backend}, node ${process.version}, ` +
    `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}`)
  await migrate(db)
  await seedDemoIfEmpty(db, log, { incidents: false })
  await db.exec('ANALYZE unit') // as autovacuum would have done by now on a running server
  const generationId = (await db.query<{ id: number }>(CURRENT_GENERATION)).rows[0]!.id

  const heapBefore = heapMb()
  const buildStarted = performance.now()
  const { index, codes } = await loadIndexedGeneration(db, generationId, log)
  const buildMs = performance.now() - buildStarted
  const buildMb = heapMb() - heapBefore
  const codeIndex = new Map(codes.map((c, g) => [c, g]))
  const pts = randomPoints(index.polygons, N)
  const edgePts = vertexAndMidpoints(index.polygons)
  log(`${codes.length} grids; ${index.kind} index loaded in ${fmt(buildMs)} ms, ${fmt(buildMb)} MB retained (heap + array buffers after GC)`)
  log(`${(edgePts.length / 2).toLocaleString('en-US')} vertex and edge-midpoint points`)

  // In process: PostGIS gives the expected answers, then the two JavaScript indexes run on the same points.
  const postgis = await postgisAnswers(db, generationId, pts, codeIndex)
  const postgisEdges = await postgisAnswers(db, generationId, edgePts, codeIndex)
  const check = (label: string, got: Answers, edges: Answers, gridOnly = false): [number, number] => [
    countDisagreements(label, got, postgis.answers, pts, codes, gridOnly),
    countDisagreements(`${label}, vertices and midpoints`, edges, postgisEdges.answers, edgePts, codes, gridOnly),
  ]
  const inProcess = timeBest(pts, 5, indexPass(index))
  const flat = timeBest(pts, 5, flatbushPass(index.polygons))
  const postgisNotes = `${db.backend === 'postgres' ? 'PostgreSQL 15' : 'PGlite'}, one connection; load + GiST + join`
  const rows: Row[] = [
    { approach: 'Zhiwang index, in-process', rate: perSecond(N, inProcess.ms), unit: 'points/s', notes: `${index.kind} index; one core, best of 5`,
      disagree: check('in-process', inProcess.answers, timeBest(edgePts, 1, indexPass(index)).answers) },
    { approach: 'flatbush + robust PIP', rate: perSecond(N, flat.ms), unit: 'points/s', notes: 'one core, best of 5; grid compared, not onBoundary (see flatbushPass)',
      disagree: check('flatbush', flat.answers, timeBest(edgePts, 1, flatbushPass(index.polygons)).answers, true) },
    { approach: 'PostGIS ST_Covers join', rate: perSecond(N, postgis.ms), unit: 'points/s', notes: postgisNotes, disagree: [0, 0] },
  ]

  // Over HTTP, against the real server in a child process: the batch endpoint in each body format, then single GETs.
  if (db.backend === 'pglite') await db.close()
  const started = await startChildServer({ ...serverEnv, ZHIWANG_DEMO: '0' })
  server = started.child
  const batchRate: Partial<Record<BatchFormat, number>> = {}
  for (const format of Object.keys(BATCH_FORMATS) as BatchFormat[]) {
    await httpBatch(started.url, pts.subarray(0, 80_000), codeIndex, format) // warm-up
    // Best of 3, like the in-process passes: the first full-size request also pays for the server's heap growing to hold it.
    const runs = [await httpBatch(started.url, pts, codeIndex, format), await httpBatch(started.url, pts, codeIndex, format), await httpBatch(started.url, pts, codeIndex, format)]
    const batch = runs.reduce((a, b) => (b.ms < a.ms ? b : a))
    const edges = await httpBatch(started.url, edgePts, codeIndex, format)
    batchRate[format] = perSecond(N, batch.ms)
    // Every run's answers are compared with PostGIS, not only the fastest one's.
    const disagree = check(`HTTP batch (${format})`, batch.answers, edges.answers)
    for (const r of runs) if (r !== batch) disagree[0] += countDisagreements(`HTTP batch (${format}), another run`, r.answers, postgis.answers, pts, codes)
    rows.push({ approach: `Zhiwang HTTP batch, ${format}`, rate: batchRate[format]!, unit: 'points/s', disagree,
      notes: `${BATCH_FORMATS[format]}; best of 3 (${runs.map((r) => fmt(r.ms)).join(', ')} ms); client's share ${fmt(batch.clientMs)} ms` })
  }
  const paths = lookupPaths(pts)
  // Each side's CPU per request as well: on shared cores it moves far less than the rate does.
  const underLoad = async (target: { url: string; child: ChildProcess }) => {
    await load(target.url, paths, 1) // warm-up
    const server0 = processCpu(target.child.pid)
    const result = await load(target.url, paths, DURATION)
    return { result, cpu: `server CPU ${fmt(((processCpu(target.child.pid) - server0) * 1e6) / result.total)} µs a request` }
  }
  const single = await underLoad(started)
  const failed = single.result.failed
  const p99 = single.result.p99Ms
  rows.push({ approach: 'Zhiwang HTTP single GET', rate: single.result.rate, unit: 'req/s', notes: `${single.result.tool}, 50 connections, pipelining 1, ${DURATION} s, p99 ${fmt(p99)} ms${failed ? `, ${failed} failed` : ''}; ${single.cpu}` })
  // The ceilings: the same load against bare servers sending the same bytes, on the same cores, in the same run.
  const answerBytes = await (await fetch(started.url + paths[0])).text()
  const bare: Record<'fastify' | 'node', Awaited<ReturnType<typeof underLoad>>> = {} as never
  for (const kind of ['fastify', 'node'] as const) {
    const ceiling = await startCeilingServer(answerBytes, kind)
    ceilings.push(ceiling)
    bare[kind] = await underLoad(ceiling)
    await stopChild(ceiling.child)
    rows.push({ approach: kind === 'fastify' ? 'bare Fastify, constant' : 'bare node:http, constant', rate: bare[kind].result.rate, unit: 'req/s',
      notes: `a ceiling: same answer bytes, ${kind === 'fastify' ? 'no plugins' : 'no framework'}; p99 ${fmt(bare[kind].result.p99Ms)} ms; ${bare[kind].cpu}` })
  }

  const rate = (approach: string) => rows.find((r) => r.approach === approach)!.rate
  const [ip, fb, pg, get] = ['Zhiwang index, in-process', 'flatbush + robust PIP', 'PostGIS ST_Covers join', 'Zhiwang HTTP single GET'].map(rate) as [number, number, number, number]
  printTable(rows, pg)
  const disagreements = rows.reduce((sum, r) => sum + (r.disagree?.[0] ?? 0) + (r.disagree?.[1] ?? 0), 0)
  const hb = batchRate.binary!
  const goals: [string, string, boolean][] = [
    ['in-process ≥ 4,000,000 points/s', `${fmt(ip)} (${fmt(ip / fb)}× flatbush, ${fmt(ip / pg)}× PostGIS; aim ≈2× and ≈50×)`, ip >= 4e6],
    ['HTTP batch ≥ 1,000,000 points/s', `${fmt(hb)} binary (the fastest form); JSON ${fmt(batchRate.columns!)} columns, ${fmt(batchRate.rows!)} rows`, hb >= 1e6],
    ['single GET ≥ 15,000 req/s', `${fmt(get)}${failed ? ` (${failed} failed)` : ''}; ${fmt((100 * get) / bare.node.result.rate)} % of bare node:http (${fmt(bare.node.result.rate)}), ${fmt((100 * get) / bare.fastify.result.rate)} % of bare Fastify (${fmt(bare.fastify.result.rate)})`, get >= 15_000 && failed === 0],
    ['single GET p99 < 5 ms', `${fmt(p99)} ms (bare node:http ${fmt(bare.node.result.p99Ms)} ms, bare Fastify ${fmt(bare.fastify.result.p99Ms)} ms)`, p99 < 5],
    ['index build < 5 s', `${fmt(buildMs / 1000)} s`, buildMs < 5000],
    ['index memory < 64 MB', `${fmt(buildMb)} MB`, buildMb < 64],
    ['0 disagreements with PostGIS', String(disagreements), disagreements === 0],
  ]
  console.log('\nGoals')
  for (const [goal, got, ok] of goals) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${goal.padEnd(34)} ${got}`)
  if (disagreements > 0) process.exitCode = 1
} finally {
  for (const ceiling of ceilings) await stopChild(ceiling.child)
  await stopChild(server)
  await cleanup()
}

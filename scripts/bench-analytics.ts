/**
 * Analytics benchmark on ~1 M demo incidents (two years of the Dongguan demo
 * generator at a higher daily rate: weekly and seasonal rhythm, planted
 * clusters) on a throwaway PostgreSQL 15 + PostGIS server. In one run it
 * times, each next to the same answer computed naively from the raw incident
 * table (and checks both answers are equal):
 *   - H3 aggregation of the last year citywide at resolution 9 (goal < 200 ms)
 *   - Gi* citywide at resolution 9, k = 2 (goal < 1 s)
 *   - emerging hot spots over 104 weeks at resolution 8 (goal < 5 s)
 * The analyses run in-process through the same modules the HTTP routes use.
 *
 *   npm run bench:analytics -- [--incidents N] [--runs R] [--backend postgres|pglite]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readFilters, type Filters } from '../server/analytics/analytics-params.ts'
import { CellValues } from '../server/analytics/cell-values.ts'
import * as q from '../server/analytics/cube-queries.ts'
import { emergingAnalysis } from '../server/analytics/emerging.ts'
import { h3Hotspots } from '../server/analytics/hotspots.ts'
import { giStar } from '../server/analytics/stats/getis-ord.ts'
import { emergingHotspots } from '../server/analytics/stats/emerging.ts'
import { kRingNeighbours } from '../server/analytics/stats/neighbours.ts'
import { openDb, type Db } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { seedDemoIfEmpty } from '../server/demo/seed-demo.ts'
import { LookupService } from '../server/lookup/lookup-service.ts'
import { startThrowawayPostgres } from '../tests/helpers/postgres-server.ts'

const { values: opt } = parseArgs({
  options: { incidents: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, backend: { type: 'string', default: 'postgres' } },
})
const N = Number(opt.incidents)
const RUNS = Number(opt.runs)
if (!(N > 0)) throw new Error(`Unexpected --incidents value: ${opt.incidents}`)
if (!(Number.isInteger(RUNS) && RUNS > 0)) throw new Error(`Unexpected --runs value: ${opt.runs}`)
if (!['postgres', 'pglite'].includes(opt.backend!)) throw new Error(`Unexpected --backend value: ${opt.backend}`)

const DAYS = 730
const END = '2026-11-01T00:00:00+08:00'

async function open(): Promise<{ db: Db; close: () => Promise<void> }> {
  if (opt.backend === 'postgres') {
    const pg = await startThrowawayPostgres()
    const db = await openDb({ databaseUrl: pg.url })
    return { db, close: async () => (await db.close(), await pg.stop()) }
  }
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-bench-analytics-'))
  const db = await openDb({ dataDir: dir })
  return { db, close: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) }
}

/** Median of `runs` timings of fn (after one warm-up), and its last answer. */
async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value = await fn()
  const ms: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now()
    value = await fn()
    ms.push(performance.now() - t)
  }
  ms.sort((a, b) => a - b)
  return { ms: ms[Math.floor(ms.length / 2)]!, value }
}

function report(name: string, goalMs: number, fast: number, naive: number, same: boolean) {
  const verdict = fast < goalMs ? 'PASS' : 'MISS'
  console.log(`${name.padEnd(44)} ${fast.toFixed(1).padStart(8)} ms   naive ${naive.toFixed(1).padStart(8)} ms   ×${(naive / fast).toFixed(1).padStart(6)}   goal < ${goalMs} ms ${verdict}   answers ${same ? 'equal' : 'DIFFER'}`)
  if (!same) process.exitCode = 1
}

const { db, close } = await open()
try {
  const t0 = Date.now()
  await migrate(db)
  await seedDemoIfEmpty(db, (m) => console.log(`  ${m}`), { incidents: { perDay: Math.round((N / DAYS) * 0.93), days: DAYS, end: END, eventDays: 0 } })
  const { rows } = await db.query<{ n: number; cube: number }>(`SELECT (SELECT count(*)::int FROM incident) AS n, (SELECT count(*)::int FROM incident_cell_day) AS cube`)
  console.log(`${opt.backend}: ${rows[0]!.n.toLocaleString('en-US')} incidents, ${rows[0]!.cube.toLocaleString('en-US')} cube rows, loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s; median of ${RUNS} runs\n`)

  const lookup = new LookupService(db)
  const ix = (await lookup.refresh())!
  const cells = new CellValues(db)
  const syncStart = performance.now()
  await cells.cube.sync()
  const firstSync = performance.now() - syncStart
  const year: Filters = readFilters({ from: '2025-11-01', to: '2026-11-01' })

  // 1. H3 aggregation, a year, citywide, resolution 9.
  const args = [9, year.from, year.to, null, null, null]
  const fast = await time(() => cells.totals(9, year))
  const sqlCube = await time(() => cells.totalsSql(9, year))
  const naive = await time(async () => (await db.query<{ cell: string; n: number; load: number }>(q.CELL_TOTALS_RAW, args)).rows)
  const asMap = (r: { cell: string; n: number }[]) => JSON.stringify(r.map((x) => [x.cell, x.n]).sort())
  report(`H3 aggregation, 1 year, res 9 (${fast.value.length} cells)`, 200, fast.ms, naive.ms, asMap(fast.value) === asMap(naive.value) && asMap(sqlCube.value) === asMap(naive.value))
  console.log(`${''.padEnd(44)} (the cube table in SQL: ${sqlCube.ms.toFixed(1)} ms; first read of the cube into memory: ${firstSync.toFixed(0)} ms)`)

  // 2. Gi* citywide at resolution 9, k = 2: values from the cube vs from the raw table.
  await cells.area(ix, 9, null) // the study area is cached per generation, like on the server
  const options = { method: 'gi' as const, attribution: 'routed' as const, fdr: false, k: 2, distance: null, permutations: 0, seed: 1 }
  const gi = await time(() => h3Hotspots(cells, ix, 9, year, options))
  const giNaive = await time(async () => {
    const area = await cells.area(ix, 9, null)
    const v = new Float64Array(area.cells.length)
    for (const r of (await db.query<{ cell: string; n: number }>(q.CELL_TOTALS_RAW, args)).rows) {
      const i = area.indexOf.get(r.cell)
      if (i !== undefined) v[i] = r.n
    }
    return giStar(v, kRingNeighbours(area.cells, 2))
  })
  const giSame = gi.value.rows.every((r, i) => Math.abs(r.z - (Number.isFinite(giNaive.value[i]!) ? giNaive.value[i]! : 0)) < 1e-5)
  report(`Gi* citywide, res 9, k 2 (${gi.value.rows.length} cells)`, 1000, gi.ms, giNaive.ms, giSame)

  // 3. Emerging hot spots, 104 weeks, resolution 8.
  const weeks: Filters = readFilters({ from: '2024-11-04', to: '2026-11-02' })
  const em = await time(() => emergingAnalysis(cells, ix, 8, weeks, { step: 'week', k: 1, timeWindow: 1, fdr: true }))
  const emNaive = await time(async () => {
    const area = await cells.area(ix, 8, null)
    const steps = em.value.window.steps
    const cube = new Float64Array(area.cells.length * steps)
    const raw = `SELECT to_hex(h3_parent(h3_10, 8)) AS cell, (incident_day(reported_at) - $1::date) / 7 AS step, count(*)::float8 AS n
                 FROM incident WHERE incident_day(reported_at) >= $1::date AND incident_day(reported_at) < $2::date AND h3_10 IS NOT NULL AND duplicate_of IS NULL GROUP BY 1, 2`
    for (const r of (await db.query<{ cell: string; step: number; n: number }>(raw, [em.value.window.from, em.value.window.to])).rows) {
      const i = area.indexOf.get(r.cell)
      if (i !== undefined && r.step < steps) cube[r.step * area.cells.length + i] = r.n
    }
    return emergingHotspots(cube, area.cells.length, steps, kRingNeighbours(area.cells, 1), 1, { fdr: true })
  })
  const emSame = em.value.rows.every((r, i) => r.pattern === emNaive.value.pattern[i])
  report(`Emerging hot spots, ${em.value.window.steps} weeks, res 8 (${em.value.rows.length} cells)`, 5000, em.ms, emNaive.ms, emSame)
  console.log(`\nPatterns: ${JSON.stringify(em.value.patterns)}`)
} finally {
  await close()
}

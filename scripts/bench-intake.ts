/**
 * Intake benchmark. Seeded incidents (unique external ids, categories from the
 * API, points in the demo city's grids) stream as NDJSON to
 * POST /api/v1/incidents/bulk on the real server, a child process on a
 * throwaway PostgreSQL 15 + PostGIS; the rate is end to end, from the first
 * byte sent to the last answer line, and the CPU time of client, server and
 * PostgreSQL per 1,000 rows is read from /proc (it moves far less than the
 * rate when the machine is shared). Then first pages of GET /api/v1/incidents
 * (a busy town's open incidents, a community, a grid, overdue ones) are timed
 * over HTTP twice: straight after intake, when every incident is still open,
 * and after a bench-only UPDATE has moved most of them on through the workflow.
 * The town's and the city's overdue pages also run in SQL under EXPLAIN ANALYZE,
 * to show their indexes (scripts/bench-intake-pages.ts).
 * Speed goals are only reported; a lost row (a missing or failed answer line,
 * or a stored count unequal to the acknowledged one) makes the run exit 1.
 *
 *   npm run bench:intake -- [--incidents N] [--streams K] [--seed S] [--calls N]
 *                           [--backend postgres|pglite] [--demo-incidents] [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createApiKey } from '../server/auth/api-keys.ts'
import { openDb, type Db } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { createRng } from '../server/demo/prng.ts'
import { CHANNELS } from '../server/incidents/incident-input.ts'
import { startThrowawayPostgres } from '../tests/helpers/postgres-server.ts'
import { BUSIEST, explainPage, pagesOf, printPages, timePages, WORKFLOW_MIX } from './bench-intake-pages.ts'
import { cpuPer, postmasterOf, sampleCpu, type CpuSample } from './bench-cpu.ts'
import { postgresFloor } from './bench-intake-floor.ts'
import { startChildServer as startServer, stopChild } from './bench-server.ts'

// Bench-only SQL, so it lives here.
const STORED = `SELECT count(*)::int AS total, count(*) FILTER (WHERE external_id LIKE 'bench-%')::int AS bench,
  count(DISTINCT (channel, external_id)) FILTER (WHERE external_id LIKE 'bench-%')::int AS distinct_bench FROM incident`
// Shared buffers as a server holding a million incidents is given (a quarter of memory, 1–4 GB):
// the table and its eleven indexes grow past 1 GB, and with 1 GB the floor below spent its time
// trading pages with the kernel (10,500 rows/s against 18,600 with 4 GB, on a 23 GB machine).
const SHARED_BUFFERS_MB = Math.min(4096, Math.max(1024, Math.floor(totalmem() / 4 / 2 ** 20)))
const PG_SETTINGS = { shared_buffers: `${SHARED_BUFFERS_MB}MB`, max_wal_size: '4GB' }
const { values: opt } = parseArgs({
  options: {
    incidents: { type: 'string' }, streams: { type: 'string', default: '1' }, seed: { type: 'string', default: '2024' },
    calls: { type: 'string', default: '50' }, backend: { type: 'string' }, 'demo-incidents': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
})
const N = Number(opt.incidents ?? (opt.quick ? 100_000 : 1_000_000))
const STREAMS = Number(opt.streams)
const CALLS = Number(opt.calls)
const SEED = /^\d+$/.test(opt.seed!) ? Number(opt.seed) : opt.seed!
if (!(Number.isInteger(N) && N > 0)) throw new Error(`Unexpected --incidents value: ${opt.incidents}`)
if (!(Number.isInteger(STREAMS) && STREAMS > 0 && STREAMS <= N)) throw new Error(`Unexpected --streams value: ${opt.streams}`)
if (!(Number.isInteger(CALLS) && CALLS >= 5)) throw new Error(`Unexpected --calls value: ${opt.calls}`)
if (opt.backend && !['postgres', 'pglite'].includes(opt.backend)) throw new Error(`Unexpected --backend value: ${opt.backend}`)

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2))
const log = (msg: string) => console.log(`  ${msg}`)

interface Bench {
  backend: 'postgres' | 'pglite'
  /** Runs `fn` on a direct connection; PGlite is single-process, so the server is stopped around it. */
  sql<T>(fn: (db: Db) => Promise<T>): Promise<T>
  url(): string
  close(): Promise<void>
  /** Where CPU time is read: the server child and the PostgreSQL cluster's postmaster (none with PGlite, which runs in the server). */
  cpu(): CpuSample
}

/** A migrated database with a system key, on a throwaway PostgreSQL 15 server by default, PGlite as fallback or on request. */
async function openBench(): Promise<Bench & { secret: string }> {
  // On an empty database the server loads the demo city first: allow it ten minutes.
  const startChildServer = (env: Record<string, string>) => startServer(env, 600_000)
  const prepare = async (db: Db) => (await migrate(db), (await createApiKey(db, { name: 'bench-intake', role: 'system' }, 'bench')).secret)
  const env = { ZHIWANG_DEMO_INCIDENTS: opt['demo-incidents'] ? '1' : '0' }
  if (opt.backend !== 'pglite') {
    try {
      // Sized like a server meant to hold a million incidents: the table and its indexes
      // outgrow the default 128 MB of shared buffers long before the end of the run.
      const pg = await startThrowawayPostgres(PG_SETTINGS)
      const db = await openDb({ databaseUrl: pg.url })
      const secret = await prepare(db)
      const server = await startChildServer({ ...env, DATABASE_URL: pg.url })
      const postmaster = postmasterOf((await db.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`)).rows[0]!.dir)
      return {
        backend: 'postgres', secret, url: () => server.url, cpu: () => sampleCpu(server.child.pid, postmaster),
        sql: (fn) => fn(db),
        close: async () => (await stopChild(server.child), await db.close(), await pg.stop()),
      }
    } catch (err) {
      if (opt.backend === 'postgres') throw err
      console.log(`PostgreSQL server unavailable, using PGlite: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-bench-'))
  const db = await openDb({ dataDir: dir })
  const secret = await prepare(db)
  await db.close()
  let server = await startChildServer({ ...env, ZHIWANG_DATA_DIR: dir })
  return {
    backend: 'pglite', secret, url: () => server.url, cpu: () => sampleCpu(server.child.pid, null),
    async sql(fn) {
      await stopChild(server.child)
      const direct = await openDb({ dataDir: dir })
      try {
        return await fn(direct)
      } finally {
        await direct.close()
        server = await startChildServer({ ...env, ZHIWANG_DATA_DIR: dir })
      }
    },
    close: async () => (await stopChild(server.child), rmSync(dir, { recursive: true, force: true })),
  }
}

async function getJsonAs<T>(url: string, secret: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${secret}` } })
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/** minLon, minLat, maxLon, maxLat of every grid of the current generation, one after the other. */
async function gridBoxes(url: string, secret: string): Promise<Float64Array> {
  const grids = await getJsonAs<{ features: { geometry: { coordinates: unknown } }[] }>(`${url}/api/v1/units?level=grid&limit=10000&simplify=20`, secret)
  const boxes = new Float64Array(4 * grids.features.length)
  for (const [g, f] of grids.features.entries()) {
    const box = [Infinity, Infinity, -Infinity, -Infinity]
    const visit = (c: unknown): void => {
      if (!Array.isArray(c)) return
      if (typeof c[0] === 'number') ((box[0] = Math.min(box[0]!, c[0])), (box[1] = Math.min(box[1]!, c[1])), (box[2] = Math.max(box[2]!, c[0])), (box[3] = Math.max(box[3]!, c[1])))
      else c.forEach(visit)
    }
    visit(f.geometry.coordinates)
    boxes.set(box, 4 * g)
  }
  if (boxes.length === 0 || !boxes.every(Number.isFinite)) throw new Error('The demo city has no grids')
  return boxes
}

/**
 * Rows `from`…`to`−1 of the seeded file as NDJSON, 1,000 lines a chunk, made as
 * the request pulls them. Each point is uniform in the bbox of a grid picked
 * uniformly: small inner-city grids get denser, and most points route to a grid.
 */
async function* incidentLines(from: number, to: number, categories: string[], boxes: Float64Array): AsyncGenerator<Uint8Array> {
  const rng = createRng(`${SEED}:${from}`)
  const now = Date.now()
  const encoder = new TextEncoder()
  for (let start = from; start < to; start += 1000) {
    let chunk = ''
    for (let k = start; k < Math.min(to, start + 1000); k++) {
      const g = 4 * rng.int(boxes.length / 4)
      chunk += JSON.stringify({
        category: rng.pick(categories), lon: +rng.range(boxes[g]!, boxes[g + 2]!).toFixed(6), lat: +rng.range(boxes[g + 1]!, boxes[g + 3]!).toFixed(6),
        channel: CHANNELS[k % CHANNELS.length], external_id: `bench-${SEED}-${k}`,
        reported_at: new Date(now - 60_000 - rng.next() * 365 * 86_400_000).toISOString(), description: `Bench incident ${k}`,
      }) + '\n'
    }
    yield encoder.encode(chunk)
  }
}

interface Tally { lines: number; acknowledged: number; created: number; unrouted: number; errors: string[]; outOfOrder: number }

/** One bulk request; reads the answer as it streams and checks it row by row. */
async function streamBulk(url: string, secret: string, body: AsyncGenerator<Uint8Array>, tally: Tally, progress: () => void) {
  const res = await fetch(`${url}/api/v1/incidents/bulk`, {
    method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${secret}` }, body: body as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit)
  if (!res.ok || !res.body) throw new Error(`Bulk request failed: ${res.status} ${await res.text()}`)
  const decoder = new TextDecoder()
  let rest = ''
  let row = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n')
    rest = lines.pop()!
    for (const line of lines) {
      const a = JSON.parse(line) as { row?: number; id?: number; created?: boolean; unrouted?: boolean; error?: string; summary?: unknown }
      if (a.summary) continue
      tally.lines++
      if (a.row !== ++row) tally.outOfOrder++
      if (a.error !== undefined || typeof a.id !== 'number') tally.errors.push(`row ${a.row}: ${a.error ?? line}`)
      else (tally.acknowledged++, (tally.created += a.created ? 1 : 0), (tally.unrouted += a.unrouted ? 1 : 0))
    }
    progress()
  }
  if (rest.trim() !== '') throw new Error(`Bulk answer ended mid-line: ${rest.slice(0, 200)}`)
}

async function intake(url: string, secret: string, categories: string[], boxes: Float64Array) {
  const tally: Tally = { lines: 0, acknowledged: 0, created: 0, unrouted: 0, errors: [], outOfOrder: 0 }
  const started = performance.now()
  let next = N / 5
  const progress = () => {
    if (tally.lines < next) return
    log(`${tally.lines.toLocaleString('en-US')} rows answered, ${fmt(tally.lines / ((performance.now() - started) / 1000))}/s so far`)
    next += N / 5
  }
  const bounds = Array.from({ length: STREAMS + 1 }, (_, s) => Math.round((s * N) / STREAMS))
  await Promise.all(bounds.slice(0, -1).map((from, s) => streamBulk(url, secret, incidentLines(from, bounds[s + 1]!, categories, boxes), tally, progress)))
  return { tally, ms: performance.now() - started }
}

const bench = await openBench()
const { secret } = bench
try {
  console.log(`Intake benchmark: ${N.toLocaleString('en-US')} incidents in ${STREAMS} stream(s), seed ${SEED}, ${bench.backend === 'postgres' ? `PostgreSQL 15 (throwaway cluster: fsync off, shared_buffers ${PG_SETTINGS.shared_buffers})` : 'PGlite'}, node ${process.version}, ` +
    `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}`)
  const categories = (await getJsonAs<{ items: { code: string; active: boolean }[] }>(`${bench.url()}/api/v1/incident-categories`, secret)).items.filter((c) => c.active).map((c) => c.code)
  const boxes = await gridBoxes(bench.url(), secret)
  log(`${categories.length} categories; points uniform in the bboxes of ${(boxes.length / 4).toLocaleString('en-US')} grids`)

  const cpuBefore = bench.cpu()
  const { tally, ms: intakeMs } = await intake(bench.url(), secret, categories, boxes)
  const cpu = cpuPer(cpuBefore, bench.cpu(), N)
  const rate = N / (intakeMs / 1000)
  // The client and the server are one thread each; PostgreSQL runs a request's batches on several backends
  // (server/incidents/bulk-intake.ts): on idle cores nothing goes faster than the whole CPU or one thread allows.
  const cpuBound = 1e6 / Math.max(cpu.total / availableParallelism(), cpu.client, cpu.server)
  log(`intake: ${fmt(rate)} incidents/s (${fmt(intakeMs / 1000)} s); ${tally.created.toLocaleString('en-US')} created, ` +
    `${fmt((100 * tally.unrouted) / Math.max(1, tally.acknowledged))} % unrouted`)
  log(`CPU per 1,000 rows: client ${fmt(cpu.client)} ms, server ${fmt(cpu.server)} ms, PostgreSQL ${fmt(cpu.postgres)} ms, all ${fmt(cpu.total)} ms; ` +
    `on ${availableParallelism()} idle cores that allows ≈ ${fmt(cpuBound)} incidents/s (load average now ${loadavg()[0]!.toFixed(1)})`)
  for (const e of tally.errors.slice(0, 3)) log(`error: ${e}`)

  const getJson = <T>(url: string) => getJsonAs<T>(url, secret)
  const before = await bench.sql(async (db) => {
    const stored = (await db.query<{ total: number; bench: number; distinct_bench: number }>(STORED)).rows[0]!
    const [town, community, grid] = await Promise.all(['town_code', 'community_code', 'grid_code'].map(async (c) => (await db.query<{ code: string }>(BUSIEST(c))).rows[0]!.code))
    await db.exec('VACUUM ANALYZE') // every table the intake filled, as autovacuum would have done by now on a running server
    const pages = pagesOf(town!, community!, grid!)
    return { stored, pages, explain: [await explainPage(db, pages[0]!), await explainPage(db, pages[4]!)] }
  })
  const { pages } = before
  const allOpen = await timePages(bench.url(), getJson, pages, CALLS)
  const mixed = await bench.sql(async (db) => {
    await db.query(WORKFLOW_MIX)
    await db.exec('VACUUM ANALYZE')
    return { explain: [await explainPage(db, pages[0]!), await explainPage(db, pages[4]!)] }
  })
  const afterMix = await timePages(bench.url(), getJson, pages, CALLS)
  printPages(pages, allOpen, afterMix, CALLS, [['all open', before.explain], ['mixed', mixed.explain]])

  // The baseline: PostgreSQL alone storing as many rows, on as many connections as a bulk request uses (server/incidents/bulk-intake.ts).
  const connections = bench.backend === 'postgres' ? Math.min(availableParallelism(), 4) : 1
  const floor = await bench.sql((db) => postgresFloor(db, Math.min(N, 100_000), connections))
  console.log(`\nBaseline: PostgreSQL alone inserting ${floor.rows.toLocaleString('en-US')} copies of stored incidents into a copy of the table ` +
    `(same indexes, checks and category/generation keys; no routing, duplicate check, event or cube), 1,000 rows a statement on ${floor.connections} connection(s): ` +
    `${fmt(floor.rate)} rows/s; the intake end to end did ${fmt(rate)}/s = ${fmt(rate / floor.rate)}× that`)

  const lost = N - tally.acknowledged
  const storedOk = before.stored.bench === tally.acknowledged && before.stored.distinct_bench === tally.acknowledged
  const townP95 = Math.max(allOpen[0]!.p95, afterMix[0]!.p95)
  const storedNote = before.stored.total >= 1_000_000 ? '' : ` (only ${before.stored.total.toLocaleString('en-US')} stored; the goal is for 1,000,000)`
  const goals: [string, string, boolean][] = [
    ['bulk intake ≥ 20,000 incidents/s', `${fmt(rate)} (${STREAMS} stream(s), end to end, grid assignment included; CPU bound ≈ ${fmt(cpuBound)}; ` +
      `${fmt(rate / floor.rate)}× PostgreSQL's bare insert of the same rows, ${fmt(floor.rate)}/s)`, rate >= 20_000],
    ["town's open first page < 50 ms", `p95 ${fmt(allOpen[0]!.p95)} ms all open, ${fmt(afterMix[0]!.p95)} ms mixed${storedNote}`, townP95 < 50 && storedNote === ''],
    ['every row answered, none failed', `${tally.lines.toLocaleString('en-US')} lines, ${tally.errors.length} errors, ${tally.outOfOrder} out of order`, tally.lines === N && tally.errors.length === 0 && tally.outOfOrder === 0],
    ['stored = acknowledged', `${before.stored.bench.toLocaleString('en-US')} stored (${before.stored.distinct_bench.toLocaleString('en-US')} distinct), ` +
      `${tally.acknowledged.toLocaleString('en-US')} acknowledged, ${lost} lost`, storedOk && lost === 0],
  ]
  console.log('\nGoals')
  for (const [goal, got, ok] of goals) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${goal.padEnd(34)} ${got}`)
  if (!goals[2]![2] || !goals[3]![2]) process.exitCode = 1
} finally {
  await bench.close()
}

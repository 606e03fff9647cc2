import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '../../server/demo/prng.ts'
import { CHANNELS } from '../../server/incidents/incident-input.ts'
import { streamBulk, type BulkAnswer } from '../helpers/bulk-stream.ts'
import type { ServerProcess } from '../helpers/server-process.ts'
import {
  call, expectLookupsMatchPostgis, freshCrashDb, keyFor, killWhen, registryProblems, serverSessions, settle, startCrashServer, waitReady, type CrashDb,
} from './crash-harness.ts'
import { gridCity, randomPoints } from './grid-city.ts'

/**
 * Bulk intake killed with SIGKILL, on a real PostgreSQL, at the two moments
 * that matter, and what the database holds right after each — before any
 * retry (tests/server/bulk-crash.test.ts covers the retry of a killed load on
 * both backends; this adds the kill inside a batch's transaction, the kill
 * between a commit and its answer, and the state in between):
 *   1. inside a batch: a server session has written in an open transaction
 *      (pg_stat_activity: backend_xid set, not at COMMIT), 3,000+ rows acknowledged;
 *   2. between commit and answer: a second load of the same file, whose client
 *      stops reading the answer, is killed once the database holds a whole
 *      batch more than was acknowledged.
 * After each kill, once the killed sessions are gone: the stored rows are
 * exactly the file's first n rows, n a multiple of 1,000 (whole batches, never
 * part of one), every acknowledged row is stored once under the id it was
 * acknowledged with, each incident has its one 'report' event, the incident
 * cube (triggers) counts what the table holds, and every incident is routed to
 * the grid PostGIS finds for its point. A new server then lists exactly those
 * rows, a retry of the whole file completes it, and lookups match PostGIS.
 */
const ROWS = 20_000
const BATCH = 1000
const CITY = gridCity({ towns: 1, communities: [2, 1], grids: [10, 10], seed: 'bulk-kill' })


function bulkFile(categories: string[]): string[] {
  const rng = createRng('bulk-kill')
  const points = randomPoints(CITY.bbox, ROWS, 'bulk-kill-points')
  return points.map(([lon, lat], k) => JSON.stringify({
    category: rng.pick(categories), lon, lat, channel: CHANNELS[k % CHANNELS.length], external_id: `bulk-kill-${k}`,
    reported_at: new Date(Date.UTC(2025, 0, 1) + k * 60_000).toISOString(),
  }))
}

describe('bulk intake killed with SIGKILL, state before any retry [postgres]', () => {
  let c: CrashDb
  let server: ServerProcess | undefined
  let key: Record<string, string>
  let lines: string[]

  beforeAll(async () => {
    c = await freshCrashDb()
    const admin = await keyFor(c.db, 'admin')
    key = await keyFor(c.db, 'system')
    server = await startCrashServer(c.url)
    const imported = await call(`${server.url}/api/v1/units/import?validFrom=2024-01-01T00:00:00Z`, { method: 'POST', headers: admin, json: CITY })
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
    const categories = await call<{ items: { code: string; active: boolean }[] }>(`${server.url}/api/v1/incident-categories`)
    lines = bulkFile(categories.body.items.filter((x) => x.active).map((x) => x.code))
  })
  afterAll(async () => {
    await server?.stop()
    await c?.drop()
  })

  const stored = async () => (await c.rows<{ n: number }>(`SELECT count(*)::int AS n FROM incident`))[0]!.n

  /** What must hold after any kill: whole batches, a prefix of the file, every acknowledged row once under its id, events, cube, routing. */
  async function expectWholeBatches(acked: Map<number, number>): Promise<number> {
    const n = await stored()
    expect(n % BATCH).toBe(0)
    expect(n).toBeGreaterThanOrEqual(Math.max(0, ...acked.keys()))
    const externalIds = lines.map((l) => JSON.parse(l).external_id as string)
    const rows = (await c.rows<Record<string, number>>(`
      SELECT
        (SELECT count(*)::int FROM incident WHERE external_id = ANY($1::text[])) AS prefix,
        (SELECT count(DISTINCT (channel, external_id))::int FROM incident) AS distinct_ids,
        (SELECT count(*)::int FROM unnest($2::bigint[], $3::text[]) AS a(id, ext) JOIN incident i ON i.id = a.id AND i.external_id = a.ext) AS acked_found,
        (SELECT count(*)::int FROM incident_event) AS events,
        (SELECT count(DISTINCT incident_id)::int FROM incident_event WHERE action = 'report') AS reported,
        (SELECT coalesce(sum(n), 0)::int FROM incident_cell_day) AS cube,
        (SELECT count(*)::int FROM incident WHERE h3_10 IS NOT NULL AND duplicate_of IS NULL) AS countable,
        (SELECT count(*)::int FROM incident i WHERE i.grid_code IS DISTINCT FROM (
           SELECT min(u.code) FROM unit u WHERE u.generation_id = generation_at(i.reported_at) AND u.level = 'grid' AND ST_Covers(u.geom, i.geom))) AS misrouted`,
      [externalIds.slice(0, n), [...acked.values()], [...acked.keys()].map((row) => externalIds[row - 1])]))[0]!
    expect(rows).toEqual({ prefix: n, distinct_ids: n, acked_found: acked.size, events: n, reported: n, cube: rows.countable, countable: rows.countable, misrouted: 0 })
    expect(await registryProblems(c)).toEqual([])
    return n
  }

  it('stores whole batches only, and every acknowledged row once, whether killed inside a batch or between its commit and its answer', { timeout: 900_000 }, async () => {
    // 1. Inside a batch's transaction, ~20,000 rows/s sent so a batch is always waiting.
    const acked = new Map<number, number>()
    const first = server!
    const load1 = streamBulk(first.url, key, lines, { perChunk: 200, pauseMs: 10, onAnswer: (a) => void (a.id !== undefined && acked.set(a.row, a.id)) })
    const reason1 = await killWhen(first, async () => {
      if (acked.size < 3000) return null
      const s = (await serverSessions(c)).find((x) => x.xid !== null && /incident/i.test(x.query) && !/^\s*COMMIT/i.test(x.query))
      return s ? `${acked.size} rows acknowledged, session ${s.pid} inside a batch (${s.state}: ${s.query.trim().replace(/\s+/g, ' ').slice(0, 40)}…)` : null
    })
    const r1 = await load1
    expect(r1.cutOff).toBe(true)
    expect(r1.answers.every((a) => a.error === undefined)).toBe(true)
    await settle(c)
    const n1 = await expectWholeBatches(acked)
    console.log(`[bulk-kill] 1. killed when ${reason1}: ${acked.size} acknowledged, ${n1} stored (${n1 - acked.size} committed but not acknowledged)`)

    // A new server lists exactly what is stored.
    server = await startCrashServer(c.url)
    await waitReady(server.url)
    expect((await call(`${server.url}/api/v1/incidents?limit=1`, { headers: key })).body.numberMatched).toBe(n1)
    for (const [, id] of [...acked].filter((_, k) => k % 997 === 0)) expect((await call(`${server.url}/api/v1/incidents/${id}`, { headers: key })).status).toBe(200)

    // 2. The same file again; once past the rows stored already, the client stops reading the answer,
    // and the server is killed when the database holds a whole batch more than was acknowledged.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let highest = 0
    const wrong: BulkAnswer[] = []
    const load2 = streamBulk(server.url, key, lines, {
      perChunk: 500, pauseMs: 5,
      onAnswer: async (a) => {
        if (a.id === undefined) return
        // Rows stored before come back as retries, under the id they were acknowledged with.
        if (a.row <= n1 && (a.created || (acked.has(a.row) && acked.get(a.row) !== a.id))) wrong.push(a)
        acked.set(a.row, a.id)
        highest = a.row
        if (a.row === n1 + BATCH) await held
      },
    })
    const reason2 = await killWhen(server, async () => {
      const n = await stored()
      return highest >= n1 + BATCH && n >= highest + BATCH && `${highest} rows acknowledged, ${n} stored`
    })
    release()
    const r2 = await load2
    expect(r2.cutOff).toBe(true)
    expect(wrong).toEqual([])
    await settle(c)
    const n2 = await expectWholeBatches(acked)
    expect(n2).toBeGreaterThan(Math.max(...acked.keys()))
    console.log(`[bulk-kill] 2. killed when ${reason2}: ${acked.size} acknowledged, ${n2} stored (${n2 - acked.size} committed but not acknowledged)`)

    // 3. A new server and the whole file at full speed: every row once, acknowledged ones under their ids.
    server = await startCrashServer(c.url)
    await waitReady(server.url)
    const r3 = await streamBulk(server.url, key, lines, { perChunk: 2000, pauseMs: 0 })
    expect(r3.cutOff).toBe(false)
    const summary = r3.answers.pop()!.summary!
    expect(summary).toMatchObject({ rows: ROWS, errors: 0, retried: n2, stored: ROWS - n2 })
    for (const a of r3.answers) if (acked.has(a.row)) expect(a.id).toBe(acked.get(a.row))
    for (const a of r3.answers) acked.set(a.row, a.id!)
    expect(await expectWholeBatches(acked)).toBe(ROWS)
    await expectLookupsMatchPostgis(server.url, c, randomPoints(CITY.bbox, 3000, 'bulk-kill-lookups'))
  })
})

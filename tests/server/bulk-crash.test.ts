import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { openDb, type Db } from '../../server/db/client.ts'
import { createRng } from '../../server/demo/prng.ts'
import { CHANNELS } from '../../server/incidents/incident-input.ts'
import { TEMPLATE_DB } from '../global-setup.ts'
import { streamBulk } from '../helpers/bulk-stream.ts'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'

/**
 * A bulk load interrupted by kill -9 and retried leaves every acknowledged
 * incident exactly once. The real server (a child process) takes a 20,000-row
 * NDJSON file, sent slowly; once 3,000 rows are acknowledged the process gets
 * SIGKILL, mid-load. A new server on the same data then takes the whole file
 * again: each row acknowledged the first time must come back with the same id
 * and created:false, and the database must hold every (channel, external id)
 * once, with its one 'report' event, and nothing else.
 *
 * Both backends, because they fail differently: on PostgreSQL the database
 * outlives the killed process, so this checks that an answer line means
 * "committed" and that the retry is idempotent; the embedded PGlite dies with
 * the process, so this also checks that its files survive a kill -9.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ROWS = 20_000
const KILL_AFTER = 3_000


/** The bulk file: seeded points over the demo city, every row with its own external id. */
function bulkFile(categories: string[]): string[] {
  const rng = createRng('bulk-crash')
  return Array.from({ length: ROWS }, (_, k) => JSON.stringify({
    category: rng.pick(categories), lon: +rng.range(113.6, 114.1).toFixed(6), lat: +rng.range(22.75, 23.05).toFixed(6),
    channel: CHANNELS[k % CHANNELS.length], external_id: `crash-${k}`, reported_at: new Date(Date.UTC(2025, 0, 1) + k * 60_000).toISOString(),
  }))
}

/** All incidents through the API, 10,000 a page. */
async function listAll(url: string, key: string) {
  const items: { id: number; channel: string; externalId: string | null }[] = []
  for (let offset = 0; ; offset += 10_000) {
    const res = await fetch(`${url}/api/v1/incidents?sort=reported_at&limit=10000&offset=${offset}`, { headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(200)
    const page = (await res.json()) as { numberMatched: number; items: typeof items }
    items.push(...page.items)
    if (page.items.length === 0 || items.length >= page.numberMatched) return { items, numberMatched: page.numberMatched }
  }
}

/** A fresh database for one backend: a new embedded data directory, or a new database on the test server; both migrated. */
async function freshData(backend: 'pglite' | 'postgres'): Promise<{ env: Record<string, string>; open: () => Promise<Db>; drop: () => Promise<void> }> {
  if (backend === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'zhiwang-crash-'))
    // Started from the migrated template rather than empty: PostGIS's first CREATE EXTENSION alone takes ~10 s.
    await (await openDb({ dataDir: dir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })).close()
    return { env: { ZHIWANG_DATA_DIR: dir, DATABASE_URL: '' }, open: () => openDb({ dataDir: dir }), drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const name = `crash_${randomBytes(6).toString('hex')}`
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: inject('pgAdminUrl') })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await admin(`CREATE DATABASE "${name}" TEMPLATE ${TEMPLATE_DB}`)
  const url = new URL(inject('pgAdminUrl'))
  url.pathname = `/${name}`
  return { env: { DATABASE_URL: url.toString() }, open: () => openDb({ databaseUrl: url.toString() }), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) }
}

describe.each(['pglite', 'postgres'] as const)('bulk intake killed with SIGKILL and retried [%s]', (backend) => {
  let data: Awaited<ReturnType<typeof freshData>>
  let env: Record<string, string>
  let server: ServerProcess | undefined
  let key: string
  let lines: string[]

  beforeAll(async () => {
    data = await freshData(backend)
    // The demo city, without its 300,000 demo incidents: only the file's rows are in the database.
    env = { ...data.env, ZHIWANG_DEMO_INCIDENTS: '0' }
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/api-keys.ts', 'create', '--name', 'bulk-loader', '--role', 'system', '--json'],
      { cwd: ROOT, env: { ...process.env, ...data.env } },
    )
    key = JSON.parse(stdout).secret
    server = await startServer(env)
    const categories = (await (await fetch(`${server.url}/api/v1/incident-categories`)).json()) as { items: { code: string; active: boolean }[] }
    lines = bulkFile(categories.items.filter((c) => c.active).map((c) => c.code))
  })
  afterAll(async () => {
    await server?.stop()
    await data?.drop()
  })

  it('keeps every acknowledged incident, exactly once, with the id it was acknowledged with', async () => {
    // First run, sent at ~20,000 rows/s: the body is still on its way at the kill, yet faster than
    // the server stores it, so its next batch is always waiting. Once 3,000 rows are acknowledged,
    // the process gets SIGKILL half a batch later: in the middle of the next batch's transaction.
    const killed = server!
    const exited = new Promise<NodeJS.Signals | null>((resolve) => killed.child.once('exit', (_code, signal) => resolve(signal)))
    let acknowledged = 0
    let batchStarted = 0
    const first = await streamBulk(killed.url, { authorization: `Bearer ${key}` }, lines, {
      perChunk: 200,
      pauseMs: 10,
      onAnswer: (a) => {
        if (a.id === undefined) return
        if (++acknowledged === KILL_AFTER - 1000) batchStarted = performance.now()
        if (acknowledged === KILL_AFTER) setTimeout(() => killed.child.kill('SIGKILL'), (performance.now() - batchStarted) / 2)
      },
    })
    expect(await exited).toBe('SIGKILL')
    expect(first.cutOff).toBe(true)
    expect(first.answers.every((a) => a.error === undefined && a.summary === undefined)).toBe(true)
    const acked = new Map(first.answers.map((a) => [a.row, a.id!]))
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER)
    expect(acked.size).toBeLessThan(ROWS)
    expect([...acked.keys()]).toEqual(Array.from({ length: acked.size }, (_, k) => k + 1))

    // Second run: a new server on the same data, the whole file again at full speed.
    server = await startServer(env)
    const second = await streamBulk(server.url, { authorization: `Bearer ${key}` }, lines, { perChunk: 2000, pauseMs: 0 })
    if (second.error) throw second.error
    expect(second.cutOff).toBe(false)
    const summary = second.answers.pop()!.summary!
    expect(second.answers.map((a) => a.row)).toEqual(Array.from({ length: ROWS }, (_, k) => k + 1))
    expect(second.answers.filter((a) => a.error !== undefined)).toEqual([])
    for (const a of second.answers) if (acked.has(a.row)) expect({ row: a.row, id: a.id, created: a.created }).toEqual({ row: a.row, id: acked.get(a.row), created: false })
    const ids = second.answers.map((a) => a.id!)
    expect(new Set(ids).size).toBe(ROWS)
    // Rows committed but never acknowledged (the batch in flight at the kill) also come back as retries.
    const unacknowledged = second.answers.filter((a) => !acked.has(a.row) && !a.created).length
    expect(summary).toMatchObject({ rows: ROWS, errors: 0, retried: acked.size + unacknowledged, stored: ROWS - acked.size - unacknowledged })
    console.log(`[${backend}] killed after ${acked.size} acknowledged rows; ${unacknowledged} more were committed but unacknowledged; the retry stored ${summary.stored}`)

    // Through the API: every row of the file once, under the id the retry answered (citizen reports' external
    // ids are not shown: those rows are matched in SQL below).
    const listed = await listAll(server.url, key)
    expect(listed.numberMatched).toBe(ROWS)
    expect(new Set(listed.items.map((i) => i.id)).size).toBe(ROWS)
    const shown = listed.items.filter((i) => i.channel !== 'citizen')
    expect(listed.items.filter((i) => i.channel === 'citizen').every((i) => i.externalId === null)).toBe(true)
    expect(new Set(shown.map((i) => `${i.channel}/${i.externalId}`)).size).toBe(shown.length)
    const byExternal = new Map(shown.map((i) => [i.externalId, i.id]))
    expect(lines.flatMap((line, k) => (JSON.parse(line).channel === 'citizen' ? [] : [[byExternal.get(JSON.parse(line).external_id), ids[k]]]))
      .filter(([listedId, answered]) => listedId !== answered)).toEqual([])

    // In SQL, after a clean stop: one incident per row and one 'report' event per incident, nothing half-written.
    expect(await server.stop()).toBe(0)
    server = undefined
    const db = await data.open()
    try {
      const { rows } = await db.query<Record<string, number>>(`SELECT
        (SELECT count(*)::int FROM incident) AS incidents,
        (SELECT count(DISTINCT (channel, external_id))::int FROM incident) AS distinct_ids,
        (SELECT count(*)::int FROM incident_event WHERE action = 'report') AS reports,
        (SELECT count(DISTINCT incident_id)::int FROM incident_event WHERE action = 'report') AS reported_incidents,
        (SELECT count(*)::int FROM incident_event) AS events`)
      expect(rows[0]).toEqual({ incidents: ROWS, distinct_ids: ROWS, reports: ROWS, reported_incidents: ROWS, events: ROWS })
      const stored = new Map((await db.query<{ id: number; external_id: string }>(`SELECT id::int AS id, external_id FROM incident`)).rows.map((r) => [r.external_id, r.id]))
      expect(lines.map((line) => stored.get(JSON.parse(line).external_id))).toEqual(ids)
    } finally {
      await db.close()
    }
  })
})

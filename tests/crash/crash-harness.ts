/**
 * What every crash scenario needs: a database of its own on a real
 * PostgreSQL, the real server as a child process on it, a kill -9 timed by
 * what the database is doing (pg_stat_activity) rather than by the clock, and
 * the checks that must hold after any crash — the registry whole, and lookups
 * answering what PostGIS answers.
 *
 * The checks connect with application_name `crash-check`, so "the killed
 * server's sessions are gone" means "no other session on this database".
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { expect, inject } from 'vitest'
import { openDb, type Db } from '../../server/db/client.ts'
import { TEMPLATE_DB } from '../global-setup.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { startServer, type ServerProcess } from '../helpers/server-process.ts'

export const CHECK_APP = 'crash-check'

export interface CrashDb {
  /** The server's DATABASE_URL. */
  url: string
  /** The checks' own connection (application_name crash-check). */
  db: Db
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  drop(): Promise<void>
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A migrated database cloned from the run's template (tests/global-setup.ts), or a new empty one on another server. */
export async function freshCrashDb(adminUrl: string = inject('pgAdminUrl'), template: string | null = TEMPLATE_DB): Promise<CrashDb> {
  const name = `crash_${randomBytes(6).toString('hex')}`
  await asAdmin(adminUrl, `CREATE DATABASE "${name}"${template ? ` TEMPLATE ${template}` : ''}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const checkUrl = new URL(url)
  checkUrl.searchParams.set('application_name', CHECK_APP)
  const db = await openDb({ databaseUrl: checkUrl.toString() })
  return {
    url: url.toString(),
    db,
    rows: async (sql, params) => (await db.query(sql, params)).rows as never,
    async drop() {
      await db.close()
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    },
  }
}

/**
 * The real server on the database: no demo city, no load shedding (the machine
 * is shared and busy; a 503 for lag is not what these tests look at). LOG_LEVEL
 * stays info: startServer waits for the "Server listening" line.
 */
export function startCrashServer(url: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServer({ DATABASE_URL: url, ZHIWANG_DEMO: '0', ZHIWANG_MAX_EVENT_LOOP_DELAY_MS: '0', ...env })
}

/** Request headers with a fresh key of `role`. */
export const keyFor = (db: Db, role: string, name = `crash-${role}-${randomBytes(3).toString('hex')}`) => keyHeaders(db, { name, role })

export interface Answer<T = unknown> { status: number; body: T; headers: Headers; ms: number }

/** fetch with a deadline (nothing in these tests may hang) and the body parsed. */
export async function call<T = any>(url: string, init: RequestInit & { json?: unknown; timeoutMs?: number } = {}): Promise<Answer<T>> {
  const { json, timeoutMs = 120_000, ...rest } = init
  const headers = new Headers(rest.headers)
  if (json !== undefined) headers.set('content-type', 'application/json')
  const started = performance.now()
  const res = await fetch(url, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, body: (type.includes('json') && text ? JSON.parse(text) : text) as T, headers: res.headers, ms: performance.now() - started }
}

export interface Session { pid: number; state: string | null; xid: string | null; query: string }

/** The server's sessions on this database (everything but the checks' own). */
export const serverSessions = (c: CrashDb) =>
  c.rows<Session>(`SELECT pid, state, backend_xid::text AS xid, left(query, 1000) AS query FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name <> $1 AND backend_type = 'client backend'`, [CHECK_APP])

/**
 * Polls `when` every few milliseconds and sends SIGKILL to the server the
 * moment it returns a reason; resolves once the process is gone, with the
 * reason. Resolves null without killing when `abandon()` turns true first
 * (the work finished before the moment came: the caller tries again), and
 * throws after `deadlineMs`.
 */
export async function killWhen(server: ServerProcess, when: () => Promise<string | null | false>, options: { abandon?: () => boolean; deadlineMs?: number } = {}): Promise<string | null> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => server.child.once('exit', (_code, signal) => resolve(signal)))
  const until = Date.now() + (options.deadlineMs ?? 300_000)
  let reason: string | null | false = null
  while (!reason) {
    if (server.child.exitCode !== null) throw new Error(`the server exited by itself before the kill:\n${server.output().slice(-3000)}`)
    if (Date.now() > until) throw new Error(`kill trigger not seen within ${options.deadlineMs ?? 300_000} ms`)
    if (options.abandon?.()) return null
    reason = await when()
    if (!reason) await sleep(2)
  }
  server.child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
  return reason
}

/**
 * Waits until the killed server's sessions have ended. A statement already
 * running finishes first (PostgreSQL notices the dead client only when it next
 * reads from it), and a COMMIT already sent still commits: only then is the
 * outcome of the crash settled.
 */
export async function settle(c: CrashDb, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const left = await serverSessions(c)
    if (left.length === 0) return
    if (Date.now() > until) throw new Error(`sessions of the killed server still there after ${timeoutMs} ms: ${JSON.stringify(left)}`)
    await sleep(50)
  }
}

/** The server answers readiness with 200 within `timeoutMs`; returns the body. */
export async function waitReady(url: string, timeoutMs = 60_000): Promise<{ generation: { id: number; units: number } | null }> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const res = await call<any>(`${url}/health`, { timeoutMs: 10_000 }).catch(() => null)
    if (res?.status === 200) return res.body
    if (Date.now() > until) throw new Error(`not ready after ${timeoutMs} ms: ${res?.status} ${JSON.stringify(res?.body)}`)
    await sleep(250)
  }
}

/**
 * Whatever crashed: exactly one current generation, validities chained without
 * gap or overlap, every generation holding a city and grids that tile their
 * communities, one audit record per generation after the first, and plans
 * published exactly when their generation exists. Returns what is wrong.
 */
export async function registryProblems(c: CrashDb): Promise<string[]> {
  const problems: string[] = []
  const gens = await c.rows<{ id: number; valid_from: Date; valid_to: Date | null; source: string; units: number; cities: number }>(`
    SELECT g.id, g.valid_from, g.valid_to, g.source,
           (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units,
           (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id AND u.level = 'city') AS cities
    FROM generation g ORDER BY g.valid_from`)
  const open = gens.filter((g) => g.valid_to === null)
  if (gens.length > 0 && open.length !== 1) problems.push(`${open.length} current generations`)
  gens.forEach((g, i) => {
    if (g.units === 0 || g.cities !== 1) problems.push(`generation ${g.id}: ${g.units} units, ${g.cities} cities`)
    const next = gens[i + 1]
    if (next && g.valid_to?.getTime() !== next.valid_from.getTime()) problems.push(`generation ${g.id} ends at ${g.valid_to?.toISOString()} but ${next.id} starts at ${next.valid_from.toISOString()}`)
  })
  const untiled = await c.rows<{ generation_id: number; code: string; area: number; grids: number }>(`
    SELECT c.generation_id, c.code, c.area_m2 AS area, coalesce(sum(g.area_m2), 0) AS grids
    FROM unit c LEFT JOIN unit g ON g.generation_id = c.generation_id AND g.parent_code = c.code
    WHERE c.level = 'community'
    GROUP BY c.generation_id, c.code, c.area_m2
    HAVING abs(coalesce(sum(g.area_m2), 0) - c.area_m2) > 1e-6 * c.area_m2`)
  for (const u of untiled) problems.push(`generation ${u.generation_id}: community ${u.code} has ${u.area} m² but its grids ${u.grids} m²`)
  const audits = await c.rows<{ generation: number; n: number }>(`
    SELECT (detail -> 'after' ->> 'generation')::int AS generation, count(*)::int AS n
    FROM audit_log WHERE action = 'units.import' OR action = 'plan.publish'
    GROUP BY 1`)
  const audited = new Map(audits.map((a) => [a.generation, a.n]))
  for (const g of gens.slice(1)) if (audited.get(g.id) !== 1) problems.push(`generation ${g.id} has ${audited.get(g.id) ?? 0} audit records`)
  for (const a of audits) if (!gens.some((g) => g.id === a.generation)) problems.push(`audit record of a generation ${a.generation} that does not exist`)
  const plans = await c.rows<{ id: number; status: string; published: number | null; source: string | null }>(`
    SELECT p.id, p.status, p.published_generation_id AS published, g.source FROM plan p LEFT JOIN generation g ON g.id = p.published_generation_id`)
  for (const p of plans) {
    if ((p.status === 'published') !== (p.published !== null)) problems.push(`plan ${p.id} is ${p.status} with published generation ${p.published}`)
  }
  for (const g of gens.filter((g) => g.source === 'plan')) {
    if (!plans.some((p) => p.published === g.id)) problems.push(`generation ${g.id} came from a plan no plan points to`)
  }
  return problems
}

export interface Generation { id: number; valid_from: Date; valid_to: Date | null; units: number }

export const generations = (c: CrashDb) =>
  c.rows<Generation>(`SELECT g.id, g.valid_from, g.valid_to, (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units FROM generation g ORDER BY g.id`)

/**
 * Batch lookups of `points` against PostGIS on the current generation: the
 * grid covering each point with the lowest code (ST_Covers, edges included),
 * and the index the server answers from is the current generation's.
 */
export async function expectLookupsMatchPostgis(url: string, c: CrashDb, points: [number, number][]): Promise<void> {
  const current = (await c.rows<{ id: number }>(`SELECT id FROM generation WHERE valid_to IS NULL`))[0]!.id
  const single = await call<{ generation: { id: number } }>(`${url}/api/v1/lookup?lon=${points[0]![0]}&lat=${points[0]![1]}&fields=grid,generation`)
  expect(single.status).toBe(200)
  expect(single.body.generation.id).toBe(current)
  const batch = await call<{ results: ({ grid: string | null } | null)[] }>(`${url}/api/v1/lookup/batch?fields=grid,onBoundary`, { method: 'POST', json: { points } })
  expect(batch.status).toBe(200)
  const truth = await c.rows<{ grid: string | null }>(`
    SELECT (SELECT min(u.code) FROM unit u WHERE u.generation_id = $1 AND u.level = 'grid'
              AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) AS grid
    FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(lon, lat, n) ORDER BY p.n`, [current, points.map((p) => p[0]), points.map((p) => p[1])])
  const got = batch.body.results.map((r) => r?.grid ?? null)
  const wrong = got.flatMap((g, i) => (g === truth[i]!.grid ? [] : [{ point: points[i], server: g, postgis: truth[i]!.grid }]))
  expect(wrong.slice(0, 10)).toEqual([])
  expect(truth.filter((t) => t.grid !== null).length).toBeGreaterThan(points.length / 2)
}

/**
 * The server a load run hits: the real `server/main.ts` in a child process
 * (so its RSS is its own), on the embedded PGlite, a throwaway PostgreSQL or
 * the DATABASE_URL given, with the Dongguan demo city or a small synthetic
 * one, and the API keys the traffic needs. Keys are made before the server
 * starts: the embedded database admits one process at a time.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createApiKey } from '../server/auth/api-keys.ts'
import { openDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { gridCity } from '../tests/crash/grid-city.ts'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../tests/helpers/postgres-server.ts'
import { startChildServer, stopChild } from './bench-server.ts'

export interface TargetOptions {
  backend: 'pglite' | 'postgres'
  /** An existing PostgreSQL + PostGIS database (the backend is then postgres). */
  databaseUrl?: string
  /** PGlite data directory; kept between runs, so that only the first one loads the demo. */
  dataDir?: string
  /** `demo`: the Dongguan demo city with its incidents; `small`: 2 towns of 4 × 12 × 12 square grids, no incidents (fast to set up, for CI). */
  city: 'demo' | 'small'
  log?: (msg: string) => void
}

export interface LoadTarget {
  url: string
  pid: number
  description: string
  /** Authorization headers by role. */
  keys: { analyst: Record<string, string>; system: Record<string, string> }
  /** [west, south, east, north] of the grids (the grids layer's TileJSON bounds). */
  bounds: [number, number, number, number]
  towns: string[]
  stop(): Promise<void>
}

export const SMALL_CITY = () => gridCity({ towns: 2, communities: [2, 2], grids: [12, 12], size: 0.004, seed: 'load-small' })
const DEFAULT_DATA_DIR = '.zhiwang/load-pgdata'

export async function startLoadTarget(options: TargetOptions): Promise<LoadTarget> {
  const log = options.log ?? (() => {})
  let cluster: ThrowawayPostgres | undefined
  let databaseUrl = options.databaseUrl
  if (!databaseUrl && options.backend === 'postgres') {
    cluster = await startThrowawayPostgres()
    databaseUrl = cluster.url
    log(`throwaway PostgreSQL at ${new URL(cluster.url).host}`)
  }
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR)
  if (!databaseUrl) mkdirSync(dataDir, { recursive: true })

  const stamp = Date.now().toString(36)
  const db = await openDb(databaseUrl ? { databaseUrl } : { dataDir })
  let keys: Record<'analyst' | 'system' | 'admin', Record<string, string>>
  let hasGeneration: boolean
  try {
    await migrate(db)
    const make = async (role: string) => ({ authorization: `Bearer ${(await createApiKey(db, { name: `load-${role}-${stamp}`, role }, 'load-suite')).secret}` })
    keys = { analyst: await make('analyst'), system: await make('system'), admin: await make('admin') }
    hasGeneration = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM generation`)).rows[0]!.n > 0
  } finally {
    await db.close()
  }

  const env: Record<string, string> = databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', ZHIWANG_DATA_DIR: dataDir }
  if (options.city === 'small') env.ZHIWANG_DEMO = '0'
  const started = Date.now()
  if (options.city === 'demo' && !hasGeneration) log('first start on this database: the server loads the demo city and its incidents (minutes)…')
  const server = await startChildServer(env, 1_800_000)
  log(`server pid ${server.child.pid} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const stop = async () => {
    await stopChild(server.child)
    await cluster?.stop()
  }
  try {
    if (options.city === 'small' && !hasGeneration) {
      const res = await fetch(`${server.url}/api/v1/units/import?validFrom=2024-01-01T00:00:00Z`, {
        method: 'POST', headers: { ...keys.admin, 'content-type': 'application/json' }, body: JSON.stringify(SMALL_CITY()),
      })
      if (res.status !== 201) throw new Error(`importing the small city: ${res.status} ${(await res.text()).slice(0, 300)}`)
      // The lookup index follows a new generation within a few seconds.
      for (let i = 0; i < 100 && !(await fetch(`${server.url}/api/v1/lookup?lon=113.71&lat=22.91`).then((r) => r.json()).then((b: { grid?: unknown }) => !!b.grid, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    const tilejson = await getJson<{ bounds: [number, number, number, number] }>(`${server.url}/tiles/grids.json`)
    const towns = await getJson<{ features: { properties: { code: string } }[] }>(`${server.url}/api/v1/units?level=town&limit=1000&simplify=1000`)
    const description = `${databaseUrl ? (cluster ? 'throwaway PostgreSQL' : 'PostgreSQL (DATABASE_URL)') : `PGlite in ${dataDir}`}, ${options.city === 'demo' ? 'Dongguan demo city' : 'small synthetic city'} (${towns.features.length} towns)`
    return { url: server.url, pid: server.child.pid!, description, keys: { analyst: keys.analyst, system: keys.system }, bounds: tilejson.bounds, towns: towns.features.map((f) => f.properties.code), stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** GET as JSON; a 503 (the server still catching its breath after loading the demo) is retried for up to a minute. */
async function getJson<T>(url: string): Promise<T> {
  for (let waited = 0; ; waited += 1000) {
    const res = await fetch(url)
    if (res.ok) return (await res.json()) as T
    const body = await res.text()
    if (res.status !== 503 || waited >= 60_000) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

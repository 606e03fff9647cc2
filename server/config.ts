import { resolve } from 'node:path'

export interface Config {
  host: string
  port: number
  /** postgres://… of a PostgreSQL + PostGIS server; absent → embedded PGlite. */
  databaseUrl?: string
  /** Where the embedded database keeps its files. */
  dataDir: string
  /** Load the Dongguan demo city into an empty database at start. */
  seedDemo: boolean
  /** Largest accepted body of a boundary import, in bytes. */
  importBodyLimit: number
  logLevel: string
  /** URL of a MapLibre style the console draws under its layers; null: none, the console stays fully offline. */
  basemapStyle: string | null
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`Unexpected ${name} value: ${raw}`)
  return n
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST || '0.0.0.0',
    port: intFrom(env, 'PORT', 3000),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.ZHIWANG_DATA_DIR || '.zhiwang/pgdata'),
    seedDemo: env.ZHIWANG_DEMO !== '0',
    importBodyLimit: intFrom(env, 'ZHIWANG_IMPORT_BODY_LIMIT', 64 * 1024 * 1024),
    logLevel: env.LOG_LEVEL || 'info',
    basemapStyle: env.ZHIWANG_BASEMAP_STYLE || null,
  }
}

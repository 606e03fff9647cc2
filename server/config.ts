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
  /** The demo's "now" (a local midnight, UTC+8): its incident history ends there (ZHIWANG_DEMO_END, a date; default today). */
  demoEnd: string
  /** Largest accepted body of a boundary import, in bytes. */
  importBodyLimit: number
  logLevel: string
  /** URL of a MapLibre style the console draws under its layers; null: none, the console stays fully offline. */
  basemapStyle: string | null
  /** Largest JSON body of the routes that do not set their own limit, in bytes. */
  bodyLimit: number
  /** Keyless requests per address and window; 0: no limit. */
  rateLimit: { max: number; windowMs: number; keyedMax: number; allowList: string[] }
  /** Origins whose browsers may call the API (CORS); empty: none. */
  corsOrigins: string[]
  /** Fastify's `trustProxy`: false, true (any peer) or the proxies' addresses/CIDRs (`loopback`, `10.0.0.0/8`, …). */
  trustProxy: boolean | string
  /** A socket idle this long is closed; 0: never. */
  connectionTimeoutMs: number
  /** The whole request must have arrived within this; 0: no limit. */
  requestTimeoutMs: number
  /** Mean event loop delay beyond which requests get 503; 0: no check. */
  maxEventLoopDelayMs: number
  /** After SIGTERM/SIGINT: how long readiness reports 503 before the listener closes, and the longest wait for in-flight requests. */
  shutdownDelayMs: number
  shutdownTimeoutMs: number
}

/** Loopback callers are not rate limited by default: benchmarks, tests and local tools (see README, Configuration). */
export const DEFAULT_RATE_LIMIT_ALLOW = ['127.0.0.1', '::1']

/**
 * The local midnight (UTC+8, the city's time) starting ZHIWANG_DEMO_END, a
 * YYYY-MM-DD date, or today: a demo created today has the two years up to today.
 */
export function demoEndFrom(env: NodeJS.ProcessEnv, now = new Date()): string {
  const raw = env.ZHIWANG_DEMO_END
  const day = raw ? raw : new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00+08:00`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new Error(`Unexpected ZHIWANG_DEMO_END value: ${raw} (a date, YYYY-MM-DD)`)
  }
  return `${day}T00:00:00+08:00`
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`Unexpected ${name} value: ${raw}`)
  return n
}

/** A comma-separated list; `none` for an empty one. */
function listFrom(env: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  if (raw.trim() === 'none') return []
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function trustProxyFrom(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  return raw
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST || '0.0.0.0',
    port: intFrom(env, 'PORT', 3000),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.ZHIWANG_DATA_DIR || '.zhiwang/pgdata'),
    seedDemo: env.ZHIWANG_DEMO !== '0',
    demoEnd: demoEndFrom(env),
    importBodyLimit: intFrom(env, 'ZHIWANG_IMPORT_BODY_LIMIT', 64 * 1024 * 1024),
    logLevel: env.LOG_LEVEL || 'info',
    basemapStyle: env.ZHIWANG_BASEMAP_STYLE || null,
    bodyLimit: intFrom(env, 'ZHIWANG_BODY_LIMIT', 1024 * 1024),
    rateLimit: {
      max: intFrom(env, 'ZHIWANG_RATE_LIMIT', 1200),
      windowMs: intFrom(env, 'ZHIWANG_RATE_LIMIT_WINDOW_MS', 60_000),
      keyedMax: intFrom(env, 'ZHIWANG_RATE_LIMIT_KEYED', 0),
      allowList: listFrom(env, 'ZHIWANG_RATE_LIMIT_ALLOW', DEFAULT_RATE_LIMIT_ALLOW),
    },
    corsOrigins: listFrom(env, 'ZHIWANG_CORS_ORIGINS', []),
    trustProxy: trustProxyFrom(env.ZHIWANG_TRUST_PROXY),
    connectionTimeoutMs: intFrom(env, 'ZHIWANG_CONNECTION_TIMEOUT_MS', 120_000),
    requestTimeoutMs: intFrom(env, 'ZHIWANG_REQUEST_TIMEOUT_MS', 300_000),
    // The embedded database runs its queries on the server's own thread: the loop lags while a big one runs,
    // and shedding the requests queued behind it helps nobody. Off there unless asked for.
    maxEventLoopDelayMs: intFrom(env, 'ZHIWANG_MAX_EVENT_LOOP_DELAY_MS', env.DATABASE_URL ? 1000 : 0),
    shutdownDelayMs: intFrom(env, 'ZHIWANG_SHUTDOWN_DELAY_MS', 0),
    shutdownTimeoutMs: intFrom(env, 'ZHIWANG_SHUTDOWN_TIMEOUT_MS', 30_000),
  }
}

/** Reads the environment, opens the database, loads the demo city when empty, listens, and closes gracefully. */
import { buildApp } from './app.ts'
import { hasLiveAdminKey } from './auth/api-keys.ts'
import { loadConfig } from './config.ts'
import { openDbOrExit } from './db/client.ts'
import { migrate } from './db/migrate.ts'
import { seedDemoIfEmpty } from './demo/seed-demo.ts'
import { backfillIncidentCells } from './analytics/incident-cells.ts'
import { CONSOLE_DEMO_PLANNER_KEY_NAME, ensureConsoleDemoKey } from './auth/console-demo-key.ts'
import { redactUrl } from './plugins/log-redaction.ts'
import { startShutdownWatchdog } from './shutdown-watchdog.ts'

const config = loadConfig()
const started = Date.now()
const db = await openDbOrExit({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
// The console's demo key: made after the demo is seeded (see below), read by the console route on each request.
let demoKey: string | null = null
let demoPlannerKey: string | null = null
// A reader that went away (closed pipe) must not take the server down or stall it.
process.stdout.on('error', () => {})
const app = await buildApp({
  db,
  importBodyLimit: config.importBodyLimit,
  warmAnalytics: true,
  console: { demoKey: () => demoKey, demoPlannerKey: () => demoPlannerKey, basemapStyle: config.basemapStyle },
  bodyLimit: config.bodyLimit,
  rateLimit: config.rateLimit,
  backPressure: config.maxEventLoopDelayMs > 0 ? { maxEventLoopDelayMs: config.maxEventLoopDelayMs } : undefined,
  corsOrigins: config.corsOrigins,
  trustProxy: config.trustProxy,
  connectionTimeoutMs: config.connectionTimeoutMs,
  requestTimeoutMs: config.requestTimeoutMs,
  // Logs go through process.stdout as a plain stream (whose errors are ignored below) rather than pino's
  // own synchronous writer, which retries a closed pipe forever (a parent that died) and so blocks shutdown.
  logger: { level: config.logLevel, stream: process.stdout, serializers: { req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }) } },
})
const log = (msg: string) => app.log.info(msg)
log(`Database: ${db.backend === 'postgres' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PostGIS in ${config.dataDir}`}`)

const applied = await migrate(db)
if (applied.length > 0) log(`Applied migrations: ${applied.join(', ')}`)
if (config.seedDemo) await seedDemoIfEmpty(db, log, { end: config.demoEnd })
// A key for the console on the demo only, rotated at each start and handed to any browser
// that opens the console: supervisor reads everything the console shows, but cannot
// manage keys or import boundaries. Production runs with ZHIWANG_DEMO=0 and real keys.
// The planning studio edits plans with a second demo key of role planner (plans only, no imports:
// publishing changes the demo city's boundaries, which is the point of trying the studio).
if (config.seedDemo) {
  demoKey = await ensureConsoleDemoKey(db, 'supervisor')
  demoPlannerKey = await ensureConsoleDemoKey(db, 'planner', CONSOLE_DEMO_PLANNER_KEY_NAME)
}
const backfilled = await backfillIncidentCells(db)
if (backfilled > 0) log(`Analytics: H3 cells computed for ${backfilled} earlier incidents`)
if (!(await hasLiveAdminKey(db))) log('No admin API key yet: imports and key management need one; create it with `npm run keys -- create --name NAME --role admin` (see README, Keys and roles)')
await app.lookup.start()

await app.listen({ port: config.port, host: config.host })
log(`Zhiwang ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
// The map's first picture (boundary tiles of the whole city) is built now rather than on the first visit.
const warming = Date.now()
void app.tiles?.warm().then((n) => n > 0 && log(`Map tiles: ${n} tiles of the first view built in ${Date.now() - warming} ms`))

// Graceful shutdown: readiness turns 503 at once (and, after ZHIWANG_SHUTDOWN_DELAY_MS, the
// listener closes: no new connections); in-flight requests finish, then the database closes
// and the process exits 0. A second signal, or ZHIWANG_SHUTDOWN_TIMEOUT_MS, ends it at once.
let signals = 0
async function shutdown(signal: NodeJS.Signals) {
  if (++signals > 1) {
    app.log.warn(`${signal} again: exiting without waiting for in-flight requests`)
    process.exit(1)
  }
  app.lifecycle.draining = true
  log(`${signal}: finishing in-flight requests and closing`)
  if (config.shutdownTimeoutMs > 0) {
    setTimeout(() => {
      app.log.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms: exiting`)
      process.exit(1)
    }, config.shutdownTimeoutMs).unref()
    // The same deadline (1 s later) from a thread of its own, for when a statement of the embedded database holds this one.
    startShutdownWatchdog(config.shutdownTimeoutMs + 1000, `Shutdown took longer than ${config.shutdownTimeoutMs} ms while a database statement held the server's thread: killing the process`)
  }
  try {
    if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs))
    // Stops accepting connections, closes idle ones and waits for in-flight requests.
    await app.close()
    await db.close()
  } catch (err) {
    app.log.error({ err }, 'shutdown failed')
    process.exit(1)
  }
  log('Closed')
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal))

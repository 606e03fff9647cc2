import { openDb } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { seedDemoIfEmpty } from '../server/demo/seed-demo.ts'
import { startThrowawayPostgres } from '../tests/helpers/postgres-server.ts'
import { startChildServer, stopChild } from '../scripts/bench-server.ts'
import { load, lookupPaths, httpBatch } from '../scripts/bench-lookup-http.ts'
import { processCpu } from '../scripts/bench-cpu.ts'
const pg = await startThrowawayPostgres()
const db = await openDb({ databaseUrl: pg.url })
await migrate(db)
await seedDemoIfEmpty(db, () => {}, { incidents: false })
const n = 10000
const pts = new Float64Array(2 * 1_000_000)
let s = 12345
const r = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648)
for (let i = 0; i < pts.length / 2; i++) (pts[2 * i] = 113.5 + r() * 0.6), (pts[2 * i + 1] = 22.6 + r() * 0.5)
const paths = lookupPaths(pts)
const env = process.argv[2] === 'nobp' ? { ZHIWANG_MAX_EVENT_LOOP_DELAY_MS: '0' } : {}
const srv = await startChildServer({ DATABASE_URL: pg.url, ZHIWANG_DEMO: '0', ...env })
const run = async (label: string) => {
  await load(srv.url, paths, 1)
  const c0 = processCpu(srv.child.pid!)
  const res = await load(srv.url, paths, 3)
  console.log(label, Math.round(res.rate), 'req/s', ((processCpu(srv.child.pid!) - c0) * 1e6 / res.total).toFixed(1), 'µs/req p99', res.p99Ms)
}
await run('fresh')
await run('fresh')
await httpBatch(srv.url, pts, new Map(), 'binary').catch((e) => console.log('batch', e.message))
await httpBatch(srv.url, pts, new Map(), 'rows').catch((e) => console.log('batch', e.message))
await run('after batch')
await run('after batch')
await stopChild(srv.child)
await db.close()
await pg.stop()

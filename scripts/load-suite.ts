/**
 * Load suite: the real server (a child process) on the demo city, then mixed
 * traffic from localhost for a fixed time — single and batch lookups,
 * incident intake, grid vector tiles, H3 / hot-spot / workload analytics —
 * and per kind the requests, errors (any status outside 2xx/3xx; must be
 * zero), p50/p99 latency, plus the server's RSS every second and whether it
 * stayed flat: before the clock starts every tile of the pool and each
 * analytics query is asked once (caches full), the first quarter of the run
 * is warm-up (the heap grows to its working size), and the mean RSS of the
 * last third of the rest may be at most --max-rss-growth % above the first
 * third's.
 *
 *   npm run load -- [--seconds 60] [--backend pglite|postgres] [--city demo|small]
 *                   [--data-dir DIR] [--scale 1] [--max-rss-growth 20] [--kinds lookup,tiles,…]
 *
 * With DATABASE_URL set, the server runs on that database (the demo is loaded
 * into it when empty). On PGlite the data directory (default
 * .zhiwang/load-pgdata) is kept, so only the first run loads the demo.
 * Exits 1 when a request failed or the memory check missed.
 */
import { parseArgs } from 'node:util'
import { startLoadTarget } from './load-target.ts'
import { formatReport, runTraffic } from './load-traffic.ts'

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    backend: { type: 'string', default: 'pglite' },
    city: { type: 'string', default: 'demo' },
    'data-dir': { type: 'string' },
    scale: { type: 'string', default: '1' },
    'max-rss-growth': { type: 'string', default: '20' },
    kinds: { type: 'string' },
  },
})
const positive = (name: string, raw: string) => {
  const n = Number(raw)
  if (!(n > 0)) throw new Error(`Unexpected --${name} value: ${raw}`)
  return n
}
if (opt.backend !== 'pglite' && opt.backend !== 'postgres') throw new Error(`Unexpected --backend value: ${opt.backend} (pglite or postgres)`)
if (opt.city !== 'demo' && opt.city !== 'small') throw new Error(`Unexpected --city value: ${opt.city} (demo or small)`)
const seconds = positive('seconds', opt.seconds!)

const target = await startLoadTarget({
  backend: process.env.DATABASE_URL ? 'postgres' : opt.backend,
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: opt['data-dir'],
  city: opt.city,
  log: (msg) => console.log(`  ${msg}`),
})
try {
  console.log(`load: ${seconds} s of mixed traffic on ${target.description}, ${target.url}`)
  const report = await runTraffic(target, {
    seconds,
    scale: positive('scale', opt.scale!),
    maxRssGrowthPct: positive('max-rss-growth', opt['max-rss-growth']!),
    only: opt.kinds?.split(',').map((k) => k.trim()),
  })
  console.log(formatReport(report))
  process.exitCode = report.errors === 0 && report.rss.pass ? 0 : 1
} finally {
  await target.stop()
}

/**
 * Mixed traffic against a running server for a fixed time: a few plain fetch
 * workers per kind of request (single and batch lookups, incident intake,
 * grid tiles, three analytics endpoints), every answer timed, every status
 * outside 2xx/3xx (or a broken connection) counted as an error, and the
 * server's RSS sampled every second from /proc/PID/status. Seeded, so two
 * runs send the same requests in the same order per worker.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRng, type Rng } from '../server/demo/prng.ts'
import { tileRange } from '../server/tiles/tile-math.ts'
import type { LoadTarget } from './load-target.ts'

export interface TrafficOptions {
  seconds: number
  /** Before the clock starts, ask every tile of the pool and each analytics query once, so the run measures warm caches (default true). */
  primeCaches?: boolean
  /** Workers per kind, multiplied by this (default 1). */
  scale?: number
  /** Only these kinds (default all: lookup, lookup-batch, intake, tiles, analytics-h3, analytics-hotspots, analytics-workload). */
  only?: string[]
  /** Largest accepted growth of the mean RSS from the first to the last third of the run after the warm-up, in %. */
  maxRssGrowthPct?: number
  /** Seconds of traffic at the start whose RSS samples the memory check leaves out (default a quarter of the run, at least 2 s): the heap grows to its working size then. */
  warmupSeconds?: number
  seed?: string
}

export interface KindReport { kind: string; workers: number; requests: number; errors: number; p50: number; p99: number; max: number; samples: string[] }
export interface RssReport { samplesMb: number[]; warmupSamples: number; firstThirdMb: number; lastThirdMb: number; maxMb: number; growthPct: number; limitPct: number; pass: boolean }
export interface LoadReport { seconds: number; kinds: KindReport[]; requests: number; errors: number; rss: RssReport }

interface Request { path: string; init?: RequestInit }
interface Kind {
  name: string
  workers: number
  /** The next request of a worker; `n` is unique across the run. */
  next(rng: Rng, n: number): Request
  /** Requests that fill this kind's caches before the clock starts. */
  prime?: Request[]
}

const CATEGORIES = ['ENV-01', 'CONS-02', 'FAC-01', 'OTH-01']

function kinds(target: LoadTarget, tiles: string[], runId: string): Kind[] {
  const [w, s, e, n] = target.bounds
  const point = (rng: Rng) => [+rng.range(w, e).toFixed(6), +rng.range(s, n).toFixed(6)] as const
  const analyst = { headers: target.keys.analyst }
  /** An analytics endpoint asked about one town at a time (a town's answer is what a console view asks for). */
  const analytics = (name: string, query: (town: string) => string): Kind => ({
    name, workers: 1,
    next: (rng) => ({ path: query(target.towns[rng.int(target.towns.length)]!), init: analyst }),
    prime: target.towns.map((town) => ({ path: query(town), init: analyst })),
  })
  return [
    { name: 'lookup', workers: 4, next: (rng) => { const [lon, lat] = point(rng); return { path: `/api/v1/lookup?lon=${lon}&lat=${lat}` } } },
    {
      name: 'lookup-batch', workers: 1,
      next: (rng) => ({ path: '/api/v1/lookup/batch', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ points: Array.from({ length: 1000 }, () => point(rng)) }) } }),
    },
    {
      name: 'intake', workers: 2,
      next: (rng, k) => {
        const [lon, lat] = point(rng)
        const body = { category: rng.pick(CATEGORIES), lon, lat, channel: 'sensor', external_id: `load-${runId}-${k}`, description: 'load suite' }
        return { path: '/api/v1/incidents', init: { method: 'POST', headers: { ...target.keys.system, 'content-type': 'application/json' }, body: JSON.stringify(body) } }
      },
    },
    { name: 'tiles', workers: 3, next: (rng) => ({ path: tiles[rng.int(tiles.length)]! }), prime: tiles.map((path) => ({ path })) },
    analytics('analytics-h3', (town) => `/api/v1/analytics/h3?res=8&parent=${town}`),
    analytics('analytics-hotspots', (town) => `/api/v1/analytics/hotspots?unit=h3&res=8&parent=${town}`),
    analytics('analytics-workload', (town) => `/api/v1/analytics/workload?parent=${town}`),
  ]
}

/** Up to `max` grid tiles over the bounds, zoom 11–15, a fixed seeded pick: the part of the map a few users look at. */
function tilePool(bounds: [number, number, number, number], rng: Rng, max = 300): string[] {
  const all: string[] = []
  for (let z = 11; z <= 15; z++) {
    const r = tileRange(bounds, z)
    for (let x = r.x0; x <= r.x1; x++) for (let y = r.y0; y <= r.y1; y++) all.push(`/tiles/grids/${z}/${x}/${y}.mvt`)
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[all[i], all[j]] = [all[j]!, all[i]!]
  }
  return all.slice(0, max)
}

const ok = (status: number) => status >= 200 && status < 400
/** The `detail` of a problem+json answer, else the start of the body. */
const detailOf = (body: string) => {
  try {
    return String(JSON.parse(body).detail ?? body).slice(0, 160)
  } catch {
    return body.slice(0, 160)
  }
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

export async function runTraffic(target: LoadTarget, options: TrafficOptions): Promise<LoadReport> {
  const rng = createRng(options.seed ?? 'load-suite')
  const runId = `${Date.now().toString(36)}-${process.pid}`
  const tiles = tilePool(target.bounds, rng.fork('tiles'))
  const all = kinds(target, tiles, runId)
  const unknown = options.only?.filter((name) => !all.some((k) => k.name === name)) ?? []
  if (unknown.length > 0) throw new Error(`Unexpected kind: ${unknown.join(', ')} (known: ${all.map((k) => k.name).join(', ')})`)
  const list = options.only ? all.filter((k) => options.only!.includes(k.name)) : all
  const send = (path: string, init?: RequestInit) => fetch(target.url + path, { ...init, signal: AbortSignal.timeout(60_000) })

  if (options.primeCaches ?? true) {
    for (const { path, init } of list.flatMap((k) => k.prime ?? [])) {
      const res = await send(path, init)
      await res.arrayBuffer()
      if (!ok(res.status)) throw new Error(`priming the caches: ${res.status} for ${path}`)
    }
  }

  const rss: number[] = []
  const sampler = setInterval(() => rss.push(rssMb(target.pid)), 1000)
  const started = performance.now()
  const until = started + options.seconds * 1000
  let counter = 0
  const results = await Promise.all(list.map(async (kind) => {
    const workers = Math.max(1, Math.round(kind.workers * (options.scale ?? 1)))
    const latencies: number[] = []
    const samples: string[] = []
    let errors = 0
    await Promise.all(Array.from({ length: workers }, async (_, w) => {
      const own = rng.fork(`${kind.name}-${w}`)
      while (performance.now() < until) {
        const { path, init } = kind.next(own, counter++)
        const t = performance.now()
        const answer = await send(path, init).then(async (res) => ({ status: res.status, body: ok(res.status) ? (await res.arrayBuffer(), '') : await res.text() }), (err: Error) => err)
        const at = performance.now()
        latencies.push(at - t)
        if (!(answer instanceof Error) && ok(answer.status)) continue
        errors++
        const second = Math.floor((at - started) / 1000)
        if (samples.length < 3) samples.push(`${answer instanceof Error ? answer.message : `${answer.status} ${detailOf(answer.body)}`} (${path.slice(0, 60)}, second ${second})`)
        if (answer instanceof Error) await sleep(50) // the connection failed: do not spin
      }
    }))
    const sorted = Float64Array.from(latencies).sort()
    return { kind: kind.name, workers, requests: latencies.length, errors, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? NaN, samples }
  }))
  clearInterval(sampler)
  rss.push(rssMb(target.pid))
  const warmup = Math.round(options.warmupSeconds ?? Math.max(2, options.seconds / 4))
  return {
    seconds: options.seconds,
    kinds: results,
    requests: results.reduce((a, k) => a + k.requests, 0),
    errors: results.reduce((a, k) => a + k.errors, 0),
    rss: rssVerdict(rss, warmup, options.maxRssGrowthPct ?? 20),
  }
}

/** Flat memory: after the warm-up samples, the mean RSS of the last third against the first third's. */
export function rssVerdict(samplesMb: number[], warmupSamples: number, limitPct: number): RssReport {
  const kept = samplesMb.slice(Math.min(warmupSamples, samplesMb.length - 2))
  const third = Math.max(1, Math.floor(kept.length / 3))
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const firstThirdMb = mean(kept.slice(0, third))
  const lastThirdMb = mean(kept.slice(-third))
  const growthPct = ((lastThirdMb - firstThirdMb) / firstThirdMb) * 100
  return { samplesMb, warmupSamples: samplesMb.length - kept.length, firstThirdMb, lastThirdMb, maxMb: Math.max(...samplesMb), growthPct, limitPct, pass: growthPct <= limitPct }
}

export function formatReport(report: LoadReport): string {
  const f = (x: number) => (Number.isNaN(x) ? '—' : x < 10 ? x.toFixed(1) : x.toFixed(0))
  const rows = report.kinds.map((k) => [k.kind, String(k.workers), String(k.requests), String(k.errors), (k.requests / report.seconds).toFixed(1), f(k.p50), f(k.p99), f(k.max)])
  const head = ['kind', 'workers', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const r = report.rss
  const samples = report.kinds.flatMap((k) => k.samples.map((s) => `  ${k.kind}: ${s}`))
  return [
    line(head),
    ...rows.map(line),
    line(['total', '', String(report.requests), String(report.errors), (report.requests / report.seconds).toFixed(1), '', '', '']),
    ...(samples.length ? ['errors (first of each kind):', ...samples] : []),
    `errors: ${report.errors === 0 ? 'PASS (none)' : `MISS (${report.errors})`}`,
    `server RSS, MB, every second: ${r.samplesMb.map((x) => x.toFixed(0)).join(' ')}`,
    `RSS after ${r.warmupSamples} s of warm-up: first third ${r.firstThirdMb.toFixed(0)} MB, last third ${r.lastThirdMb.toFixed(0)} MB, max ${r.maxMb.toFixed(0)} MB: growth ${r.growthPct.toFixed(1)} % (limit ${r.limitPct} %) — ${r.pass ? 'PASS' : 'MISS'}`,
  ].join('\n')
}

/**
 * The HTTP side of the lookup benchmark: the batch endpoint in each of its
 * body formats, and single GETs under wrk or autocannon (no pipelining: one
 * request in flight per connection, as real clients send them).
 */
import autocannon from 'autocannon'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeBinaryAnswer, encodeBinaryPoints } from '../server/lookup/batch-binary.ts'

/** Interleaved lon/lat. */
export type Points = Float64Array
/** Per point: grid index (−1 none, −2 unknown code) and whether it lies on that grid's boundary. */
export interface Answers { grid: Int32Array; boundary: Uint8Array }
export const emptyAnswers = (n: number): Answers => ({ grid: new Int32Array(n).fill(-1), boundary: new Uint8Array(n) })

export const MAX_BATCH = 1_000_000
export const BATCH_FORMATS = {
  binary: 'Float64 pairs in, Int32 codes + code table out (application/octet-stream)',
  columns: 'JSON in, JSON columns out (layout=columns)',
  rows: 'JSON in, JSON rows out',
} as const
export type BatchFormat = keyof typeof BATCH_FORMATS

/**
 * POSTs the points, ≤ 1,000,000 a request, with fields=grid,onBoundary;
 * timed from encoding the body to decoding the answer. `clientMs` is the
 * client's own share (encoding and decoding).
 */
export async function httpBatch(url: string, pts: Points, codeIndex: Map<string, number>, format: BatchFormat) {
  const n = pts.length / 2
  const answers = emptyAnswers(n)
  let clientMs = 0
  const started = performance.now()
  for (let from = 0; from < n; from += MAX_BATCH) {
    const chunk = pts.subarray(2 * from, 2 * Math.min(n, from + MAX_BATCH))
    let t = performance.now()
    const body: BodyInit = format === 'binary' ? (encodeBinaryPoints(chunk) as Uint8Array<ArrayBuffer>) : JSON.stringify({ points: Array.from({ length: chunk.length / 2 }, (_, i) => [chunk[2 * i], chunk[2 * i + 1]]) })
    clientMs += performance.now() - t
    const res = await fetch(`${url}/api/v1/lookup/batch?fields=grid,onBoundary${format === 'columns' ? '&layout=columns' : ''}`, {
      method: 'POST', headers: { 'content-type': format === 'binary' ? 'application/octet-stream' : 'application/json' }, body,
    })
    if (!res.ok) throw new Error(`Batch request failed: ${res.status} ${await res.text()}`)
    const raw = format === 'binary' ? await res.arrayBuffer() : await res.text()
    t = performance.now()
    if (format === 'binary') {
      const { header, answers: codes } = decodeBinaryAnswer(raw as ArrayBuffer)
      const ours = Int32Array.from(header.codes, (c) => codeIndex.get(c) ?? -2)
      for (let k = 0; k < codes.length; k++) {
        const v = codes[k]!
        answers.grid[from + k] = v >= 0 ? ours[v >> 1]! : -1
        answers.boundary[from + k] = v >= 0 ? v & 1 : 0
      }
    } else if (format === 'columns') {
      const { columns } = JSON.parse(raw as string) as { columns: { grid: (string | null)[]; onBoundary: boolean[] } }
      for (let k = 0; k < columns.grid.length; k++) {
        const g = columns.grid[k]
        answers.grid[from + k] = g == null ? -1 : (codeIndex.get(g) ?? -2)
        answers.boundary[from + k] = columns.onBoundary[k] ? 1 : 0
      }
    } else {
      const { results } = JSON.parse(raw as string) as { results: { grid: string | null; onBoundary: boolean }[] }
      for (const [k, r] of results.entries()) (answers.grid[from + k] = r.grid === null ? -1 : (codeIndex.get(r.grid) ?? -2)), (answers.boundary[from + k] = r.onBoundary ? 1 : 0)
    }
    clientMs += performance.now() - t
  }
  return { answers, ms: performance.now() - started, clientMs }
}

export interface LoadResult {
  tool: string
  /** Answers a second over the whole run. */
  rate: number
  total: number
  p99Ms: number
  /** Socket errors, timeouts and answers other than 2xx. */
  failed: number
}

/**
 * `paths` round-robin at 50 connections, one request in flight on each, for
 * `seconds`. With wrk (C, epoll; Debian's package) when the machine has it,
 * else with autocannon. On a 2-core machine the load generator shares the
 * cores with the server: autocannon, itself on Node, spends more CPU a request
 * than the server it measures, wrk a fraction of it.
 */
export async function load(url: string, paths: string[], seconds: number, tool: 'wrk' | 'autocannon' = wrkPath() ? 'wrk' : 'autocannon'): Promise<LoadResult> {
  if (tool === 'wrk') return wrkLoad(url, paths, seconds)
  const r = await autocannon({ url, connections: 50, pipelining: 1, duration: seconds, requests: paths.map((path) => ({ method: 'GET' as const, path })) })
  return { tool: 'autocannon', rate: r.requests.average, total: r.requests.total, p99Ms: r.latency.p99, failed: r.errors + r.timeouts + r.non2xx }
}

const WRK = '/usr/bin/wrk'
/** wrk's path, installing Debian's package when running as root on a Debian machine without it; null when it cannot be had. */
export function wrkPath(): string | null {
  if (existsSync(WRK)) return WRK
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get') || process.getuid?.() !== 0) return null
  console.log('  installing wrk (Debian package) for the single-request load, once per machine')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', 'wrk'], { env, stdio: 'ignore' })
  } catch {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q'], { env, stdio: 'ignore' })
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', 'wrk'], { env, stdio: 'ignore' })
  }
  return existsSync(WRK) ? WRK : null
}

/** wrk's Lua side: the paths in turn, and one JSON line of totals at the end. */
const WRK_SCRIPT = `local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"socketErrors":%d,"non2xx":%d,"timeouts":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.status, e.timeout, latency:percentile(99)))
end
`

async function wrkLoad(url: string, paths: string[], seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-wrk-'))
  try {
    writeFileSync(join(dir, 'paths.txt'), paths.join('\n') + '\n')
    writeFileSync(join(dir, 'paths.lua'), WRK_SCRIPT)
    const out = await new Promise<string>((resolve, reject) => {
      execFile(WRK_PATH(), ['-t1', '-c50', `-d${seconds}s`, '--timeout', '10s', '-s', join(dir, 'paths.lua'), url], { env: { ...process.env, WRK_PATHS: join(dir, 'paths.txt') } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)))
    })
    const line = out.split('\n').find((l) => l.startsWith('WRK '))
    if (!line) throw new Error(`wrk printed no totals:\n${out}`)
    const r = JSON.parse(line.slice(4)) as { requests: number; durationUs: number; socketErrors: number; non2xx: number; timeouts: number; p99Us: number }
    return { tool: 'wrk', rate: r.requests / (r.durationUs / 1e6), total: r.requests, p99Ms: r.p99Us / 1000, failed: r.socketErrors + r.non2xx + r.timeouts }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
const WRK_PATH = () => wrkPath() ?? WRK

/** GET /api/v1/lookup (all fields) paths for the first 10,000 points. */
export const lookupPaths = (pts: Points) => Array.from({ length: Math.min(10_000, pts.length / 2) }, (_, i) => `/api/v1/lookup?lon=${pts[2 * i]}&lat=${pts[2 * i + 1]}`)

/**
 * The HTTP side of the lookup benchmark: the batch endpoint in each of its
 * body formats, and single GETs under autocannon (no pipelining: one request
 * in flight per connection, as real clients send them).
 */
import autocannon from 'autocannon'
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

/** `paths` round-robin at 50 connections, one request in flight on each. */
export function load(url: string, paths: string[], seconds: number) {
  return autocannon({ url, connections: 50, pipelining: 1, duration: seconds, requests: paths.map((path) => ({ method: 'GET' as const, path })) })
}

/** GET /api/v1/lookup (all fields) paths for the first 10,000 points. */
export const lookupPaths = (pts: Points) => Array.from({ length: Math.min(10_000, pts.length / 2) }, (_, i) => `/api/v1/lookup?lon=${pts[2 * i]}&lat=${pts[2 * i + 1]}`)

/**
 * A typed client for Zhiwang's point-to-grid lookup, for other Node systems
 * (Node ≥ 20, global fetch). Self-contained: no import, and only erasable
 * TypeScript, so it runs under tsx, Node's own type stripping, or compiled.
 *
 *   const zw = new LookupClient({ baseUrl: 'http://zhiwang:3000' })
 *   const one = await zw.lookup(113.7512, 23.0205)
 *   const many = await zw.lookupBatch([[113.7512, 23.0205], [113.9, 22.8]])
 *
 * Batches go as Float64 pairs and come back as Int32 codes (the server's
 * fastest form, see README "batch"), or as JSON with `format: 'json'`; both
 * give the same typed answer. A batch larger than the server's limit is sent
 * in parts, all answered from the generation the first part was answered
 * from. Every error answer is thrown as a ZhiwangProblem.
 */

export interface LookupClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string
  /** Sent as `Authorization: Bearer <key>`; lookups are public, a key only lifts the keyless rate limit. */
  apiKey?: string
  /** Points per request (default and most the server takes: 1,000,000). */
  maxBatchPoints?: number
  fetch?: typeof fetch
}

export type Crs = 'wgs84' | 'gcj02'

export interface LookupOptions {
  /** ISO date-time: answer from the boundaries valid then. */
  at?: string
  /** Input coordinates (default WGS84; `gcj02` from Chinese map apps). */
  crs?: Crs
  /** When no grid covers the point, name the nearest one and its distance. */
  nearest?: boolean
  signal?: AbortSignal
}

export interface BatchOptions {
  at?: string
  crs?: Crs
  /** `binary` (default, fastest) or `json`: the same answer either way. */
  format?: 'binary' | 'json'
  signal?: AbortSignal
}

export interface Generation {
  id: number
  label: string
  validFrom: string
  validTo: string | null
}

export interface UnitRef {
  code: string
  name: string
  name_en: string | null
}

export interface Administrator {
  name: string
  phone: string | null
  employeeNo: string
}

export interface LookupAnswer {
  point: [number, number]
  generation: Generation
  grid: UnitRef | null
  community: UnitRef | null
  town: UnitRef | null
  /** The point is on an edge or vertex shared by several grids (the answer is the lowest code). */
  onBoundary: boolean
  administrators: Administrator[]
  /** With `nearest: true` and no grid covering the point. */
  nearest?: (UnitRef & { distanceM: number }) | null
}

export interface BatchResult {
  grid: string | null
  community: string | null
  town: string | null
  onBoundary: boolean
}

export interface PointError {
  index: number
  message: string
}

export interface BatchAnswer {
  generation: Generation
  count: number
  /** In input order; null where the input was not a point (see `errors`). */
  results: (BatchResult | null)[]
  /** The points that were not points (the server names at most 1,000 per request). */
  errors: PointError[]
}

/** An RFC 9457 problem answered by the server (or, for a non-problem error answer, one made from it). */
export class ZhiwangProblem extends Error {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly detail: string
  /** Seconds the server asked to wait (429, 503), if it said. */
  readonly retryAfter: number | null
  /** The whole problem document, extensions (`errors`, …) included. */
  readonly problem: Record<string, unknown>

  constructor(status: number, problem: Record<string, unknown>, retryAfter: number | null) {
    const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`
    super(detail)
    this.name = 'ZhiwangProblem'
    this.status = status
    this.type = typeof problem.type === 'string' ? problem.type : 'about:blank'
    this.title = typeof problem.title === 'string' ? problem.title : ''
    this.detail = detail
    this.retryAfter = retryAfter
    this.problem = problem
  }
}

const MAX_BATCH_POINTS = 1_000_000
const NO_GRID = -1

export class LookupClient {
  readonly #base: string
  readonly #headers: Record<string, string>
  readonly #max: number
  readonly #fetch: typeof fetch

  constructor(options: LookupClientOptions) {
    if (!URL.canParse(options.baseUrl)) throw new TypeError(`Unexpected baseUrl value: ${JSON.stringify(options.baseUrl)}`)
    const max = options.maxBatchPoints ?? MAX_BATCH_POINTS
    if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH_POINTS) throw new RangeError(`Unexpected maxBatchPoints value: ${max}`)
    this.#base = options.baseUrl.replace(/\/+$/, '')
    this.#headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}
    this.#max = max
    this.#fetch = options.fetch ?? fetch
  }

  /** Which grid, community and town cover the point, and the grid's active administrators. */
  async lookup(lon: number, lat: number, options: LookupOptions = {}): Promise<LookupAnswer> {
    const query = new URLSearchParams({ lon: String(lon), lat: String(lat) })
    if (options.at) query.set('at', options.at)
    if (options.crs) query.set('crs', options.crs)
    if (options.nearest) query.set('nearest', 'true')
    const res = await this.#request(`/api/v1/lookup?${query}`, { signal: options.signal })
    return (await res.json()) as LookupAnswer
  }

  /** Many points, answered in input order. `points`: [lon, lat] pairs, or interleaved lon, lat numbers. */
  async lookupBatch(points: ArrayLike<readonly [number, number]> | Float64Array, options: BatchOptions = {}): Promise<BatchAnswer> {
    const coords = interleaved(points)
    const n = coords.length / 2
    let at = options.at
    let generation: Generation | null = null
    const results: (BatchResult | null)[] = []
    const errors: PointError[] = []
    for (let start = 0; start === 0 || start < n; start += this.#max) {
      const part = coords.subarray(2 * start, 2 * Math.min(n, start + this.#max))
      const answer = options.format === 'json' ? await this.#batchJson(part, { ...options, at }) : await this.#batchBinary(part, { ...options, at })
      // Later parts from the same boundaries, even if a new generation is published meanwhile.
      generation ??= answer.generation
      at ??= generation.validFrom
      for (const r of answer.results) results.push(r)
      for (const e of answer.errors) errors.push({ index: start + e.index, message: e.message })
    }
    return { generation: generation!, count: n, results, errors }
  }

  async #batchBinary(coords: Float64Array, options: BatchOptions): Promise<BatchAnswer> {
    const body = littleEndianBytes(coords)
    const res = await this.#request(`/api/v1/lookup/batch${batchQuery(options)}`, {
      method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, signal: options.signal,
    })
    const { header, answers } = decodeBinaryAnswer(await res.arrayBuffer())
    const results: (BatchResult | null)[] = new Array(answers.length)
    const errors: PointError[] = []
    const none: BatchResult = { grid: null, community: null, town: null, onBoundary: false }
    for (let k = 0; k < answers.length; k++) {
      const v = answers[k]!
      if (v >= 0) results[k] = resultOf(header.codes[v >> 1]!, (v & 1) === 1)
      else if (v === NO_GRID) results[k] = { ...none }
      else {
        results[k] = null
        if (errors.length < 1000) errors.push({ index: k, message: `points[${k}] is not a [lon, lat] pair in WGS84 range: [${coords[2 * k]}, ${coords[2 * k + 1]}]` })
      }
    }
    return { generation: header.generation, count: header.count, results, errors }
  }

  async #batchJson(coords: Float64Array, options: BatchOptions): Promise<BatchAnswer> {
    const pairs = Array.from({ length: coords.length / 2 }, (_, k) => [jsonNumber(coords[2 * k]!), jsonNumber(coords[2 * k + 1]!)])
    const res = await this.#request(`/api/v1/lookup/batch${batchQuery(options)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ points: pairs }), signal: options.signal,
    })
    return (await res.json()) as BatchAnswer
  }

  async #request(path: string, init: RequestInit): Promise<Response> {
    const res = await this.#fetch(this.#base + path, { ...init, headers: { accept: 'application/json, application/problem+json', ...this.#headers, ...(init.headers as Record<string, string>) } })
    if (res.ok) return res
    const type = res.headers.get('content-type') ?? ''
    const text = await res.text()
    let problem: Record<string, unknown> = { status: res.status, title: res.statusText, detail: text.slice(0, 500) || `HTTP ${res.status}` }
    if (/json/.test(type)) {
      try {
        problem = JSON.parse(text) as Record<string, unknown>
      } catch {
        // keep the text as the detail
      }
    }
    const retry = Number(res.headers.get('retry-after'))
    throw new ZhiwangProblem(res.status, problem, res.headers.has('retry-after') && Number.isFinite(retry) ? retry : null)
  }
}

/** A grid code's answer: codes are hierarchical, a grid's community and town are its 12- and 9-digit prefixes. */
function resultOf(grid: string, onBoundary: boolean): BatchResult {
  return { grid, community: grid.slice(0, 12), town: grid.slice(0, 9), onBoundary }
}

function batchQuery(options: BatchOptions): string {
  const query = new URLSearchParams()
  if (options.at) query.set('at', options.at)
  if (options.crs) query.set('crs', options.crs)
  const s = query.toString()
  return s ? `?${s}` : ''
}

/** NaN and ±Infinity are not JSON: sent as null, which the server names as not a point. */
const jsonNumber = (x: number) => (Number.isFinite(x) ? x : null)

function interleaved(points: ArrayLike<readonly [number, number]> | Float64Array): Float64Array {
  if (points instanceof Float64Array) {
    if (points.length % 2 !== 0) throw new RangeError(`Unexpected points length: ${points.length} numbers is not a whole number of lon, lat pairs`)
    return points
  }
  const out = new Float64Array(2 * points.length)
  for (let k = 0; k < points.length; k++) {
    const p = points[k]!
    out[2 * k] = p[0]
    out[2 * k + 1] = p[1]
  }
  return out
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function littleEndianBytes(coords: Float64Array): Uint8Array<ArrayBuffer> {
  if (LITTLE_ENDIAN && coords.buffer instanceof ArrayBuffer) return new Uint8Array(coords.buffer, coords.byteOffset, coords.byteLength)
  const view = new DataView(new ArrayBuffer(coords.byteLength))
  coords.forEach((v, k) => view.setFloat64(8 * k, v, true))
  return new Uint8Array(view.buffer)
}

interface BinaryHeader {
  generation: Generation
  count: number
  invalid: number
  codes: string[]
}

/** The binary answer: a JSON line padded to a multiple of 4 bytes, then one Int32 little-endian per point. */
function decodeBinaryAnswer(bytes: ArrayBuffer): { header: BinaryHeader; answers: Int32Array } {
  const all = new Uint8Array(bytes)
  const end = all.indexOf(0x0a)
  if (end < 0 || (end + 1) % 4 !== 0) throw new Error(`Unexpected binary lookup answer: no aligned header line (newline at ${end})`)
  const header = JSON.parse(new TextDecoder().decode(all.subarray(0, end))) as BinaryHeader
  if (bytes.byteLength - (end + 1) !== 4 * header.count) throw new Error(`Unexpected binary lookup answer: ${bytes.byteLength - end - 1} bytes for ${header.count} points`)
  if (LITTLE_ENDIAN) return { header, answers: new Int32Array(bytes, end + 1, header.count) }
  const view = new DataView(bytes, end + 1)
  return { header, answers: Int32Array.from({ length: header.count }, (_, k) => view.getInt32(4 * k, true)) }
}

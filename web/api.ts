/**
 * Every URL the console uses lives here, and so does the one way it talks to
 * the API: JSON, the API key as `Authorization: Bearer`, problems
 * (RFC 9457) turned into ApiError. Tile requests get the key through
 * MapLibre's transformRequest, and only when they go to this server.
 */
import type { RequestParameters, ResourceType } from 'maplibre-gl'
import { currentSecret, setKey, storedKey } from './key-store.ts'
import type { IncidentFilter } from './filters.ts'
import type { EditAnswer, PlanEdit, PlanSummary, PlanView, PublishAnswer } from './plan-types.ts'

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly problem: Record<string, unknown> | null = null) {
    super(message)
    this.name = 'ApiError'
  }
}

type Params = Record<string, string | number | boolean | null | undefined>

export function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

function headers(withKey: boolean): HeadersInit {
  const secret = withKey ? currentSecret() : null
  return secret ? { Authorization: `Bearer ${secret}` } : {}
}

async function problemOf(res: Response): Promise<ApiError> {
  let problem: Record<string, unknown> | null = null
  try {
    problem = (await res.json()) as Record<string, unknown>
  } catch {
    // not a problem document
  }
  const detail = typeof problem?.detail === 'string' ? problem.detail : typeof problem?.title === 'string' ? problem.title : res.statusText
  return new ApiError(res.status, `${res.status}: ${detail}`, problem)
}

/**
 * fetch, sent again a few times when the server sheds load (503 with
 * Retry-After: refused before any work was done, so any request may be sent
 * again). Waits at most 2 s: a console has one user, who is waiting.
 */
async function fetchShedding(input: string, init: RequestInit, retries = 3): Promise<Response> {
  const res = await fetch(input, init)
  const after = Number(res.headers.get('retry-after'))
  if (res.status !== 503 || retries === 0 || !Number.isFinite(after) || after <= 0 || init.signal?.aborted) return res
  await new Promise((resolve) => setTimeout(resolve, Math.min(after, 2) * 1000))
  return fetchShedding(input, init, retries - 1)
}

export async function getJson<T>(path: string, params: Params = {}, { key = true, signal }: { key?: boolean; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetchShedding(url(path, params), { headers: headers(key), signal })
  if (res.status === 401 && key && (await renewDemoKey())) return getJson<T>(path, params, { key, signal })
  if (!res.ok) throw await problemOf(res)
  return (await res.json()) as T
}

/** The server makes a new demo key each start: a console left open takes the new one once. */
async function renewDemoKey(): Promise<boolean> {
  const stored = storedKey()
  if (stored?.source !== 'demo') return false
  const fresh = (await getJson<ConsoleConfig>(CONFIG_URL, {}, { key: false }).catch(() => null))?.demoKey
  if (!fresh || fresh === stored.secret) return false
  setKey({ secret: fresh, source: 'demo' })
  return true
}

/** Downloads a CSV export with the key (a plain link could not send it). */
export async function download(path: string, params: Params, filename: string, secret: string | null = currentSecret()): Promise<void> {
  const res = await fetch(url(path, params), { headers: secret ? { Authorization: `Bearer ${secret}` } : {} })
  if (!res.ok) throw await problemOf(res)
  const href = URL.createObjectURL(await res.blob())
  const a = Object.assign(document.createElement('a'), { href, download: filename })
  a.click()
  setTimeout(() => URL.revokeObjectURL(href), 1000)
}

// ---- console and identity ----

export interface ConsoleConfig {
  demoKey: string | null
  /** The demo server's key of role planner, for the planning studio (absent elsewhere). */
  demoPlannerKey?: string | null
  basemapStyle: string | null
  /** The server's vector tile layers and their zooms; null: no tiles, units come as GeoJSON. */
  tiles: TileSupport | null
}
const CONFIG_URL = '/console/config.json'
export const consoleConfig = () => getJson<ConsoleConfig>(CONFIG_URL, {}, { key: false })
export const me = (secret: string) =>
  fetch('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } }).then(async (r) => (r.ok ? ((await r.json()) as { role: string; name: string }) : Promise.reject(await problemOf(r))))

// ---- units, lookup, coverage ----

export const CITY_CODE = '441900'
export type Level = 'town' | 'community' | 'grid'

export const unitsUrl = (level: Level, simplify: number) => url('/api/v1/units', { level, simplify, limit: 10000 })
/** Towns or communities, barely outlined: their centroids place the labels. */
export const labelUnitsUrl = (level: 'town' | 'community') => unitsUrl(level, 5000)

/** What the first picture needs: index.html preloads these while the script loads (see vite.config.ts). */
export const PRELOAD_URLS = [CONFIG_URL, labelUnitsUrl('town')]
export const searchUnits = (q: string, signal?: AbortSignal) => getJson<FeatureCollection>('/api/v1/units', { q, simplify: 20, limit: 8 }, { signal })
export const unit = (code: string) => getJson<Feature>(`/api/v1/units/${encodeURIComponent(code)}`)
export const lookup = (lon: number, lat: number, crs: 'wgs84' | 'gcj02' = 'wgs84') => getJson<LookupAnswer>('/api/v1/lookup', { lon, lat, crs, nearest: true })
export const coverage = (code: string) => getJson<FeatureCollection & { clean: boolean; parent: { name: string } }>(`/api/v1/units/${encodeURIComponent(code)}/coverage`, { format: 'geojson' })
export const patrolCoverage = (town: string) => getJson<{ items: { grid: string; share7: number; share30: number }[] }>('/api/v1/patrols/coverage', { town })
export const administrators = (q: string) => getJson<{ items: { employeeNo: string; name: string; grids: string[] }[] }>('/api/v1/administrators', { q, limit: 5 })

// ---- incidents ----

/** The analytics endpoints' names of the filter (local days YYYY-MM-DD, `to` exclusive). */
export function analyticsFilter(f: IncidentFilter): Params {
  return { from: f.from, to: f.to, categories: f.categories.join(','), status: f.status.join(','), channels: f.channels.join(',') }
}
/** The incident list's names: date-times, singular list names. */
function listFilter(f: IncidentFilter): Params {
  return { from: `${f.from}T00:00:00+08:00`, to: `${f.to}T00:00:00+08:00`, category: f.categories.join(','), status: f.status.join(','), channel: f.channels.join(',') }
}
export const categories = () => getJson<{ items: { code: string; name: string; name_en: string | null; active: boolean }[] }>('/api/v1/incident-categories', {}, { key: false })
export const incidentsInBox = (f: IncidentFilter, bbox: number[], limit: number, signal?: AbortSignal) =>
  getJson<FeatureCollection>('/api/v1/incidents', { ...listFilter(f), bbox: bbox.map((v) => v.toFixed(6)).join(','), format: 'geojson', limit }, { signal })
export const incident = (id: number) => getJson<IncidentDetail>(`/api/v1/incidents/${id}`)
export const supervisionQueue = () => getJson<{ items: IncidentSummary[] }>('/api/v1/supervision/queue')

// ---- analytics ----

export const h3Cells = (f: IncidentFilter, res: number, signal?: AbortSignal) => getJson<FeatureCollection>('/api/v1/analytics/h3', { ...analyticsFilter(f), res }, { signal })
export const hotspots = (f: IncidentFilter, o: { res: number; k: number; fdr: boolean }, signal?: AbortSignal) =>
  getJson<FeatureCollection>('/api/v1/analytics/hotspots', { ...analyticsFilter(f), res: o.res, k: o.k, fdr: o.fdr, method: 'gi', unit: 'h3' }, { signal })
/** Emerging hot spots need a long window: the server's default (two years up to today), filtered by kind only. */
export const emerging = (f: IncidentFilter, o: { res: number; step: 'week' | 'month' }, signal?: AbortSignal) =>
  getJson<FeatureCollection>('/api/v1/analytics/emerging', { categories: f.categories.join(','), status: f.status.join(','), channels: f.channels.join(','), res: o.res, step: o.step }, { signal })
export const series = (f: IncidentFilter, step: 'day' | 'week' | 'month', signal?: AbortSignal) =>
  getJson<SeriesAnswer>('/api/v1/analytics/series', { ...analyticsFilter(f), step, by: 'category' }, { signal })
export const workload = () => getJson<{ items: { code: string; load: number; deviation: number | null; loadPerAdministrator: number | null; administrators: number; patrolCoverage: number | null }[] }>('/api/v1/analytics/workload')
export type SupervisionBy = 'grid' | 'administrator' | 'town' | 'department'
const SUPERVISION = '/api/v1/analytics/supervision'
/** Scores of the incidents reported in the last `days` days. */
const lastDays = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()
/** The table and its CSV export rank alike: most overdue first. */
const SUPERVISION_ORDER = { sort: 'overdue', order: 'desc' } as const
export const supervision = (by: SupervisionBy, days: number) => getJson<{ items: Score[]; total: number }>(SUPERVISION, { by, from: lastDays(days), ...SUPERVISION_ORDER, limit: 50 })
export const supervisionCsv = (by: SupervisionBy, days: number) => download(SUPERVISION, { by, from: lastDays(days), ...SUPERVISION_ORDER, format: 'csv', bom: true, limit: 10000 }, `supervision-${by}-${days}d.csv`)

// ---- planning studio ----

let plannerSecret: string | null = null
/**
 * The demo hands out a planner key for the studio: plan calls use it while the
 * console runs on the demo key; a key the user entered is their
 * identity, and plan calls carry it (its role decides what it may do, and the
 * audit log names it).
 */
export function setPlannerKey(secret: string | null): void {
  plannerSecret = secret
}
export const planActsAsDemo = (): boolean => plannerSecret !== null && storedKey()?.source === 'demo'
export const planSecret = (): string | null => (planActsAsDemo() ? plannerSecret : currentSecret())

async function planRequest<T>(method: string, path: string, { params = {}, body, ifMatch }: { params?: Params; body?: unknown; ifMatch?: number } = {}, retried = false): Promise<T> {
  const secret = planSecret()
  const h: Record<string, string> = secret ? { Authorization: `Bearer ${secret}` } : {}
  if (ifMatch !== undefined) h['if-match'] = `"${ifMatch}"`
  const text = typeof body === 'string'
  if (body !== undefined) h['content-type'] = text ? 'text/csv' : 'application/json'
  const res = await fetchShedding(url(path, params), { method, headers: h, body: body === undefined ? undefined : text ? body : JSON.stringify(body) })
  if (res.status === 401 && !retried && (await renewPlannerKey())) return planRequest<T>(method, path, { params, body, ifMatch }, true)
  if (!res.ok) throw await problemOf(res)
  return (await res.json()) as T
}

/** Like the demo key, the demo planner key is new after each server start. */
async function renewPlannerKey(): Promise<boolean> {
  if (!planActsAsDemo()) return false
  const fresh = (await getJson<ConsoleConfig>(CONFIG_URL, {}, { key: false }).catch(() => null))?.demoPlannerKey
  if (!fresh || fresh === plannerSecret) return false
  plannerSecret = fresh
  return true
}

const PLANS = '/api/v1/plans'
const planPath = (id: number, rest = '') => `${PLANS}/${id}${rest}`
export const communitiesOf = (town: string) => getJson<FeatureCollection>('/api/v1/units', { parent: town, level: 'community', simplify: 2000, limit: 1000 }, { key: false })
export const draftPlans = (scope: string) => planRequest<{ items: PlanSummary[] }>('GET', PLANS, { params: { scope, status: 'draft' } })
export const createPlan = (scope: string, res?: number) => planRequest<PlanView>('POST', PLANS, { body: { scope, ...(res ? { res } : {}) } })
export const getPlan = (id: number) => planRequest<PlanView>('GET', planPath(id))
export const planBlocks = (id: number) => planRequest<FeatureCollection>('GET', planPath(id, '/blocks'))
export const editPlan = (id: number, edit: PlanEdit, version: number) => planRequest<EditAnswer>('POST', planPath(id, '/edits'), { body: { ...edit, version } })
/** A `cell,grid` CSV or an exported GeoJSON (as text) replaces the assignment of the cells it names. */
export const putAssignment = (id: number, file: string, version: number) =>
  planRequest<EditAnswer>('PUT', planPath(id, '/assignment'), { body: file.trimStart().startsWith('{') ? JSON.parse(file) : file, ifMatch: version })
export const publishPlan = (id: number, version: number) => planRequest<PublishAnswer>('POST', planPath(id, '/publish'), { body: { version } })
export const rebasePlan = (id: number, version: number) => planRequest<PlanView>('POST', planPath(id, '/rebase'), { body: { version } })
export const discardPlan = (id: number, version: number) => planRequest<PlanView>('DELETE', planPath(id), { ifMatch: version })
export const exportPlan = (id: number, version: number, format: 'csv' | 'geojson', dissolve = false) =>
  download(planPath(id, '/export'), { format, dissolve: dissolve || null }, `plan-${id}-v${version}${dissolve ? '-grids' : ''}.${format}`, planSecret())

/**
 * Grid tiles are cached by the browser for minutes and their URL does not name
 * the generation: after a publish, URLs marked with the new generation show the
 * new grids at once (tiles, or the GeoJSON fallback).
 */
export const gridTilesAt = (generation: number) => `${tileTemplate('grids')}?generation=${generation}`
export const gridUnitsAt = (generation: number) => absolute(url('/api/v1/units', { level: 'grid', simplify: 4, limit: 10000, generation }))

// ---- vector tiles ----

export type TileLayer = 'towns' | 'communities' | 'grids' | 'incidents' | 'h3'
export interface TileZooms {
  minzoom: number
  maxzoom: number
}
export type TileSupport = Partial<Record<TileLayer, TileZooms>>
/** The tile URL template of a layer, with the incident filters for incidents and h3. */
export function tileTemplate(layer: TileLayer, f?: IncidentFilter): string {
  return `${location.origin}${url(`/tiles/${layer}/{z}/{x}/{y}.mvt`, f ? analyticsFilter(f) : {})}`.replace(/%7B/g, '{').replace(/%7D/g, '}')
}
export function absolute(path: string): string {
  return new URL(path, location.href).href
}

/** MapLibre asks before every request: this server's own URLs get the key; nothing else does. */
export function transformRequest(requestUrl: string, _type?: ResourceType): RequestParameters {
  const secret = currentSecret()
  if (secret && new URL(requestUrl, location.href).origin === location.origin) return { url: requestUrl, headers: { Authorization: `Bearer ${secret}` } }
  return { url: requestUrl }
}

// ---- shapes ----

export interface Feature {
  type: 'Feature'
  id?: string | number
  geometry: { type: string; coordinates: unknown }
  properties: Record<string, unknown>
}
export interface FeatureCollection {
  type: 'FeatureCollection'
  features: Feature[]
  [member: string]: unknown
}
export interface UnitRef {
  code: string
  name: string
  name_en: string | null
}
export interface LookupAnswer {
  point: [number, number]
  grid: UnitRef | null
  community: UnitRef | null
  town: UnitRef | null
  onBoundary: boolean
  administrators: { name: string; phone: string | null; employeeNo?: string }[]
  nearest?: (UnitRef & { distanceM: number }) | null
  generation?: { id: number; label: string }
}
export interface IncidentSummary {
  id: number
  category: string
  categoryName: string
  point: [number, number]
  reportedAt: string
  channel: string
  grid: string | null
  status: string
  department: string | null
  deadlineAt: string | null
  supervisionLevel: number
  description: string | null
}
export interface IncidentDetail extends IncidentSummary {
  history: { at: string; action: string; from_status?: string; to_status?: string; actor?: string; note?: string | null }[]
}
export interface SeriesAnswer {
  steps: string[]
  series: { key: string; total: number; values: number[] }[]
}
export interface Score {
  rank: number | null
  key: string
  name: string
  /** Grids and towns: the English name when known. */
  name_en?: string | null
  incidents: number
  overdue: number
  onTimeRate: number | null
  satisfaction: number | null
  patrolCoverage: number | null
  /** by=administrator: false for one who no longer serves (scored for the time served). */
  active?: boolean
}

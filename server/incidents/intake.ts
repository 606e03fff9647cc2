/**
 * Intake: reports from every channel land in the grid that covered their point
 * when they were reported (the lookup of the generation valid then), in one
 * transaction per batch. A point outside every grid is kept, unrouted, for the
 * town centre to assign by hand. (channel, external_id) makes intake
 * idempotent: a retry answers the incident already stored.
 */
import { randomBytes } from 'node:crypto'
import { latLngToCell } from 'h3-js'
import type { Db, Queryable } from '../db/client.ts'
import { gcj02ToWgs84 } from '../lookup/gcj02.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { INCIDENT_CELL_RES } from '../analytics/h3-ids.ts'
import { rowsWithEarlierNeighbour, type BatchRow } from './batch-duplicates.ts'
import type { IncidentInput } from './incident-input.ts'
import * as q from './queries.ts'

export interface IntakeResult {
  id: number
  token: string
  created: boolean
  grid: string | null
  community: string | null
  town: string | null
  unrouted: boolean
  duplicateOf: number | null
  /**
   * Set when the (channel, external id) is already taken by a different report
   * (another caller's, or other content): nothing was stored and nothing of the
   * stored report is told; the other fields are empty.
   */
  refused?: string
}

/** Stored under the same (channel, external id) as a new report. */
interface Existing {
  id: number
  channel: string
  external_id: string
  token: string
  duplicate_of: number | null
  category_code: string
  lon: number
  lat: number
  reported_at: Date
  description: string | null
  grid_code: string | null
  community_code: string | null
  town_code: string | null
  reported_by: string | null
}

/**
 * Why a report with an external id already stored is not a retry of it, or
 * null when it is: a retry comes from the same caller and repeats the
 * report (category, point, description, and the time when it gives one). Only
 * then does it get the stored incident's id and receipt token — otherwise
 * anyone guessing an external id (hotline ids are sequential) could read
 * another person's receipt, or take an id first and make the real report vanish.
 */
function notARetry(input: IncidentInput, point: { lon: number; lat: number }, actor: string | null, stored: Existing): string | null {
  const same =
    (stored.reported_by ?? null) === (actor ?? null) &&
    stored.category_code === input.category &&
    Math.abs(Number(stored.lon) - point.lon) < 1e-9 &&
    Math.abs(Number(stored.lat) - point.lat) < 1e-9 &&
    (stored.description ?? null) === (input.description ?? null) &&
    (input.reportedAt === null || new Date(stored.reported_at).getTime() === input.reportedAt.getTime())
  return same
    ? null
    : `external_id ${JSON.stringify(input.externalId)} on channel ${input.channel} is already taken by a different report; ` +
        'a retry must come from the same caller and repeat the report (category, point, time and description)'
}

const GENERATIONS = `SELECT id, valid_from, valid_to FROM generation ORDER BY valid_from`

/**
 * Earlier batches of the same file being stored at the same moment, on other
 * connections: their rows are invisible to this batch's INSERT, so a report
 * near one of them is linked once they have committed (see intakeIncidents).
 */
export interface ConcurrentBatches {
  /** Their rows (what the duplicate check needs), in file order. */
  rows: BatchRow[]
  /** True once every one of them has committed or failed. */
  settled(): boolean
  /** Resolves then. */
  done: Promise<unknown>
}

export interface IntakeOptions {
  /** Ids for the inputs, in order (allocateIncidentIds); allocated here when absent. */
  ids?: readonly number[]
  concurrent?: ConcurrentBatches
}

/** `n` incident ids in increasing order, for a batch about to be stored. */
export async function allocateIncidentIds(db: Queryable, n: number): Promise<number[]> {
  return n === 0 ? [] : (await db.query<{ id: number }>(q.ALLOCATE_IDS, [n])).rows.map((r) => Number(r.id))
}

/** What the in-memory duplicate check needs of each input, routed or not. */
export function batchRows(inputs: readonly IncidentInput[]): BatchRow[] {
  const now = Date.now()
  const wgs = new Float64Array(2)
  return inputs.map((input) => {
    if (input.crs === 'gcj02') gcj02ToWgs84(input.lon, input.lat, wgs)
    else (wgs[0] = input.lon), (wgs[1] = input.lat)
    return { category: input.category, lon: wgs[0]!, lat: wgs[1]!, at: input.reportedAt?.getTime() ?? now }
  })
}

/**
 * Stores a batch in one transaction. With `concurrent` batches, a new report
 * that may duplicate one of their rows is linked inside the transaction when
 * they have committed by then (usual: they started first), otherwise right
 * after this one commits — never by waiting inside the transaction, which
 * could wait on a row this transaction itself holds.
 */
export async function intakeIncidents(db: Db, lookup: LookupService, inputs: IncidentInput[], actor: string | null, options: IntakeOptions = {}): Promise<IntakeResult[]> {
  if (inputs.length === 0) return []
  const cols = await routeAll(db, lookup, inputs)
  const ids = options.ids ?? (await allocateIncidentIds(db, inputs.length))
  if (ids.length !== inputs.length) throw new Error(`${ids.length} ids for ${inputs.length} incidents`)
  let lateLinks: number[] = []
  const results = await db.transaction(async (tx) => {
    await tx.query(q.NO_JIT)
    for (const [n, r] of cols.records.entries()) r.id = ids[n]
    // One JSON text for the batch: serialising 18 arrays for the driver cost three times as much.
    const inserted = (await tx.query<{ id: number; token: string; duplicate_of: number | null }>(q.INSERT_INCIDENTS, [JSON.stringify(cols.records), actor])).rows
    const byToken = new Map(inserted.map((r) => [r.token, r]))
    const own = sameBatchRows(inputs, cols, byToken)
    const concurrent = options.concurrent
    const cross = concurrent && concurrent.rows.length > 0 ? nearConcurrentRows(inputs, cols, byToken, concurrent.rows) : []
    if (cross.length > 0 && !concurrent!.settled()) (lateLinks = cross), await linkDuplicates(tx, own, byToken)
    else await linkDuplicates(tx, [...own, ...cross], byToken)
    // Rows not stored are retries: answer with the incident stored before.
    const retried = inputs.filter((_, n) => !byToken.has(cols.token[n]!))
    const existing = retried.length
      ? (await tx.query<Existing>(q.EXISTING_BY_EXTERNAL_ID, [
          retried.map((i) => i.channel),
          retried.map((i) => i.externalId),
        ])).rows
      : []
    const byExternal = new Map(existing.map((r) => [`${r.channel}\u0000${r.external_id}`, r]))
    return inputs.map((input, n): IntakeResult => {
      const fresh = byToken.get(cols.token[n]!)
      if (fresh) {
        const grid = cols.grid[n]!
        return { id: fresh.id, token: fresh.token, created: true, grid, community: cols.community[n]!, town: cols.town[n]!, unrouted: grid === null, duplicateOf: fresh.duplicate_of }
      }
      const stored = byExternal.get(`${input.channel}\u0000${input.externalId}`)
      if (!stored) throw new Error(`Incident ${n} was neither stored nor found`)
      const refused = notARetry(input, { lon: cols.lon[n]!, lat: cols.lat[n]! }, actor, stored)
      if (refused !== null) return { id: 0, token: '', created: false, grid: null, community: null, town: null, unrouted: false, duplicateOf: null, refused }
      // The answer of the first time: where it was routed then.
      const grid = stored.grid_code
      return { id: stored.id, token: stored.token, created: false, grid, community: stored.community_code, town: stored.town_code, unrouted: grid === null, duplicateOf: stored.duplicate_of }
    })
  })
  if (lateLinks.length > 0) {
    await options.concurrent!.done.catch(() => {}) // a failed batch stored nothing to link to
    const { rows } = await db.query<{ id: number; duplicate_of: number | null }>(q.LINK_BATCH_DUPLICATES, [lateLinks])
    const byId = new Map(rows.map((r) => [r.id, r.duplicate_of]))
    for (const r of results) if (byId.has(r.id)) r.duplicateOf = byId.get(r.id)!
  }
  return results
}

type Columns = Awaited<ReturnType<typeof routeAll>>

/** The batch, each point routed by the lookup of the generation valid when it was reported. */
async function routeAll(db: Db, lookup: LookupService, inputs: IncidentInput[]) {
  const now = new Date()
  const gens = (await db.query<{ id: number; valid_from: Date; valid_to: Date | null }>(GENERATIONS)).rows
  // A report from before the first generation has no grid that was valid then: it is kept, unrouted.
  const generationAt = (t: Date) => gens.find((g) => g.valid_from <= t && (!g.valid_to || g.valid_to > t))?.id ?? null
  const indexes = new Map<number, IndexedGeneration>()
  const tokens = randomBytes(12 * inputs.length)

  const wgs = new Float64Array(2)
  const cols = {
    category: [] as string[], lon: [] as number[], lat: [] as number[], at: [] as Date[], grid: [] as (string | null)[],
    community: [] as (string | null)[], town: [] as (string | null)[], token: [] as string[],
    /** The rows as INSERT_INCIDENTS reads them (json_to_recordset); `id` is set once allocated. */
    records: [] as Record<string, unknown>[],
  }
  for (const [n, input] of inputs.entries()) {
    if (input.crs === 'gcj02') gcj02ToWgs84(input.lon, input.lat, wgs)
    else (wgs[0] = input.lon), (wgs[1] = input.lat)
    const at = input.reportedAt ?? now
    const generation = generationAt(at)
    let g = -1
    let ix: IndexedGeneration | undefined
    if (generation !== null) {
      ix = indexes.get(generation)
      if (!ix) indexes.set(generation, (ix = await lookup.indexById(generation)))
      g = ix.index.lookup(wgs[0]!, wgs[1]!)
    }
    const grid = g >= 0 ? ix!.codes[g]! : null
    const community = g >= 0 ? ix!.communities[g]?.code ?? null : null
    const town = g >= 0 ? ix!.towns[g]?.code ?? null : null
    const token = tokens.toString('base64url', 12 * n, 12 * n + 12)
    cols.category.push(input.category)
    cols.lon.push(wgs[0]!)
    cols.lat.push(wgs[1]!)
    cols.at.push(at)
    cols.grid.push(grid)
    cols.community.push(community)
    cols.town.push(town)
    cols.token.push(token)
    // INSERT_INCIDENTS's keys; undefined leaves a key out (NULL there).
    cols.records.push({
      n, id: undefined, c: input.category, x: wgs[0]!, y: wgs[1]!, at: at.getTime(), ch: input.channel, e: input.externalId ?? undefined,
      d: input.description ?? undefined, m: input.media.length > 0 ? input.media : undefined, r: input.reporter ?? undefined,
      a: input.attributes, gen: generation ?? undefined, g: grid ?? undefined, cm: community ?? undefined, tw: town ?? undefined, k: token,
      h: latLngToCell(wgs[1]!, wgs[0]!, INCIDENT_CELL_RES),
    })
  }
  return cols
}

type Stored = Map<string, { id: number; duplicate_of: number | null }>

/** Ids of this batch's new incidents with an earlier row of the batch nearby (see batch-duplicates.ts). */
function sameBatchRows(inputs: IncidentInput[], cols: Columns, stored: Stored): number[] {
  const fresh = inputs.flatMap((_, n) => (stored.has(cols.token[n]!) ? [n] : []))
  if (fresh.length < 2) return []
  const near = rowsWithEarlierNeighbour(fresh.map((n) => rowOf(cols, n)))
  return near.map((k) => stored.get(cols.token[fresh[k]!]!)!.id)
}

/** Ids of this batch's new incidents with a row of the concurrent batches nearby. */
function nearConcurrentRows(inputs: IncidentInput[], cols: Columns, stored: Stored, earlier: BatchRow[]): number[] {
  const fresh = inputs.flatMap((_, n) => (stored.has(cols.token[n]!) ? [n] : []))
  const near = rowsWithEarlierNeighbour([...earlier, ...fresh.map((n) => rowOf(cols, n))], earlier.length)
  return near.map((k) => stored.get(cols.token[fresh[k - earlier.length]!]!)!.id)
}

const rowOf = (cols: Columns, n: number): BatchRow => ({ category: cols.category[n]!, lon: cols.lon[n]!, lat: cols.lat[n]!, at: cols.at[n]!.getTime() })

/**
 * Links new incidents `ids` to their probable originals among everything
 * stored before them (rows of their own batch and committed earlier batches
 * included); updates `stored` with what changed.
 */
async function linkDuplicates(tx: Queryable, ids: number[], stored: Stored) {
  if (ids.length === 0) return
  const byId = new Map([...stored.values()].map((r) => [r.id, r]))
  const { rows } = await tx.query<{ id: number; duplicate_of: number | null }>(q.LINK_BATCH_DUPLICATES, [[...new Set(ids)]])
  for (const r of rows) byId.get(r.id)!.duplicate_of = r.duplicate_of
}

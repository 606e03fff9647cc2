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
import { rowsWithEarlierNeighbour } from './batch-duplicates.ts'
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
}

const GENERATIONS = `SELECT id, valid_from, valid_to FROM generation ORDER BY valid_from`

export async function intakeIncidents(db: Db, lookup: LookupService, inputs: IncidentInput[], actor: string | null): Promise<IntakeResult[]> {
  if (inputs.length === 0) return []
  const cols = await routeAll(db, lookup, inputs)
  return db.transaction(async (tx) => {
    await tx.query(q.NO_JIT)
    const inserted = (await tx.query<{ id: number; token: string; duplicate_of: number | null }>(q.INSERT_INCIDENTS, [
      cols.n, cols.category, cols.lon, cols.lat, cols.at, cols.channel, cols.external, cols.description, cols.media,
      cols.reporter, cols.attributes, cols.generation, cols.grid, cols.community, cols.town, cols.token, cols.h3, actor,
    ])).rows
    const byToken = new Map(inserted.map((r) => [r.token, r]))
    await linkBatchDuplicates(tx, inputs, cols, byToken)
    // Rows not stored are retries: answer with the incident stored before.
    const retried = inputs.filter((_, n) => !byToken.has(cols.token[n]!))
    const existing = retried.length
      ? (await tx.query<{ id: number; channel: string; external_id: string; token: string; duplicate_of: number | null }>(q.EXISTING_BY_EXTERNAL_ID, [
          retried.map((i) => i.channel),
          retried.map((i) => i.externalId),
        ])).rows
      : []
    const byExternal = new Map(existing.map((r) => [`${r.channel}\u0000${r.external_id}`, r]))
    return inputs.map((input, n) => {
      const fresh = byToken.get(cols.token[n]!)
      const row = fresh ?? byExternal.get(`${input.channel}\u0000${input.externalId}`)
      if (!row) throw new Error(`Incident ${n} was neither stored nor found`)
      return {
        id: row.id,
        token: row.token,
        created: !!fresh,
        grid: cols.grid[n]!,
        community: cols.community[n]!,
        town: cols.town[n]!,
        unrouted: cols.grid[n] === null,
        duplicateOf: row.duplicate_of,
      }
    })
  })
}

type Columns = Awaited<ReturnType<typeof routeAll>>

/** The batch as columns, each point routed by the lookup of the generation valid when it was reported. */
async function routeAll(db: Db, lookup: LookupService, inputs: IncidentInput[]) {
  const now = new Date()
  const gens = (await db.query<{ id: number; valid_from: Date; valid_to: Date | null }>(GENERATIONS)).rows
  const generationAt = (t: Date) => gens.find((g) => g.valid_from <= t && (!g.valid_to || g.valid_to > t))?.id ?? gens.at(-1)?.id ?? null
  const indexes = new Map<number, IndexedGeneration>()
  const tokens = randomBytes(12 * inputs.length)

  const wgs = new Float64Array(2)
  const cols = {
    n: [] as number[], category: [] as string[], lon: [] as number[], lat: [] as number[], at: [] as Date[], channel: [] as string[],
    external: [] as (string | null)[], description: [] as (string | null)[], media: [] as string[], reporter: [] as (string | null)[],
    attributes: [] as string[], generation: [] as (number | null)[], grid: [] as (string | null)[], community: [] as (string | null)[],
    town: [] as (string | null)[], token: [] as string[], h3: [] as string[],
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
    cols.n.push(n)
    cols.category.push(input.category)
    cols.lon.push(wgs[0]!)
    cols.lat.push(wgs[1]!)
    cols.at.push(at)
    cols.channel.push(input.channel)
    cols.external.push(input.externalId)
    cols.description.push(input.description)
    cols.media.push(JSON.stringify(input.media))
    cols.reporter.push(input.reporter ? JSON.stringify(input.reporter) : null)
    cols.attributes.push(JSON.stringify(input.attributes))
    cols.generation.push(generation)
    cols.grid.push(g >= 0 ? ix!.codes[g]! : null)
    cols.community.push(g >= 0 ? ix!.communities[g]?.code ?? null : null)
    cols.town.push(g >= 0 ? ix!.towns[g]?.code ?? null : null)
    cols.token.push(tokens.toString('base64url', 12 * n, 12 * n + 12))
    cols.h3.push(latLngToCell(wgs[1]!, wgs[0]!, INCIDENT_CELL_RES))
  }
  return cols
}

/**
 * Links the batch's new incidents to probable originals stored in the same
 * statement (see batch-duplicates.ts); updates `stored` with what changed.
 */
async function linkBatchDuplicates(tx: Queryable, inputs: IncidentInput[], cols: Columns, stored: Map<string, { id: number; duplicate_of: number | null }>) {
  const fresh = inputs.flatMap((_, n) => (stored.has(cols.token[n]!) ? [n] : []))
  if (fresh.length < 2) return
  const near = rowsWithEarlierNeighbour(fresh.map((n) => ({ category: cols.category[n]!, lon: cols.lon[n]!, lat: cols.lat[n]!, at: cols.at[n]!.getTime() })))
  if (near.length === 0) return
  const byId = new Map([...stored.values()].map((r) => [r.id, r]))
  const ids = near.map((k) => stored.get(cols.token[fresh[k]!]!)!.id)
  const { rows } = await tx.query<{ id: number; duplicate_of: number | null }>(q.LINK_BATCH_DUPLICATES, [ids])
  for (const r of rows) byId.get(r.id)!.duplicate_of = r.duplicate_of
}

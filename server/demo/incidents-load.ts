/**
 * Writes generated demo incidents and their events in large multi-row batches
 * (`unnest` of typed columns, text as small code lists) inside the caller's
 * transaction. As the PostgreSQL manual advises for populating a database,
 * foreign keys and plain indexes are dropped for the load and re-created after
 * it, exactly as they were (from the catalogue): each key is then checked in
 * one join instead of once per row and each index built in one sort. On the
 * embedded PGlite that takes about a third off the load. The transaction makes
 * it all or nothing.
 */
import { latLngToCell } from 'h3-js'
import { INCIDENT_CELL_RES } from '../analytics/h3-ids.ts'
import type { Queryable } from '../db/client.ts'
import type { IncidentColumns } from './incidents-histories.ts'
import * as q from './incidents-queries.ts'

export const INCIDENT_BATCH = 10_000
export const EVENT_BATCH = 20_000

export interface LoadOptions {
  generationId: number
  /** Community and town code of each grid, by grid index. */
  communities: readonly (string | null)[]
  towns: readonly (string | null)[]
  /** Events only of incidents reported at or after this moment (Unix s); all by default. */
  eventsFrom?: number
}

export interface LoadReport {
  incidents: number
  events: number
  /** Milliseconds of each phase. */
  phases: { incidents: number; events: number; keys: number; analyze: number }
}

export async function loadDemoIncidents(tx: Queryable, cols: IncidentColumns, options: LoadOptions): Promise<LoadReport> {
  const phases = { incidents: 0, events: 0, keys: 0, analyze: 0 }
  let mark = Date.now()
  const lap = (phase: keyof typeof phases) => {
    const now = Date.now()
    phases[phase] += now - mark
    mark = now
  }
  await tx.exec(q.CREATE_LOOKUPS)
  await tx.query(q.INSERT_GRID_REFS, [cols.gridCodes, options.communities, options.towns])
  await tx.query(q.INSERT_ACTORS, [cols.actors])
  const events = await withoutKeysAndIndexes(tx, ['incident', 'incident_event'], async () => {
    lap('keys')
    for (let s = 0; s < cols.count; s += INCIDENT_BATCH) {
      const e = Math.min(cols.count, s + INCIDENT_BATCH)
      const ints = (a: Column) => Array.from(a.subarray(s, e))
      const times = (a: Float64Array) => Array.from(a.subarray(s, e), (v) => (Number.isNaN(v) ? null : v))
      await tx.query(q.INSERT_INCIDENTS, [
        Array.from({ length: e - s }, (_, k) => s + k + 1), ints(cols.category).map((c) => c + 1), ints(cols.lon), ints(cols.lat),
        ints(cols.reportedAt), ints(cols.channel).map((c) => c + 1), ints(cols.grid), ints(cols.description), ints(cols.status),
        ints(cols.department), times(cols.dispatchedAt), times(cols.deadlineAt), times(cols.handledAt), times(cols.closedAt),
        ints(cols.updatedAt), ints(cols.duplicateOf), ints(cols.satisfaction), cols.token.slice(s, e),
        cols.categories, cols.channels, cols.descriptions, cols.statuses, cols.departments, options.generationId,
        Array.from(cols.lon.subarray(s, e), (lon, k) => latLngToCell(cols.lat[s + k]!, lon, INCIDENT_CELL_RES)),
      ])
    }
    lap('incidents')
    const ev = cols.events
    let first = 0
    if (options.eventsFrom !== undefined) {
      const firstIncident = lowerBound(cols.reportedAt, cols.count, options.eventsFrom)
      while (first < ev.count && ev.incident[first]! <= firstIncident) first++
    }
    for (let s = first; s < ev.count; s += EVENT_BATCH) {
      const e = Math.min(ev.count, s + EVENT_BATCH)
      const ints = (a: Column) => Array.from(a.subarray(s, e))
      await tx.query(q.INSERT_EVENTS, [
        ints(ev.incident), ints(ev.at), ints(ev.actor), ints(ev.action), ints(ev.from), ints(ev.to), ints(ev.note), ints(ev.ref),
        cols.actions, cols.statuses, cols.notes, cols.departments,
        // An incident's events are contiguous and in time order: the previous one is the row before.
        Array.from({ length: e - s }, (_, k) => (s + k > 0 && ev.incident[s + k - 1] === ev.incident[s + k] ? ev.at[s + k - 1]! : null)),
      ])
    }
    lap('events')
    return ev.count - first
  })
  await tx.query(q.CONTINUE_INCIDENT_IDS, [cols.count])
  lap('keys')
  await tx.exec(q.ANALYZE)
  lap('analyze')
  return { incidents: cols.count, events, phases }
}

/** Runs `fn` with the foreign keys and plain indexes of `tables` dropped, then re-creates them as they were (checking every row). */
async function withoutKeysAndIndexes<T>(tx: Queryable, tables: string[], fn: () => Promise<T>): Promise<T> {
  type Ddl = { drop_sql: string; add_sql: string }
  const keys = (await tx.query<Ddl>(q.FOREIGN_KEYS, [tables])).rows
  const indexes = (await tx.query<Ddl>(q.SECONDARY_INDEXES, [tables])).rows
  for (const d of [...keys, ...indexes]) await tx.exec(d.drop_sql)
  const result = await fn()
  for (const d of [...indexes, ...keys]) await tx.exec(d.add_sql)
  return result
}

/** Typed arrays go to the database as plain arrays (the drivers would send a typed array as bytes). */
type Column = Uint8Array | Uint16Array | Int32Array | Float64Array

/** The first i < n with sorted[i] ≥ value. */
function lowerBound(sorted: Float64Array, n: number, value: number): number {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

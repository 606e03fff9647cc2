/**
 * Loads the demo incidents into a database whose current generation is the
 * demo city's and that has no incident yet; otherwise does nothing, so a
 * restart (or a real city) never gets them twice. Routing uses the same
 * in-memory grid index as intake.
 */
import type { Db, Queryable } from '../db/client.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../lookup/indexed-generation.ts'
import { DAY_S } from './incidents-calendar.ts'
import { generateDemoIncidents, type DemoIncidentOptions, type IncidentCity } from './incidents-generate.ts'
import { loadDemoIncidents, type LoadReport } from './incidents-load.ts'
import * as q from './incidents-queries.ts'

export interface IncidentSeedReport extends LoadReport {
  generateMs: number
  loadMs: number
}

export const DEFAULT_EVENT_DAYS = 365

export interface IncidentSeedOptions extends DemoIncidentOptions {
  /**
   * Events are stored for the incidents reported in the last `eventDays` days
   * (default 365; Infinity for all): two years of events are ~1.9 million
   * rows, which would add ~12 s to the first start on the embedded PGlite.
   * Older incidents keep their own timestamps (dispatched, deadline, handled, closed).
   */
  eventDays?: number
  /** The demo generation's grid index, when the caller has it (it takes seconds to build). */
  index?: (generationId: number) => Promise<IndexedGeneration>
}

export async function seedDemoIncidentsIfEmpty(db: Db, options: IncidentSeedOptions = {}, log: (msg: string) => void = () => {}): Promise<IncidentSeedReport | null> {
  const generation = (await db.query<{ id: number }>(q.DEMO_GENERATION)).rows[0]
  if (!generation || (await db.query<{ any: boolean }>(q.ANY_INCIDENT)).rows[0]!.any) return null
  const started = Date.now()
  log('Generating the demo incidents…')
  const { city, communities, towns } = await incidentCity(db, generation.id, options.index)
  const generated = generateDemoIncidents(city, options)
  const generateMs = Date.now() - started
  const loaded = await db.transaction(async (tx) => {
    // A second server starting on the same database waits here, then finds the incidents.
    await tx.exec('LOCK TABLE incident IN EXCLUSIVE MODE')
    if ((await tx.query<{ any: boolean }>(q.ANY_INCIDENT)).rows[0]!.any) return null
    return loadDemoIncidents(tx, generated, { generationId: generation.id, communities, towns, eventsFrom: Date.parse(generated.window.end) / 1000 - (options.eventDays ?? DEFAULT_EVENT_DAYS) * DAY_S })
  })
  if (!loaded) return null
  const report = { ...loaded, generateMs, loadMs: Date.now() - started - generateMs }
  log(`Loaded ${report.incidents} demo incidents and ${report.events} events (generated in ${(generateMs / 1000).toFixed(1)} s, stored in ${(report.loadMs / 1000).toFixed(1)} s)`)
  return report
}

/** The demo city as the incident generator sees it: grid index, grid facts, administrators, categories. */
export async function incidentCity(db: Queryable, generationId: number, index = (id: number) => loadIndexedGeneration(db, id)) {
  const ix = await index(generationId)
  const facts = new Map(
    (await db.query<{ code: string; population: number; rented_rooms: number; businesses: number; area_m2: number }>(q.GRID_FACTS, [generationId])).rows.map((r) => [r.code, r]),
  )
  const categories = (await db.query<{ code: string; sla_hours: number; department: string }>(q.ACTIVE_CATEGORIES)).rows
  const city: IncidentCity = {
    grids: ix.codes.map((code) => {
      const f = facts.get(code)
      return { code, population: f?.population ?? 0, rentedRooms: f?.rented_rooms ?? 0, businesses: f?.businesses ?? 0, areaM2: f?.area_m2 ?? 0 }
    }),
    bbox: ix.index.polygons.bbox,
    administrators: ix.administrators.map((list) => list.map((a) => a.employeeNo)),
    categories: categories.map((c) => ({ code: c.code, slaHours: c.sla_hours, department: c.department })),
    lookup: (lon, lat) => ix.index.lookup(lon, lat),
  }
  return { city, communities: ix.communities.map((c) => c?.code ?? null), towns: ix.towns.map((t) => t?.code ?? null) }
}

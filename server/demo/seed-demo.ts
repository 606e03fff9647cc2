/**
 * Loads the Dongguan demo city into an empty database: the units go through the
 * same checked import as any other boundary data, then the administrators,
 * then two years of demo incidents (unless ZHIWANG_DEMO_INCIDENTS=0) and the
 * last 30 days of patrol tracks of a sample of administrators.
 * Does nothing for what is already there, so a restart reuses the data.
 */
import type { Db } from '../db/client.ts'
import { ANALYZE_ADMINISTRATORS, INSERT_ADMINISTRATORS, INSERT_ASSIGNMENTS, INSERT_DEPARTED_ASSIGNMENTS } from '../administrators/queries.ts'
import { DEMO_INCIDENTS_END } from './incidents-calendar.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../lookup/indexed-generation.ts'
import { importUnits } from '../units/import-units.ts'
import { generateDongguan, type DemoOptions } from './dongguan.ts'
import { seedDemoIncidentsIfEmpty, type IncidentSeedOptions } from './incidents-seed.ts'
import type { DemoPatrolOptions } from './patrols-generate.ts'
import { seedDemoPatrolsIfEmpty } from './patrols-seed.ts'

/** The demo's boundaries are valid from the start of the real project's grid era. */
export const DEMO_VALID_FROM = new Date('2017-01-01T00:00:00+08:00')

export interface SeedOptions extends DemoOptions {
  /** Options of the demo incidents, or false for none; by default they are loaded unless ZHIWANG_DEMO_INCIDENTS=0. */
  incidents?: IncidentSeedOptions | false
  /**
   * Options of the demo patrol tracks, or false for none; by default they come
   * with the incidents (the demo's activity) unless ZHIWANG_DEMO_PATROLS=0.
   */
  patrols?: DemoPatrolOptions | false
  /** The demo's "now": the incident history ends at this local midnight (ISO date-time); the default is DEMO_INCIDENTS_END. */
  end?: string
}

/** Seeds what is missing; true when anything was loaded. */
export async function seedDemoIfEmpty(db: Db, log: (msg: string) => void = () => {}, options: SeedOptions = {}) {
  const { incidents = process.env.ZHIWANG_DEMO_INCIDENTS === '0' ? false : {}, end, ...cityOptions } = options
  const patrols = options.patrols ?? (incidents === false || process.env.ZHIWANG_DEMO_PATROLS === '0' ? false : {})
  let loaded = await seedCityIfEmpty(db, log, cityOptions, end)
  // Both parts route points through the demo generation's grid index: built once.
  const built = new Map<number, Promise<IndexedGeneration>>()
  const index = (id: number) => built.get(id) ?? (built.set(id, loadIndexedGeneration(db, id)), built.get(id)!)
  // Each part is one transaction: when it fails nothing of it was written, the next start tries again, and the city is usable without it.
  if (incidents !== false) {
    try {
      loaded = (await seedDemoIncidentsIfEmpty(db, { seed: cityOptions.seed, index, ...(end ? { end } : {}), ...incidents }, log)) !== null || loaded
    } catch (err) {
      log(`Demo incidents not loaded: ${(err as Error).message}`)
    }
  }
  if (patrols !== false) {
    try {
      loaded = (await seedDemoPatrolsIfEmpty(db, { seed: cityOptions.seed, index, ...patrols }, log)) !== null || loaded
    } catch (err) {
      log(`Demo patrol tracks not loaded: ${(err as Error).message}`)
    }
  }
  return loaded
}

/** FNV-1a of a string: a small stable number per employee number. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}

async function seedCityIfEmpty(db: Db, log: (msg: string) => void, options: DemoOptions, end: string | undefined) {
  const { rows } = await db.query<{ generations: number; administrators: number }>(
    `SELECT (SELECT count(*)::int FROM generation) AS generations, (SELECT count(*)::int FROM administrator) AS administrators`,
  )
  const { generations, administrators } = rows[0]!
  if (generations > 0 && administrators > 0) return false
  const started = Date.now()
  log('Generating the Dongguan demo city…')
  const city = await generateDongguan(db, options)
  if (generations === 0) {
    const report = await importUnits(db, city.units, {
      validFrom: DEMO_VALID_FROM,
      label: 'Dongguan demo city',
      actor: 'demo-seed',
      source: 'demo',
    })
    log(`Imported ${report.counts.town} towns, ${report.counts.community} communities, ${report.counts.grid} grids`)
  }
  if (administrators === 0) {
    await db.transaction(async (tx) => {
      const a = city.administrators
      // Nobody recorded when the demo city's administrators started: their history says "since before records".
      await tx.query(`SELECT set_config('zhiwang.assignment_from', 'unknown', true)`)
      await tx.query(INSERT_ADMINISTRATORS, [a.map((x) => x.employee_no), a.map((x) => x.name), a.map((x) => x.phone), a.map((x) => x.active)])
      const pairs = a.flatMap((x) => x.grids.map((g) => [x.employee_no, g] as const))
      await tx.query(INSERT_ASSIGNMENTS, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])
      // The inactive ones have left: each served their grids until a day 30–699 days before the demo's
      // end (from their employee number), so supervision and at= lookups show people who moved on.
      const left = a.filter((x) => !x.active)
      const endMs = Date.parse(end ?? DEMO_INCIDENTS_END)
      await tx.query(INSERT_DEPARTED_ASSIGNMENTS, [left.map((x) => x.employee_no), left.map((x) => new Date(endMs - (30 + (fnv1a(x.employee_no) % 670)) * 86_400_000))])
    })
    // The embedded database has no autovacuum: without statistics the planner takes these tables for a few rows.
    await db.exec(ANALYZE_ADMINISTRATORS)
    log(`Loaded ${city.administrators.length} grid administrators`)
  }
  log(`Demo city ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return true
}

/**
 * The workload attributes of every grid, computed once for a generation and
 * then kept: three grouped queries over the whole city (the same SQL as the
 * workload analytics), instead of scanning a year of incidents for each tile.
 * An answer older than `maxAgeMs` (or from an earlier local day) is still
 * served while a fresh one is computed in the background, so no tile waits
 * for it except the very first of a generation.
 */
import { addDays, localToday } from '../analytics/analytics-params.ts'
import { ADMINISTRATORS_PER_GRID, GRID_LOADS, SCOPE_UNITS } from '../analytics/workload-queries.ts'
import type { Db } from '../db/client.ts'

/** The attributes the grids layer adds to a grid's code and names (null: unknown or undefined). */
export interface GridAttributes {
  population: number | null
  households: number | null
  area_km2: number
  administrators: number
  load: number
  load_per_admin: number | null
  deviation: number | null
}

export interface Workload {
  /** Changes whenever the numbers may have: part of every grids tile's cache key. */
  version: string
  byCode: ReadonlyMap<string, GridAttributes>
}

/** Days of incidents a grid's load counts: the 365 local days ending today. */
export const LOAD_DAYS = 365

interface Entry {
  generation: number
  day: string
  at: number
  workload: Promise<Workload>
}

export class GridWorkloads {
  private entry: Entry | null = null
  private refreshing: Promise<unknown> | null = null
  private computed = 0

  constructor(
    private readonly db: Db,
    readonly maxAgeMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async forGeneration(generation: number): Promise<Workload> {
    const day = localToday(this.now())
    const e = this.entry
    if (e?.generation !== generation) return (this.entry = this.start(generation, day)).workload
    if ((e.day !== day || this.now() - e.at > this.maxAgeMs) && !this.refreshing) {
      const next = this.start(generation, day)
      this.refreshing = next.workload.then(
        () => this.entry?.generation === generation && (this.entry = next),
        () => {},
      ).finally(() => (this.refreshing = null))
    }
    return e.workload
  }

  /** Forgets the numbers: the next tile recomputes them. */
  invalidate(): void {
    this.entry = null
  }

  private start(generation: number, day: string): Entry {
    const workload = computeWorkload(this.db, generation, day).then((byCode) => ({ version: `${generation}.${day}.${++this.computed}`, byCode }))
    const entry = { generation, day, at: this.now(), workload }
    workload.catch(() => this.entry === entry && (this.entry = null)) // the next request tries again
    return entry
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits

async function computeWorkload(db: Db, generation: number, today: string): Promise<Map<string, GridAttributes>> {
  const to = `${addDays(today, 1)}T00:00:00+08:00`
  const from = `${addDays(today, 1 - LOAD_DAYS)}T00:00:00+08:00`
  type Unit = { code: string; level: string; parent_code: string; population: number | null; households: number | null; area_m2: number }
  const [units, loads, admins] = await Promise.all([
    db.query<Unit>(SCOPE_UNITS, [generation, null]),
    db.query<{ grid_code: string; load: number }>(GRID_LOADS, [from, to, '']),
    db.query<{ grid_code: string; administrators: number }>(ADMINISTRATORS_PER_GRID, ['']),
  ])
  const loadOf = new Map(loads.rows.map((r) => [r.grid_code, r.load]))
  const adminsOf = new Map(admins.rows.map((r) => [r.grid_code, r.administrators]))
  const grids = units.rows.filter((u) => u.level === 'grid')
  const sums = new Map<string, { load: number; n: number }>()
  for (const g of grids) {
    const s = sums.get(g.parent_code) ?? { load: 0, n: 0 }
    s.load += loadOf.get(g.code) ?? 0
    s.n++
    sums.set(g.parent_code, s)
  }
  const out = new Map<string, GridAttributes>()
  for (const g of grids) {
    const load = loadOf.get(g.code) ?? 0
    const administrators = adminsOf.get(g.code) ?? 0
    const s = sums.get(g.parent_code)!
    const mean = s.load / s.n
    out.set(g.code, {
      population: g.population,
      households: g.households,
      area_km2: round(g.area_m2 / 1e6, 4),
      administrators,
      load: round(load, 3),
      load_per_admin: administrators > 0 ? round(load / administrators, 3) : null,
      deviation: mean > 0 ? round((load - mean) / mean, 4) : null,
    })
  }
  return out
}

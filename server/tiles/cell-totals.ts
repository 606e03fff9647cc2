/**
 * Citywide incident totals per H3 cell for one resolution and one filter,
 * from the cube, kept for a few seconds. The cube is keyed by day, not by
 * cell, so a query for one tile's cells reads the whole time window anyway
 * (~150 ms for a year of the demo city); a map view asks for a dozen tiles at
 * once, and with this they share one read and cut their cells out of it.
 */
import { CELL_TOTALS } from '../analytics/cube-queries.ts'
import type { Db } from '../db/client.ts'
import type { IncidentFilters } from './tile-sources.ts'

export interface CellTotal {
  count: number
  load: number
}

const ENTRIES = 8

export class CellTotals {
  private readonly entries = new Map<string, { at: number; totals: Promise<ReadonlyMap<string, CellTotal>> }>()

  constructor(
    private readonly db: Db,
    readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count and load of every cell at `res` with matching incidents (keyed by hex id). */
  get(res: number, f: IncidentFilters): Promise<ReadonlyMap<string, CellTotal>> {
    const key = `${res}|${f.from}|${f.to}|${f.categories}|${f.channels}|${f.status}`
    const hit = this.entries.get(key)
    this.entries.delete(key)
    if (hit && this.now() - hit.at < this.ttlMs) {
      this.entries.set(key, hit) // most recently used last
      return hit.totals
    }
    const entry = { at: this.now(), totals: this.read(res, f) }
    entry.totals.catch(() => this.entries.get(key) === entry && this.entries.delete(key))
    this.entries.set(key, entry)
    while (this.entries.size > ENTRIES) this.entries.delete(this.entries.keys().next().value!)
    return entry.totals
  }

  clear(): void {
    this.entries.clear()
  }

  private async read(res: number, f: IncidentFilters): Promise<ReadonlyMap<string, CellTotal>> {
    const { rows } = await this.db.query<{ cell: string; n: number; load: number }>(CELL_TOTALS, [res, f.from, f.to, f.categories, f.channels, f.status])
    const out = new Map<string, CellTotal>()
    for (const r of rows) if (r.n > 0) out.set(r.cell, { count: r.n, load: r.load })
    return out
  }
}

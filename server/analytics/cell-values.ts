/**
 * Values per H3 cell from the incident cube, and the study areas they are laid
 * on, cached per generation and resolution (building one takes up to a second
 * at resolution 10; boundaries change rarely, and a new generation has a new id).
 */
import { cellToLatLng } from 'h3-js'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import { filterArgs, type Filters } from './analytics-params.ts'
import * as q from './cube-queries.ts'
import { kRingNeighbours, type Neighbours } from './stats/neighbours.ts'
import { CubeCache, dayNumber, type CubeFilter } from './cube-cache.ts'
import { buildStudyArea, parentStudyArea, type StudyArea } from './study-area.ts'

export interface CellTotal {
  cell: string
  n: number
  load: number
}

const AREA_CACHE_SIZE = 8
/** The cube's resolution: a unit's own incidents are those of its cells at this resolution. */
const FINEST_RES = 10

export class CellValues {
  private readonly areas = new Map<string, Promise<StudyArea>>()
  private readonly rings = new WeakMap<StudyArea, Map<number, Neighbours>>()

  constructor(private readonly db: Db) {
    this.cube = new CubeCache(db)
  }

  readonly cube: CubeCache

  /**
   * Totals of every cell with incidents matching the filters (zeros omitted), from the in-memory cube;
   * with `within`, only the incidents of the resolution-10 cells whose centre lies in that unit, so
   * that every resolution adds up to the same total and a cell to the sum of its children.
   */
  async totals(res: number, f: Filters, within?: { ix: IndexedGeneration; code: string }): Promise<CellTotal[]> {
    await this.cube.sync()
    const filter = { ...cubeFilter(f), ...(within ? { cells: this.withinMask(within.ix, within.code) } : {}) }
    let n = new Float64Array(0)
    let load = new Float64Array(0)
    const dict = this.cube.scan(res, filter, () => 0, (p, _step, count, weighted) => {
      n[p] = n[p]! + count
      load[p] = load[p]! + weighted
    }, (parents) => ((n = new Float64Array(parents.values.length)), (load = new Float64Array(parents.values.length))))
    const out: CellTotal[] = []
    for (let p = 0; p < n.length; p++) if (n[p]! > 0) out.push({ cell: dict.values[p]!, n: n[p]!, load: load[p]! })
    return out
  }

  private readonly within = new Map<string, Uint8Array>()

  /** Per cube cell id: 1 when the cell's centre lies in a grid under `code` in generation `ix`. Remembered, extended as cells arrive (call after cube.sync()). */
  withinMask(ix: IndexedGeneration, code: string): Uint8Array {
    const key = `${ix.generation.id}:${code}`
    const known = this.within.get(key)
    const cells = this.cube.cells.values
    if (known && known.length >= cells.length) return known
    const mask = new Uint8Array(cells.length)
    if (known) mask.set(known)
    for (let c = known?.length ?? 0; c < cells.length; c++) {
      const [lat, lon] = cellToLatLng(cells[c]!)
      const g = ix.index.lookup(lon, lat)
      mask[c] = g >= 0 && ix.codes[g]!.startsWith(code) ? 1 : 0
    }
    this.within.delete(key)
    this.within.set(key, mask)
    while (this.within.size > AREA_CACHE_SIZE) this.within.delete(this.within.keys().next().value!)
    return mask
  }

  /** Totals straight from the cube table in SQL (the baseline the benchmark compares with). */
  async totalsSql(res: number, f: Filters): Promise<CellTotal[]> {
    return (await this.db.query<CellTotal>(q.CELL_TOTALS, [res, ...filterArgs(f)])).rows
  }

  /**
   * The study area at `res`: the generation's, or unit `parent`'s
   * (parentStudyArea: every cell holding part of it, each counting the unit's
   * own incidents only). Unknown parent → 404.
   */
  async area(ix: IndexedGeneration, res: number, parent: string | null): Promise<StudyArea> {
    const full = await this.cached(`${ix.generation.id}:${res}`, () => buildStudyArea(this.db, ix, res))
    if (parent && !ix.grids.some((g) => g.code.startsWith(parent))) throw new AppError('not-found', `No unit with code ${parent} in generation ${ix.generation.id}`)
    if (!parent) return full
    return this.cached(`${ix.generation.id}:${res}:${parent}`, async () => parentStudyArea(full, await this.area(ix, FINEST_RES, null), parent))
  }

  /** Study areas are remembered, the most recently used AREA_CACHE_SIZE of them. */
  private async cached(key: string, build: () => Promise<StudyArea>): Promise<StudyArea> {
    let entry = this.areas.get(key)
    if (entry) this.areas.delete(key)
    else {
      entry = build()
      entry.catch(() => this.areas.delete(key))
    }
    this.areas.set(key, entry)
    while (this.areas.size > AREA_CACHE_SIZE) this.areas.delete(this.areas.keys().next().value!)
    return entry
  }

  /** k-ring neighbours of an area's cells, remembered per area (areas are cached, so citywide analyses reuse them). */
  kRing(area: StudyArea, k: number): Neighbours {
    let byK = this.rings.get(area)
    if (!byK) this.rings.set(area, (byK = new Map()))
    let nb = byK.get(k)
    if (!nb) byK.set(k, (nb = kRingNeighbours(area.cells, k)))
    return nb
  }

  /**
   * The measure of every cell of `area` (zeros included), as a vector in the
   * area's cell order; per 1,000 residents when asked (cells without residents → 0).
   */
  /** Per study-area cell; `outside`: incidents in cells the study area leaves out (no grid of the generation at their centre). */
  async vector(area: StudyArea, f: Filters, ix: IndexedGeneration): Promise<{ values: Float64Array; counts: Float64Array; loads: Float64Array; outside: number }> {
    const counts = new Float64Array(area.cells.length)
    const loads = new Float64Array(area.cells.length)
    let outside = 0
    for (const t of await this.totals(area.res, f, area.parent ? { ix, code: area.parent } : undefined)) {
      const i = area.indexOf.get(t.cell)
      if (i === undefined) {
        outside += t.n
        continue
      }
      counts[i] = t.n
      loads[i] = t.load
    }
    const base = f.measure === 'load' ? loads : counts
    const values = f.per1000 ? base.map((v, i) => (area.population[i]! > 0 ? (1000 * v) / area.population[i]! : 0)) : base
    return { values, counts, loads, outside }
  }
}

/** Refuses analyses bigger than the server should compute per request. */
export function capCells(n: number, cap: number, what: string): void {
  if (n > cap) throw new AppError('invalid-parameter', `${what}: ${n} cells exceed the limit of ${cap}; choose a coarser resolution or a smaller parent unit`, { parameter: 'res', cells: n, limit: cap })
}

export function cubeFilter(f: Filters): CubeFilter {
  return { fromDay: dayNumber(f.from), toDay: dayNumber(f.to), categories: f.categories, channels: f.channels, status: f.status }
}

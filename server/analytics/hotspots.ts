/**
 * Hot-spot analyses on H3 cells or on the grid polygons themselves: Getis-Ord
 * Gi* (with confidence bins, optionally FDR-corrected) and local Moran's I.
 * The statistics live in ./stats; this module gathers values and neighbours.
 */
import type { Db } from '../db/client.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import { filterArgs, type Filters } from './analytics-params.ts'
import { capCells, type CellValues } from './cell-values.ts'
import * as q from './cube-queries.ts'
import type { GridLayouts } from './grid-layout.ts'
import { giStar } from './stats/getis-ord.ts'
import { localMoran } from './stats/local-moran.ts'
import { distanceBandNeighbours, neighboursFromPairs, type Neighbours } from './stats/neighbours.ts'
import { confidenceBins, twoSidedP } from './stats/significance.ts'
import { cellToLatLng } from 'h3-js'
import { capNeighbourWork } from './work-limits.ts'

export const MAX_HOTSPOT_CELLS = 200_000

export interface HotspotOptions {
  method: 'gi' | 'moran'
  /** unit=grid: incidents count for the grid they were routed to, or for the grid of the answered generation holding them. */
  attribution: 'routed' | 'location'
  fdr: boolean
  k: number | null
  distance: number | null
  permutations: number
  seed: number
}

/** One location's result; `id` is an H3 cell or a grid code. */
export interface HotspotRow {
  id: string
  grid: string
  count: number
  load: number
  value: number
  z: number
  p: number
  bin?: number
  I?: number
  quadrant?: 'HH' | 'LH' | 'LL' | 'HL' | null
}

export interface HotspotResult {
  rows: HotspotRow[]
  summary: Record<string, number>
  /** What makes the significance less than it looks (too few incidents, a single location); empty when nothing does. */
  warnings: string[]
}

/** Below this many incidents a local statistic is arithmetic, not evidence (the usual rule of thumb for Gi*: 30 features with values). */
const FEW_INCIDENTS = 30

const QUADRANTS = [null, 'HH', 'LH', 'LL', 'HL'] as const

export async function h3Hotspots(cells: CellValues, ix: IndexedGeneration, res: number, f: Filters, o: HotspotOptions): Promise<HotspotResult> {
  const area = await cells.area(ix, res, f.parent)
  capCells(area.cells.length, MAX_HOTSPOT_CELLS, 'Hot-spot analysis')
  capNeighbourWork('Hot-spot analysis', area.cells.length, res, o.distance !== null ? { distance: o.distance } : { k: o.k ?? 1 }, o.method === 'moran' ? o.permutations : 0)
  const { values, counts, loads, outside } = await cells.vector(area, f, ix)
  let nb: Neighbours
  if (o.distance !== null) {
    const lon = new Float64Array(area.cells.length)
    const lat = new Float64Array(area.cells.length)
    area.cells.forEach((c, i) => ([lat[i], lon[i]] = cellToLatLng(c)))
    nb = distanceBandNeighbours(lon, lat, o.distance)
  } else nb = cells.kRing(area, o.k ?? 1)
  const result = analyse(area.cells, area.grid, counts, loads, values, nb, o)
  // Incidents in cells outside the study area (the grids' H3 cover at this resolution) are not analysed: say how many.
  result.summary.outsideStudyArea = outside
  return result
}

export async function gridHotspots(db: Db, layouts: GridLayouts, ix: IndexedGeneration, f: Filters, o: HotspotOptions): Promise<HotspotResult> {
  const { grids, neighbours } = await layouts.get(ix)
  const keep = grids.map((g, i) => (f.parent === null || g.code.startsWith(f.parent) ? i : -1)).filter((i) => i >= 0)
  const pos = new Map(keep.map((i, j) => [grids[i]!.code, j]))
  const counts = new Float64Array(keep.length)
  const loads = new Float64Array(keep.length)
  // Incidents under the parent that no grid of this generation takes: routed to a grid it no longer has (say so: they are not zeros).
  let unattributed = 0
  if (o.attribution === 'location') {
    for (const p of (await db.query<{ lon: number; lat: number; weight: number }>(q.GRID_POINTS, filterArgs(f))).rows) {
      const g = ix.index.lookup(p.lon, p.lat)
      const j = g < 0 ? undefined : pos.get(ix.codes[g]!)
      if (j === undefined) continue
      counts[j]!++
      loads[j]! += p.weight
    }
  } else {
    for (const t of (await db.query<{ grid: string; n: number; load: number }>(q.GRID_TOTALS, filterArgs(f))).rows) {
      const j = pos.get(t.grid)
      if (j === undefined) {
        if (f.parent === null || t.grid.startsWith(f.parent)) unattributed += t.n
        continue
      }
      counts[j] = t.n
      loads[j] = t.load
    }
  }
  const base = f.measure === 'load' ? loads : counts
  const values = f.per1000 ? base.map((v, j) => (grids[keep[j]!]!.population > 0 ? (1000 * v) / grids[keep[j]!]!.population : 0)) : base
  const pairs: number[] = []
  for (const [a, b] of neighbours) {
    const i = pos.get(a)
    const j = pos.get(b)
    if (i !== undefined && j !== undefined) pairs.push(i, j)
  }
  const ids = keep.map((i) => grids[i]!.code)
  const result = analyse(ids, ids, counts, loads, values, neighboursFromPairs(ids.length, pairs), o)
  if (o.attribution === 'routed') result.summary.unattributed = unattributed
  return result
}

function analyse(ids: string[], grid: string[], counts: Float64Array, loads: Float64Array, values: Float64Array, nb: Neighbours, o: HotspotOptions): HotspotResult {
  const rows: HotspotRow[] = ids.map((id, i) => ({ id, grid: grid[i]!, count: counts[i]!, load: round(loads[i]!), value: round(values[i]!), z: 0, p: 1 }))
  const summary: Record<string, number> = { locations: ids.length, withIncidents: counts.reduce((s, c) => s + (c > 0 ? 1 : 0), 0) }
  if (o.method === 'gi') {
    const z = giStar(values, nb)
    const p = Float64Array.from(z, (v) => (Number.isFinite(v) ? twoSidedP(v) : 1))
    const zf = z.map((v) => (Number.isFinite(v) ? v : 0))
    const bins = confidenceBins(zf, p, { fdr: o.fdr })
    rows.forEach((r, i) => ((r.z = round(zf[i]!)), (r.p = p[i]!), (r.bin = bins[i]!)))
    for (let b = -3; b <= 3; b++) summary[`bin${b < 0 ? 'm' : 'p'}${Math.abs(b)}`] = bins.reduce((s, v) => s + (v === b ? 1 : 0), 0)
  } else {
    const m = localMoran(values, nb, { permutations: o.permutations, seed: o.seed })
    rows.forEach((r, i) => {
      r.I = round(m.I[i]!)
      // zSim: I against its permutation distribution (m.z is the standardised value itself).
      r.z = Number.isFinite(m.zSim[i]!) ? round(m.zSim[i]!) : 0
      r.p = m.pSim[i]!
      r.quadrant = QUADRANTS[m.quadrant[i]!] ?? null
    })
    for (const name of ['HH', 'LH', 'LL', 'HL'] as const) summary[name] = rows.reduce((s, r) => s + (r.quadrant === name ? 1 : 0), 0)
  }
  const incidents = counts.reduce((a, b) => a + b, 0)
  const warnings: string[] = []
  if (ids.length < 2) warnings.push(`${ids.length} location(s): a local statistic needs neighbours to compare with; choose a finer resolution or a larger parent`)
  else if (incidents === 0) warnings.push('no incident in the study area: every z-score is 0 and nothing is significant; widen the period or the filters')
  else if (incidents < FEW_INCIDENTS) {
    const read = o.method === 'gi' ? 'the bins' : 'the quadrants'
    warnings.push(`only ${incidents} incident(s) in ${summary.withIncidents} location(s): with so few, a cell next to one incident can come out significant; widen the period or the filters before reading ${read}`)
  }
  return { rows, summary, warnings }
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}

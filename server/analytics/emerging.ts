/**
 * Emerging hot-spot analysis: a space-time cube of the study area's cells ×
 * weeks or months from the incident cube, Gi* per step with neighbours in
 * space and the previous step(s), a Mann-Kendall trend per location, and the
 * pattern classes analysts know from ArcGIS (./stats/emerging.ts).
 */
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import { addDays, daysBetween, type Filters } from './analytics-params.ts'
import { capSpaceTimeWork } from './work-limits.ts'
import { capCells, cubeFilter, type CellValues } from './cell-values.ts'
import { dayNumber } from './cube-cache.ts'
import { emergingHotspots, type EmergingPattern } from './stats/emerging.ts'

export const MAX_CUBE = 2_000_000
export const MAX_STEPS = 520

export interface EmergingOptions {
  step: 'week' | 'month'
  k: number
  timeWindow: number
  /** Benjamini–Hochberg on each step's bins, as ArcGIS Pro does (noise then rarely looks oscillating). */
  fdr: boolean
}

export interface EmergingRow {
  cell: string
  grid: string
  total: number
  pattern: EmergingPattern
  trendZ: number
  trendP: number
  lastZ: number
  lastP: number
}

/** Whole steps only: the window is trimmed at its start to a whole number of weeks, or to the calendar months wholly inside it. */
export function alignWindow(f: Filters, step: 'week' | 'month'): { from: string; to: string; steps: number } {
  if (step === 'week') {
    const steps = Math.floor(daysBetween(f.from, f.to) / 7)
    return { from: addDays(f.to, -7 * steps), to: f.to, steps }
  }
  // Whole calendar months inside [from, to): from moves forward to the next first of a month, to back to its month's first.
  const [fy, fm] = [Number(f.from.slice(0, 4)), Number(f.from.slice(5, 7))]
  const from = f.from.endsWith('-01') ? f.from : `${fm === 12 ? fy + 1 : fy}-${String(fm === 12 ? 1 : fm + 1).padStart(2, '0')}-01`
  const to = `${f.to.slice(0, 7)}-01`
  const steps = Math.max(0, (Number(to.slice(0, 4)) * 12 + Number(to.slice(5, 7))) - (Number(from.slice(0, 4)) * 12 + Number(from.slice(5, 7))))
  return { from, to, steps }
}

export async function emergingAnalysis(cells: CellValues, ix: IndexedGeneration, res: number, f: Filters, o: EmergingOptions) {
  const window = alignWindow(f, o.step)
  const area = await cells.area(ix, res, f.parent)
  const n = area.cells.length
  capCells(n * Math.max(window.steps, 1), MAX_CUBE, `Space-time cube of ${window.steps} ${o.step}s`)
  capSpaceTimeWork('Emerging hot spots', n, window.steps, res, o.k, o.timeWindow)
  const totals = new Float64Array(n)
  await cells.cube.sync()
  const first = dayNumber(window.from)
  const monthOf = (day: number) => {
    const d = new Date(Date.UTC(2000, 0, 1 + day))
    return d.getUTCFullYear() * 12 + d.getUTCMonth()
  }
  const firstMonth = monthOf(first)
  // One step number per day of the window, looked up per row.
  const stepByDay = Int32Array.from({ length: dayNumber(window.to) - first }, (_, k) => (o.step === 'week' ? Math.floor(k / 7) : monthOf(first + k) - firstMonth))
  const stepOf = (day: number) => stepByDay[day - first]!
  // A unit's area counts the unit's own incidents only, as its hot spots do.
  const scoped = { ...cubeFilter(f), fromDay: first, toDay: dayNumber(window.to), ...(area.parent ? { cells: cells.withinMask(ix, area.parent) } : {}) }
  let areaOf = new Int32Array(0)
  const values = new Float64Array(n * window.steps)
  cells.cube.scan(res, scoped, stepOf, (p, step, count, load) => {
    const i = areaOf[p]!
    if (i < 0 || step >= window.steps) return
    values[step * n + i] = values[step * n + i]! + (f.measure === 'load' ? load : count)
    totals[i] = totals[i]! + count
  }, (parents) => {
    areaOf = Int32Array.from(parents.values, (c) => area.indexOf.get(c) ?? -1)
  })
  if (f.per1000) for (let k = 0; k < values.length; k++) values[k] = area.population[k % n]! > 0 ? (1000 * values[k]!) / area.population[k % n]! : 0
  const cube = values
  const nb = cells.kRing(area, o.k)
  const result = emergingHotspots(cube, n, window.steps, nb, o.timeWindow, { fdr: o.fdr })
  const last = (window.steps - 1) * n
  const rows: EmergingRow[] = area.cells.map((cell, i) => ({
    cell,
    grid: area.grid[i]!,
    total: totals[i]!,
    pattern: result.pattern[i]!,
    trendZ: finite(result.trend[i]!.z),
    trendP: Number.isFinite(result.trend[i]!.p) ? result.trend[i]!.p : 1,
    lastZ: finite(result.z[last + i]!),
    lastP: Number.isFinite(result.p[last + i]!) ? result.p[last + i]! : 1,
  }))
  const patterns: Record<string, number> = {}
  for (const r of rows) patterns[r.pattern] = (patterns[r.pattern] ?? 0) + 1
  return { window, rows, patterns }
}

function finite(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : 0
}

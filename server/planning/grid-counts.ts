/**
 * How many grids each community should have when a rebalance changes the
 * count: in proportion to the primary measure for a given k or target load per
 * administrator, or, with neither, the current count with grids shifted from
 * the lightest-loaded community to the heaviest while balance needs it.
 */
import type { BalanceMeasure, PlanBlocks, PlanGrid, RebalanceOptions } from './plan-types.ts'

/**
 * Grids wanted per community when k (or a target load per administrator) asks
 * for a different count: proportional to the primary measure (see below), largest remainder, at
 * least one per community, locked grids counting toward their community.
 * null when the count stays and was not given as k.
 */
export function wantedCounts(blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[], options: RebalanceOptions): number[] | null {
  const C = blocks.communities.length
  const size = new Int32Array(grids.length)
  for (const g of out) size[g]!++
  const current = new Int32Array(C)
  const locked = new Int32Array(C)
  const freeBlocks = new Int32Array(C)
  const workload = new Float64Array(C)
  let administrators = 0
  for (let g = 0; g < grids.length; g++) {
    if (size[g] === 0) continue
    current[grids[g]!.community]!++
    administrators += grids[g]!.administrators
    if (grids[g]!.locked) locked[grids[g]!.community]!++
    else freeBlocks[grids[g]!.community]! += size[g]!
  }
  // Grid counts follow the heaviest-weighted measure that has anything to share out (workload by default;
  // with no incidents in the period, the next one), or the cells themselves when none has.
  const primary = [...options.measures].sort((a, b) => b.weight - a.weight).find((m) => measureTotal(blocks, m.measure) > 0)
  for (let b = 0; b < out.length; b++) workload[blocks.community[b]!]! += primary ? measureOf(blocks, primary.measure, b) : 1
  const now = current.reduce((a, b) => a + b, 0)
  let k: number
  if (options.k !== undefined) {
    k = options.k
    if (!Number.isInteger(k) || k < 1) throw new Error(`Unexpected k value: ${k}`)
  } else if (options.targetLoadPerAdministrator !== undefined) {
    const target = options.targetLoadPerAdministrator
    if (!(target > 0) || !Number.isFinite(target)) throw new Error(`Unexpected targetLoadPerAdministrator value: ${target}`)
    const perGrid = Math.max(1, administrators / Math.max(now, 1))
    k = Math.max(1, Math.round(workload.reduce((a, b) => a + b, 0) / (target * perGrid)))
  } else {
    return primary ? shiftCounts(workload, current, locked, freeBlocks, primary.tolerance) : null
  }
  // An explicit k redistributes the grids among communities even when the total stays.
  if (k === now && options.k === undefined) return null
  const minimum = Array.from(current, (_, c) => locked[c]! + (freeBlocks[c]! > 0 ? 1 : 0))
  return largestRemainder(workload, k, minimum).map((count, c) => Math.min(count, locked[c]! + freeBlocks[c]!))
}

function measureOf(blocks: PlanBlocks, measure: BalanceMeasure['measure'], b: number): number {
  return measure === 'workload' ? blocks.workload[b]! : measure === 'population' ? blocks.population[b]! : measure === 'households' ? blocks.households[b]! : blocks.area[b]!
}

function measureTotal(blocks: PlanBlocks, measure: BalanceMeasure['measure']): number {
  let total = 0
  for (let b = 0; b < blocks.h3.length; b++) total += measureOf(blocks, measure, b)
  return total
}

/**
 * Without k: the grid count stays, but a grid moves from the community with
 * the lightest load per grid to the one with the heaviest while the heaviest
 * is beyond the workload tolerance of the scope's mean and the move brings
 * both closer to it — only as many grids move as balance needs, since every
 * move reshapes two communities. null when nothing needs to move.
 */
function shiftCounts(workload: Float64Array, current: Int32Array, locked: Int32Array, freeBlocks: Int32Array, tolerance: number): number[] | null {
  const counts = Array.from(current)
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const mean = workload.reduce((a, b) => a + b, 0) / total
  if (!(mean > 0)) return null
  const perGrid = (c: number, n = counts[c]!) => (n > 0 ? workload[c]! / n : 0)
  let moved = false
  for (let step = 0; step < total; step++) {
    let hi = -1
    let lo = -1
    for (let c = 0; c < counts.length; c++) {
      if (counts[c]! === 0) continue
      if (counts[c]! < locked[c]! + freeBlocks[c]! && (hi < 0 || perGrid(c) > perGrid(hi))) hi = c
      if (counts[c]! > Math.max(1, locked[c]!) && (lo < 0 || perGrid(c) < perGrid(lo))) lo = c
    }
    if (hi < 0 || lo < 0 || hi === lo) break
    const before = Math.max(Math.abs(perGrid(hi) - mean), Math.abs(perGrid(lo) - mean))
    const after = Math.max(Math.abs(perGrid(hi, counts[hi]! + 1) - mean), Math.abs(perGrid(lo, counts[lo]! - 1) - mean))
    if (perGrid(hi) <= mean * (1 + tolerance) || after >= before) break
    counts[hi]!++
    counts[lo]!--
    moved = true
  }
  return moved ? counts : null
}

/** Splits `total` in proportion to `weights` by largest remainder, each at least its `minimum` (default 1). */
export function largestRemainder(weights: ArrayLike<number>, total: number, minimum: ArrayLike<number> = []): number[] {
  const m = weights.length
  let sum = 0
  for (let i = 0; i < m; i++) sum += weights[i]!
  const quota = Array.from({ length: m }, (_, i) => (sum > 0 ? (total * weights[i]!) / sum : total / m))
  const out = quota.map((q, i) => Math.max(Math.floor(q), minimum[i] ?? 1))
  let have = out.reduce((a, b) => a + b, 0)
  const byRemainder = (sign: 1 | -1) =>
    quota.map((_, i) => i).sort((a, b) => sign * ((quota[b]! - out[b]!) - (quota[a]! - out[a]!)) || a - b)
  while (have < total) {
    out[byRemainder(1)[0]!]!++
    have++
  }
  while (have > total) {
    const i = byRemainder(-1).find((i) => out[i]! > (minimum[i] ?? 1))
    if (i === undefined) break
    out[i]!--
    have--
  }
  return out
}

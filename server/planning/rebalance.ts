/**
 * Proposes a better plan: every grid connected and inside its community,
 * balanced on the planner's weighted measures, compact, and close to the plan it
 * starts from. Locked grids neither give nor take a block.
 *
 * Steps: (1) pieces cut off from an unlocked grid join a neighbouring grid;
 * (2) when k differs from the current count, communities get grids in
 * proportion to their workload and reach their count by splitting their
 * heaviest grids (two-seed region growing) or dissolving their lightest into
 * the neighbours; (3) local search with annealing (./partition-search.ts)
 * moves boundary blocks between neighbouring grids of a community.
 *
 * Same input and seed give the same plan: the clock can only end the search
 * early (`timeLimitMs`), never steer it.
 */
import { createRng } from '../demo/prng.ts'
import { bisect } from './grid-split.ts'
import { PartitionSearch, type SearchMeasure } from './partition-search.ts'
import { labelComponents, validateAssignment } from './plan-metrics.ts'
import type { BalanceMeasure, PlanBlocks, PlanGrid, RebalanceOptions } from './plan-types.ts'

export { splitGrid, splitGridByLine } from './grid-split.ts'

export interface RebalanceResult {
  assignment: Int32Array
  grids: PlanGrid[]
  /** Blocks whose grid differs from the input. */
  moved: number
  /** Descent sweeps and annealing rounds run. */
  iterations: number
  elapsedMs: number
}

const DEFAULT_MOVE_PENALTY = 0.02
const DEFAULT_COMPACTNESS_WEIGHT = 0.05
const DEFAULT_TIME_LIMIT_MS = 8000
/** Annealing rounds after the first descent, and how many in a row may bring nothing better. */
const MAX_ROUNDS = 200
const PATIENCE = 8
/** Annealing temperatures, in objective units (a grid at its tolerance costs 0.25). */
const T_START = 0.05
const T_END = 0.005

export function rebalance(
  blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], options: RebalanceOptions,
  newGrid: (community: number) => PlanGrid,
): RebalanceResult {
  const started = performance.now()
  validateAssignment(blocks, assignment, grids, true)
  const measures = searchMeasures(blocks, options.measures)
  const movePenalty = nonNegative('movePenalty', options.movePenalty ?? DEFAULT_MOVE_PENALTY)
  const compactnessWeight = nonNegative('compactnessWeight', options.compactnessWeight ?? DEFAULT_COMPACTNESS_WEIGHT)
  const deadline = started + nonNegative('timeLimitMs', options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS)
  const rng = createRng(options.seed)
  const out = Int32Array.from(assignment)
  const outGrids = grids.slice()

  reattachStrays(blocks, out, outGrids)
  const wanted = wantedCounts(blocks, out, outGrids, options)
  if (wanted) reshape(blocks, out, outGrids, wanted, blockScore(blocks, measures), newGrid)

  const G = outGrids.length
  const search = new PartitionSearch({
    blocks,
    assignment: out,
    origin: assignment,
    gridCount: G,
    frozen: Uint8Array.from(outGrids, (g) => (g.locked ? 1 : 0)),
    group: Int32Array.from(outGrids, (g) => g.community),
    measures,
    movePenalty,
    compactnessWeight,
    rng,
    deadline,
  })
  improve(search, out)

  let moved = 0
  for (let b = 0; b < out.length; b++) if (out[b] !== assignment[b]) moved++
  return { assignment: out, grids: outGrids, moved, iterations: search.iterations, elapsedMs: performance.now() - started }
}

/**
 * Descent, then rounds of annealing and descent from the best plan so far,
 * until PATIENCE rounds in a row bring no better plan (or the clock stops it).
 */
function improve(search: PartitionSearch, out: Int32Array) {
  let running = search.descend()
  const best = Int32Array.from(out)
  let bestObjective = search.objective()
  const moves = 2 * out.length
  for (let round = 0, idle = 0; running && round < MAX_ROUNDS && idle < PATIENCE; round++) {
    running = search.anneal(moves, T_START, T_END) && search.descend()
    const objective = search.objective()
    if (objective < bestObjective - 1e-9) {
      bestObjective = objective
      best.set(out)
      idle = 0
    } else {
      idle++
      search.restore(best)
    }
  }
  out.set(best)
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`Unexpected ${name} value: ${value}`)
  return value
}

function searchMeasures(blocks: PlanBlocks, measures: BalanceMeasure[]): SearchMeasure[] {
  if (!measures || measures.length === 0) throw new Error('Unexpected measures value: give at least one measure to balance')
  return measures.map((m) => {
    if (!['workload', 'population', 'households', 'area'].includes(m.measure)) throw new Error(`Unexpected measure value: ${m.measure}`)
    if (!(m.weight >= 0) || !Number.isFinite(m.weight)) throw new Error(`Unexpected weight value: ${m.weight} (${m.measure})`)
    if (!(m.tolerance > 0) || !Number.isFinite(m.tolerance)) throw new Error(`Unexpected tolerance value: ${m.tolerance} (${m.measure})`)
    return { values: blocks[m.measure], weight: m.weight, tolerance: m.tolerance }
  })
}

/** Each block's weighted share of its community's totals, the yardstick for "heaviest" and "lightest" grid. */
function blockScore(blocks: PlanBlocks, measures: SearchMeasure[]): Float64Array {
  const n = blocks.h3.length
  const C = blocks.communities.length
  const score = new Float64Array(n)
  for (const m of measures) {
    const total = new Float64Array(C)
    for (let b = 0; b < n; b++) total[blocks.community[b]!]! += m.values[b]!
    for (let b = 0; b < n; b++) {
      const t = total[blocks.community[b]!]!
      if (t > 0) score[b]! += (m.weight * m.values[b]!) / t
    }
  }
  return score
}

/**
 * Pieces cut off from an unlocked grid join the neighbouring unlocked grid they
 * share the longest border with, spreading inward from the border. A piece
 * enclosed by locked grids stays where it is.
 */
function reattachStrays(blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[]) {
  for (;;) {
    const { label, size } = labelComponents(blocks, out)
    const main = new Int32Array(grids.length).fill(-1)
    for (let b = 0; b < out.length; b++) {
      const g = out[b]!
      if (main[g] === -1 || size[label[b]!]! > size[main[g]!]!) main[g] = label[b]!
    }
    let changed = false
    for (let b = 0; b < out.length; b++) {
      const g = out[b]!
      if (grids[g]!.locked || label[b] === main[g]) continue
      let best = -1
      let bestLength = 0
      for (let k = blocks.nbrStart[b]!; k < blocks.nbrStart[b + 1]!; k++) {
        const j = blocks.nbr[k]!
        const h = out[j]!
        if (h === g || grids[h]!.locked || label[j] !== main[h]) continue
        let length = 0
        for (let k2 = blocks.nbrStart[b]!; k2 < blocks.nbrStart[b + 1]!; k2++) if (out[blocks.nbr[k2]!] === h) length += blocks.nbrLength[k2]!
        if (length > bestLength || (length === bestLength && h < best)) {
          best = h
          bestLength = length
        }
      }
      if (best >= 0) {
        out[b] = best
        changed = true
      }
    }
    if (!changed) return
  }
}

/**
 * Grids wanted per community when k (or a target load per administrator) asks
 * for a different count: proportional to the primary measure (see below), largest remainder, at
 * least one per community, locked grids counting toward their community.
 * null when the count stays and was not given as k.
 */
function wantedCounts(blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[], options: RebalanceOptions): number[] | null {
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

/** Splits heavy or dissolves light unlocked grids until each community has its wanted count. */
function reshape(
  blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[], wanted: number[], score: Float64Array,
  newGrid: (community: number) => PlanGrid,
) {
  const weigh = () => {
    const load = new Float64Array(grids.length)
    const size = new Int32Array(grids.length)
    for (let b = 0; b < out.length; b++) {
      load[out[b]!]! += score[b]!
      size[out[b]!]!++
    }
    return { load, size }
  }
  for (let c = 0; c < wanted.length; c++) {
    for (;;) {
      const { load, size } = weigh()
      const free: number[] = []
      let count = 0
      for (let g = 0; g < grids.length; g++) {
        if (grids[g]!.community !== c || size[g] === 0) continue
        count++
        if (!grids[g]!.locked) free.push(g)
      }
      if (count === wanted[c]) break
      free.sort((x, y) => load[x]! - load[y]! || x - y)
      const done = count < wanted[c]! ? splitHeaviest(blocks, out, grids, c, free, size, score, newGrid) : dissolveLightest(blocks, out, grids, free, load, score)
      if (!done) break
    }
  }
}

function splitHeaviest(
  blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[], c: number, lightFirst: number[], size: Int32Array,
  score: Float64Array, newGrid: (community: number) => PlanGrid,
): boolean {
  for (let i = lightFirst.length - 1; i >= 0; i--) {
    const g = lightFirst[i]!
    if (size[g]! < 2) continue
    const members: number[] = []
    for (let b = 0; b < out.length; b++) if (out[b] === g) members.push(b)
    const into = grids.length
    const trial = Int32Array.from(out)
    try {
      bisect(blocks, trial, members, into, score, 0.5)
    } catch {
      continue // not connected (a piece enclosed by locked grids); try the next heaviest
    }
    grids.push(newGrid(c))
    out.set(trial)
    return true
  }
  return false
}

/** Empties the lightest unlocked grid that has an unlocked neighbour: each block joins the lightest neighbouring grid, border inward. */
function dissolveLightest(
  blocks: PlanBlocks, out: Int32Array, grids: PlanGrid[], lightFirst: number[], load: Float64Array, score: Float64Array,
): boolean {
  for (const g of lightFirst) {
    let pending: number[] = []
    for (let b = 0; b < out.length; b++) if (out[b] === g) pending.push(b)
    const trial = Int32Array.from(out)
    const trialLoad = Float64Array.from(load)
    while (pending.length > 0) {
      const still: number[] = []
      for (const b of pending) {
        let best = -1
        for (let k = blocks.nbrStart[b]!; k < blocks.nbrStart[b + 1]!; k++) {
          const h = trial[blocks.nbr[k]!]!
          if (h === g || grids[h]!.locked) continue
          if (best < 0 || trialLoad[h]! < trialLoad[best]! || (trialLoad[h] === trialLoad[best] && h < best)) best = h
        }
        if (best < 0) {
          still.push(b)
        } else {
          trial[b] = best
          trialLoad[best]! += score[b]!
        }
      }
      if (still.length === pending.length) break
      pending = still
    }
    if (pending.length > 0) continue // enclosed by locked grids
    out.set(trial)
    return true
  }
  return false
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

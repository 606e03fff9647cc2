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
import { wantedCounts } from './grid-counts.ts'
import { reshape } from './grid-reshape.ts'
import { PartitionSearch, type SearchMeasure } from './partition-search.ts'
import { labelComponents, validateAssignment } from './plan-metrics.ts'
import type { BalanceMeasure, PlanBlocks, PlanGrid, RebalanceOptions } from './plan-types.ts'
import { nextTurn } from '../next-turn.ts'

export { gridConnected, splitGrid, splitGridByLine } from './grid-split.ts'

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

/**
 * The search may run for seconds (up to the time limit): it gives the event
 * loop a turn between its rounds (server/next-turn.ts), so the server goes on
 * answering other requests meanwhile. The rounds themselves are the same, so
 * the plan is the same for the same seed.
 */
export async function rebalance(
  blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], options: RebalanceOptions,
  newGrid: (community: number) => PlanGrid,
): Promise<RebalanceResult> {
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
  await improve(search, out)

  let moved = 0
  for (let b = 0; b < out.length; b++) if (out[b] !== assignment[b]) moved++
  return { assignment: out, grids: outGrids, moved, iterations: search.iterations, elapsedMs: performance.now() - started }
}

/**
 * Descent, then rounds of annealing and descent from the best plan so far,
 * until PATIENCE rounds in a row bring no better plan (or the clock stops it).
 */
async function improve(search: PartitionSearch, out: Int32Array) {
  let running = search.descend()
  const best = Int32Array.from(out)
  let bestObjective = search.objective()
  const moves = 2 * out.length
  for (let round = 0, idle = 0; running && round < MAX_ROUNDS && idle < PATIENCE; round++) {
    await nextTurn()
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

/**
 * Reaching each community's wanted grid count: its heaviest unlocked grid is
 * split in two (two-seed region growing, ./grid-split.ts), or its lightest is
 * dissolved into the neighbours, border inward.
 */
import { bisect } from './grid-split.ts'
import type { PlanBlocks, PlanGrid } from './plan-types.ts'

/** Splits heavy or dissolves light unlocked grids until each community has its wanted count. */
export function reshape(
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

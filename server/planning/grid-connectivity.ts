/**
 * Whether a grid stays connected when one block leaves it — asked for every
 * move the rebalancer's search makes, so it searches outward from the block's
 * neighbours in the grid and stops as soon as they have all met, which is
 * usually after a few steps around the block. Scratch arrays are reused;
 * marks are told apart by an epoch, so nothing is cleared between calls.
 */
import type { PlanBlocks } from './plan-types.ts'

export class GridConnectivity {
  private readonly stamp: Int32Array
  private readonly queue: Int32Array
  private epoch = 0

  constructor(private readonly blocks: PlanBlocks) {
    this.stamp = new Int32Array(blocks.nbrStart.length - 1)
    this.queue = new Int32Array(blocks.nbrStart.length - 1)
  }

  /** True when grid assignment[b] stays connected without block b. */
  canLeave(assignment: Int32Array, b: number): boolean {
    const g = assignment[b]!
    const { nbrStart, nbr } = this.blocks
    const stamp = this.stamp
    let wanted = 0
    let start = -1
    const epoch = ++this.epoch
    for (let k = nbrStart[b]!, last = nbrStart[b + 1]!; k < last; k++) {
      const j = nbr[k]!
      if (assignment[j] === g) {
        wanted++
        start = j
        stamp[j] = -epoch
      }
    }
    if (wanted <= 1) return true
    // Search g without b from one of b's neighbours in g until all of them are reached.
    stamp[b] = epoch
    stamp[start] = epoch
    let found = 1
    let tail = 0
    this.queue[tail++] = start
    for (let head = 0; head < tail; head++) {
      const i = this.queue[head]!
      for (let k = nbrStart[i]!; k < nbrStart[i + 1]!; k++) {
        const j = nbr[k]!
        const st = stamp[j]!
        if (st === epoch || assignment[j] !== g) continue
        if (st === -epoch && ++found === wanted) return true
        stamp[j] = epoch
        this.queue[tail++] = j
      }
    }
    return false
  }
}

/**
 * The rebalancer's engine: local search over single-block moves between
 * adjacent grids of one community, keeping every grid connected. It minimises
 *
 *   Σ_measures weight · Σ_grids (max(0, |dev| − tol/2) / tol)²
 *   + movePenalty · (blocks whose grid differs from the input)
 *   + compactnessWeight · (Σ grid perimeters / typical block perimeter)
 *
 * where dev = (load − target) / target and target is the mean of the
 * community's non-empty grids. Dividing by the tolerance puts measures with
 * different tolerances on one scale: a grid at exactly its tolerance costs
 * weight × 0.25. Perimeter is counted in block perimeters, so a move that shortens
 * the borders by one block's outline is worth compactnessWeight.
 *
 * Plain descent stalls where a grid can only shed load through neighbours that
 * are themselves full; the search then anneals (seeded random moves accepted by
 * the Metropolis rule) and descends again, keeping the best plan seen. Every
 * decision comes from the seeded generator; the clock can only end the search.
 */
import { shuffle, type Rng } from '../demo/prng.ts'
import { GridConnectivity } from './grid-connectivity.ts'
import type { PlanBlocks } from './plan-types.ts'

export interface SearchMeasure {
  values: Float64Array
  weight: number
  tolerance: number
}

export interface SearchSetup {
  blocks: PlanBlocks
  /** Worked on in place. */
  assignment: Int32Array
  /** The input's grid of each block, for the move penalty. */
  origin: Int32Array
  gridCount: number
  /** Per grid: 1 when it neither gives nor takes blocks (locked, or outside the task). */
  frozen: Uint8Array
  /** Per grid: grids of one group share a target, the mean of their loads (−1: no target). */
  group: Int32Array
  measures: SearchMeasure[]
  movePenalty: number
  compactnessWeight: number
  rng: Rng
  /** performance.now() at which to stop. */
  deadline: number
}

export class PartitionSearch {
  /** Completed descent sweeps and annealing rounds. */
  iterations = 0
  private readonly s: SearchSetup
  private readonly blocks: PlanBlocks
  private readonly a: Int32Array
  private readonly size: Int32Array
  private readonly G: number
  private readonly M: number
  private readonly load: Float64Array
  private readonly invTarget: Float64Array
  private readonly perimeterUnit: number
  private readonly connectivity: GridConnectivity
  private readonly order: Int32Array
  private readonly candGrid = new Int32Array(64)
  private readonly candLen = new Float64Array(64)
  private ownBorder = 0

  constructor(setup: SearchSetup) {
    this.s = setup
    this.blocks = setup.blocks
    this.a = setup.assignment
    const n = this.a.length
    const G = (this.G = setup.gridCount)
    const M = (this.M = setup.measures.length)
    this.size = new Int32Array(G)
    this.load = new Float64Array(M * G)
    this.restore(this.a)
    // Targets: per group (the community, for the rebalancer), the mean over its non-empty grids.
    this.invTarget = new Float64Array(M * G)
    let groups = 0
    for (let g = 0; g < G; g++) groups = Math.max(groups, setup.group[g]! + 1)
    const count = new Int32Array(groups)
    const total = new Float64Array(M * groups)
    for (let g = 0; g < G; g++) {
      const c = setup.group[g]!
      if (c < 0 || this.size[g] === 0) continue
      count[c]!++
      for (let m = 0; m < M; m++) total[m * groups + c]! += this.load[m * G + g]!
    }
    for (let g = 0; g < G; g++) {
      const c = setup.group[g]!
      if (c < 0 || this.size[g] === 0) continue
      for (let m = 0; m < M; m++) {
        const target = total[m * groups + c]! / count[c]!
        this.invTarget[m * G + g] = target > 0 ? 1 / target : 0
      }
    }
    let perimeterSum = 0
    for (let b = 0; b < n; b++) {
      let p = this.blocks.edgeLength[b]!
      for (let k = this.blocks.nbrStart[b]!; k < this.blocks.nbrStart[b + 1]!; k++) p += this.blocks.nbrLength[k]!
      perimeterSum += p
    }
    this.perimeterUnit = n > 0 && perimeterSum > 0 ? perimeterSum / n : 1
    this.connectivity = new GridConnectivity(this.blocks)
    const movable: number[] = []
    for (let b = 0; b < n; b++) if (!setup.frozen[this.a[b]!]) movable.push(b)
    this.order = Int32Array.from(movable)
  }

  /** Makes `assignment` (with the same non-empty grids) the current plan again. */
  restore(assignment: Int32Array): void {
    if (assignment !== this.a) this.a.set(assignment)
    this.size.fill(0)
    this.load.fill(0)
    for (let b = 0; b < this.a.length; b++) {
      const g = this.a[b]!
      this.size[g]!++
      for (let m = 0; m < this.M; m++) this.load[m * this.G + g]! += this.s.measures[m]!.values[b]!
    }
  }

  /** The full objective (for keeping the best plan seen). */
  objective(): number {
    let sum = 0
    for (let g = 0; g < this.G; g++) {
      if (this.size[g] === 0) continue
      for (let m = 0; m < this.M; m++) sum += this.penalty(m, g, this.load[m * this.G + g]!)
    }
    let moved = 0
    let border = 0
    const { nbrStart, nbr, nbrLength, edgeLength } = this.blocks
    for (let b = 0; b < this.a.length; b++) {
      if (this.a[b] !== this.s.origin[b]) moved++
      border += edgeLength[b]!
      for (let k = nbrStart[b]!; k < nbrStart[b + 1]!; k++) if (this.a[nbr[k]!] !== this.a[b]) border += nbrLength[k]!
    }
    return sum + this.s.movePenalty * moved + (this.s.compactnessWeight * border) / this.perimeterUnit
  }

  /**
   * Descends until no single move improves, or the deadline; returns false when
   * stopped by the clock. Each sweep applies the improving moves best first (a
   * cheap stand-in for steepest descent): a grid far over target then sheds its
   * heaviest border blocks straight to an under-target neighbour before loads
   * start flowing through intermediate grids, which moves fewer blocks.
   */
  descend(): boolean {
    const found: number[] = []
    const gain: number[] = []
    for (;;) {
      if (performance.now() > this.s.deadline) return false
      this.iterations++
      shuffle(this.order, this.s.rng)
      found.length = 0
      gain.length = 0
      for (let o = 0; o < this.order.length; o++) {
        const b = this.order[o]!
        if (this.bestMove(b) >= 0 && this.lastDelta < -1e-12) {
          found.push(b)
          gain.push(this.lastDelta)
        }
      }
      // Ties keep the shuffled order.
      const rank = found.map((_, i) => i).sort((x, y) => gain[x]! - gain[y]! || x - y)
      let improved = 0
      for (const i of rank) {
        const b = found[i]!
        const h = this.bestMove(b)
        if (h >= 0 && this.lastDelta < -1e-12 && this.connectivity.canLeave(this.a, b)) {
          this.move(b, h)
          improved++
        }
      }
      if (improved === 0) return true
    }
  }

  /**
   * Anneals for `moves` random boundary moves at a temperature falling from t0
   * to t1 (Metropolis acceptance), each kept connected. Returns false when
   * stopped by the clock.
   */
  anneal(moves: number, t0: number, t1: number): boolean {
    const rng = this.s.rng
    const n = this.order.length
    if (n === 0) return true
    this.iterations++
    for (let i = 0; i < moves; i++) {
      if ((i & 1023) === 0 && performance.now() > this.s.deadline) return false
      const t = t0 * Math.pow(t1 / t0, i / moves)
      const b = this.order[rng.int(n)]!
      const h = this.randomMove(b)
      if (h < 0) continue
      if (this.lastDelta > 0 && rng.next() >= Math.exp(-this.lastDelta / t)) continue
      if (this.connectivity.canLeave(this.a, b)) this.move(b, h)
    }
    return true
  }

  /** Δ objective of the last move evaluated. */
  private lastDelta = 0

  /** The neighbouring grid b is best moved to (lastDelta = its Δ), or −1. */
  private bestMove(b: number): number {
    const count = this.candidates(b)
    if (count <= 0) return -1
    let best = -1
    let bestDelta = Infinity
    for (let c = 0; c < count; c++) {
      const d = this.delta(b, this.candGrid[c]!, this.candLen[c]!)
      if (d < bestDelta) {
        bestDelta = d
        best = this.candGrid[c]!
      }
    }
    this.lastDelta = bestDelta
    return best
  }

  private randomMove(b: number): number {
    const count = this.candidates(b)
    if (count <= 0) return -1
    const c = this.s.rng.int(count)
    this.lastDelta = this.delta(b, this.candGrid[c]!, this.candLen[c]!)
    return this.candGrid[c]!
  }

  /** Fills candGrid/candLen with the movable grids next to b and the border each shares with b (ownBorder: b's border with its own grid). */
  private candidates(b: number): number {
    const g = this.a[b]!
    if (this.s.frozen[g] || this.size[g]! <= 1) return -1
    const { nbrStart, nbr, nbrLength } = this.blocks
    let count = 0
    let own = 0
    for (let k = nbrStart[b]!; k < nbrStart[b + 1]!; k++) {
      const h = this.a[nbr[k]!]!
      if (h === g) {
        own += nbrLength[k]!
        continue
      }
      if (this.s.frozen[h]) continue
      let c = 0
      while (c < count && this.candGrid[c] !== h) c++
      if (c === count) {
        if (count === this.candGrid.length) continue
        this.candGrid[count] = h
        this.candLen[count++] = 0
      }
      this.candLen[c]! += nbrLength[k]!
    }
    this.ownBorder = own
    return count
  }

  private delta(b: number, h: number, sharedWithH: number): number {
    const g = this.a[b]!
    const G = this.G
    let d = 0
    for (let m = 0; m < this.M; m++) {
      const v = this.s.measures[m]!.values[b]!
      if (v === 0) continue
      const lg = this.load[m * G + g]!
      const lh = this.load[m * G + h]!
      d += this.penalty(m, g, lg - v) - this.penalty(m, g, lg) + this.penalty(m, h, lh + v) - this.penalty(m, h, lh)
    }
    const origin = this.s.origin[b]!
    if (origin === g) d += this.s.movePenalty
    else if (origin === h) d -= this.s.movePenalty
    // Σ perimeters changes by 2 × (border with the old grid − border with the new one).
    d += (this.s.compactnessWeight * 2 * (this.ownBorder - sharedWithH)) / this.perimeterUnit
    return d
  }

  private penalty(m: number, g: number, load: number): number {
    const measure = this.s.measures[m]!
    const dev = Math.abs(load * this.invTarget[m * this.G + g]! - 1)
    const excess = dev - measure.tolerance * 0.5
    if (excess <= 0) return 0
    const x = excess / measure.tolerance
    return measure.weight * x * x
  }

  private move(b: number, h: number): void {
    const g = this.a[b]!
    const G = this.G
    for (let m = 0; m < this.M; m++) {
      const v = this.s.measures[m]!.values[b]!
      this.load[m * G + g]! -= v
      this.load[m * G + h]! += v
    }
    this.size[g]!--
    this.size[h]!++
    this.a[b] = h
  }
}

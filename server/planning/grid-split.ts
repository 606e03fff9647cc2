/**
 * Cutting one grid into several: into k parts of even workload (seeded region
 * growing, then the rebalancer's local search among the parts), or along a line
 * the planner draws. Both keep every part connected and return new arrays.
 */
import { createRng } from '../demo/prng.ts'
import { M_PER_DEG_LAT, M_PER_DEG_LON } from './enclosing-circle.ts'
import { MinHeap } from './min-heap.ts'
import { PartitionSearch } from './partition-search.ts'
import type { PlanBlocks, PlanGrid } from './plan-types.ts'

type NewGrid = (community: number) => PlanGrid

/** Time the local search may spend evening out the parts of a split. */
const SPLIT_SEARCH_MS = 1000

/** Splits grid g into k connected parts of balanced workload; g keeps one part, k − 1 are new grids. */
export function splitGrid(
  blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], g: number, k: number, newGrid: NewGrid, seed: number,
): { assignment: Int32Array; grids: PlanGrid[] } {
  const members = membersOf(assignment, grids, g)
  if (!Number.isInteger(k) || k < 1 || k > members.length) {
    throw new Error(`Unexpected k value: ${k} (grid ${grids[g]!.code} has ${members.length} blocks)`)
  }
  if (!connected(blocks, assignment, members)) {
    throw new Error(`Grid ${grids[g]!.code} is not connected; make it one piece before splitting it`)
  }
  const out = Int32Array.from(assignment)
  const outGrids = grids.slice()
  const parts = [g]
  for (let p = 1; p < k; p++) parts.push(outGrids.push(newGrid(grids[g]!.community)) - 1)
  // Halving recursively gives round parts; when a half comes out too small for
  // its share of the k parts (k close to the block count), cut a spanning tree instead.
  const cut = (list: number[], first: number, k: number) => {
    if (k === 1) return
    const kA = Math.ceil(k / 2)
    bisect(blocks, out, list, parts[first + kA]!, blocks.workload, kA / k, kA, k - kA)
    cut(list.filter((b) => out[b] === parts[first]), first, kA)
    cut(list.filter((b) => out[b] === parts[first + kA]), first + kA, k - kA)
  }
  try {
    cut(members, 0, k)
  } catch {
    for (const b of members) out[b] = g
    cutTree(blocks, out, members, parts, blocks.workload)
  }
  if (k > 1) {
    const G = outGrids.length
    const frozen = new Uint8Array(G).fill(1)
    const group = new Int32Array(G).fill(-1)
    for (const p of parts) {
      frozen[p] = 0
      group[p] = 0
    }
    const search = new PartitionSearch({
      blocks, assignment: out, origin: Int32Array.from(out), gridCount: G, frozen, group,
      measures: [{ values: blocks.workload, weight: 1, tolerance: 0.05 }],
      movePenalty: 0, compactnessWeight: 0.05, rng: createRng(seed), deadline: performance.now() + SPLIT_SEARCH_MS,
    })
    search.descend()
  }
  return { assignment: out, grids: outGrids }
}

/**
 * Splits grid g along a polyline ([lon, lat] points): adjacencies whose
 * centroid-to-centroid segment crosses the line are cut; the largest connected
 * piece stays g and every other piece becomes a new grid.
 */
export function splitGridByLine(
  blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], g: number, line: [number, number][], newGrid: NewGrid,
): { assignment: Int32Array; grids: PlanGrid[] } {
  const members = membersOf(assignment, grids, g)
  if (line.length < 2) throw new Error(`Unexpected line length: ${line.length} points; a cut needs at least 2`)
  const { centroid, nbrStart, nbr } = blocks
  const piece = new Map<number, number>()
  const sizes: number[] = []
  for (const s of members) {
    if (piece.has(s)) continue
    const id = sizes.length
    piece.set(s, id)
    const queue = [s]
    for (let q = 0; q < queue.length; q++) {
      const i = queue[q]!
      for (let e = nbrStart[i]!; e < nbrStart[i + 1]!; e++) {
        const j = nbr[e]!
        if (assignment[j] !== g || piece.has(j)) continue
        if (crossesLine(centroid[2 * i]!, centroid[2 * i + 1]!, centroid[2 * j]!, centroid[2 * j + 1]!, line)) continue
        piece.set(j, id)
        queue.push(j)
      }
    }
    sizes.push(queue.length)
  }
  if (sizes.length < 2) {
    throw new Error(`the line does not cut grid ${grids[g]!.code} into separate parts; draw it across the grid from border to border`)
  }
  let keep = 0
  for (let p = 1; p < sizes.length; p++) if (sizes[p]! > sizes[keep]!) keep = p
  const out = Int32Array.from(assignment)
  const outGrids = grids.slice()
  const target = sizes.map((_, p) => (p === keep ? g : outGrids.push(newGrid(grids[g]!.community)) - 1))
  for (const b of members) out[b] = target[piece.get(b)!]!
  return { assignment: out, grids: outGrids }
}

/**
 * Moves a connected part of `members` (all of one grid) to grid `into`, leaving
 * about `share` of the weight behind; both parts stay connected. Two regions grow
 * from the two blocks farthest apart, the lighter one (relative to its share)
 * taking its nearest free neighbour each step, so the parts come out round.
 */
export function bisect(
  blocks: PlanBlocks, assignment: Int32Array, members: number[], into: number,
  weight: Float64Array, share: number, minKeep = 1, minMove = 1,
): void {
  const n = members.length
  if (n < minKeep + minMove) throw new Error(`Cannot cut ${n} blocks into parts of at least ${minKeep} and ${minMove}`)
  const lat0 = blocks.centroid[2 * members[0]! + 1]!
  const kx = Math.cos((lat0 * Math.PI) / 180) * M_PER_DEG_LON
  const ky = M_PER_DEG_LAT
  const x = (b: number) => blocks.centroid[2 * b]! * kx
  const y = (b: number) => blocks.centroid[2 * b + 1]! * ky
  let mx = 0, my = 0, total = 0
  for (const b of members) {
    mx += x(b) / n
    my += y(b) / n
    total += weight[b]!
  }
  const farthest = (fx: number, fy: number) => {
    let best = members[0]!
    let bestD = -1
    for (const b of members) {
      const d = (x(b) - fx) ** 2 + (y(b) - fy) ** 2
      if (d > bestD) {
        bestD = d
        best = b
      }
    }
    return best
  }
  const seedA = farthest(mx, my)
  const seedB = farthest(x(seedA), y(seedA))
  // A little weight for every block, so that weightless blocks are shared out too.
  const w = (b: number) => weight[b]! + (total > 0 ? (0.01 * total) / n : 1)

  const grid = assignment[seedA]!
  const side = new Map<number, 0 | 1>()
  const heaps = [new MinHeap(), new MinHeap()] as const
  const seeds = [seedA, seedB] as const
  const sum = [0, 0]
  const count = [0, 0]
  const need = [minKeep, minMove]
  const claim = (s: 0 | 1, b: number) => {
    side.set(b, s)
    sum[s]! += w(b)
    count[s]!++
    for (let e = blocks.nbrStart[b]!; e < blocks.nbrStart[b + 1]!; e++) {
      const j = blocks.nbr[e]!
      if (assignment[j] === grid && !side.has(j)) heaps[s].push(j, (x(j) - x(seeds[s])) ** 2 + (y(j) - y(seeds[s])) ** 2)
    }
  }
  const next = (s: 0 | 1) => {
    const heap = heaps[s]
    while (heap.size > 0 && side.has(heap.peek())) heap.pop()
    return heap.size > 0 ? heap.peek() : -1
  }
  claim(0, seedA)
  claim(1, seedB)
  for (let left = n - 2; left > 0; left--) {
    let s: 0 | 1 = sum[0]! / share <= sum[1]! / (1 - share) ? 0 : 1
    const other = (1 - s) as 0 | 1
    if (need[other]! - count[other]! >= left) s = other
    if (next(s) < 0) s = (1 - s) as 0 | 1
    const b = next(s)
    if (b < 0) throw new Error(`Blocks of grid ${grid} are not connected`)
    heaps[s].pop()
    claim(s, b)
  }
  for (const [b, s] of side) if (s === 1) assignment[b] = into
}

/**
 * Cuts the blocks of one grid into parts.length connected parts, through a BFS
 * spanning tree from the block nearest their centre: removing any k − 1 edges of
 * a tree leaves k connected pieces, so this never fails. Each cut takes the
 * subtree whose weight is closest to an even share.
 */
function cutTree(blocks: PlanBlocks, assignment: Int32Array, members: number[], parts: number[], weight: Float64Array) {
  const g = assignment[members[0]!]!
  let mx = 0, my = 0, total = 0
  for (const b of members) {
    mx += blocks.centroid[2 * b]! / members.length
    my += blocks.centroid[2 * b + 1]! / members.length
    total += weight[b]!
  }
  let root = members[0]!
  for (const b of members) {
    if ((blocks.centroid[2 * b]! - mx) ** 2 + (blocks.centroid[2 * b + 1]! - my) ** 2 <
      (blocks.centroid[2 * root]! - mx) ** 2 + (blocks.centroid[2 * root + 1]! - my) ** 2) root = b
  }
  const parent = new Map<number, number>([[root, -1]])
  const order = [root]
  for (let q = 0; q < order.length; q++) {
    const i = order[q]!
    for (let e = blocks.nbrStart[i]!; e < blocks.nbrStart[i + 1]!; e++) {
      const j = blocks.nbr[e]!
      if (assignment[j] === g && !parent.has(j)) {
        parent.set(j, i)
        order.push(j)
      }
    }
  }
  const share = total / parts.length
  const part = new Map<number, number>()
  const sub = new Map<number, number>()
  const size = new Map<number, number>()
  for (let p = 1; p < parts.length; p++) {
    // Subtree weights and sizes of the tree that is left, leaves first.
    for (const b of order) {
      sub.set(b, part.has(b) ? 0 : weight[b]!)
      size.set(b, part.has(b) ? 0 : 1)
    }
    for (let q = order.length - 1; q > 0; q--) {
      const b = order[q]!
      if (part.has(b)) continue
      const up = parent.get(b)!
      sub.set(up, sub.get(up)! + sub.get(b)!)
      size.set(up, size.get(up)! + size.get(b)!)
    }
    // A cut must leave a block for every part still to come.
    const room = size.get(root)! - (parts.length - p)
    let best = -1
    for (let q = 1; q < order.length; q++) {
      const b = order[q]!
      if (part.has(b) || size.get(b)! > room) continue
      if (best < 0 || Math.abs(sub.get(b)! - share) < Math.abs(sub.get(best)! - share)) best = b
    }
    // The subtree of best, minus parts already cut from it, becomes part p.
    const stack = [best]
    while (stack.length > 0) {
      const b = stack.pop()!
      part.set(b, p)
      for (let e = blocks.nbrStart[b]!; e < blocks.nbrStart[b + 1]!; e++) {
        const j = blocks.nbr[e]!
        if (parent.get(j) === b && !part.has(j)) stack.push(j)
      }
    }
  }
  for (const b of members) assignment[b] = parts[part.get(b) ?? 0]!
}

/** Whether grid g's blocks form one piece (a split needs that). */
export function gridConnected(blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], g: number): boolean {
  return connected(blocks, assignment, membersOf(assignment, grids, g))
}

function membersOf(assignment: Int32Array, grids: readonly PlanGrid[], g: number): number[] {
  const grid = grids[g]
  if (!grid) throw new Error(`Unexpected grid value: ${g} (grids: ${grids.length})`)
  if (grid.locked) throw new Error(`Grid ${grid.code} is locked`)
  const members: number[] = []
  for (let b = 0; b < assignment.length; b++) if (assignment[b] === g) members.push(b)
  return members
}

function connected(blocks: PlanBlocks, assignment: Int32Array, members: number[]): boolean {
  if (members.length === 0) return false
  const g = assignment[members[0]!]!
  const seen = new Set([members[0]!])
  const queue = [members[0]!]
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!
    for (let e = blocks.nbrStart[i]!; e < blocks.nbrStart[i + 1]!; e++) {
      const j = blocks.nbr[e]!
      if (assignment[j] === g && !seen.has(j)) {
        seen.add(j)
        queue.push(j)
      }
    }
  }
  return queue.length === members.length
}

function crossesLine(ax: number, ay: number, bx: number, by: number, line: [number, number][]): boolean {
  for (let i = 0; i + 1 < line.length; i++) {
    const [cx, cy] = line[i]!
    const [dx, dy] = line[i + 1]!
    const o1 = orient(cx, cy, dx, dy, ax, ay)
    const o2 = orient(cx, cy, dx, dy, bx, by)
    if ((o1 > 0 && o2 > 0) || (o1 < 0 && o2 < 0)) continue
    const o3 = orient(ax, ay, bx, by, cx, cy)
    const o4 = orient(ax, ay, bx, by, dx, dy)
    if ((o3 > 0 && o4 > 0) || (o3 < 0 && o4 < 0)) continue
    if (o1 === 0 && o2 === 0) continue // collinear: running along the segment is not crossing it
    return true
  }
  return false
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
}

/**
 * Figures a planner judges a plan by: per grid sums, shape and connectedness;
 * across the scope, how evenly each measure is spread. Recomputed from scratch on
 * every call — a few milliseconds for 5,000 blocks — so there is no state to
 * keep in step with the painting.
 */
import { createRng } from '../demo/prng.ts'
import { M_PER_DEG_LAT, M_PER_DEG_LON, minEnclosingCircle } from './enclosing-circle.ts'
import type { Balance, GridMetrics, PlanBlocks, PlanGrid, PlanMetrics } from './plan-types.ts'

const BALANCED = ['workload', 'population', 'households', 'area', 'loadPerAdministrator'] as const

/**
 * A grid's `deviation` is measured against the mean workload of the non-empty
 * grids of its own community, not of the whole scope: blocks can never leave
 * their community, so that mean is the balance a grid can actually reach. The
 * scope-wide spread is in `balance`. A grid with no blocks has been removed by
 * the plan: it is reported (cells 0, contiguous false, deviation −1) but left
 * out of `balance` and `compactness`.
 */
export function computeMetrics(blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[]): PlanMetrics {
  validateAssignment(blocks, assignment, grids)
  const n = assignment.length
  const G = grids.length
  const cells = new Int32Array(G)
  const sums = { workload: new Float64Array(G), population: new Float64Array(G), households: new Float64Array(G), area: new Float64Array(G) }
  const open = new Float64Array(G)
  const perimeter = new Float64Array(G)
  const onBoundary = new Uint8Array(n)
  let latSum = 0
  for (let b = 0; b < n; b++) {
    const g = assignment[b]!
    cells[g]!++
    sums.workload[g]! += blocks.workload[b]!
    sums.population[g]! += blocks.population[b]!
    sums.households[g]! += blocks.households[b]!
    sums.area[g]! += blocks.area[b]!
    open[g]! += blocks.openIncidents[b]!
    let p = blocks.edgeLength[b]!
    for (let k = blocks.nbrStart[b]!; k < blocks.nbrStart[b + 1]!; k++) {
      if (assignment[blocks.nbr[k]!] !== g) p += blocks.nbrLength[k]!
    }
    perimeter[g]! += p
    onBoundary[b] = p > 0 ? 1 : 0
    latSum += blocks.centroid[2 * b + 1]!
  }
  const reockRadius = enclosingRadii(blocks, assignment, G, onBoundary, n > 0 ? latSum / n : 0)
  const parts = componentsPerGrid(blocks, assignment, G)

  const communityLoad = new Map<number, { sum: number; count: number }>()
  for (let g = 0; g < G; g++) {
    if (cells[g] === 0) continue
    const c = communityLoad.get(grids[g]!.community) ?? { sum: 0, count: 0 }
    c.sum += sums.workload[g]!
    c.count++
    communityLoad.set(grids[g]!.community, c)
  }

  const out: GridMetrics[] = grids.map((grid, g) => {
    const c = communityLoad.get(grid.community)
    const target = c ? c.sum / c.count : 0
    const A = sums.area[g]!
    const P = perimeter[g]!
    const r = reockRadius[g]!
    return {
      code: grid.code,
      community: blocks.communities[grid.community]!,
      cells: cells[g]!,
      workload: sums.workload[g]!,
      population: sums.population[g]!,
      households: sums.households[g]!,
      areaM2: A,
      administrators: grid.administrators,
      // A grid without administrators counts as one: someone must be assigned to carry its load (the planner balances for that).
      loadPerAdministrator: sums.workload[g]! / Math.max(grid.administrators, 1),
      deviation: cells[g] === 0 ? -1 : target > 0 ? (sums.workload[g]! - target) / target : 0,
      perimeterM: P,
      polsbyPopper: P > 0 ? (4 * Math.PI * A) / (P * P) : 0,
      reock: r > 0 ? A / (Math.PI * r * r) : 0,
      openIncidents: open[g]!,
      contiguous: parts[g] === 1,
      locked: grid.locked,
    }
  })

  const live = out.filter((m) => m.cells > 0)
  const pick = { workload: 'workload', population: 'population', households: 'households', area: 'areaM2', loadPerAdministrator: 'loadPerAdministrator' } as const
  const balance = {} as PlanMetrics['balance']
  for (const measure of BALANCED) balance[measure] = spread(live.map((m) => m[pick[measure]]))
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)
  return {
    grids: out,
    balance,
    compactness: { meanPolsbyPopper: mean(live.map((m) => m.polsbyPopper)), meanReock: mean(live.map((m) => m.reock)) },
  }
}

/** Gini, coefficient of variation and largest relative deviation from the mean. */
export function spread(values: number[]): Balance {
  const n = values.length
  const sum = values.reduce((a, b) => a + b, 0)
  if (n === 0 || sum <= 0) return { gini: 0, cv: 0, maxDeviation: 0 }
  const mean = sum / n
  const sorted = [...values].sort((a, b) => a - b)
  let weighted = 0
  let squares = 0
  let maxDeviation = 0
  for (let i = 0; i < n; i++) {
    weighted += (2 * (i + 1) - n - 1) * sorted[i]!
    squares += (sorted[i]! - mean) ** 2
    maxDeviation = Math.max(maxDeviation, Math.abs(sorted[i]! - mean) / mean)
  }
  return { gini: weighted / (n * sum), cv: Math.sqrt(squares / n) / mean, maxDeviation }
}

/** For each grid that is not connected, the blocks of every piece but its largest. */
export function contiguityViolations(
  blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[],
): { grid: string; parts: number[][] }[] {
  validateAssignment(blocks, assignment, grids)
  const { label, size } = labelComponents(blocks, assignment)
  const pieces = new Map<number, number[][]>()
  const seen = new Map<number, number[]>()
  for (let b = 0; b < assignment.length; b++) {
    let list = seen.get(label[b]!)
    if (!list) {
      seen.set(label[b]!, (list = []))
      const byGrid = pieces.get(assignment[b]!) ?? []
      byGrid.push(list)
      pieces.set(assignment[b]!, byGrid)
    }
    list.push(b)
  }
  const out: { grid: string; parts: number[][] }[] = []
  for (let g = 0; g < grids.length; g++) {
    const parts = pieces.get(g)
    if (!parts || parts.length < 2) continue
    // The largest piece stays; of equal pieces, the one holding the lowest block.
    let keep = 0
    for (let p = 1; p < parts.length; p++) if (size[label[parts[p]![0]!]!]! > size[label[parts[keep]![0]!]!]!) keep = p
    out.push({ grid: grids[g]!.code, parts: parts.filter((_, p) => p !== keep) })
  }
  return out
}

/**
 * What a change of plan does to the people and staff on the ground. A block is
 * changed when its grid code differs. Administrators are counted as disrupted
 * when their grid ceases to exist (absent after, or left with 0 blocks) and when
 * their grid loses more than half of its blocks: they then serve a mostly
 * different area, even though their code survives.
 */
export function disruption(
  blocks: PlanBlocks,
  before: Int32Array, gridsBefore: readonly PlanGrid[],
  after: Int32Array, gridsAfter: readonly PlanGrid[],
): { cells: number; residents: number; openIncidents: number; administrators: number; changedGrids: string[] } {
  validateAssignment(blocks, before, gridsBefore)
  validateAssignment(blocks, after, gridsAfter)
  let cells = 0
  let residents = 0
  let openIncidents = 0
  const changed = new Set<string>()
  const sizeBefore = new Map<string, number>()
  const sizeAfter = new Map<string, number>()
  const lost = new Map<string, number>()
  for (let b = 0; b < before.length; b++) {
    const was = gridsBefore[before[b]!]!.code
    const now = gridsAfter[after[b]!]!.code
    sizeBefore.set(was, (sizeBefore.get(was) ?? 0) + 1)
    sizeAfter.set(now, (sizeAfter.get(now) ?? 0) + 1)
    if (was === now) continue
    cells++
    residents += blocks.population[b]!
    openIncidents += blocks.openIncidents[b]!
    changed.add(was).add(now)
    lost.set(was, (lost.get(was) ?? 0) + 1)
  }
  let administrators = 0
  for (const grid of gridsBefore) {
    const had = sizeBefore.get(grid.code) ?? 0
    if (had === 0) continue
    const gone = !sizeAfter.has(grid.code)
    if (gone || (lost.get(grid.code) ?? 0) * 2 > had) administrators += grid.administrators
  }
  return { cells, residents, openIncidents, administrators, changedGrids: [...changed].sort() }
}

/**
 * Throws when an assignment cannot be measured: wrong length or a grid index out
 * of range. Blocks in another community's grid are measured as they are (the
 * plan checks report them); pass `nesting` to reject them too.
 */
export function validateAssignment(blocks: PlanBlocks, assignment: Int32Array, grids: readonly PlanGrid[], nesting = false): void {
  if (assignment.length !== blocks.h3.length) {
    throw new Error(`Unexpected assignment length: ${assignment.length} (blocks: ${blocks.h3.length})`)
  }
  for (let b = 0; b < assignment.length; b++) {
    const g = assignment[b]!
    const grid = grids[g]
    if (!grid) throw new Error(`Unexpected assignment value: ${g} at block ${b} (grids: ${grids.length})`)
    if (nesting && grid.community !== blocks.community[b]) {
      throw new Error(`Block ${b} of community ${blocks.communities[blocks.community[b]!]} is assigned to grid ${grid.code} of another community`)
    }
  }
}

/** Connected pieces of same-grid blocks: a piece label per block and the size of each piece. */
export function labelComponents(blocks: PlanBlocks, assignment: Int32Array): { label: Int32Array; size: number[] } {
  const n = assignment.length
  const label = new Int32Array(n).fill(-1)
  const size: number[] = []
  const queue = new Int32Array(n)
  for (let s = 0; s < n; s++) {
    if (label[s] !== -1) continue
    const id = size.length
    label[s] = id
    queue[0] = s
    let tail = 1
    for (let head = 0; head < tail; head++) {
      const i = queue[head]!
      for (let k = blocks.nbrStart[i]!; k < blocks.nbrStart[i + 1]!; k++) {
        const j = blocks.nbr[k]!
        if (label[j] === -1 && assignment[j] === assignment[i]) {
          label[j] = id
          queue[tail++] = j
        }
      }
    }
    size.push(tail)
  }
  return { label, size }
}

function componentsPerGrid(blocks: PlanBlocks, assignment: Int32Array, G: number): Int32Array {
  const { label, size } = labelComponents(blocks, assignment)
  const count = new Int32Array(G)
  const counted = new Uint8Array(size.length)
  for (let b = 0; b < assignment.length; b++) {
    if (counted[label[b]!]) continue
    counted[label[b]!] = 1
    count[assignment[b]!]!++
  }
  return count
}

/** Radius (m) of each grid's smallest enclosing circle, from the vertices of its boundary blocks. */
function enclosingRadii(blocks: PlanBlocks, assignment: Int32Array, G: number, onBoundary: Uint8Array, lat0: number): Float64Array {
  const n = assignment.length
  // Boundary blocks bucketed by grid (counting sort).
  const start = new Int32Array(G + 1)
  let maxVertices = 0
  const vertexCount = new Int32Array(G)
  for (let b = 0; b < n; b++) {
    if (!onBoundary[b]) continue
    start[assignment[b]! + 1]!++
    vertexCount[assignment[b]!]! += blocks.vertexStart[b + 1]! - blocks.vertexStart[b]!
  }
  for (let g = 0; g < G; g++) {
    start[g + 1]! += start[g]!
    maxVertices = Math.max(maxVertices, vertexCount[g]!)
  }
  const order = new Int32Array(start[G]!)
  const fill = start.slice(0, G)
  for (let b = 0; b < n; b++) if (onBoundary[b]) order[fill[assignment[b]!]!++] = b

  const kx = Math.cos((lat0 * Math.PI) / 180) * M_PER_DEG_LON
  const ky = M_PER_DEG_LAT
  const xs = new Float64Array(maxVertices)
  const ys = new Float64Array(maxVertices)
  const rng = createRng('reock')
  const radii = new Float64Array(G)
  for (let g = 0; g < G; g++) {
    let m = 0
    // Relative to one vertex of the grid, so that metres keep their precision.
    const first = start[g]! < start[g + 1]! ? blocks.vertexStart[order[start[g]!]!]! : 0
    const lon0 = blocks.vertices[2 * first] ?? 0
    const lat0g = blocks.vertices[2 * first + 1] ?? 0
    for (let o = start[g]!; o < start[g + 1]!; o++) {
      const b = order[o]!
      for (let v = blocks.vertexStart[b]!; v < blocks.vertexStart[b + 1]!; v++) {
        xs[m] = (blocks.vertices[2 * v]! - lon0) * kx
        ys[m++] = (blocks.vertices[2 * v + 1]! - lat0g) * ky
      }
    }
    radii[g] = minEnclosingCircle(xs, ys, m, rng).r
  }
  return radii
}

/**
 * Plan edits as pure functions of the plan state: each returns the new
 * assignment and grid list (the inputs are never mutated) or throws an
 * AppError saying what is wrong with the request. Undo and redo are not here:
 * they replay stored steps (see ./plan-service.ts).
 */
import { orient2d } from 'robust-predicates'
import { AppError } from '../errors.ts'
import type { PlanConstraints } from './create-plan.ts'
import type { PlanState } from './plan-state.ts'
import type { BalanceMeasure, PlanGrid } from './plan-types.ts'
import { rebalance, splitGrid, splitGridByLine } from './rebalance.ts'

export type Position = [number, number]

export type PlanOp =
  | { op: 'paint'; grid: string; cells?: string[]; at?: Position; radiusM?: number; polygon?: { type: 'Polygon'; coordinates: Position[][] } }
  | { op: 'split'; grid: string; k?: number; line?: Position[]; seed?: number }
  | { op: 'merge'; grids: string[] }
  | { op: 'add-grid'; community: string; cells?: string[]; name?: string }
  | { op: 'remove-grid'; grid: string; into?: string }
  | { op: 'lock'; grid: string; locked: boolean }
  | { op: 'rename'; grid: string; name: string }
  | { op: 'constraints'; constraints: PlanConstraints }
  | {
      op: 'rebalance'
      k?: number
      targetLoadPerAdministrator?: number
      measures?: BalanceMeasure[]
      movePenalty?: number
      compactnessWeight?: number
      seed?: number
      timeLimitMs?: number
    }
  | { op: 'assign'; rows: { cell: string; grid: string }[] }

export interface OpResult {
  assignment: Int32Array
  grids: PlanGrid[]
  constraints?: PlanConstraints
  /** Blocks the edit left alone because their grid is locked. */
  skippedLocked?: number
  /** Anything worth telling the planner (rebalancer figures…). */
  info?: Record<string, unknown>
}

/** Makes a grid with a fresh code under a community (index into blocks.communities). */
export type GridFactory = (community: number) => PlanGrid

export const DEFAULT_MEASURES: BalanceMeasure[] = [
  { measure: 'workload', weight: 1, tolerance: 0.1 },
  { measure: 'population', weight: 0.3, tolerance: 0.3 },
]

export function applyOp(state: PlanState, op: PlanOp, newGrid: GridFactory): OpResult {
  const grids = state.grids.map((g) => ({ ...g }))
  const assignment = Int32Array.from(state.assignment)
  const { blocks } = state
  const gridOf = (code: string, what = 'grid') => {
    const g = grids.findIndex((x) => x.code === code)
    if (g < 0) throw new AppError('invalid-parameter', `Unexpected ${what} value: ${code} is not a grid of this plan`, { grid: code })
    return g
  }
  const blockCount = (g: number) => assignment.reduce((n, a) => (a === g ? n + 1 : n), 0)

  switch (op.op) {
    case 'paint': {
      const g = gridOf(op.grid)
      if (grids[g]!.locked) throw new AppError('conflict', `Grid ${op.grid} is locked; unlock it before painting into it`, { reason: 'locked', grid: op.grid })
      const targets = paintTargets(state, g, grids, op)
      let skippedLocked = 0
      for (const b of targets) {
        if (grids[assignment[b]!]!.locked) skippedLocked++
        else assignment[b] = g
      }
      return { assignment, grids, skippedLocked }
    }
    case 'split': {
      const g = gridOf(op.grid)
      if (grids[g]!.locked) throw new AppError('conflict', `Grid ${op.grid} is locked`, { reason: 'locked', grid: op.grid })
      if (op.line) {
        try {
          return splitGridByLine(blocks, assignment, grids, g, op.line, newGrid)
        } catch (err) {
          throw new AppError('invalid-parameter', `Cannot split ${op.grid} along this line: ${(err as Error).message}`)
        }
      }
      const k = op.k ?? 2
      const n = blockCount(g)
      if (!Number.isInteger(k) || k < 2 || k > n) throw new AppError('invalid-parameter', `Unexpected k value: ${k}; grid ${op.grid} has ${n} cells, so k must be between 2 and ${n}`)
      return splitGrid(blocks, assignment, grids, g, k, newGrid, op.seed ?? 1)
    }
    case 'merge': {
      if (op.grids.length < 2) throw new AppError('invalid-parameter', 'merge needs at least two grids; the first one keeps its code')
      const [into, ...rest] = op.grids.map((c) => gridOf(c))
      for (const g of [into!, ...rest]) {
        if (grids[g]!.locked) throw new AppError('conflict', `Grid ${grids[g]!.code} is locked`, { reason: 'locked', grid: grids[g]!.code })
        if (grids[g]!.community !== grids[into!]!.community) {
          throw new AppError('invalid-parameter', `Grids ${grids[into!]!.code} and ${grids[g]!.code} lie in different communities; grids nest in their community`)
        }
      }
      for (let b = 0; b < assignment.length; b++) if (rest.includes(assignment[b]!)) assignment[b] = into!
      return { assignment, grids }
    }
    case 'add-grid': {
      const community = blocks.communities.indexOf(op.community)
      if (community < 0) throw new AppError('invalid-parameter', `Unexpected community value: ${op.community} is not a community of this plan's scope`)
      const grid = newGrid(community)
      if (op.name) grid.name = op.name
      grids.push(grid)
      const g = grids.length - 1
      if (op.cells) {
        for (const b of paintTargets(state, g, grids, { cells: op.cells })) {
          if (!grids[assignment[b]!]!.locked) assignment[b] = g
        }
      }
      return { assignment, grids, info: { added: grid.code } }
    }
    case 'remove-grid': {
      const g = gridOf(op.grid)
      if (grids[g]!.locked) throw new AppError('conflict', `Grid ${op.grid} is locked`, { reason: 'locked', grid: op.grid })
      const into = op.into !== undefined ? gridOf(op.into, 'into') : null
      if (into !== null && (grids[into]!.community !== grids[g]!.community || into === g || grids[into]!.locked)) {
        throw new AppError('invalid-parameter', `Grid ${op.into} cannot take over ${op.grid}: it must be another unlocked grid of the same community`)
      }
      // Without `into`, each cell goes to the neighbouring grid it shares the longest border with, spreading outward.
      let pending = [...assignment.keys()].filter((b) => assignment[b] === g)
      if (into !== null) {
        for (const b of pending) assignment[b] = into
      } else {
        while (pending.length > 0) {
          const still: number[] = []
          const moves: [number, number][] = []
          for (const b of pending) {
            const border = new Map<number, number>()
            for (let k = blocks.nbrStart[b]!; k < blocks.nbrStart[b + 1]!; k++) {
              const other = assignment[blocks.nbr[k]!]!
              if (other !== g && !grids[other]!.locked) border.set(other, (border.get(other) ?? 0) + blocks.nbrLength[k]!)
            }
            const best = [...border].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]
            if (best) moves.push([b, best[0]])
            else still.push(b)
          }
          if (moves.length === 0) {
            throw new AppError('conflict', `Grid ${op.grid} has no unlocked neighbouring grid in its community to take its cells; name one with "into" or unlock a neighbour`)
          }
          for (const [b, to] of moves) assignment[b] = to
          pending = still
        }
      }
      return { assignment, grids }
    }
    case 'lock': {
      grids[gridOf(op.grid)]!.locked = op.locked
      return { assignment, grids }
    }
    case 'rename': {
      grids[gridOf(op.grid)]!.name = op.name
      return { assignment, grids }
    }
    case 'constraints':
      return { assignment, grids, constraints: op.constraints }
    case 'rebalance': {
      if (op.k !== undefined && op.targetLoadPerAdministrator !== undefined) {
        throw new AppError('invalid-parameter', 'Give either k or targetLoadPerAdministrator, not both')
      }
      const communities = new Set(grids.map((g) => g.community))
      if (op.k !== undefined && op.k < communities.size) {
        throw new AppError('invalid-parameter', `Unexpected k value: ${op.k}; the scope has ${communities.size} communities and each needs at least one grid`)
      }
      const result = rebalance(blocks, assignment, grids, {
        k: op.k,
        targetLoadPerAdministrator: op.targetLoadPerAdministrator,
        measures: op.measures ?? DEFAULT_MEASURES,
        movePenalty: op.movePenalty,
        compactnessWeight: op.compactnessWeight,
        seed: op.seed ?? 1,
        timeLimitMs: op.timeLimitMs,
      }, newGrid)
      return {
        assignment: result.assignment,
        grids: result.grids,
        info: { moved: result.moved, iterations: result.iterations, elapsedMs: result.elapsedMs },
      }
    }
    case 'assign': {
      const seenCells = new Set<number>()
      const errors: { row: number; cell: string; grid: string; message: string }[] = []
      op.rows.forEach((r, i) => {
        const g = grids.findIndex((x) => x.code === r.grid)
        const candidates = state.byH3.get(r.cell.toLowerCase())
        let message: string | null = null
        if (g < 0) message = `grid ${r.grid} is not a grid of this plan (add it first)`
        else if (!candidates) message = `cell ${r.cell} is not a cell of this plan`
        else {
          const b = candidates.find((c) => blocks.community[c] === grids[g]!.community)
          if (b === undefined) message = `cell ${r.cell} does not reach into community ${blocks.communities[grids[g]!.community]} of grid ${r.grid}`
          else if (seenCells.has(b)) message = `cell ${r.cell} is assigned twice within community ${blocks.communities[grids[g]!.community]}`
          else {
            seenCells.add(b)
            assignment[b] = g
          }
        }
        if (message) errors.push({ row: i + 1, cell: r.cell, grid: r.grid, message })
      })
      if (errors.length > 0) {
        throw new AppError('invalid-parameter', `${errors.length} row(s) of the assignment are wrong; nothing was changed. First: row ${errors[0]!.row}: ${errors[0]!.message}`, {
          errors: errors.slice(0, 1000),
        })
      }
      return { assignment, grids }
    }
  }
}

/** The blocks a paint stroke covers, restricted to the grid's community; a stroke that covers none of them is an error. */
function paintTargets(state: PlanState, g: number, grids: PlanGrid[], op: { cells?: string[]; at?: Position; radiusM?: number; polygon?: { coordinates: Position[][] } }): number[] {
  const { blocks } = state
  const community = grids[g]!.community
  const communityCode = blocks.communities[community]
  const given = [op.cells !== undefined, op.at !== undefined, op.polygon !== undefined].filter(Boolean).length
  if (given !== 1) throw new AppError('invalid-parameter', 'A paint stroke names exactly one of: cells (H3 ids), at + radiusM (a brush), polygon (a lasso)')
  const out: number[] = []
  if (op.cells) {
    const outside: string[] = []
    for (const cell of op.cells) {
      const b = state.byH3.get(cell.toLowerCase())?.find((c) => blocks.community[c] === community)
      if (b === undefined) outside.push(cell)
      else out.push(b)
    }
    if (outside.length > 0) {
      throw new AppError('invalid-parameter', `${outside.length} cell(s) lie outside community ${communityCode} of grid ${grids[g]!.code} (grids nest in their community): ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? ', …' : ''}`, {
        cells: outside.slice(0, 1000),
      })
    }
    return out
  }
  if (op.at) {
    const [lon, lat] = op.at
    const radius = op.radiusM ?? 0
    let nearest = -1
    let nearestD = Infinity
    for (let b = 0; b < blocks.h3.length; b++) {
      if (blocks.community[b] !== community) continue
      const d = metres(lon, lat, blocks.centroid[2 * b]!, blocks.centroid[2 * b + 1]!)
      if (d <= radius) out.push(b)
      if (d < nearestD) [nearest, nearestD] = [b, d]
    }
    // A brush smaller than a cell still paints the cell under it, when the point is in the community's cells at all.
    if (out.length === 0 && nearest >= 0 && nearestD <= cellRadiusM(blocks.res)) out.push(nearest)
    if (out.length === 0) {
      throw new AppError('invalid-parameter', `The brush at ${lon},${lat} (radius ${radius} m) covers no cell of community ${communityCode} of grid ${grids[g]!.code}: painting outside the grid's community is not possible`)
    }
    return out
  }
  const rings = op.polygon!.coordinates
  const problem = lassoProblem(rings)
  if (problem) throw new AppError('invalid-parameter', `Unexpected lasso polygon: ${problem}`)
  for (let b = 0; b < blocks.h3.length; b++) {
    if (blocks.community[b] !== community) continue
    if (insidePolygon(blocks.centroid[2 * b]!, blocks.centroid[2 * b + 1]!, rings)) out.push(b)
  }
  if (out.length === 0) throw new AppError('invalid-parameter', `The lasso encloses no cell centre of community ${communityCode} of grid ${grids[g]!.code}`)
  return out
}

/**
 * What is wrong with a lasso ring set, or null: rings must be closed, hold at
 * least four positions, not cross themselves, and span less than 180° of
 * longitude (RFC 7946: a shape across the antimeridian is cut in two there).
 */
export function lassoProblem(rings: Position[][]): string | null {
  for (const [r, ring] of rings.entries()) {
    const where = `ring ${r}`
    if (ring.length < 4) return `${where} has ${ring.length} positions; a closed ring needs at least 4`
    const [x0, y0] = ring[0]!
    const [xn, yn] = ring[ring.length - 1]!
    if (x0 !== xn || y0 !== yn) return `${where} is not closed: its last position ${xn},${yn} differs from its first ${x0},${y0}`
    let minX = Infinity
    let maxX = -Infinity
    for (const [x] of ring) (minX = Math.min(minX, x)), (maxX = Math.max(maxX, x))
    if (maxX - minX >= 180) return `${where} spans ${maxX - minX}° of longitude; cut shapes crossing the antimeridian there (RFC 7946)`
    const n = ring.length - 1
    if (n > 2000) return `${where} has ${n} positions; a lasso holds at most 2,000`
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (j === i + 1 || (i === 0 && j === n - 1)) continue // neighbouring edges share a vertex
        if (segmentsCross(ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!)) return `${where} crosses itself (edges ${i} and ${j})`
      }
    }
  }
  return null
}

function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const o1 = Math.sign(orient2d(a[0], a[1], b[0], b[1], c[0], c[1]))
  const o2 = Math.sign(orient2d(a[0], a[1], b[0], b[1], d[0], d[1]))
  const o3 = Math.sign(orient2d(c[0], c[1], d[0], d[1], a[0], a[1]))
  const o4 = Math.sign(orient2d(c[0], c[1], d[0], d[1], b[0], b[1]))
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true
  const on = (p: Position, q: Position, r: Position) =>
    Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) && Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1])
  return (o1 === 0 && on(a, b, c)) || (o2 === 0 && on(a, b, d)) || (o3 === 0 && on(c, d, a)) || (o4 === 0 && on(c, d, b))
}

/** Roughly the centre-to-vertex distance of an H3 cell at `res` (res 10: ~66 m). */
function cellRadiusM(res: number): number {
  return 66 * Math.sqrt(7) ** (10 - res)
}

function metres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Even-odd rule over all rings (outer and holes). */
export function insidePolygon(x: number, y: number, rings: Position[][]): boolean {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!
      const [xj, yj] = ring[j]!
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
    }
  }
  return inside
}

/**
 * Plan edits as pure functions of the plan state: each returns the new
 * assignment and grid list (the inputs are never mutated) or throws an
 * AppError saying what is wrong with the request. Undo and redo are not here:
 * they replay stored steps (see ./plan-service.ts).
 */
import { AppError } from '../errors.ts'
import type { RowPlace } from './exchange.ts'
import { checkedConstraints, type PlanConstraints } from './create-plan.ts'
import type { PlanState } from './plan-state.ts'
import { paintTargets, type Position } from './paint-targets.ts'
import type { BalanceMeasure, PlanGrid } from './plan-types.ts'
import { gridConnected, rebalance, splitGrid, splitGridByLine } from './rebalance.ts'


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
  | {
      op: 'assign'
      rows: { cell: string; grid: string }[]
      /** Where each row is in the file it came from (for the error report; not stored with the step). */
      places?: RowPlace[]
      /** Rows of that file that could not be read; reported together with the content errors. */
      malformed?: (RowPlace & { message: string })[]
    }

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

export async function applyOp(state: PlanState, op: PlanOp, newGrid: GridFactory): Promise<OpResult> {
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
      if (n < 2) throw new AppError('invalid-parameter', `Grid ${op.grid} has ${n === 0 ? 'no cells' : 'one cell'}: there is nothing to split`)
      if (!Number.isInteger(k) || k < 2 || k > n) throw new AppError('invalid-parameter', `Unexpected k value: ${k}; grid ${op.grid} has ${n} cells, so k must be between 2 and ${n}`)
      if (!gridConnected(blocks, assignment, grids, g)) {
        throw new AppError('conflict', `Grid ${op.grid} is in more than one piece in this plan; paint its cells together (or split it along a line) before splitting it into ${k} parts`, { reason: 'not-connected', grid: op.grid })
      }
      return splitGrid(blocks, assignment, grids, g, k, newGrid, op.seed ?? 1)
    }
    case 'merge': {
      if (op.grids.length < 2) throw new AppError('invalid-parameter', 'merge needs at least two grids; the first one keeps its code')
      if (new Set(op.grids).size !== op.grids.length) throw new AppError('invalid-parameter', `merge names a grid twice (${op.grids.join(', ')}); name each grid once`)
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
      const g = gridOf(op.grid)
      // Names tell grids apart on the map and in lists: two grids of one community never share one.
      const twin = grids.find((x, k) => k !== g && x.community === grids[g]!.community && x.name === op.name)
      if (twin) throw new AppError('conflict', `Grid ${twin.code} of the same community is already called ${JSON.stringify(op.name)}`, { reason: 'name-taken', grid: twin.code })
      grids[g]!.name = op.name
      return { assignment, grids }
    }
    case 'constraints':
      return { assignment, grids, constraints: checkedConstraints(op.constraints) }
    case 'rebalance': {
      if (op.k !== undefined && op.targetLoadPerAdministrator !== undefined) {
        throw new AppError('invalid-parameter', 'Give either k or targetLoadPerAdministrator, not both')
      }
      const communities = new Set(grids.map((g) => g.community))
      if (op.k !== undefined && op.k < communities.size) {
        throw new AppError('invalid-parameter', `Unexpected k value: ${op.k}; the scope has ${communities.size} communities and each needs at least one grid`)
      }
      if (op.k !== undefined && op.k > assignment.length) {
        throw new AppError('invalid-parameter', `Unexpected k value: ${op.k}; the scope has ${assignment.length} cells, and a grid needs at least one`)
      }
      const result = await rebalance(blocks, assignment, grids, {
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
      const errors: { line?: number; feature?: number; row?: number; cell?: string; grid?: string; message: string }[] = [...(op.malformed ?? [])]
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
          else if (assignment[b] !== g && grids[g]!.locked) message = `grid ${r.grid} is locked; unlock it before moving cells into it`
          else if (assignment[b] !== g && grids[assignment[b]!]!.locked) message = `cell ${r.cell} is in locked grid ${grids[assignment[b]!]!.code}; unlock it before moving its cells`
          else {
            seenCells.add(b)
            assignment[b] = g
          }
        }
        if (message) {
          const place = op.places?.[i]
          const label = !place ? `row ${i + 1}` : 'line' in place ? `CSV line ${place.line}` : `Feature ${place.feature}`
          errors.push({ ...(place ?? { row: i + 1 }), cell: r.cell, grid: r.grid, message: `${label}: ${message}` })
        }
      })
      if (errors.length > 0) {
        // One report in file order: unreadable rows and rows naming unknown grids or cells alike.
        const at = (e: (typeof errors)[number]) => e.line ?? e.feature ?? e.row ?? 0
        errors.sort((a, b) => at(a) - at(b))
        throw new AppError('invalid-parameter', `${errors.length} row${errors.length === 1 ? '' : 's'} of the assignment ${errors.length === 1 ? 'is' : 'are'} wrong; nothing was changed: ${errors.slice(0, 3).map((e) => e.message).join('; ')}${errors.length > 3 ? '; …' : ''}`, {
          errors: errors.slice(0, 1000),
        })
      }
      return { assignment, grids }
    }
  }
}

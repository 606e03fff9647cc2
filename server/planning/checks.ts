/**
 * The live checks of a plan: every grid contiguous, nested in its community,
 * the scope fully covered, and the optional per-grid limits on area and
 * residents. Each violation names the grid and the cells involved, so the
 * console can highlight them; a plan with violations cannot be published.
 */
import { contiguityViolations } from './plan-metrics.ts'
import type { PlanConstraints } from './create-plan.ts'
import type { PlanBlocks, PlanGrid } from './plan-types.ts'

export interface Violation {
  check: 'contiguity' | 'nesting' | 'coverage' | 'min-area' | 'max-area' | 'min-population' | 'max-population'
  grid: string | null
  message: string
  /** H3 ids of the cells involved (at most 1,000). */
  cells: string[]
  value?: number
  limit?: number
}

const MAX_CELLS = 1000

/**
 * `baseParts`: how many pieces each grid of the base generation has (grids in
 * one piece left out). A grid the city already keeps in several pieces (an
 * exclave the import accepted) is flagged only when the plan splits it further.
 */
export function planViolations(
  blocks: PlanBlocks, assignment: Int32Array, grids: PlanGrid[], constraints: PlanConstraints, uncoveredM2: number,
  baseParts: ReadonlyMap<string, number> = new Map(),
): Violation[] {
  const out: Violation[] = []
  const cellsOf = (list: Iterable<number>) => {
    const cells: string[] = []
    for (const b of list) {
      if (cells.length >= MAX_CELLS) break
      cells.push(blocks.h3[b]!)
    }
    return cells
  }

  for (const v of contiguityViolations(blocks, assignment, grids)) {
    if (v.parts.length + 1 <= (baseParts.get(v.grid) ?? 1)) continue
    const detached = v.parts.flat()
    out.push({
      check: 'contiguity',
      grid: v.grid,
      message: `Grid ${v.grid} falls apart into ${v.parts.length + 1} pieces; ${detached.length} cell(s) are cut off from its main part`,
      cells: cellsOf(detached),
    })
  }

  const misplaced: number[] = []
  for (let b = 0; b < assignment.length; b++) if (grids[assignment[b]!]!.community !== blocks.community[b]) misplaced.push(b)
  if (misplaced.length > 0) {
    out.push({ check: 'nesting', grid: null, message: `${misplaced.length} cell(s) are assigned to a grid of another community`, cells: cellsOf(misplaced) })
  }

  if (uncoveredM2 > 1) {
    out.push({ check: 'coverage', grid: null, message: `${Math.round(uncoveredM2)} m² of the scope is covered by no cell (the base generation leaves it outside every grid)`, cells: [] })
  }

  const limits: [Violation['check'], 'area' | 'population', number | undefined, 1 | -1][] = [
    ['min-area', 'area', constraints.minAreaM2, 1],
    ['max-area', 'area', constraints.maxAreaM2, -1],
    ['min-population', 'population', constraints.minPopulation, 1],
    ['max-population', 'population', constraints.maxPopulation, -1],
  ]
  if (limits.some(([, , limit]) => limit !== undefined)) {
    const area = new Float64Array(grids.length)
    const population = new Float64Array(grids.length)
    const members: number[][] = grids.map(() => [])
    for (let b = 0; b < assignment.length; b++) {
      const g = assignment[b]!
      area[g]! += blocks.area[b]!
      population[g]! += blocks.population[b]!
      members[g]!.push(b)
    }
    for (const [check, measure, limit, sign] of limits) {
      if (limit === undefined) continue
      grids.forEach((grid, g) => {
        if (members[g]!.length === 0) return
        const value = measure === 'area' ? area[g]! : population[g]!
        if (sign * (value - limit) < 0) {
          const unit = measure === 'area' ? ' m²' : ' residents'
          out.push({
            check,
            grid: grid.code,
            message: `Grid ${grid.code} has ${Math.round(value)}${unit}, ${sign > 0 ? 'below the minimum' : 'above the maximum'} of ${limit}${unit}`,
            cells: cellsOf(members[g]!),
            value,
            limit,
          })
        }
      })
    }
  }
  return out
}

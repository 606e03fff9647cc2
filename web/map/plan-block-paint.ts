/**
 * What the map shows of each block of an open plan: its grid's colour, whether
 * it is in the active grid, and whether a violation flags it. A stroke paints
 * blocks at once, before the server has answered; those blocks are remembered
 * until the server's answer confirms them, or are put back where the server
 * has them when no edit is pending any more.
 */
import type * as maplibregl from 'maplibre-gl'
import type { Violation } from '../plan-types.ts'
import type { GridPalette } from './grid-palette.ts'
import { setBlockState } from './layers/plan-blocks.ts'
import type { PlanBlockModel } from './plan-block-model.ts'

export class PlanBlockPaint {
  /** Blocks shown in a grid the server has not confirmed yet (block → grid shown). */
  readonly #shown = new Map<number, string>()
  #flagged = new Set<number>()

  constructor(
    private readonly map: () => maplibregl.Map,
    private readonly model: PlanBlockModel,
    private readonly palette: GridPalette,
  ) {}

  /** The grid block b shows: painted locally, or where the server has it. */
  gridShown(b: number): string {
    return this.#shown.get(b) ?? this.model.grid[b]!
  }

  /** Every block's colour, selection and violation flag from scratch, as the server has them. */
  all(active: string | null, violations: Violation[]): void {
    this.#shown.clear()
    const map = this.map()
    for (let b = 0; b < this.model.count; b++) {
      const g = this.model.grid[b]!
      setBlockState(map, b, { c: this.palette.index(g), sel: g === active, bad: false })
    }
    this.#flagged = new Set()
    this.flag(violations)
  }

  /** Flags the blocks of these violations, and only those. */
  flag(violations: Violation[]): void {
    const map = this.map()
    const next = new Set<number>()
    for (const v of violations) for (const c of v.cells) for (const b of this.model.blocksOfCell(c)) next.add(b)
    for (const b of this.#flagged) if (!next.has(b)) setBlockState(map, b, { bad: false })
    for (const b of next) if (!this.#flagged.has(b)) setBlockState(map, b, { bad: true })
    this.#flagged = next
  }

  /** The active grid changed from `old` to `active`. */
  select(old: string | null, active: string | null): void {
    const map = this.map()
    for (let b = 0; b < this.model.count; b++) {
      const shown = this.gridShown(b)
      if (shown === old || shown === active) setBlockState(map, b, { sel: shown === active })
    }
  }

  /** Shows blocks in `grid` before the server has answered, skipping locked grids; returns their cells. */
  local(blocks: number[], grid: string, locked: Set<string>): string[] {
    const map = this.map()
    const cells = new Set<string>()
    for (const b of blocks) {
      const now = this.gridShown(b)
      if (now === grid || locked.has(now)) continue
      this.#shown.set(b, grid)
      setBlockState(map, b, { c: this.palette.index(grid), sel: true })
      cells.add(this.model.cell[b]!)
    }
    return [...cells]
  }

  /** Blocks the server has just moved (model.grid already updated). */
  confirmed(blocks: readonly number[], active: string | null): void {
    const map = this.map()
    for (const b of blocks) {
      this.#shown.delete(b)
      const g = this.model.grid[b]!
      setBlockState(map, b, { c: this.palette.index(g), sel: g === active })
    }
  }

  /** Blocks still shown in a grid the server did not put them in go back to where the server has them. */
  reconcile(active: string | null): void {
    this.confirmed([...this.#shown.keys()], active)
  }
}

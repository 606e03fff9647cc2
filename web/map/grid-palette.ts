/**
 * Colours of a plan's grids: a fixed palette of distinct colours, each grid
 * keeping its colour for as long as the plan is open (so painting never makes
 * the map flicker), new grids taking a colour none of their neighbours has —
 * the least used one, so that a community's few grids all differ, in the
 * table as on the map.
 */
import type { ExpressionSpecification } from 'maplibre-gl'

/** Twelve colours that stay apart from each other under a half-transparent fill. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#86bcb6', '#d37295', '#a0cbe8'] as const

export class GridPalette {
  readonly #index = new Map<string, number>()

  /** Gives every grid without a colour the least used one its neighbours do not have (greedy, grids in code order). */
  assign(grids: string[], neighbours: Map<string, Set<string>>): void {
    const used = new Array<number>(PALETTE.length).fill(0)
    for (const c of this.#index.values()) used[c]!++
    for (const code of [...grids].sort()) {
      if (this.#index.has(code)) continue
      const taken = new Set<number>()
      for (const n of neighbours.get(code) ?? []) {
        const c = this.#index.get(n)
        if (c !== undefined) taken.add(c)
      }
      let best = -1
      for (let c = 0; c < PALETTE.length; c++) if (!taken.has(c) && (best < 0 || used[c]! < used[best]!)) best = c
      if (best < 0) best = used.indexOf(Math.min(...used))
      this.#index.set(code, best)
      used[best]!++
    }
  }

  index(code: string): number {
    return this.#index.get(code) ?? -1
  }

  colour(code: string): string {
    return PALETTE[this.index(code)] ?? '#bbbbbb'
  }
}

/** The fill colour of a block from its feature state `c` (palette index). */
export function paletteExpression(): ExpressionSpecification {
  return ['match', ['coalesce', ['feature-state', 'c'], -1], ...PALETTE.flatMap((colour, i) => [i, colour]), '#bbbbbb'] as unknown as ExpressionSpecification
}

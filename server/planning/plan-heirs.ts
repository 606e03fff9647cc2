/**
 * Who inherits a grid a plan removes: the grid that took most of its blocks.
 * Publishing hands the removed grid's old area and administrators to that
 * heir, and the plan's own figures count the administrators there too, so the
 * preview and the published result agree.
 */
import type { PlanGrid } from './plan-types.ts'

/**
 * The grids a plan removes (their base blocks all repainted, none left under
 * their code), each with its heir: the grid that took most of its blocks
 * (ties: the lower code). Publishing hands a removed grid's old area and its
 * administrators to the heir; the plan's own figures count them there too.
 */
export function removedGrids(base: Int32Array, gridsBefore: readonly PlanGrid[], after: Int32Array, gridsAfter: readonly PlanGrid[]): { removed: string; heir: string }[] {
  const had = new Set<string>()
  const kept = new Set<string>()
  for (let b = 0; b < base.length; b++) had.add(gridsBefore[base[b]!]!.code)
  for (let b = 0; b < after.length; b++) kept.add(gridsAfter[after[b]!]!.code)
  const out: { removed: string; heir: string }[] = []
  for (const code of [...had].sort()) {
    if (kept.has(code)) continue
    const took = new Map<string, number>()
    for (let b = 0; b < base.length; b++) {
      if (gridsBefore[base[b]!]!.code !== code) continue
      const to = gridsAfter[after[b]!]!.code
      took.set(to, (took.get(to) ?? 0) + 1)
    }
    out.push({ removed: code, heir: [...took].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0] })
  }
  return out
}

/** The grids with the administrators they will have once published: each heir with those of the grids it inherits, a removed grid with none. */
export function withInheritedAdministrators(base: Int32Array, gridsBefore: readonly PlanGrid[], after: Int32Array, gridsAfter: readonly PlanGrid[]): PlanGrid[] {
  const moves = removedGrids(base, gridsBefore, after, gridsAfter)
  if (moves.length === 0) return gridsAfter as PlanGrid[]
  const serving = new Map(gridsBefore.map((g) => [g.code, g.administrators]))
  const gained = new Map<string, number>()
  for (const m of moves) gained.set(m.heir, (gained.get(m.heir) ?? 0) + (serving.get(m.removed) ?? 0))
  const removed = new Set(moves.map((m) => m.removed))
  // A removed grid keeps none: they serve its heir now.
  return gridsAfter.map((g) =>
    removed.has(g.code) ? { ...g, administrators: 0 } : gained.has(g.code) ? { ...g, administrators: g.administrators + gained.get(g.code)! } : g,
  )
}

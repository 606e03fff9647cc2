/**
 * Patrol coverage over a period: the share of a grid's resolution-10 H3 cells
 * (the same cells as /api/v1/patrols/coverage, from the patrols domain) that a
 * patrol passed through. Cell sets are cached per generation there, so only
 * the visits are read per request.
 */
import type { Db } from '../db/client.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import { gridCells } from '../patrols/routes.ts'
import type { Period } from './period-scope.ts'
import * as q from './workload-queries.ts'

export interface Coverage {
  cells: number
  visited: number
  /** visited / cells; null for a grid too small to hold a cell centre. */
  share: number | null
}

export interface Visits {
  /** Cells visited by anyone. */
  all: Set<string>
  /** Cells visited per administrator id. */
  byAdministrator: Map<number, Set<string>>
}

export async function readVisits(db: Db, period: Period): Promise<Visits> {
  const { rows } = await db.query<{ administrator_id: number; h3: string }>(q.VISITED_CELLS, [period.from, period.to])
  const all = new Set<string>()
  const byAdministrator = new Map<number, Set<string>>()
  for (const r of rows) {
    all.add(r.h3)
    let own = byAdministrator.get(r.administrator_id)
    if (!own) byAdministrator.set(r.administrator_id, (own = new Set()))
    own.add(r.h3)
  }
  return { all, byAdministrator }
}

/** Coverage of the union of `gridCodes` (disjoint: a cell belongs to the grid holding its centre) by `visited`. */
export function coverageOf(ix: IndexedGeneration, gridCodes: readonly string[], visited: ReadonlySet<string>): Coverage {
  const slot = slots(ix)
  let cells = 0
  let seen = 0
  for (const code of gridCodes) {
    const g = slot.get(code)
    if (g === undefined) continue
    const own = gridCells(ix, g)
    cells += own.length
    for (const c of own) if (visited.has(c)) seen++
  }
  return { cells, visited: seen, share: cells === 0 ? null : seen / cells }
}

const slotCache = new WeakMap<IndexedGeneration, Map<string, number>>()

/** Grid code → position in the generation's index. */
function slots(ix: IndexedGeneration): Map<string, number> {
  let slot = slotCache.get(ix)
  if (!slot) slotCache.set(ix, (slot = new Map(ix.codes.map((c, g) => [c, g]))))
  return slot
}

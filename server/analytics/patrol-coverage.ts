/**
 * Patrol coverage over a period: the share of a grid's resolution-10 H3 cells
 * (the same cells as /api/v1/patrols/coverage, from the patrols domain) that a
 * patrol passed through. Cell sets are cached per generation there, so only
 * the visits are read per request, and only those of tracks near the area asked about.
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

/** The cells in and around the grids `gridCodes` (of generation ix) that a patrol passed through in the period. */
export async function visitedCells(db: Db, ix: IndexedGeneration, period: Period, gridCodes: readonly string[]): Promise<Set<string>> {
  const box = boxOf(ix, gridCodes)
  if (!box) return new Set()
  const { rows } = await db.query<{ h3: string }>(q.VISITED_CELLS, [period.from, period.to, ...box])
  return new Set(rows.map((r) => r.h3))
}

/** Per administrator, the cells in and around their own grids that their patrols passed through in the period. */
export async function visitedByAdministrator(db: Db, ix: IndexedGeneration, period: Period, administrators: readonly { id: number; grids: readonly string[] }[]): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>()
  const box = boxOf(ix, administrators.flatMap((a) => a.grids))
  if (!box) return out
  const { rows } = await db.query<{ administrator_id: number; h3: string }>(q.VISITED_CELLS_BY_ADMINISTRATOR, [period.from, period.to, ...box, administrators.map((a) => a.id)])
  for (const r of rows) {
    let own = out.get(r.administrator_id)
    if (!own) out.set(r.administrator_id, (own = new Set()))
    own.add(r.h3)
  }
  return out
}

/**
 * A track can pass through a grid's cell without entering the grid's box: the
 * cell reaches up to its diameter (≈ 150 m at resolution 10) beyond the grid.
 * The box is widened by more than that: 0.002° of latitude (≈ 220 m) and as
 * many metres of longitude.
 */
const BOX_MARGIN_DEG = 0.002

/** Bounding box of the grids `gridCodes`, widened by BOX_MARGIN_DEG, or null when none is in the generation. */
function boxOf(ix: IndexedGeneration, gridCodes: readonly string[]): [number, number, number, number] | null {
  const slot = slots(ix)
  const { bbox } = ix.index.polygons
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const code of gridCodes) {
    const g = slot.get(code)
    if (g === undefined) continue
    box[0] = Math.min(box[0], bbox[4 * g]!)
    box[1] = Math.min(box[1], bbox[4 * g + 1]!)
    box[2] = Math.max(box[2], bbox[4 * g + 2]!)
    box[3] = Math.max(box[3], bbox[4 * g + 3]!)
  }
  if (box[0] > box[2]) return null
  const lonMargin = BOX_MARGIN_DEG / Math.max(0.01, Math.cos((Math.max(Math.abs(box[1]), Math.abs(box[3])) * Math.PI) / 180))
  return [box[0] - lonMargin, box[1] - BOX_MARGIN_DEG, box[2] + lonMargin, box[3] + BOX_MARGIN_DEG]
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

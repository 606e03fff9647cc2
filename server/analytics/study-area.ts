/**
 * The H3 cells an analysis runs on. Statistics such as Gi* need every cell of
 * the study area, zeros included, not only the cells that happen to hold an
 * incident: a hotspot is "high compared with its surroundings", and the
 * surroundings include quiet cells. The area is the generation's
 * resolution-9 cover (unit_h3_cell, written by the lookup index) taken to the
 * requested resolution (the same cells unit_h3_cell stores; an index that is
 * not cell-based falls back to the cells over the grids' extent); each cell belongs to the grid holding its centre (or,
 * when the centre falls outside every grid, a vertex, then its children's
 * majority), which decides the scope filter and the residents it carries.
 */
import { cellToBoundary, cellToChildren, cellToLatLng, cellToParent, POLYGON_TO_CELLS_FLAGS, polygonToCellsExperimental } from 'h3-js'
import type { Queryable } from '../db/client.ts'
import type { GridIndex } from '../lookup/grid-index.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'

const EXTENT = `
SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
FROM (SELECT ST_Extent(geom) AS e FROM unit WHERE generation_id = $1 AND level = 'grid') s`
const GRID_POPULATION = `SELECT code, coalesce(population, 0)::float8 AS population FROM unit WHERE generation_id = $1 AND level = 'grid'`

export interface StudyArea {
  res: number
  /** H3 ids (hex), sorted. */
  cells: string[]
  /** Index into `cells` by id. */
  indexOf: Map<string, number>
  /** Grid code each cell belongs to. */
  grid: string[]
  /** Residents attributed to each cell (its grid's population shared over the grid's cells). */
  population: Float64Array
  /** Set when the area is a unit's (parentStudyArea): its cells then count that unit's own incidents only. */
  parent?: string
}

const BASE_RES = 9

/** Cells of the whole generation at `res`; a unit's own with `parentStudyArea`. */
export async function buildStudyArea(db: Queryable, ix: IndexedGeneration, res: number): Promise<StudyArea> {
  const base = await baseCells(db, ix)
  const baseGrid = base.map((c) => gridOfCell(ix, c))

  let cells: string[]
  let grid: (number | null)[]
  if (res === BASE_RES) {
    cells = base
    grid = baseGrid
  } else if (res < BASE_RES) {
    const votes = new Map<string, Map<number, number>>()
    base.forEach((c, i) => {
      const g = baseGrid[i]
      if (g === null || g === undefined) return
      const p = cellToParent(c, res)
      const v = votes.get(p) ?? new Map<number, number>()
      v.set(g, (v.get(g) ?? 0) + 1)
      votes.set(p, v)
    })
    cells = [...votes.keys()].sort()
    grid = cells.map((p) => gridOfCell(ix, p) ?? majority(votes.get(p)!))
  } else {
    cells = []
    grid = []
    base.forEach((c, i) => {
      for (const child of cellToChildren(c, res)) {
        cells.push(child)
        grid.push(gridOfCell(ix, child) ?? baseGrid[i] ?? null)
      }
    })
  }

  const keep = cells.map((_, i) => grid[i] !== null)
  const kept = cells.filter((_, i) => keep[i])
  const keptGrid = grid.filter((_, i) => keep[i]).map((g) => ix.grids[g!]!.code)
  const order = kept.map((_, i) => i).sort((a, b) => (kept[a]! < kept[b]! ? -1 : 1))
  const sortedCells = order.map((i) => kept[i]!)
  const sortedGrid = order.map((i) => keptGrid[i]!)

  const pop = new Map((await db.query<{ code: string; population: number }>(GRID_POPULATION, [ix.generation.id])).rows.map((r) => [r.code, r.population]))
  const cellsPerGrid = new Map<string, number>()
  for (const g of sortedGrid) cellsPerGrid.set(g, (cellsPerGrid.get(g) ?? 0) + 1)
  const population = Float64Array.from(sortedGrid, (g) => (pop.get(g) ?? 0) / cellsPerGrid.get(g)!)

  return { res, cells: sortedCells, indexOf: new Map(sortedCells.map((c, i) => [c, i])), grid: sortedGrid, population }
}

/**
 * The study area of unit `code` at a resolution coarser than `fine`'s: every
 * cell holding part of the unit — a finer cell whose centre lies in the unit
 * (the same cells whose incidents are the unit's own, see CellValues.totals) —
 * not only the cells whose own centre does, so that no incident of the unit
 * falls outside its area and a cell on the border carries the unit's share of
 * it: the residents of its finer cells in the unit, and the grid of its centre
 * when that grid is the unit's (else the grid most of those finer cells are in).
 */
export function parentStudyArea(area: StudyArea, fine: StudyArea, code: string): StudyArea {
  if (fine.res < area.res) throw new Error(`Unexpected resolutions: fine ${fine.res}, area ${area.res}`)
  const population = new Map<string, number>()
  const votes = new Map<string, Map<string, number>>()
  for (let i = 0; i < fine.cells.length; i++) {
    const grid = fine.grid[i]!
    if (!grid.startsWith(code)) continue
    const cell = fine.res === area.res ? fine.cells[i]! : cellToParent(fine.cells[i]!, area.res)
    population.set(cell, (population.get(cell) ?? 0) + fine.population[i]!)
    const v = votes.get(cell) ?? new Map<string, number>()
    v.set(grid, (v.get(grid) ?? 0) + 1)
    votes.set(cell, v)
  }
  const cells = [...population.keys()].sort()
  const grid = cells.map((c) => {
    const own = area.indexOf.has(c) ? area.grid[area.indexOf.get(c)!]! : null
    if (own?.startsWith(code)) return own
    let best = ''
    let most = -1
    for (const [g, n] of votes.get(c)!) if (n > most || (n === most && g < best)) (best = g), (most = n)
    return best
  })
  return { res: area.res, cells, indexOf: new Map(cells.map((c, i) => [c, i])), grid, population: Float64Array.from(cells, (c) => population.get(c)!), parent: code }
}

async function baseCells(db: Queryable, ix: IndexedGeneration): Promise<string[]> {
  const cells = ix.index as typeof ix.index & Partial<Pick<GridIndex, 'coarseEntries'>>
  if (cells.coarseEntries) return [...cells.coarseEntries()].map((e) => e.h3)
  const e = (await db.query<{ x0: number; y0: number; x1: number; y1: number }>(EXTENT, [ix.generation.id])).rows[0]
  if (!e || e.x0 === null) return []
  const ring = [[e.x0, e.y0], [e.x1, e.y0], [e.x1, e.y1], [e.x0, e.y1], [e.x0, e.y0]]
  return polygonToCellsExperimental([ring], BASE_RES, POLYGON_TO_CELLS_FLAGS.containmentOverlapping, true)
}

function gridOfCell(ix: IndexedGeneration, cell: string): number | null {
  const [lat, lng] = cellToLatLng(cell)
  const g = ix.index.lookup(lng, lat)
  if (g >= 0) return g
  for (const [vlat, vlng] of cellToBoundary(cell)) {
    const v = ix.index.lookup(vlng, vlat)
    if (v >= 0) return v
  }
  return null
}

function majority(votes: Map<number, number>): number {
  let best = -1
  let most = -1
  for (const [g, n] of votes) if (n > most || (n === most && g < best)) (best = g), (most = n)
  return best
}

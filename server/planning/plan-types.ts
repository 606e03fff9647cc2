/**
 * The planning studio's in-memory model. A plan's building blocks are H3 cells
 * (resolution 7–10, default 10) clipped to the communities of its scope: a cell
 * straddling two communities gives two blocks, one per community. Every block
 * belongs to exactly one grid of its own community, so a plan can never break
 * nesting. Blocks are numbered 0..n-1; per-block figures live in typed arrays.
 */

export interface PlanBlocks {
  res: number
  /** H3 index (hex) of each block's cell. */
  h3: string[]
  /** Index into `communities` of each block's community. */
  community: Int32Array
  communities: string[]
  /** Clipped area, m². */
  area: Float64Array
  /** Residents and households, areal-weighted from the base generation's grids. */
  population: Float64Array
  households: Float64Array
  /** Effort-weighted countable incidents of the plan's period. */
  workload: Float64Array
  /** Incidents not closed or rejected, today. */
  openIncidents: Int32Array
  /** Centroid of the clipped block, lon/lat, interleaved [lon0, lat0, lon1, lat1, …]. */
  centroid: Float64Array
  /**
   * Adjacency in CSR form: the neighbours of block i are nbr[nbrStart[i] .. nbrStart[i+1]),
   * each with the length in metres of the boundary they share (nbrLength, same slots).
   * Only blocks of the same community are neighbours.
   */
  nbrStart: Int32Array
  nbr: Int32Array
  nbrLength: Float64Array
  /** Length in metres of each block's boundary not shared with a same-community block (the community edge). */
  edgeLength: Float64Array
  /** Vertices of each block's (unclipped) cell boundary, lon/lat interleaved, CSR by vertexStart — for Reock's circle. */
  vertexStart: Int32Array
  vertices: Float64Array
}

export interface PlanGrid {
  code: string
  /** Index into PlanBlocks.communities. */
  community: number
  name: string
  /** Active administrators serving the grid (assignments follow the grid code). */
  administrators: number
  locked: boolean
  /** Not in the base generation: added by the plan. */
  added: boolean
}

/** One weighted measure the rebalancer balances. */
export interface BalanceMeasure {
  measure: 'workload' | 'population' | 'households' | 'area'
  /** Relative weight in the objective (default 1). */
  weight: number
  /** Allowed relative deviation from the target, e.g. 0.1 for ±10 %. */
  tolerance: number
}

export interface RebalanceOptions {
  /** Number of grids wanted in the scope (default: the current count). */
  k?: number
  /** Alternatively: target workload per administrator; k follows from total workload / (target × administrators per grid). */
  targetLoadPerAdministrator?: number
  measures: BalanceMeasure[]
  /**
   * Penalty per reassigned block, in units of the objective (default 0.02). The
   * balance term of a grid is weight · (max(0, |dev| − tolerance/2) / tolerance)²,
   * so a grid exactly at its tolerance costs weight × 0.25 (see partition-search.ts).
   */
  movePenalty?: number
  /** Weight of compactness (perimeter) in the objective (default 0.05), per block perimeter of total grid border. */
  compactnessWeight?: number
  seed: number
  /** Stop after this many milliseconds (default 8000). */
  timeLimitMs?: number
}

export interface GridMetrics {
  code: string
  community: string
  cells: number
  workload: number
  population: number
  households: number
  areaM2: number
  /** Serving it once published: its own, and those of the grids it inherits (removedGrids). */
  administrators: number
  /** workload / max(administrators, 1): a grid without administrators counts as one (someone must be assigned to it) */
  loadPerAdministrator: number
  /**
   * (workload − target) / target, where target is the mean workload of the
   * non-empty grids of the grid's own community: blocks never leave their
   * community, so that is the balance a grid can reach. −1 for a removed (empty) grid.
   */
  deviation: number
  perimeterM: number
  polsbyPopper: number
  reock: number
  openIncidents: number
  contiguous: boolean
  locked: boolean
}

export interface Balance {
  gini: number
  cv: number
  maxDeviation: number
}

export interface PlanMetrics {
  grids: GridMetrics[]
  /** Balance of each measure across the scope's grids. */
  balance: Record<'workload' | 'population' | 'households' | 'area' | 'loadPerAdministrator', Balance>
  compactness: { meanPolsbyPopper: number; meanReock: number }
}

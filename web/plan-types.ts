/** The shapes of the planning API (/api/v1/plans) as the studio reads them. */

export interface PlanSummary {
  id: number
  name: string
  scope: string
  scopeName: string | null
  res: number
  status: 'draft' | 'published' | 'discarded'
  version: number
  baseIsCurrent: boolean
  updatedAt: string
}

export interface Plan extends PlanSummary {
  cursor: number
  steps: number
  canUndo: boolean
  canRedo: boolean
  baseGeneration: number
  publishedGeneration: number | null
  blocks: number
}

export interface PlanGrid {
  code: string
  name: string
  community: string
  cells: number
  removed: boolean
  locked: boolean
  added: boolean
  administrators: number
}

export interface GridMetrics {
  code: string
  community: string
  cells: number
  workload: number
  population: number
  households: number
  areaM2: number
  administrators: number
  loadPerAdministrator: number
  /** (workload − community mean) / community mean; −1 for a removed grid. */
  deviation: number
  perimeterM: number
  polsbyPopper: number
  reock: number
  openIncidents: number
  contiguous: boolean
  locked: boolean
}

export const BALANCE_MEASURES = ['workload', 'population', 'households', 'area', 'loadPerAdministrator'] as const
export type BalanceMeasure = (typeof BALANCE_MEASURES)[number]

export interface Balance {
  gini: number
  cv: number
  maxDeviation: number
}

export interface PlanMetrics {
  grids: GridMetrics[]
  balance: Record<BalanceMeasure, Balance>
  compactness: { meanPolsbyPopper: number; meanReock: number }
}

export interface Disruption {
  cells: number
  residents: number
  openIncidents: number
  administrators: number
  changedGrids: string[]
}

export interface Violation {
  check: string
  grid: string | null
  message: string
  /** H3 ids of the cells involved. */
  cells: string[]
}

export interface PlanView {
  plan: Plan
  grids: PlanGrid[]
  /** Before: the base generation; after: the plan as it stands. */
  metrics: { before: PlanMetrics; after: PlanMetrics }
  disruption: Disruption
  violations: Violation[]
  valid: boolean
  metricsMs: number
}

export interface EditAnswer extends PlanView {
  /** The blocks the edit moved and the grid each is in now. */
  changes: { blocks: number[]; grids: string[] }
  skippedLocked?: number
  info?: { moved?: number; iterations?: number; elapsedMs?: number; added?: string }
  applyMs: number
}

type Position = [number, number]

/** An edit, without the version it is made on (the edit queue adds that). */
export type PlanEdit =
  | { op: 'paint'; grid: string; cells: string[] }
  | { op: 'paint'; grid: string; at: Position; radiusM: number }
  | { op: 'paint'; grid: string; polygon: { type: 'Polygon'; coordinates: Position[][] } }
  | { op: 'split'; grid: string; k: number }
  | { op: 'merge'; grids: string[] }
  | { op: 'add-grid'; community: string }
  | { op: 'remove-grid'; grid: string; into?: string }
  | { op: 'lock'; grid: string; locked: boolean }
  | { op: 'rebalance'; k?: number; measures?: { measure: 'workload' | 'population' | 'households' | 'area'; weight: number; tolerance: number }[]; seed?: number }
  | { op: 'undo' }
  | { op: 'redo' }

export interface PublishAnswer {
  generation: { id: number; label: string; validFrom: string }
  changed: string[]
  added: string[]
  removed: string[]
  /** Redrawn or new grids no active administrator serves. */
  unstaffed: string[]
  administratorsMoved: { administrator: number; employeeNo: string; from: string; to: string }[]
  disruption: Disruption
  transactionMs: number
  indexMs: number
}

/**
 * A plan as the server holds it while planners edit: the blocks (immutable
 * per plan, read once), the base assignment and the current one. Kept in a
 * small cache keyed by plan id; the plan row's version tells whether the
 * cached assignment is still the stored one (another server may have
 * written), and edits of one plan run one after the other.
 */
import type { Db, Queryable } from '../db/client.ts'
import { AppError, notFound } from '../errors.ts'
import { buildCellGraph } from './cell-graph.ts'
import type { PlanConstraints } from './create-plan.ts'
import type { PlanBlocks, PlanGrid } from './plan-types.ts'
import * as q from './queries.ts'

export interface PlanRow {
  id: number
  name: string
  scope_code: string
  base_generation_id: number
  res: number
  period_from: Date
  period_to: Date
  status: 'draft' | 'published' | 'discarded'
  version: number
  cursor: number
  base_grids: PlanGrid[]
  grids: PlanGrid[]
  assignment: number[]
  constraints: PlanConstraints
  uncovered_m2: number
  published_generation_id: number | null
  created_by: string | null
  created_at: Date
  updated_by: string | null
  updated_at: Date
  steps: number
  base_is_current: boolean
}

export interface PlanState {
  row: PlanRow
  blocks: PlanBlocks
  /** Block → index into row.base_grids: the base generation's assignment. */
  base: Int32Array
  assignment: Int32Array
  grids: PlanGrid[]
  /** Block indexes by H3 id (a cell cut by a community boundary has one block per community). */
  byH3: Map<string, number[]>
}

const CACHE_SIZE = 8

export class PlanStore {
  private readonly cache = new Map<number, { blocks: PlanBlocks; base: Int32Array; byH3: Map<string, number[]> }>()
  private readonly queues = new Map<number, Promise<unknown>>()

  constructor(readonly db: Db) {}

  /** Runs `fn` after every earlier edit of the same plan on this server has finished. */
  serialize<T>(id: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(fn)
    this.queues.set(id, next)
    void next.finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id)
    }).catch(() => {})
    return next
  }

  private readonly states = new Map<number, PlanState>()

  /**
   * The plan as stored now. The cached state is reused while the stored
   * version is the one it was read at (one small query); otherwise the row is
   * read again. Blocks never change, so they are read once per plan.
   */
  async load(id: number, db: Queryable = this.db): Promise<PlanState> {
    const cached = this.states.get(id)
    if (cached) {
      const now = (await db.query<{ version: number; status: PlanRow['status']; base_is_current: boolean }>(q.PLAN_VERSION, [id])).rows[0]
      if (!now) throw notFound('plan', String(id))
      if (now.version === cached.row.version) {
        cached.row.status = now.status
        cached.row.base_is_current = now.base_is_current
        return cached
      }
    }
    const row = (await db.query<PlanRow>(q.GET_PLAN, [id])).rows[0]
    if (!row) throw notFound('plan', String(id))
    let fixed = this.cache.get(id)
    if (fixed) {
      this.cache.delete(id)
    } else {
      fixed = await this.readBlocks(db, row)
    }
    this.cache.set(id, fixed)
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    return this.remember({ row, blocks: fixed.blocks, base: fixed.base, byH3: fixed.byH3, assignment: Int32Array.from(row.assignment), grids: row.grids })
  }

  /** Keeps `state` as the plan's current state (after an edit this server saved). States are never mutated in place. */
  remember(state: PlanState): PlanState {
    this.states.delete(state.row.id)
    this.states.set(state.row.id, state)
    while (this.states.size > CACHE_SIZE) this.states.delete(this.states.keys().next().value!)
    return state
  }

  private async readBlocks(db: Queryable, row: PlanRow) {
    const rows = (await db.query<{
      idx: number; h3: string; community_code: string; area_m2: number; lon: number; lat: number
      init_grid: string; population: number; households: number; workload: number; open_incidents: number
    }>(q.BLOCK_ROWS, [row.id])).rows
    const n = rows.length
    const communities: string[] = []
    const communityIndex = new Map<string, number>()
    for (const g of row.base_grids) {
      const code = g.code.slice(0, 12)
      if (!communityIndex.has(code)) communityIndex.set(code, g.community)
      communities[g.community] = code
    }
    const community = new Int32Array(n)
    const area = new Float64Array(n)
    const population = new Float64Array(n)
    const households = new Float64Array(n)
    const workload = new Float64Array(n)
    const openIncidents = new Int32Array(n)
    const centroid = new Float64Array(2 * n)
    const base = new Int32Array(n)
    const h3: string[] = []
    const gridIndex = new Map(row.base_grids.map((g, i) => [g.code, i]))
    const byH3 = new Map<string, number[]>()
    for (const r of rows) {
      const i = r.idx
      h3.push(r.h3.padStart(15, '0'))
      community[i] = communityIndex.get(r.community_code)!
      area[i] = r.area_m2
      population[i] = r.population
      households[i] = r.households
      workload[i] = r.workload
      openIncidents[i] = r.open_incidents
      centroid[2 * i] = r.lon
      centroid[2 * i + 1] = r.lat
      base[i] = gridIndex.get(r.init_grid)!
      const list = byH3.get(h3[i]!) ?? []
      list.push(i)
      byH3.set(h3[i]!, list)
    }
    const graph = buildCellGraph(h3, community)
    const blocks: PlanBlocks = {
      res: row.res, h3, community, communities, area, population, households, workload, openIncidents, centroid, ...graph,
    }
    return { blocks, base, byH3 }
  }
}

/** 409 unless the plan is a draft at the version the caller edited. */
export function expectVersion(state: PlanState, version: number | undefined) {
  if (state.row.status !== 'draft') {
    throw new AppError('conflict', `Plan ${state.row.id} is ${state.row.status}; only drafts can change`, { reason: 'not-draft', planStatus: state.row.status })
  }
  if (version !== undefined && version !== state.row.version) {
    throw new AppError(
      'conflict',
      `Plan ${state.row.id} is at version ${state.row.version}, not ${version}: somebody changed it since you read it; reload and apply your edit again`,
      { reason: 'version', currentVersion: state.row.version },
    )
  }
}

/**
 * Starting a plan: the scope's communities are covered with H3 cells at the
 * plan's resolution (every cell that overlaps them, so nothing is left out),
 * each cell is cut to each community it overlaps (one block per piece), and
 * every block starts in the base grid that holds most of it. Workload and open
 * incidents are counted per block from the incidents themselves (point in
 * block), residents and households shared out by area from the base grids.
 */
import { cellToBoundary, polygonToCellsExperimental, POLYGON_TO_CELLS_FLAGS } from 'h3-js'
import { recordAudit } from '../audit/audit-log.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { PlanGrid } from './plan-types.ts'
import * as q from './queries.ts'

export interface NewPlan {
  scope: string
  name?: string
  res?: number
  /** Workload period, half-open; default: the 365 days before now. */
  from?: Date
  to?: Date
  constraints?: PlanConstraints
  actor: string | null
}

export interface PlanConstraints {
  minAreaM2?: number
  maxAreaM2?: number
  minPopulation?: number
  maxPopulation?: number
}

/** A town of ~75 km² is ~5,000 cells at resolution 10; a whole city would be far too many for live editing. */
const MAX_BLOCKS = 40_000

export async function createPlan(db: Db, input: NewPlan): Promise<number> {
  const res = input.res ?? 10
  const to = input.to ?? new Date()
  const from = input.from ?? new Date(to.getTime() - 365 * 86_400_000)
  if (!(from < to)) throw new AppError('invalid-parameter', `Unexpected period: from ${from.toISOString()} must be before to ${to.toISOString()}`)

  return db.transaction(async (tx) => {
    const generation = (await tx.query<{ id: number | null }>(`SELECT current_generation() AS id`)).rows[0]?.id ?? null
    if (generation === null) throw new AppError('conflict', 'No boundary generation has been imported yet: there is nothing to plan from')
    const scope = (await tx.query<{ code: string; level: string; name_zh: string }>(q.SCOPE_UNIT, [generation, input.scope])).rows[0]
    if (!scope) throw new AppError('not-found', `Unit ${input.scope} is not in the current generation ${generation}`)
    if (scope.level !== 'town' && scope.level !== 'community') {
      throw new AppError('invalid-parameter', `A plan is scoped to one town or community; ${input.scope} is a ${scope.level}`)
    }
    const communities = (await tx.query<{ code: string; geojson: string }>(q.SCOPE_COMMUNITIES, [generation, input.scope])).rows
    const grids = (await tx.query<{ code: string; parent_code: string; name_zh: string; geojson: string; administrators: number }>(q.SCOPE_GRIDS, [generation, input.scope])).rows
    if (grids.length === 0) throw new AppError('conflict', `${input.scope} has no grids in generation ${generation}`)
    const communityIndex = new Map(communities.map((c, i) => [c.code, i]))
    const baseGrids: PlanGrid[] = grids.map((g) => ({
      code: g.code,
      community: communityIndex.get(g.parent_code)!,
      name: g.name_zh,
      administrators: g.administrators,
      locked: false,
      added: false,
    }))

    const cells = { community: [] as string[], h3: [] as string[], outline: [] as string[], inside: [] as boolean[], grid: [] as (string | null)[] }
    const gridsOf = new Map<string, typeof grids>()
    for (const g of grids) gridsOf.set(g.parent_code, [...(gridsOf.get(g.parent_code) ?? []), g])
    for (const c of communities) {
      // Cells wholly inside one grid need no geometry work in the database.
      const wholly = new Map<string, string>()
      for (const g of gridsOf.get(c.code) ?? []) for (const h of cover(g.geojson, res, 'full')) wholly.set(h, g.code)
      const inside = new Set(cover(c.geojson, res, 'full'))
      for (const h of new Set(cover(c.geojson, res, 'overlapping'))) {
        cells.community.push(c.code)
        cells.h3.push(h)
        cells.outline.push(JSON.stringify({ type: 'Polygon', coordinates: [cellToBoundary(h, true)] }))
        cells.inside.push(inside.has(h))
        cells.grid.push(wholly.get(h) ?? null)
      }
      if (cells.h3.length > MAX_BLOCKS) {
        throw new AppError('invalid-parameter', `Scope ${input.scope} needs more than ${MAX_BLOCKS} cells at resolution ${res}; choose a coarser resolution or a smaller scope`)
      }
    }

    const id = (await tx.query<{ id: number }>(q.INSERT_PLAN, [
      input.name ?? `${scope.name_zh} ${to.toISOString().slice(0, 10)}`,
      input.scope,
      generation,
      res,
      from,
      to,
      JSON.stringify(baseGrids),
      JSON.stringify(checkedConstraints(input.constraints ?? {})),
      input.actor,
    ])).rows[0]!.id
    await tx.query(q.INSERT_BLOCKS, [id, generation, cells.community, cells.h3, cells.outline, cells.inside, cells.grid])
    await tx.query(q.SETTLE_BLOCKS, [id, generation])
    await tx.query(q.DROP_EMPTY_BLOCKS, [id])
    await tx.query(q.RENUMBER_BLOCKS, [id])
    await tx.query(q.RENUMBER_BLOCKS_2, [id])
    await tx.query(q.BLOCK_WORKLOAD, [id, from, to])
    await tx.query(q.BLOCK_OPEN_INCIDENTS, [id])
    const uncovered = (await tx.query<{ m2: number }>(q.UNCOVERED, [id, generation, input.scope])).rows[0]!.m2
    const gridIndex = new Map(baseGrids.map((g, i) => [g.code, i]))
    const blocks = (await tx.query<{ init_grid: string }>(`SELECT init_grid FROM plan_block WHERE plan_id = $1 ORDER BY idx`, [id])).rows
    await tx.query(q.SET_START, [id, blocks.map((b) => gridIndex.get(b.init_grid)!), uncovered])
    // A grid smaller than the cells would start the plan with none and vanish from it: refuse the resolution instead.
    const started = new Set(blocks.map((b) => b.init_grid))
    const lost = baseGrids.filter((g) => !started.has(g.code)).map((g) => g.code)
    if (lost.length > 0) {
      const finer = res < 10 ? `; choose a finer resolution (res ${res + 1}${res + 1 < 10 ? '–10' : ''})` : ''
      throw new AppError('invalid-parameter', `At resolution ${res}, ${lost.length} grid(s) of ${input.scope} get no cell of their own and would vanish from the plan: ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', …' : ''}${finer}`, {
        errors: [{ where: 'body/res', message: `too coarse for grid(s) ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', …' : ''}` }],
      })
    }
    await recordAudit(tx, {
      actor: input.actor,
      action: 'plan.create',
      subject: `plan:${id}`,
      detail: { before: null, after: { scope: input.scope, generation, res, blocks: blocks.length, grids: baseGrids.length } },
    })
    return id
  })
}

/** The H3 cells at `res` overlapping (or wholly inside) a GeoJSON Polygon or MultiPolygon. */
function cover(geojson: string, res: number, mode: 'overlapping' | 'full'): string[] {
  const geometry = JSON.parse(geojson) as { type: string; coordinates: number[][][] | number[][][][] }
  const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as number[][][][]
  const flag = mode === 'full' ? POLYGON_TO_CELLS_FLAGS.containmentFull : POLYGON_TO_CELLS_FLAGS.containmentOverlapping
  return polygons.flatMap((polygon) => polygonToCellsExperimental(polygon, res, flag, true))
}

/** Constraints whose bounds can be met together: a minimum above its maximum is refused. */
export function checkedConstraints(c: PlanConstraints): PlanConstraints {
  for (const [min, max] of [['minAreaM2', 'maxAreaM2'], ['minPopulation', 'maxPopulation']] as const) {
    const lo = c[min]
    const hi = c[max]
    if (lo !== undefined && hi !== undefined && lo > hi) {
      throw new AppError('invalid-parameter', `constraints.${min} (${lo}) is above constraints.${max} (${hi}): no grid could meet both`, { errors: [{ where: `body/constraints/${min}`, message: `must not exceed ${max}` }] })
    }
  }
  return c
}

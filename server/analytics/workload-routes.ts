/**
 * Workload per grid (weighted incident load next to what carries it:
 * residents, households, area, administrators, patrols) and how evenly it is
 * spread over the grids of each town and community.
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { extremes, mean, spread } from './balance.ts'
import { sendCsv, wantsCsv, type Column } from './csv-table.ts'
import { coverageOf, visitedCells } from './patrol-coverage.ts'
import { echoPeriod, MOMENT_PATTERN, PARENT_PATTERN, readMoment, readPeriod, resolveScope } from './period-scope.ts'
import * as q from './workload-queries.ts'

export const ANALYSTS = ['admin', 'supervisor', 'planner', 'analyst']

const Moment = Type.String({ pattern: MOMENT_PATTERN })
/** Query parameters every workload and supervision table takes. */
export const COMMON_QUERY = {
  from: Type.Optional(Moment),
  to: Type.Optional(Moment),
  at: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'Grids of the generation valid at this moment (default: current)' })),
  parent: Type.Optional(Type.String({ pattern: PARENT_PATTERN, description: 'City, town or community code (default: the city)' })),
  format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'] })),
  bom: Type.Boolean({ default: false, description: 'Start CSV with a UTF-8 byte order mark (for Excel)' }),
}
const Attribution = Type.Unsafe<'routed' | 'location'>({
  type: 'string',
  enum: ['routed', 'location'],
  default: 'routed',
  description: 'routed: each incident counts for the grid it was routed to; location: for the grid of the answered generation that contains it (after a boundary change)',
})
// Unknown parameters are refused (400 naming them): a filter these tables do not apply (categories, say) must not be ignored silently.
const WorkloadQuery = Type.Object({ ...COMMON_QUERY, attribution: Attribution, level: Type.Unsafe<'grid'>({ type: 'string', enum: ['grid'], default: 'grid' }) }, { additionalProperties: false })

const MEASURES = ['load', 'load_per_admin', 'population', 'households', 'area'] as const
type Measure = (typeof MEASURES)[number]
const BalanceQuery = Type.Object({
  ...COMMON_QUERY,
  attribution: Attribution,
  measure: Type.Unsafe<Measure>({ type: 'string', enum: [...MEASURES], default: 'load' }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
}, { additionalProperties: false })

export interface GridWorkload {
  code: string
  name: string
  community: string
  town: string
  incidents: number
  load: number
  population: number | null
  households: number | null
  areaKm2: number
  administrators: number
  loadPerAdministrator: number | null
  loadPer1000Residents: number | null
  patrolCells: number
  patrolVisited: number
  patrolCoverage: number | null
  /** (load − mean load of the parent's grids) / that mean. */
  deviation: number | null
}

const VALUE: Record<Measure, (g: GridWorkload) => number | null> = {
  load: (g) => g.load,
  load_per_admin: (g) => g.loadPerAdministrator,
  population: (g) => g.population,
  households: (g) => g.households,
  area: (g) => g.areaKm2,
}

const WORKLOAD_COLUMNS: Column<GridWorkload>[] = (
  ['code', 'name', 'community', 'town', 'incidents', 'load', 'population', 'households', 'areaKm2', 'administrators', 'loadPerAdministrator', 'loadPer1000Residents', 'patrolCells', 'patrolVisited', 'patrolCoverage', 'deviation'] as const
).map((name) => ({ name, value: (g: GridWorkload) => g[name] }))

type SpreadRow = { code: string; level: string; name: string } & ReturnType<typeof spread>
const BALANCE_COLUMNS: Column<SpreadRow>[] = (['code', 'level', 'name', 'n', 'mean', 'median', 'gini', 'cv', 'maxOverMedian', 'shareBeyondBand'] as const).map((name) => ({
  name,
  value: (r: SpreadRow) => r[name],
}))

export default async function workloadRoutes(app: FastifyInstance, opts: { db: Db; lookup: LookupService }) {
  app.get<{ Querystring: Static<typeof WorkloadQuery> }>(
    '/api/v1/analytics/workload',
    { config: { roles: ANALYSTS }, schema: { querystring: WorkloadQuery } },
    async (request, reply) => {
      const w = await gridWorkload(opts.db, opts.lookup, request.query)
      const params = { ...w.params, level: request.query.level }
      if (wantsCsv(request)) return sendCsv(reply, 'workload', params, WORKLOAD_COLUMNS, w.grids, request.query.bom)
      const incidents = w.grids.reduce((n, g) => n + g.incidents, 0)
      return { params, generation: w.generation, parent: w.parent, summary: { grids: w.grids.length, incidents, load: w.totalLoad, meanLoad: w.meanLoad, unattributed: w.unattributed }, items: w.grids }
    },
  )

  app.get<{ Querystring: Static<typeof BalanceQuery> }>(
    '/api/v1/analytics/balance',
    { config: { roles: ANALYSTS }, schema: { querystring: BalanceQuery } },
    async (request, reply) => {
      const { measure, limit } = request.query
      const w = await gridWorkload(opts.db, opts.lookup, request.query)
      const valued = w.grids.flatMap((g) => {
        const value = VALUE[measure](g)
        return value === null ? [] : [{ code: g.code, name: g.name, value }]
      })
      // By code: the parent first, then each town followed by its communities.
      const units: SpreadRow[] = w.parents.map((u) => ({
        code: u.code,
        level: u.level,
        name: u.name_zh,
        ...spread(valued.filter((g) => g.code.startsWith(u.code)).map((g) => g.value)),
      }))
      const params = { ...w.params, measure, limit }
      if (wantsCsv(request)) return sendCsv(reply, `balance-${measure}`, params, BALANCE_COLUMNS, units, request.query.bom)
      const { over, under } = extremes(valued, limit, units[0]!.mean)
      return { params, generation: w.generation, parent: w.parent, band: 0.25, units, mostOverloaded: over, mostUnderloaded: under }
    },
  )
}

/** Loads per grid of `ix` from where the incidents happened, looked up in its index (millions of points a second). */
async function loadsByLocation(db: Db, ix: IndexedGeneration, period: { from: Date; to: Date }, prefix: string) {
  const points = (await db.query<{ lon: number; lat: number; weight: number }>(q.INCIDENT_POINTS, [period.from, period.to, prefix, ix.generation.id])).rows
  const incidents = new Int32Array(ix.codes.length)
  const load = new Float64Array(ix.codes.length)
  for (const p of points) {
    const g = ix.index.lookup(p.lon, p.lat)
    if (g < 0) continue
    incidents[g]!++
    load[g]! += p.weight
  }
  const rows = ix.codes.flatMap((code, g) => (incidents[g]! > 0 ? [{ grid_code: code, incidents: incidents[g]!, load: Math.round(load[g]! * 1e9) / 1e9 }] : []))
  return { rows }
}

/** The workload table of the grids under the requested parent, with the parameters it was computed from. */
async function gridWorkload(db: Db, lookup: LookupService, query: Static<typeof WorkloadQuery> | Static<typeof BalanceQuery>) {
  const period = readPeriod(query)
  const at = query.at ? readMoment('at', query.at) : undefined
  const scope = await resolveScope(db, lookup, query.parent, at)
  const prefix = scope.parent.code
  const [loads, admins, visits] = await Promise.all([
    query.attribution === 'location'
      ? loadsByLocation(db, scope.ix, period, prefix)
      : db.query<{ grid_code: string; incidents: number; load: number }>(q.GRID_LOADS, [period.from, period.to, prefix]),
    // Those who served then when the question is about another moment; those serving now otherwise.
    at
      ? db.query<{ grid_code: string; administrators: number }>(q.ADMINISTRATORS_PER_GRID_AT, [prefix, at])
      : db.query<{ grid_code: string; administrators: number }>(q.ADMINISTRATORS_PER_GRID, [prefix]),
    visitedCells(db, scope.ix, period, scope.grids.map((g) => g.code)),
  ])
  const loadOf = new Map(loads.rows.map((r) => [r.grid_code, r]))
  const inScope = new Set(scope.grids.map((g) => g.code))
  const adminsOf = new Map(admins.rows.map((r) => [r.grid_code, r.administrators]))
  const meanLoad = mean(scope.grids.map((g) => loadOf.get(g.code)?.load ?? 0))
  const grids: GridWorkload[] = scope.grids.map((g) => {
    const load = loadOf.get(g.code)?.load ?? 0
    const administrators = adminsOf.get(g.code) ?? 0
    const patrol = coverageOf(scope.ix, [g.code], visits)
    return {
      code: g.code,
      name: g.name_zh,
      community: g.code.slice(0, 12),
      town: g.code.slice(0, 9),
      incidents: loadOf.get(g.code)?.incidents ?? 0,
      load,
      population: g.population,
      households: g.households,
      areaKm2: g.area_m2 / 1e6,
      administrators,
      loadPerAdministrator: administrators === 0 ? null : load / administrators,
      loadPer1000Residents: g.population ? (load / g.population) * 1000 : null,
      patrolCells: patrol.cells,
      patrolVisited: patrol.visited,
      patrolCoverage: patrol.share,
      deviation: meanLoad ? (load - meanLoad) / meanLoad : null,
    }
  })
  return {
    params: { ...echoPeriod(period, scope, at), attribution: query.attribution ?? 'routed' },
    generation: { id: scope.ix.generation.id, label: scope.ix.generation.label },
    parent: { code: scope.parent.code, level: scope.parent.level, name: scope.parent.name_zh },
    parents: scope.units.filter((u) => u.level !== 'grid'),
    grids,
    meanLoad,
    totalLoad: grids.reduce((sum, g) => sum + g.load, 0),
    // Routed to a grid under the parent that the answered generation no longer has (as hot spots say): not zeros, elsewhere.
    // (By location every incident lies in a grid of the answered generation or outside the parent: none.)
    unattributed: query.attribution === 'location' ? 0 : loads.rows.reduce((n, r) => n + (inScope.has(r.grid_code) ? 0 : r.incidents), 0),
  }
}

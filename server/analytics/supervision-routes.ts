/**
 * Supervision scores: how well incidents are worked, per grid, administrator,
 * town or department — on-time closure, time per workflow step, overdue work,
 * reopens, citizen satisfaction and patrol coverage — as a ranked table.
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { sendCsv, wantsCsv, type Column } from './csv-table.ts'
import { coverageOf, visitedByAdministrator, visitedCells } from './patrol-coverage.ts'
import { echoPeriod, invalidParameter, readMoment, readPeriod, resolveScope, type Period, type Scope } from './period-scope.ts'
import { ADMINISTRATORS_IN_SCOPE, BY, DEPARTMENTS, STEPS, SUPERVISION, type By } from './supervision-queries.ts'
import { ANALYSTS, COMMON_QUERY } from './workload-routes.ts'

type StepName = 'reportedToAccepted' | 'acceptedToDispatched' | 'dispatchedToHandled' | 'handledToVerified' | 'verifiedToClosed'
const STEP_NAMES = STEPS.map(([f, t]) => `${f}To${t[0]!.toUpperCase()}${t.slice(1)}` as StepName)

export interface Score {
  rank: number | null
  /** Grid or town code, administrator employee number, department code. */
  key: string
  name: string
  /** Grids and towns: the English name when the unit has one. */
  name_en?: string | null
  incidents: number
  closed: number
  /** Incidents with a deadline that has passed or that were handled. */
  due: number
  onTime: number
  onTimeRate: number | null
  overdue: number
  handled: number
  reopened: number
  reopenRate: number | null
  satisfaction: number | null
  ratings: number
  medianHours: Record<StepName, number | null>
  patrolCoverage: number | null
  /** by=administrator: whether the administrator is active today (one who left or was deactivated is scored for the time served). */
  active?: boolean
}

const SORTS: Record<string, (s: Score) => number | string | null> = {
  onTimeRate: (s) => s.onTimeRate,
  incidents: (s) => s.incidents,
  closed: (s) => s.closed,
  overdue: (s) => s.overdue,
  reopenRate: (s) => s.reopenRate,
  satisfaction: (s) => s.satisfaction,
  patrolCoverage: (s) => s.patrolCoverage,
  ...Object.fromEntries(STEP_NAMES.map((n) => [n, (s: Score) => s.medianHours[n]])),
  key: (s) => s.key,
}

const SupervisionQuery = Type.Object({
  ...COMMON_QUERY,
  by: Type.Unsafe<By>({ type: 'string', enum: [...BY], default: 'grid' }),
  sort: Type.Unsafe<string>({ type: 'string', enum: Object.keys(SORTS), default: 'onTimeRate' }),
  order: Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'], default: 'desc' }),
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
}, { additionalProperties: false })

const COLUMNS: Column<Score>[] = [
  ...(['rank', 'key', 'name', 'incidents', 'closed', 'due', 'onTime', 'onTimeRate', 'overdue', 'handled', 'reopened', 'reopenRate', 'satisfaction', 'ratings'] as const).map((name) => ({ name, value: (s: Score) => s[name] })),
  ...STEP_NAMES.map((n) => ({ name: `medianHours.${n}`, value: (s: Score) => s.medianHours[n] })),
  { name: 'patrolCoverage', value: (s) => s.patrolCoverage },
]

const ADMINISTRATOR_COLUMNS: Column<Score>[] = [...COLUMNS, { name: 'active', value: (s) => s.active ?? null }]

type Row = { key: string; incidents: number; closed: number; due: number; on_time: number; overdue: number; handled: number; reopened: number; satisfaction: number | null; ratings: number } & Record<string, number | string | null>

export default async function supervisionRoutes(app: FastifyInstance, opts: { db: Db; lookup: LookupService }) {
  const { db, lookup } = opts
  app.get<{ Querystring: Static<typeof SupervisionQuery> }>(
    '/api/v1/analytics/supervision',
    { config: { roles: ANALYSTS }, schema: { querystring: SupervisionQuery } },
    async (request, reply) => {
      const { by, sort, order, limit } = request.query
      const period = readPeriod(request.query)
      const at = request.query.at ? readMoment('at', request.query.at) : undefined
      const scope = await resolveScope(db, lookup, request.query.parent, at)
      if (by === 'town' && scope.parent.level === 'community') throw invalidParameter('by', `=town needs a city or town parent; ${scope.parent.code} is a community`)
      const asOf = new Date()
      const prefix = scope.parent.code
      const [scores, visits, admins, departments] = await Promise.all([
        db.query<Row>(SUPERVISION[by], [period.from, period.to, prefix, asOf]),
        by === 'grid' || by === 'town' ? visitedCells(db, scope.ix, period, scope.grids.map((g) => g.code)) : null,
        by === 'administrator' ? administratorsWithVisits(db, scope, period, prefix) : null,
        by === 'department' ? db.query<{ key: string }>(DEPARTMENTS) : null,
      ])
      const rowOf = new Map(scores.rows.map((r) => [r.key, r]))
      const all = entitiesOf(by, scope, visits ?? new Set(), admins ?? [], [...new Set([...(departments?.rows ?? []).map((d) => d.key), ...rowOf.keys()])].sort()).map((e) =>
        score(e.key, e.name, rowOf.get(e.id), e.coverage, e.active, e.name_en),
      )
      rank(all, SORTS[sort]!, order)
      const items = all.slice(0, limit)
      const params = { ...echoPeriod(period, scope, at), by, sort, order, limit }
      if (wantsCsv(request)) return sendCsv(reply, `supervision-${by}`, params, by === 'administrator' ? ADMINISTRATOR_COLUMNS : COLUMNS, items, request.query.bom)
      return { params, asOf: asOf.toISOString(), generation: { id: scope.ix.generation.id, label: scope.ix.generation.label }, parent: { code: scope.parent.code, level: scope.parent.level, name: scope.parent.name_zh }, total: all.length, items }
    },
  )
}

interface Entity {
  /** The grouping key of the scores query. */
  id: string
  key: string
  name: string
  name_en?: string | null
  coverage: number | null
  active?: boolean
}

type Administrator = { key: string; employee_no: string; name: string; active: boolean; grids: string[]; visited: ReadonlySet<string> }

/** The administrators who served grids under the parent in the period, each with the cells of those grids their patrols passed through. */
async function administratorsWithVisits(db: Db, scope: Scope, period: Period, prefix: string): Promise<Administrator[]> {
  const admins = (await db.query<Omit<Administrator, 'visited'>>(ADMINISTRATORS_IN_SCOPE, [period.from, period.to, prefix])).rows
  const visits = await visitedByAdministrator(db, scope.ix, period, admins.map((a) => ({ id: Number(a.key), grids: a.grids })))
  return admins.map((a) => ({ ...a, visited: visits.get(Number(a.key)) ?? new Set() }))
}

/** Everything that gets a score, with or without incidents: the grids, towns or administrators under the parent, or the departments. */
function entitiesOf(by: By, scope: Scope, visits: ReadonlySet<string>, admins: Administrator[], departments: string[]): Entity[] {
  const cover = (grids: string[], visited: ReadonlySet<string>) => coverageOf(scope.ix, grids, visited).share
  switch (by) {
    case 'grid':
      return scope.grids.map((g) => ({ id: g.code, key: g.code, name: g.name_zh, name_en: g.name_en, coverage: cover([g.code], visits) }))
    case 'town':
      return scope.units
        .filter((u) => u.level === 'town')
        .map((t) => ({ id: t.code, key: t.code, name: t.name_zh, name_en: t.name_en, coverage: cover(scope.grids.filter((g) => g.code.startsWith(t.code)).map((g) => g.code), visits) }))
    case 'administrator':
      return admins.map((a) => ({ id: a.key, key: a.employee_no, name: a.name, coverage: cover(a.grids, a.visited), active: a.active }))
    case 'department':
      return departments.map((d) => ({ id: d, key: d, name: d, coverage: null }))
  }
}

function score(key: string, name: string, r: Row | undefined, patrolCoverage: number | null, active: boolean | undefined, nameEn?: string | null): Score {
  const ratio = (n: number, of: number) => (of === 0 ? null : n / of)
  const n = (v: number | undefined) => v ?? 0
  return {
    rank: null,
    key,
    name,
    ...(nameEn === undefined ? {} : { name_en: nameEn }),
    incidents: n(r?.incidents),
    closed: n(r?.closed),
    due: n(r?.due),
    onTime: n(r?.on_time),
    onTimeRate: ratio(n(r?.on_time), n(r?.due)),
    overdue: n(r?.overdue),
    handled: n(r?.handled),
    reopened: n(r?.reopened),
    reopenRate: ratio(n(r?.reopened), n(r?.handled)),
    satisfaction: r?.satisfaction ?? null,
    ratings: n(r?.ratings),
    medianHours: Object.fromEntries(STEPS.map(([f, t], k) => [STEP_NAMES[k]!, (r?.[`${f}_${t}`] as number | null | undefined) ?? null])) as Record<StepName, number | null>,
    patrolCoverage,
    ...(active === undefined ? {} : { active }),
  }
}

/** Sorts in place by `value` (entities without a value last, whatever the order; ties by key) and numbers them; equal values share a rank. */
function rank(scores: Score[], value: (s: Score) => number | string | null, order: 'asc' | 'desc') {
  const sign = order === 'asc' ? 1 : -1
  scores.sort((a, b) => {
    const va = value(a)
    const vb = value(b)
    if (va === null || vb === null) return va === vb ? cmp(a.key, b.key) : va === null ? 1 : -1
    return sign * cmp(va, vb) || cmp(a.key, b.key)
  })
  scores.forEach((s, k) => {
    const v = value(s)
    const prev = scores[k - 1]
    s.rank = v === null ? null : prev && value(prev) === v ? prev.rank : k + 1
  })
}

const cmp = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * GET /api/v1/analytics/series: incidents over time by category, channel or
 * status, from the cube — the chart beside the map. Steps are local days,
 * 7-day weeks from `from`, or calendar months; every step of the window is
 * present (zeros included) so charts need no gap filling.
 */
import type { FastifyInstance } from 'fastify'
import { assertKnownCategories } from '../incidents/categories.ts'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { addDays, daysBetween, FILTER_PROPS, filterArgs, readFilters } from './analytics-params.ts'
import * as q from './cube-queries.ts'
import { sendCsv, wantsCsv } from './csv-table.ts'

const MAX_STEPS = 3660
// The series is read from the citywide cube by day; it has no place or boundaries to narrow it by.
const CITYWIDE_ONLY = ['parent', 'per1000', 'at'] as const
const { parent: _parent, per1000: _per1000, at: _at, ...SERIES_FILTERS } = FILTER_PROPS
const SeriesQuery = Type.Object({
  ...SERIES_FILTERS,
  step: Type.Optional(Type.Unsafe<'day' | 'week' | 'month'>({ type: 'string', enum: ['day', 'week', 'month'] })),
  by: Type.Optional(Type.Unsafe<'category' | 'channel' | 'status'>({ type: 'string', enum: ['category', 'channel', 'status'] })),
  format: Type.Optional(Type.Unsafe<'json' | 'csv'>({ type: 'string', enum: ['json', 'csv'] })),
}, { additionalProperties: false })

export default async function analyticsSeriesRoutes(app: FastifyInstance, opts: { db: Db }) {
  app.get<{ Querystring: Static<typeof SeriesQuery> }>(
    '/api/v1/analytics/series',
    {
      config: { roles: ['admin', 'supervisor', 'planner', 'analyst'] },
      schema: { querystring: SeriesQuery },
      // Said before the schema's generic "not taken here": why, and where to go instead.
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>
        for (const name of CITYWIDE_ONLY) {
          if (query[name] !== undefined) throw new AppError('invalid-parameter', `The series covers the whole city: ${name} does not apply to it (use analytics/h3 or workload for a part of the city)`, { parameter: name })
        }
      },
    },
    async (request, reply) => {
      const f = readFilters(request.query, 90)
      await assertKnownCategories(opts.db, f.categories, 'categories')
      const step = request.query.step ?? 'day'
      const by = request.query.by ?? 'category'
      const labels = stepLabels(f.from, f.to, step)
      if (labels.length > MAX_STEPS) throw new AppError('invalid-parameter', `${labels.length} ${step}s exceed the limit of ${MAX_STEPS}; choose a longer step`, { parameter: 'step' })
      const rows = (await opts.db.query<{ step: number; key: string; n: number; load: number }>(q.SERIES, [null, ...filterArgs(f), step, by])).rows
      const series = new Map<string, number[]>()
      for (const r of rows) {
        if (r.step < 0 || r.step >= labels.length) continue
        const values = series.get(r.key) ?? new Array<number>(labels.length).fill(0)
        values[r.step] = values[r.step]! + (f.measure === 'load' ? r.load : r.n)
        series.set(r.key, values)
      }
      const params = { from: f.from, to: f.to, step, by, categories: f.categories, channels: f.channels, status: f.status, measure: f.measure }
      const out = [...series.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, values]) => ({ key, total: values.reduce((s, v) => s + v, 0), values }))
      if (wantsCsv(request)) {
        const table = labels.map((label, i) => ({ label, values: out.map((s) => s.values[i]) }))
        const columns = [{ name: 'step', value: (r: (typeof table)[number]) => r.label }, ...out.map((s, k) => ({ name: s.key, value: (r: (typeof table)[number]) => r.values[k] }))]
        return sendCsv(reply, 'incident-series', params, columns, table)
      }
      return { params, steps: labels, series: out }
    },
  )
}

/** The first local day of each step in [from, to). */
export function stepLabels(from: string, to: string, step: 'day' | 'week' | 'month'): string[] {
  const out: string[] = []
  if (step === 'month') {
    let y = Number(from.slice(0, 4))
    let m = Number(from.slice(5, 7))
    for (let d = `${from.slice(0, 7)}-01`; d < to; m === 12 ? ((m = 1), y++) : m++, d = `${y}-${String(m).padStart(2, '0')}-01`) out.push(d)
    return out
  }
  const span = step === 'week' ? 7 : 1
  for (let k = 0; k * span < daysBetween(from, to); k++) out.push(addDays(from, k * span))
  return out
}

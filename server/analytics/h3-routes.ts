/**
 * /api/v1/analytics: H3 aggregation, hot spots (Gi*, local Moran's I) on H3
 * cells or grids, and emerging hot spots. Every answer echoes the parameters
 * it was computed with (`params`), so a map or a report can be reproduced.
 */
import type { FastifyInstance } from 'fastify'
import { cellToBoundary } from 'h3-js'
import { Type, type Static } from 'typebox'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { FILTER_PROPS, ResQuery, readFilters, type Filters } from './analytics-params.ts'
import { capCells, CellValues } from './cell-values.ts'
import { sendCsv, wantsCsv, type Column } from './csv-table.ts'
import { alignWindow, emergingAnalysis, MAX_STEPS, type EmergingRow } from './emerging.ts'
import { GridLayouts } from './grid-layout.ts'
import { assertKnownCategories } from '../incidents/categories.ts'
import { invalidParameter } from './period-scope.ts'
import { gridHotspots, h3Hotspots, type HotspotRow } from './hotspots.ts'

const ANALYSTS = ['admin', 'supervisor', 'planner', 'analyst']
const MAX_AGGREGATE_CELLS = 500_000
const Format = Type.Optional(Type.Unsafe<'geojson' | 'json' | 'csv'>({ type: 'string', enum: ['geojson', 'json', 'csv'] }))

const H3Query = Type.Object({ ...FILTER_PROPS, res: Type.Optional(ResQuery), format: Format }, { additionalProperties: false })
const HotspotQuery = Type.Object({
  ...FILTER_PROPS,
    res: Type.Optional(ResQuery),
    unit: Type.Optional(Type.Unsafe<'h3' | 'grid'>({ type: 'string', enum: ['h3', 'grid'] })),
    method: Type.Optional(Type.Unsafe<'gi' | 'moran'>({ type: 'string', enum: ['gi', 'moran'] })),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'k-ring neighbourhood of H3 cells' })),
    distance: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50_000, description: 'distance band in metres, instead of k' })),
    fdr: Type.Optional(Type.Boolean()),
    permutations: Type.Optional(Type.Integer({ minimum: 99, maximum: 9999 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    attribution: Type.Optional(Type.Unsafe<'routed' | 'location'>({
      type: 'string', enum: ['routed', 'location'],
      description: 'unit=grid: routed (default) counts each incident for the grid it was routed to (summary.unattributed: those routed to a grid this generation no longer has); location for the grid of the answered generation that holds it (after a boundary change)',
    })),
    format: Format,
}, { additionalProperties: false })
const EmergingQuery = Type.Object({
  ...FILTER_PROPS,
    res: Type.Optional(ResQuery),
    step: Type.Optional(Type.Unsafe<'week' | 'month'>({ type: 'string', enum: ['week', 'month'] })),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    timeWindow: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, description: 'previous steps in each neighbourhood' })),
    fdr: Type.Optional(Type.Boolean({ description: 'Benjamini–Hochberg correction over the whole space-time cube, every cell of every step (default true), as ArcGIS does' })),
    format: Format,
}, { additionalProperties: false })

export default async function analyticsH3Routes(app: FastifyInstance, opts: { db: Db; lookup: LookupService; warm?: boolean }) {
  const { db, lookup } = opts
  const cells = new CellValues(db)
  const layouts = new GridLayouts(db)
  if (opts.warm) {
    app.addHook('onReady', async () => {
      const started = Date.now()
      cells.cube.sync().then(
        () => app.log.info(`analytics: ${cells.cube.size} cube rows in memory in ${Date.now() - started} ms`),
        (err) => app.log.warn({ err }, 'analytics: reading the incident cube failed; the first analytics request will retry'),
      )
    })
  }

  app.get<{ Querystring: Static<typeof H3Query> }>('/api/v1/analytics/h3', { config: { roles: ANALYSTS }, schema: { querystring: H3Query } }, async (request, reply) => {
    const f = readFilters(request.query)
    await assertKnownCategories(db, f.categories, 'categories')
    const res = request.query.res ?? 9
    const ix = await lookup.indexFor(f.at ?? undefined)
    // With per1000, a cell without residents on record (one reaching past the parent's edge, or an empty one) has no rate: null, not 0.
    let rows: { cell: string; grid: string | null; count: number; load: number; value: number | null }[]
    if (f.parent) {
      // The parent's own incidents (those of resolution-10 cells inside it), summed up to `res`: the same
      // total at every resolution, and a cell the sum of its children. Cells reaching past the parent's edge
      // keep the part inside it; residents (per1000) are those of the cells the parent's grids hold.
      const area = await cells.area(ix, res, f.parent)
      rows = (await cells.totals(res, f, { ix, code: f.parent })).map((t) => {
        const i = area.indexOf.get(t.cell)
        const base = f.measure === 'load' ? t.load : t.n
        const people = i === undefined ? 0 : area.population[i]!
        const value = f.per1000 ? (people > 0 ? round((1000 * base) / people) : null) : round(base)
        return { cell: t.cell, grid: i === undefined ? null : area.grid[i]!, count: t.n, load: round(t.load), value }
      })
      rows.sort((a, b) => (a.cell < b.cell ? -1 : 1))
    } else if (f.per1000) {
      const area = await cells.area(ix, res, null)
      const v = await cells.vector(area, f, ix)
      rows = area.cells.flatMap((cell, i) => (v.counts[i]! > 0 ? [{ cell, grid: area.grid[i]!, count: v.counts[i]!, load: round(v.loads[i]!), value: area.population[i]! > 0 ? round(v.values[i]!) : null }] : []))
    } else {
      const area = await cells.area(ix, res, null)
      const gridOf = (cell: string) => (area.indexOf.has(cell) ? area.grid[area.indexOf.get(cell)!]! : null)
      rows = (await cells.totals(res, f)).map((t) => ({ cell: t.cell, grid: gridOf(t.cell), count: t.n, load: round(t.load), value: round(f.measure === 'load' ? t.load : t.n) }))
      rows.sort((a, b) => (a.cell < b.cell ? -1 : 1))
    }
    capCells(rows.length, MAX_AGGREGATE_CELLS, 'H3 aggregation')
    const params = { ...echo(f), res, generation: ix.generation.id }
    const total = rows.reduce((s, r) => s + r.count, 0)
    const columns: Column<(typeof rows)[number]>[] = ['cell', 'grid', 'count', 'load', 'value'].map((name) => ({ name, value: (r) => r[name as keyof typeof r] }))
    if (wantsCsv(request)) return sendCsv(reply, 'h3-aggregate', params, columns, rows)
    if (request.query.format === 'json') return { params, total, cells: rows }
    return featureCollection(params, { cells: rows.length, total }, rows, (r) => r.cell)
  })

  app.get<{ Querystring: Static<typeof HotspotQuery> }>('/api/v1/analytics/hotspots', { config: { roles: ANALYSTS }, schema: { querystring: HotspotQuery } }, async (request, reply) => {
    const query = request.query
    const f = readFilters(query)
    await assertKnownCategories(db, f.categories, 'categories')
    const unit = query.unit ?? 'h3'
    const method = query.method ?? 'gi'
    if (unit === 'grid' && (query.k !== undefined || query.distance !== undefined || query.res !== undefined))
      throw new AppError('invalid-parameter', 'Grid hot spots use the grids’ shared edges and vertices as neighbours; res, k and distance apply to unit=h3 only', { parameter: 'unit' })
    if (query.k !== undefined && query.distance !== undefined) throw invalidParameter('distance', 'cannot be given with k: give either k or distance, not both')
    if (unit === 'h3' && query.attribution !== undefined) throw invalidParameter('attribution', 'applies to unit=grid only: H3 cells always count the incidents inside them')
    for (const name of ['permutations', 'seed'] as const) {
      if (method === 'gi' && query[name] !== undefined) throw invalidParameter(name, 'applies to method=moran only: Gi* z-scores are tested against the normal distribution, with no permutations')
    }
    if (method === 'moran' && query.fdr !== undefined) throw invalidParameter('fdr', 'applies to method=gi only: local Moran\'s I p-values come from permutations, reported as they are')
    const res = query.res ?? 9
    const options = {
      method,
      attribution: query.attribution ?? 'routed',
      fdr: query.fdr ?? false,
      k: query.distance === undefined ? query.k ?? 1 : null,
      distance: query.distance ?? null,
      permutations: query.permutations ?? 999,
      seed: query.seed ?? 1,
    }
    const ix = await lookup.indexFor(f.at ?? undefined)
    const result = unit === 'h3' ? await h3Hotspots(cells, ix, res, f, options) : await gridHotspots(db, layouts, ix, f, options)
    const params = {
      ...echo(f), unit, method, generation: ix.generation.id,
      ...(unit === 'h3' ? { res, ...(options.distance !== null ? { distance: options.distance } : { k: options.k }) } : { neighbours: 'queen', attribution: options.attribution }),
      ...(method === 'gi' ? { fdr: options.fdr, weights: 'binary, self included (Gi*)' } : { permutations: options.permutations, seed: options.seed, weights: 'row-standardised' }),
    }
    const names = method === 'gi' ? ['id', 'grid', 'count', 'load', 'value', 'z', 'p', 'bin'] : ['id', 'grid', 'count', 'load', 'value', 'I', 'z', 'p', 'quadrant']
    const columns: Column<HotspotRow>[] = names.map((name) => ({ name, value: (r) => r[name as keyof HotspotRow] }))
    if (wantsCsv(request)) return sendCsv(reply, `hotspots-${method}-${unit}`, params, columns, result.rows)
    const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {}
    if (query.format === 'json') return { params, summary: result.summary, ...warnings, rows: result.rows }
    if (unit === 'h3') return { ...featureCollection(params, result.summary, result.rows, (r) => r.id), ...warnings }
    const outlines = new Map((await layouts.get(ix)).grids.map((g) => [g.code, g]))
    return {
      type: 'FeatureCollection',
      params,
      summary: result.summary,
      ...warnings,
      features: result.rows.map((r) => ({ type: 'Feature', id: r.id, geometry: JSON.parse(outlines.get(r.id)!.geometry), properties: { ...r, name: outlines.get(r.id)!.name } })),
    }
  })

  app.get<{ Querystring: Static<typeof EmergingQuery> }>('/api/v1/analytics/emerging', { config: { roles: ANALYSTS }, schema: { querystring: EmergingQuery } }, async (request, reply) => {
    const query = request.query
    const step = query.step ?? 'week'
    const f = readFilters(query, step === 'week' ? 104 * 7 : 730)
    await assertKnownCategories(db, f.categories, 'categories')
    const res = query.res ?? 8
    const options = { step, k: query.k ?? 1, timeWindow: query.timeWindow ?? 1, fdr: query.fdr ?? true }
    const ix = await lookup.indexFor(f.at ?? undefined)
    const probe = alignWindow(f, step)
    if (probe.steps < 3) throw new AppError('invalid-parameter', `The window ${f.from}…${f.to} holds ${probe.steps} whole ${step}${probe.steps === 1 ? '' : 's'}; a trend needs at least 3`, { parameter: 'from' })
    if (probe.steps > MAX_STEPS) throw new AppError('invalid-parameter', `The window holds ${probe.steps} ${step}s; at most ${MAX_STEPS}`, { parameter: 'from' })
    const result = await emergingAnalysis(cells, ix, res, f, options)
    const params = { ...echo(f), from: result.window.from, to: result.window.to, steps: result.window.steps, res, ...options, generation: ix.generation.id }
    const columns: Column<EmergingRow>[] = ['cell', 'grid', 'total', 'pattern', 'trendZ', 'trendP', 'lastZ', 'lastP'].map((name) => ({ name, value: (r) => r[name as keyof EmergingRow] }))
    if (wantsCsv(request)) return sendCsv(reply, 'emerging-hotspots', params, columns, result.rows)
    if (query.format === 'json') return { params, patterns: result.patterns, rows: result.rows }
    return featureCollection(params, result.patterns, result.rows, (r) => r.cell)
  })
}

function echo(f: Filters) {
  return { from: f.from, to: f.to, categories: f.categories, channels: f.channels, status: f.status, measure: f.measure, per1000: f.per1000, parent: f.parent, at: f.at }
}

function featureCollection<T extends object>(params: object, summary: object, rows: T[], cellOf: (r: T) => string) {
  return {
    type: 'FeatureCollection',
    params,
    summary,
    features: rows.map((r) => ({ type: 'Feature', id: cellOf(r), geometry: { type: 'Polygon', coordinates: [cellToBoundary(cellOf(r), true)] }, properties: r })),
  }
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}

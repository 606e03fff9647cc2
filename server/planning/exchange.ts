/**
 * Plans in and out: a `cell,grid` CSV (like a redistricting block-assignment
 * file) and GeoJSON — one feature per cell, or per grid with `dissolve`.
 * A cell cut by a community boundary appears once per community; on import
 * the grid's community tells which piece a row means.
 */
import type { Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { csvCell, splitCsv } from '../plugins/csv-line.ts'
import type { PlanState } from './plan-state.ts'
import * as q from './queries.ts'

export function planCsv(state: PlanState): string {
  const lines = ['cell,grid']
  state.blocks.h3.forEach((h, b) => lines.push(`${h},${csvCell(state.grids[state.assignment[b]!]!.code)}`))
  return lines.join('\n') + '\n'
}

const DISSOLVED = `
SELECT a.grid, ST_AsGeoJSON(ST_Multi(ST_Union(b.geom, 9.094947017729282e-13)), 7) AS geometry, count(*)::int AS cells
FROM plan_block b JOIN unnest($2::text[]) WITH ORDINALITY AS a(grid, n) ON b.idx = a.n - 1
WHERE b.plan_id = $1
GROUP BY a.grid ORDER BY a.grid`

/** Built as text: the geometries arrive as GeoJSON text from PostGIS and go out unparsed. */
export async function planGeoJson(db: Queryable, state: PlanState, dissolve: boolean): Promise<string> {
  const { row, blocks, grids, assignment, base } = state
  const head = `{"type":"FeatureCollection","plan":${JSON.stringify({ id: row.id, version: row.version, scope: row.scope_code, res: row.res, baseGeneration: row.base_generation_id })},"features":[`
  const parts: string[] = []
  if (dissolve) {
    const byCode = new Map(grids.map((g) => [g.code, g]))
    const rows = (await db.query<{ grid: string; geometry: string; cells: number }>(DISSOLVED, [row.id, Array.from(assignment, (g) => grids[g]!.code)])).rows
    for (const r of rows) {
      const g = byCode.get(r.grid)!
      const props = { code: g.code, name: g.name, community: blocks.communities[g.community], cells: r.cells, locked: g.locked, added: g.added }
      parts.push(`{"type":"Feature","id":${JSON.stringify(g.code)},"properties":${JSON.stringify(props)},"geometry":${r.geometry}}`)
    }
  } else {
    const rows = (await db.query<{ idx: number; geometry: string }>(q.BLOCKS_GEOJSON, [row.id])).rows
    for (const r of rows) {
      const b = r.idx
      const props = {
        idx: b,
        cell: blocks.h3[b],
        community: blocks.communities[blocks.community[b]!],
        grid: grids[assignment[b]!]!.code,
        baseGrid: row.base_grids[base[b]!]!.code,
        workload: blocks.workload[b],
        population: Math.round(blocks.population[b]! * 10) / 10,
        areaM2: Math.round(blocks.area[b]!),
        openIncidents: blocks.openIncidents[b],
      }
      parts.push(`{"type":"Feature","id":${b},"properties":${JSON.stringify(props)},"geometry":${r.geometry}}`)
    }
  }
  return head + parts.join(',') + ']}'
}

/** Rows of a GeoJSON FeatureCollection whose features carry `cell` and `grid` properties (as exported). */
/** Where a row of an assignment file is: its CSV line (as the file numbers it) or its GeoJSON feature index. */
export type RowPlace = { line: number } | { feature: number }

/**
 * The well-formed rows of an assignment file, each with its place, and the
 * malformed ones. Nothing is refused here: the assign edit reports malformed
 * rows together with the rows whose content is wrong (unknown grid or cell),
 * all in one answer, in file order.
 */
export interface AssignmentFile {
  rows: { cell: string; grid: string }[]
  places: RowPlace[]
  malformed: (RowPlace & { message: string })[]
}

export function rowsFromGeoJson(body: unknown): AssignmentFile {
  const fc = body as { type?: unknown; features?: unknown }
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new AppError('invalid-parameter', 'Expected a GeoJSON FeatureCollection whose features have properties cell and grid (or text/csv with columns cell,grid)')
  }
  const file: AssignmentFile = { rows: [], places: [], malformed: [] }
  fc.features.forEach((f: unknown, i: number) => {
    const props = (f as { properties?: Record<string, unknown> } | null)?.properties
    const cell = props?.cell
    const grid = props?.grid
    if (typeof cell !== 'string' || !/^[0-9a-fA-F]{15}$/.test(cell) || typeof grid !== 'string' || !/^[0-9]{15}$/.test(grid)) {
      file.malformed.push({ feature: i, message: `Feature ${i}: properties.cell must be an H3 cell id and properties.grid a 15-digit grid code` })
    } else (file.rows.push({ cell, grid }), file.places.push({ feature: i }))
  })
  return file
}

/** `cell,grid` rows with a header line, like a block-assignment file. */
export function rowsFromCsv(text: string): AssignmentFile {
  // Line numbers as the file has them (blank lines counted); a byte-order mark is not part of the header.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l.trim() !== '')
  const first = lines[0]?.l
  const header = splitCsv(first ?? '').map((h) => h.trim().toLowerCase())
  const cellAt = header.indexOf('cell')
  const gridAt = header.indexOf('grid')
  if (cellAt < 0 || gridAt < 0) throw new AppError('invalid-parameter', `The CSV needs a header line naming the columns cell and grid; got: ${first?.slice(0, 100) ?? '(empty body)'}`)
  const file: AssignmentFile = { rows: [], places: [], malformed: [] }
  for (const { l: line, n } of lines.slice(1)) {
    const cols = splitCsv(line)
    const cell = cols[cellAt]?.trim() ?? ''
    const grid = cols[gridAt]?.trim() ?? ''
    if (cols.length !== header.length) {
      file.malformed.push({ line: n, message: `CSV line ${n}: ${cols.length} columns where the header names ${header.length}: ${JSON.stringify(line.slice(0, 100))}` })
    } else if (!/^[0-9a-fA-F]{15}$/.test(cell) || !/^[0-9]{15}$/.test(grid)) {
      file.malformed.push({ line: n, message: `CSV line ${n}: expected an H3 cell id and a 15-digit grid code, got ${JSON.stringify(line.slice(0, 100))}` })
    } else (file.rows.push({ cell, grid }), file.places.push({ line: n }))
  }
  return file
}

/**
 * Builds one tile of one layer: a query for what lies in the tile, geometry
 * into tile pixels, attributes from the row (and, for grids, from the
 * workload map), encoded as MVT. null means an empty tile.
 */
import { cellToBoundary, POLYGON_TO_CELLS_FLAGS, polygonToCellsExperimental } from 'h3-js'
import type { Db } from '../db/client.ts'
import type { CellTotal, CellTotals } from './cell-totals.ts'
import type { Workload } from './grid-workload.ts'
import { h3ResolutionAt, type LayerSpec } from './layers.ts'
import { encodeMvt, pointGeometry, POINT, POLYGON, type MvtFeature } from './mvt-encode.ts'
import * as q from './queries.ts'
import { PolygonCommands, readWkbPolygons } from './tile-geometry.ts'
import { BUFFER, halfPixelDegrees, tileBounds, tileProjection, type TileId } from './tile-math.ts'

/** Incident filters, normalised: local days [from, to), code lists sorted (null = any). */
export interface IncidentFilters {
  from: string
  to: string
  categories: string[] | null
  channels: string[] | null
  status: string[] | null
}

/** Points need less margin than outlines: enough for a marker drawn across the seam. */
const POINT_BUFFER = 32

export async function boundaryTile(db: Db, layer: LayerSpec, tile: TileId, generation: number, workload: Workload | null): Promise<Uint8Array | null> {
  const [w, s, e, n] = tileBounds(tile, BUFFER)
  const { rows } = await db.query<{ code: string; name_zh: string; name_en: string | null; parent_code: string | null; wkb: Uint8Array }>(
    q.UNITS_IN_TILE,
    [generation, layer.level, w, s, e, n, halfPixelDegrees(tile)],
  )
  const polygon = new PolygonCommands(tileProjection(tile))
  const features: MvtFeature[] = []
  for (const r of rows) {
    readWkbPolygons(r.wkb, polygon)
    const geometry = polygon.finish()
    if (geometry.length === 0) continue // smaller than a pixel at this zoom
    const properties = { code: r.code, name: r.name_zh, name_en: r.name_en, parent: r.parent_code, ...workload?.byCode.get(r.code) }
    features.push({ id: Number(r.code), type: POLYGON, geometry, properties })
  }
  return features.length > 0 ? encodeMvt([{ name: layer.name, features }]) : null
}

export async function incidentTile(db: Db, layer: LayerSpec, tile: TileId, f: IncidentFilters, ownGrids: string[] | null): Promise<Uint8Array | null> {
  const [w, s, e, n] = tileBounds(tile, POINT_BUFFER)
  const { rows } = await db.query<{ id: number; category_code: string; status: string; channel: string; reported_at: number; supervision_level: number; lon: number; lat: number }>(
    q.INCIDENTS_IN_TILE,
    [w, s, e, n, f.from, f.to, f.categories, f.channels, f.status, ownGrids],
  )
  if (rows.length === 0) return null
  const p = tileProjection(tile)
  const features = rows.map((r): MvtFeature => ({
    id: r.id,
    type: POINT,
    geometry: pointGeometry(Math.round(p.x(r.lon)), Math.round(p.y(r.lat))),
    properties: { id: r.id, category: r.category_code, status: r.status, channel: r.channel, reported_at: r.reported_at, supervision_level: r.supervision_level },
  }))
  return encodeMvt([{ name: layer.name, features }])
}

/**
 * Cells are drawn from h3-js outlines rather than built in SQL: the polygons
 * are plain arithmetic on the cell id, the database only has to add up the
 * cube, and the same encoder serves both backends. The tile takes every cell
 * overlapping it (and its buffer), so hexagons across a seam are whole on
 * both sides. Counts come from the citywide totals (shared by the tiles of a
 * view), or for a grid administrator from their own grids' incidents.
 */
export async function h3Tile(db: Db, totals: CellTotals, layer: LayerSpec, tile: TileId, f: IncidentFilters, ownGrids: string[] | null): Promise<Uint8Array | null> {
  const res = h3ResolutionAt(tile.z)
  const [w, s, e, n] = tileBounds(tile, BUFFER)
  const cells = polygonToCellsExperimental([[w, s], [e, s], [e, n], [w, n], [w, s]], res, POLYGON_TO_CELLS_FLAGS.containmentOverlapping, true)
  if (cells.length === 0) return null
  let valueOf: ReadonlyMap<string, CellTotal>
  if (ownGrids) {
    const ids = cells.map((h) => BigInt(`0x${h}`).toString())
    const { rows } = await db.query<CellTotal & { cell: string }>(q.OWN_GRID_CELLS, [res, ids, f.from, f.to, f.categories, f.channels, f.status, ownGrids])
    valueOf = new Map(rows.map((r) => [r.cell, r]))
  } else {
    valueOf = await totals.get(res, f)
  }
  const polygon = new PolygonCommands(tileProjection(tile))
  const features: MvtFeature[] = []
  for (const cell of cells.sort()) {
    const v = valueOf.get(cell)
    if (!v) continue
    polygon.beginRing()
    for (const [lon, lat] of cellToBoundary(cell, true)) polygon.lonLat(lon!, lat!)
    polygon.endRing(true)
    const geometry = polygon.finish()
    if (geometry.length === 0) continue
    features.push({ type: POLYGON, geometry, properties: { cell, res, count: v.count, load: Math.round(v.load * 1000) / 1000 } })
  }
  return features.length > 0 ? encodeMvt([{ name: layer.name, features }]) : null
}

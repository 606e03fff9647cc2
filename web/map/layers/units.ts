/**
 * Towns, communities and grids: outlines, labels and the grid fill that
 * panels colour (workload, deviation, patrol coverage) and that clicks hit.
 * Always on the map; panel overlays go beneath the outlines (OVERLAY_BEFORE).
 * Label positions are the units' centroids from the units API, so a town's
 * name appears once, not once per tile.
 */
import type * as maplibregl from 'maplibre-gl'
import type { ExpressionSpecification, GeoJSONSource, SourceSpecification } from 'maplibre-gl'
import { absolute, getJson, labelUnitsUrl, tileTemplate, unitsUrl, type FeatureCollection, type Level, type TileSupport } from '../../api.ts'
import type { Lang } from '../../i18n.ts'

export const GRID_FILL = 'zw-grid-fill'
export const OVERLAY_BEFORE = 'zw-community-line'
export const GRID_SOURCE = 'zw-grids'
const LEVEL_LAYER = { town: 'towns', community: 'communities', grid: 'grids' } as const
const SIMPLIFY_M = { town: 20, community: 10, grid: 4 } as const

/** Where the grids' features live, for feature state and queries. */
export interface GridSourceRef {
  source: string
  sourceLayer?: string
}

/** Label points of towns and communities: fetched as early as possible (before the map has loaded). */
const labelPoints = new Map<'town' | 'community', Promise<FeatureCollection>>()

/**
 * Names and label points of the towns or communities, fetched once per page:
 * the console asks for them at start, and the studio and coverage views reuse
 * that answer instead of queuing behind a slow request of another view on the
 * embedded database (plans redraw grids, never towns or communities). A failed
 * fetch is forgotten, so the next caller tries again.
 */
export function fetchLabelPoints(level: 'town' | 'community'): Promise<FeatureCollection> {
  let points = labelPoints.get(level)
  if (!points) {
    labelPoints.set(level, (points = readLabelPoints(level)))
    points.catch(() => labelPoints.delete(level))
  }
  return points
}

function readLabelPoints(level: 'town' | 'community'): Promise<FeatureCollection> {
  return getJson<FeatureCollection>(labelUnitsUrl(level), {}, { key: false }).then((fc) => ({
    type: 'FeatureCollection',
    features: fc.features.map((f) => ({
      type: 'Feature',
      id: f.id,
      geometry: { type: 'Point', coordinates: f.properties.centroid },
      properties: { code: f.properties.code, name: f.properties.name, name_en: f.properties.name_en },
    })),
  }))
}

function unitSource(level: Level, tiles: TileSupport): SourceSpecification {
  const layer = LEVEL_LAYER[level]
  const tj = tiles[layer]
  if (tj) return { type: 'vector', tiles: [tileTemplate(layer)], minzoom: tj.minzoom, maxzoom: tj.maxzoom, promoteId: 'code' }
  return { type: 'geojson', data: absolute(unitsUrl(level, SIMPLIFY_M[level])), promoteId: 'code' }
}

export function gridSourceRef(tiles: TileSupport): GridSourceRef {
  return tiles.grids ? { source: GRID_SOURCE, sourceLayer: 'grids' } : { source: GRID_SOURCE }
}

export function labelField(lang: Lang): ExpressionSpecification {
  return lang === 'en' ? ['coalesce', ['get', 'name_en'], ['get', 'name']] : ['get', 'name']
}

export function addUnits(map: maplibregl.Map, tiles: TileSupport, townLabels: FeatureCollection, lang: Lang): void {
  const sl = (level: Level) => (tiles[LEVEL_LAYER[level]] ? { 'source-layer': LEVEL_LAYER[level] } : {})
  map.addSource('zw-towns', unitSource('town', tiles))
  map.addSource('zw-communities', unitSource('community', tiles))
  map.addSource(GRID_SOURCE, unitSource('grid', tiles))
  map.addSource('zw-town-labels', { type: 'geojson', data: townLabels as GeoJSON.FeatureCollection })
  map.addSource('zw-community-labels', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } })

  map.addLayer({ id: GRID_FILL, type: 'fill', source: GRID_SOURCE, ...sl('grid'), paint: { 'fill-color': 'rgba(0,0,0,0)', 'fill-opacity': 0.75, 'fill-antialias': false } })
  map.addLayer({ id: 'zw-community-line', type: 'line', source: 'zw-communities', ...sl('community'), minzoom: 9, paint: { 'line-color': '#6d7f91', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.3, 14, 1.2], 'line-opacity': 0.8 } })
  map.addLayer({ id: 'zw-grid-line', type: 'line', source: GRID_SOURCE, ...sl('grid'), minzoom: 11, paint: { 'line-color': '#8fa0b1', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.3, 15, 1.2] } })
  map.addLayer({ id: 'zw-town-line', type: 'line', source: 'zw-towns', ...sl('town'), paint: { 'line-color': '#2d4256', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1, 14, 2.6] } })
  const halo = { 'text-color': '#1d2733', 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.4 }
  map.addLayer({
    id: 'zw-grid-label', type: 'symbol', source: GRID_SOURCE, ...sl('grid'), minzoom: 14.5,
    layout: { 'text-field': labelField(lang), 'text-size': 11, 'symbol-placement': 'point', 'text-max-width': 8 },
    paint: { ...halo, 'text-color': '#4b5b6b' },
  })
  map.addLayer({
    id: 'zw-community-label', type: 'symbol', source: 'zw-community-labels', minzoom: 11.5, maxzoom: 14.5,
    layout: { 'text-field': labelField(lang), 'text-size': 12, 'text-max-width': 8 },
    paint: halo,
  })
  map.addLayer({
    id: 'zw-town-label', type: 'symbol', source: 'zw-town-labels', maxzoom: 12,
    layout: { 'text-field': labelField(lang), 'text-size': ['interpolate', ['linear'], ['zoom'], 9, 12, 11, 16], 'text-max-width': 8 },
    paint: { ...halo, 'text-halo-width': 1.8 },
  })
}

export function setCommunityLabels(map: maplibregl.Map, points: FeatureCollection): void {
  ;(map.getSource('zw-community-labels') as GeoJSONSource | undefined)?.setData(points as GeoJSON.FeatureCollection)
}

export const LABEL_LAYERS = ['zw-grid-label', 'zw-community-label', 'zw-town-label'] as const

export function setUnitLabelLanguage(map: maplibregl.Map, lang: Lang): void {
  for (const id of LABEL_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', labelField(lang))
}

/** Sets the grid fill's colour expression (transparent when null). */
export function setGridFill(map: maplibregl.Map, colour: ExpressionSpecification | string | null): void {
  map.setPaintProperty(GRID_FILL, 'fill-color', colour ?? 'rgba(0,0,0,0)')
}

/**
 * The blocks of the plan open in the studio: filled by grid (feature state
 * `c`, a palette index), a thin outline, the active grid outlined dark
 * (state `sel`), cells named by a violation outlined red (state `bad`), and
 * the brush or lasso being drawn. Beneath the unit outlines, so the current
 * boundaries stay visible over the plan.
 */
import type * as maplibregl from 'maplibre-gl'
import type { GeoJSONSource } from 'maplibre-gl'
import type { FeatureCollection } from '../../api.ts'
import { paletteExpression } from '../grid-palette.ts'
import { OVERLAY_BEFORE } from './units.ts'

const SOURCE = 'zw-plan-blocks'
export const PLAN_FILL = 'zw-plan-fill'
const LINE = 'zw-plan-line'
const SELECTED = 'zw-plan-selected'
const FLAGGED = 'zw-plan-flagged'
const TOOL = 'zw-plan-tool'
const TOOL_FILL = 'zw-plan-tool-fill'
const TOOL_LINE = 'zw-plan-tool-line'
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }

export interface BlockState {
  c?: number
  sel?: boolean
  bad?: boolean
}

const flag = (name: string): maplibregl.ExpressionSpecification => ['boolean', ['feature-state', name], false]

export function addPlanBlocks(map: maplibregl.Map): void {
  map.addSource(SOURCE, { type: 'geojson', data: EMPTY })
  map.addSource(TOOL, { type: 'geojson', data: EMPTY })
  const before = map.getLayer(OVERLAY_BEFORE) ? OVERLAY_BEFORE : undefined
  map.addLayer({ id: PLAN_FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': paletteExpression(), 'fill-opacity': ['case', flag('sel'), 0.85, 0.5], 'fill-antialias': false } }, before)
  map.addLayer({ id: LINE, type: 'line', source: SOURCE, paint: { 'line-color': '#ffffff', 'line-width': 0.5, 'line-opacity': 0.7 } }, before)
  map.addLayer({ id: SELECTED, type: 'line', source: SOURCE, paint: { 'line-color': '#1d2733', 'line-width': 1.4, 'line-opacity': ['case', flag('sel'), 0.9, 0] } })
  map.addLayer({ id: FLAGGED, type: 'line', source: SOURCE, paint: { 'line-color': '#e01e1e', 'line-width': 2.5, 'line-opacity': ['case', flag('bad'), 1, 0] } })
  map.addLayer({ id: TOOL_FILL, type: 'fill', source: TOOL, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1d2733', 'fill-opacity': 0.12 } })
  map.addLayer({ id: TOOL_LINE, type: 'line', source: TOOL, paint: { 'line-color': '#1d2733', 'line-width': 1.5, 'line-dasharray': [2, 1] } })
}

export function setPlanBlocks(map: maplibregl.Map, fc: FeatureCollection | null): void {
  if (map.getSource(SOURCE)) map.removeFeatureState({ source: SOURCE })
  ;(map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData((fc ?? EMPTY) as GeoJSON.FeatureCollection)
}

export function setBlockState(map: maplibregl.Map, block: number, state: BlockState): void {
  map.setFeatureState({ source: SOURCE, id: block }, state)
}

/** The brush circle or the lasso line (null: nothing). */
export function setToolShape(map: maplibregl.Map, geometry: GeoJSON.Geometry | null): void {
  const data: GeoJSON.FeatureCollection = geometry ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry, properties: {} }] } : EMPTY
  ;(map.getSource(TOOL) as GeoJSONSource | undefined)?.setData(data)
}

export function removePlanBlocks(map: maplibregl.Map): void {
  for (const id of [TOOL_LINE, TOOL_FILL, FLAGGED, SELECTED, LINE, PLAN_FILL]) if (map.getLayer(id)) map.removeLayer(id)
  for (const id of [TOOL, SOURCE]) if (map.getSource(id)) map.removeSource(id)
}

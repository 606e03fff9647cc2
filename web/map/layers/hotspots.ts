/** H3 cells coloured by Gi* confidence bin (−3…3) or by emerging hot spot pattern. */
import type * as maplibregl from 'maplibre-gl'
import type { ExpressionSpecification, GeoJSONSource } from 'maplibre-gl'
import type { FeatureCollection } from '../../api.ts'
import { OVERLAY_BEFORE } from './units.ts'

const SOURCE = 'zw-hotspots'
export const HOTSPOT_FILL = 'zw-hotspot-fill'

/** ArcGIS's familiar diverging colours, 99 % hot first. */
export const BIN_COLOURS: [number, string][] = [
  [3, '#d62f27'], [2, '#ed7551'], [1, '#fab984'], [0, 'rgba(255,255,255,0)'], [-1, '#c0ccbe'], [-2, '#849eba'], [-3, '#4575b5'],
]

export const PATTERN_COLOURS: [string, string][] = [
  ['new_hot', '#8b0000'], ['consecutive_hot', '#e31a1c'], ['intensifying_hot', '#ff3c00'], ['persistent_hot', '#fb6a4a'],
  ['diminishing_hot', '#fdae6b'], ['sporadic_hot', '#fdd0a2'], ['oscillating_hot', '#c994c7'], ['historical_hot', '#bcaaa4'],
  ['new_cold', '#08306b'], ['consecutive_cold', '#2171b5'], ['intensifying_cold', '#0050ff'], ['persistent_cold', '#6baed6'],
  ['diminishing_cold', '#9ecae1'], ['sporadic_cold', '#c6dbef'], ['oscillating_cold', '#a6bddb'], ['historical_cold', '#b0bec5'],
]

const binColour: ExpressionSpecification = ['match', ['get', 'bin'], ...BIN_COLOURS.flat(), 'rgba(0,0,0,0)'] as unknown as ExpressionSpecification
const patternColour: ExpressionSpecification = ['match', ['get', 'pattern'], ...PATTERN_COLOURS.flat(), 'rgba(0,0,0,0)'] as unknown as ExpressionSpecification

export type HotspotKind = 'gi' | 'emerging'

export function addHotspots(map: maplibregl.Map): void {
  map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } })
  map.addLayer({ id: HOTSPOT_FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': binColour, 'fill-opacity': 0.72, 'fill-outline-color': 'rgba(80,80,80,0.25)' } }, OVERLAY_BEFORE)
}

export function updateHotspots(map: maplibregl.Map, kind: HotspotKind, cells: FeatureCollection): void {
  map.setPaintProperty(HOTSPOT_FILL, 'fill-color', kind === 'gi' ? binColour : patternColour)
  // Not-significant cells and "no pattern" are not drawn at all: the map shows only what matters.
  const features = cells.features.filter((f) => (kind === 'gi' ? f.properties.bin !== 0 : f.properties.pattern !== 'no_pattern'))
  ;(map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features } as GeoJSON.FeatureCollection)
}

export function removeHotspots(map: maplibregl.Map): void {
  if (map.getLayer(HOTSPOT_FILL)) map.removeLayer(HOTSPOT_FILL)
  if (map.getSource(SOURCE)) map.removeSource(SOURCE)
}

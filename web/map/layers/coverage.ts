/** Gaps (no unit covers them) and overlaps (two units claim them) from the coverage check. */
import type * as maplibregl from 'maplibre-gl'
import type { GeoJSONSource } from 'maplibre-gl'
import type { FeatureCollection } from '../../api.ts'

const SOURCE = 'zw-coverage'
export const COVERAGE_FILL = 'zw-coverage-fill'
export const GAP_COLOUR = '#ffd400'
export const OVERLAP_COLOUR = '#9c27b0'

export function addCoverage(map: maplibregl.Map): void {
  map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } })
  const colour = ['match', ['get', 'kind'], 'gap', GAP_COLOUR, OVERLAP_COLOUR] as maplibregl.ExpressionSpecification
  map.addLayer({ id: COVERAGE_FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': colour, 'fill-opacity': 0.65 } })
  map.addLayer({ id: 'zw-coverage-line', type: 'line', source: SOURCE, paint: { 'line-color': colour, 'line-width': 2.5 } })
}

export function updateCoverage(map: maplibregl.Map, fc: FeatureCollection | null): void {
  ;(map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData((fc ?? { type: 'FeatureCollection', features: [] }) as GeoJSON.FeatureCollection)
}

export function removeCoverage(map: maplibregl.Map): void {
  for (const id of ['zw-coverage-line', COVERAGE_FILL]) if (map.getLayer(id)) map.removeLayer(id)
  if (map.getSource(SOURCE)) map.removeSource(SOURCE)
}

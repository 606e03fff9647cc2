/** The selected unit's outline and the picked point, above everything else. */
import type * as maplibregl from 'maplibre-gl'
import type { GeoJSONSource } from 'maplibre-gl'
import type { Feature } from '../../api.ts'

const SOURCE = 'zw-highlight'
let outline: Feature | null = null
let point: Feature | null = null

export function addHighlight(map: maplibregl.Map): void {
  map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } })
  map.addLayer({ id: 'zw-highlight-line', type: 'line', source: SOURCE, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#e0218a', 'line-width': 3 } })
  map.addLayer({
    id: 'zw-highlight-point', type: 'circle', source: SOURCE, filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 7, 'circle-color': '#e0218a', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  })
}

function refresh(map: maplibregl.Map): void {
  const features = [outline, point].filter((f): f is Feature => f !== null)
  ;(map.getSource(SOURCE) as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features } as GeoJSON.FeatureCollection)
}

export function highlightUnit(map: maplibregl.Map, geometry: Feature['geometry'] | null): void {
  outline = geometry ? { type: 'Feature', geometry, properties: {} } : null
  refresh(map)
}

export function highlightPoint(map: maplibregl.Map, lonLat: [number, number] | null): void {
  point = lonLat ? { type: 'Feature', geometry: { type: 'Point', coordinates: lonLat }, properties: {} } : null
  refresh(map)
}

export function clearHighlight(map: maplibregl.Map): void {
  outline = null
  point = null
  refresh(map)
}

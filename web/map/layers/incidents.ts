/**
 * Incidents: a heatmap at city zoom (incident counts of H3 cells, weighted at
 * their centres) that gives way to single points at street zoom. Points come
 * from the incidents vector tiles, or from the incident list within the view
 * where the server has no such tiles.
 */
import type * as maplibregl from 'maplibre-gl'
import type { GeoJSONSource, VectorTileSource } from 'maplibre-gl'
import { h3Cells, incidentsInBox, tileTemplate, type FeatureCollection, type TileSupport } from '../../api.ts'
import type { IncidentFilter } from '../../filters.ts'
import { ringCentre } from '../geometry.ts'
import { OVERLAY_BEFORE } from './units.ts'

const HEAT = 'zw-incident-heat'
const POINTS = 'zw-incident-points'
export const POINT_LAYER = 'zw-incident-point'
const POINTS_FROM_ZOOM = 12
const HEAT_RES = 8
const FALLBACK_LIMIT = 3000
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }

/** Open work red, in hand amber, done grey. */
const STATUS_COLOUR = ['match', ['get', 'status'], ['reported', 'accepted', 'reopened'], '#d7301f', 'dispatched', '#f46d43', ['handled', 'verified'], '#fdae61', '#8c96a0'] as maplibregl.ExpressionSpecification

export class IncidentLayers {
  #map: maplibregl.Map | null = null
  #tiles = false
  #filter: IncidentFilter | null = null
  #heatAbort: AbortController | null = null
  #pointsAbort: AbortController | null = null
  readonly #onMove = () => void this.#loadPoints()
  /** Incidents in the window (sum of the cells' counts) after the last update. */
  total = 0

  add(map: maplibregl.Map, tiles: TileSupport, filter: IncidentFilter): Promise<void> {
    this.#map = map
    this.#tiles = tiles.incidents !== undefined
    this.#filter = filter
    map.addSource(HEAT, { type: 'geojson', data: EMPTY })
    map.addLayer(
      {
        id: HEAT, type: 'heatmap', source: HEAT, maxzoom: 15,
        paint: {
          'heatmap-weight': ['get', 'w'],
          'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 9, 1.3, 13, 2.5],
          'heatmap-radius': ['interpolate', ['exponential', 2], ['zoom'], 9, 10, 11, 18, 14, 48],
          'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.85, 14.5, 0],
          'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], 0, 'rgba(33,102,172,0)', 0.15, '#4393c3', 0.35, '#92c5de', 0.55, '#fddbc7', 0.75, '#f4a582', 0.9, '#d6604d', 1, '#b2182b'],
        },
      },
      OVERLAY_BEFORE,
    )
    const tj = tiles.incidents
    if (tj) map.addSource(POINTS, { type: 'vector', tiles: [tileTemplate('incidents', filter)], minzoom: tj.minzoom, maxzoom: tj.maxzoom })
    else map.addSource(POINTS, { type: 'geojson', data: EMPTY })
    map.addLayer({
      id: POINT_LAYER, type: 'circle', source: POINTS, minzoom: POINTS_FROM_ZOOM, ...(tj ? { 'source-layer': 'incidents' } : {}),
      paint: {
        'circle-color': STATUS_COLOUR,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 3, 16, 7],
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 1,
        'circle-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.3, 13.5, 0.95],
      },
    })
    if (!this.#tiles) map.on('moveend', this.#onMove)
    return this.update(filter)
  }

  /** New filter: new heat, new points. Resolves when the heat data is on the map. */
  async update(filter: IncidentFilter): Promise<void> {
    const map = this.#map
    if (!map) return
    this.#filter = filter
    if (this.#tiles) (map.getSource(POINTS) as VectorTileSource | undefined)?.setTiles([tileTemplate('incidents', filter)])
    else void this.#loadPoints()
    this.#heatAbort?.abort()
    const abort = (this.#heatAbort = new AbortController())
    try {
      const cells = await h3Cells(filter, HEAT_RES, abort.signal)
      if (abort.signal.aborted || this.#map !== map) return
      ;(map.getSource(HEAT) as GeoJSONSource | undefined)?.setData(heatPoints(cells))
      this.total = cells.features.reduce((s, f) => s + Number(f.properties.count ?? 0), 0)
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err
    }
  }

  async #loadPoints(): Promise<void> {
    const map = this.#map
    if (!map || this.#tiles || !this.#filter) return
    if (map.getZoom() < POINTS_FROM_ZOOM) return
    this.#pointsAbort?.abort()
    const abort = (this.#pointsAbort = new AbortController())
    const b = map.getBounds()
    try {
      const fc = await incidentsInBox(this.#filter, [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], FALLBACK_LIMIT, abort.signal)
      if (!abort.signal.aborted && this.#map === map) (map.getSource(POINTS) as GeoJSONSource | undefined)?.setData(fc as GeoJSON.FeatureCollection)
    } catch (err) {
      if ((err as Error).name !== 'AbortError') console.warn('incident points:', (err as Error).message)
    }
  }

  remove(): void {
    const map = this.#map
    if (!map) return
    this.#heatAbort?.abort()
    this.#pointsAbort?.abort()
    map.off('moveend', this.#onMove)
    for (const id of [POINT_LAYER, HEAT]) if (map.getLayer(id)) map.removeLayer(id)
    for (const id of [POINTS, HEAT]) if (map.getSource(id)) map.removeSource(id)
    this.#map = null
  }
}

/**
 * Cell centres weighted by their count against the 99th percentile of the
 * cells' counts (capped at 1): a linear scale, so a cell with twice the
 * incidents weighs twice as much and busy areas stand out from the rest of the
 * city, while one extreme cell does not turn every other one pale.
 */
function heatPoints(cells: FeatureCollection): GeoJSON.FeatureCollection {
  const counts = cells.features.map((f) => Number(f.properties.count ?? 0)).sort((a, b) => a - b)
  const top = Math.max(1, counts[Math.floor(0.99 * (counts.length - 1))] ?? 1)
  return {
    type: 'FeatureCollection',
    features: cells.features.map((f) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: ringCentre((f.geometry.coordinates as number[][][])[0]!) },
      properties: { w: Math.min(1, Number(f.properties.count ?? 0) / top) },
    })),
  }
}

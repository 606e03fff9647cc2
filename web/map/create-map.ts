/**
 * The one map. MapLibre under Vite must be told where its worker is. Without
 * a configured basemap the style is a plain background: the console's own
 * layers are the map, and nothing is fetched from outside. Labels are drawn in the browser
 * (no `glyphs` URL), CJK ones with the local font.
 */
import * as maplibregl from 'maplibre-gl'
import type { StyleSpecification } from 'maplibre-gl'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import 'maplibre-gl/dist/maplibre-gl.css'
import { transformRequest } from '../api.ts'

maplibregl.setWorkerUrl(workerUrl)

/** Dongguan, with a margin. */
export const CITY_BOUNDS: [number, number, number, number] = [113.5, 22.64, 114.27, 23.15]
export const FONT_FAMILY = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'

const BLANK: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: 'zw-background', type: 'background', paint: { 'background-color': '#eef0eb' } }],
}

/** A map on the blank style; a configured basemap is set later with setStyle. */
export function createMap(container: HTMLElement): maplibregl.Map {
  const map = new maplibregl.Map({
    container,
    style: BLANK,
    bounds: CITY_BOUNDS,
    fitBoundsOptions: { padding: 8 },
    maxBounds: [112.9, 22.2, 114.9, 23.6],
    minZoom: 8,
    maxZoom: 18,
    transformRequest,
    localIdeographFontFamily: FONT_FAMILY,
    // Tests count drawn pixels; keeping the buffer costs little at this size.
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: false },
    attributionControl: false,
  })
  // Zoom buttons for those without a wheel or pinch (the keyboard works once the map has focus).
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right')
  return map
}

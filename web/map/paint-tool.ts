/**
 * The studio's pointer on the map. `pick`: the map pans as usual and a click
 * picks the block under it. `brush`: pressing and dragging paints, one stamp
 * at the press and one each time the pointer has moved half a brush (at
 * least a few pixels) — the studio sends each stamp at once, so a long drag
 * never waits for the server. `lasso`: a drag draws a ring, released it
 * paints what it encloses. Alt-, Ctrl- or ⌘-click picks in every tool.
 */
import type * as maplibregl from 'maplibre-gl'
import { circle } from './plan-block-model.ts'
import { PLAN_FILL, setToolShape } from './layers/plan-blocks.ts'

export type Tool = 'pick' | 'brush' | 'lasso'
type Position = [number, number]

export interface PaintHandlers {
  /** A block was picked (null: a click beside the plan). */
  pick(block: number | null): void
  /** One brush stamp at `at`, with the block right under the pointer. */
  stamp(at: Position, under: number | null): void
  lasso(ring: Position[]): void
}

const MIN_STEP_PX = 4

export class PaintTool {
  #map: maplibregl.Map | null = null
  #tool: Tool = 'pick'
  #radiusM = 0
  #down = false
  #last: maplibregl.Point | null = null
  #ring: Position[] = []
  readonly #handlers: PaintHandlers
  readonly #onDown = (e: maplibregl.MapMouseEvent) => this.#press(e)
  readonly #onMove = (e: maplibregl.MapMouseEvent) => this.#move(e)
  readonly #onUp = () => this.#release()
  readonly #onClick = (e: maplibregl.MapMouseEvent) => {
    if (this.#tool === 'pick') this.#handlers.pick(this.#blockAt(e.point))
  }
  readonly #onLeave = () => this.#map && !this.#down && setToolShape(this.#map, null)

  constructor(handlers: PaintHandlers) {
    this.#handlers = handlers
  }

  onAdd(map: maplibregl.Map): void {
    this.#map = map
    map.on('mousedown', this.#onDown)
    map.on('mousemove', this.#onMove)
    map.on('click', this.#onClick)
    map.getCanvasContainer().addEventListener('mouseleave', this.#onLeave)
    window.addEventListener('mouseup', this.#onUp)
    this.setTool(this.#tool)
  }

  onRemove(): void {
    const map = this.#map
    if (!map) return
    map.off('mousedown', this.#onDown)
    map.off('mousemove', this.#onMove)
    map.off('click', this.#onClick)
    map.getCanvasContainer().removeEventListener('mouseleave', this.#onLeave)
    window.removeEventListener('mouseup', this.#onUp)
    map.dragPan.enable()
    map.getCanvas().style.cursor = ''
    setToolShape(map, null)
    this.#map = null
  }

  get tool(): Tool {
    return this.#tool
  }

  setTool(tool: Tool): void {
    this.#tool = tool
    const map = this.#map
    if (!map) return
    if (tool === 'pick') map.dragPan.enable()
    else map.dragPan.disable()
    map.getCanvas().style.cursor = tool === 'pick' ? 'pointer' : 'crosshair'
    setToolShape(map, null)
  }

  setRadius(metres: number): void {
    this.#radiusM = metres
  }

  #blockAt(point: maplibregl.Point): number | null {
    const f = this.#map?.queryRenderedFeatures(point, { layers: [PLAN_FILL] })[0]
    return f && typeof f.id === 'number' ? f.id : null
  }

  #press(e: maplibregl.MapMouseEvent): void {
    const ev = e.originalEvent
    if (ev.button !== 0) return
    if (ev.altKey || ev.ctrlKey || ev.metaKey) {
      if (this.#tool !== 'pick') this.#handlers.pick(this.#blockAt(e.point))
      return
    }
    if (this.#tool === 'pick') return
    this.#down = true
    this.#last = e.point
    if (this.#tool === 'brush') this.#handlers.stamp([e.lngLat.lng, e.lngLat.lat], this.#blockAt(e.point))
    else this.#ring = [[e.lngLat.lng, e.lngLat.lat]]
  }

  #move(e: maplibregl.MapMouseEvent): void {
    const map = this.#map
    if (!map || this.#tool === 'pick') return
    const at: Position = [e.lngLat.lng, e.lngLat.lat]
    if (this.#tool === 'brush') {
      if (this.#radiusM > 0) setToolShape(map, circle(at, this.#radiusM))
      if (!this.#down || !this.#last) return
      const metresPerPx = (40_075_016 * Math.cos((at[1] * Math.PI) / 180)) / (512 * 2 ** map.getZoom())
      if (e.point.dist(this.#last) < Math.max(MIN_STEP_PX, this.#radiusM / metresPerPx / 2)) return
      this.#last = e.point
      this.#handlers.stamp(at, this.#blockAt(e.point))
      return
    }
    if (!this.#down || !this.#last || e.point.dist(this.#last) < MIN_STEP_PX) return
    this.#last = e.point
    this.#ring.push(at)
    setToolShape(map, { type: 'LineString', coordinates: this.#ring })
  }

  #release(): void {
    if (!this.#down) return
    this.#down = false
    this.#last = null
    if (this.#tool !== 'lasso' || !this.#map) return
    const ring = this.#ring
    this.#ring = []
    setToolShape(this.#map, null)
    if (ring.length >= 3) this.#handlers.lasso([...ring, ring[0]!])
  }
}

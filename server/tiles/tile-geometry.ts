/**
 * Polygons into MVT geometry commands: lon/lat (from WKB, or from h3-js) are
 * projected into tile pixels, snapped to whole pixels, rings that collapse
 * are dropped, and each ring is turned the way MVT wants it (outer rings
 * positive area by the surveyor's formula in tile coordinates, holes
 * negative). One scratch buffer per builder, no object per vertex.
 */
import { command, zigzag } from './mvt-encode.ts'
import type { TileProjection } from './tile-math.ts'

export class PolygonCommands {
  /** The feature's geometry so far; take it with `finish()`. */
  private commands: number[] = []
  private xs: number[] = []
  private ys: number[] = []
  private n = 0
  private cursorX = 0
  private cursorY = 0
  private outerKept = false

  constructor(private readonly projection: TileProjection) {}

  beginRing(): void {
    this.n = 0
  }

  /** Adds a vertex in lon/lat; a vertex that snaps onto the previous one is skipped. */
  lonLat(lon: number, lat: number): void {
    const x = Math.round(this.projection.x(lon))
    const y = Math.round(this.projection.y(lat))
    const n = this.n
    if (n > 0 && this.xs[n - 1] === x && this.ys[n - 1] === y) return
    this.xs[n] = x
    this.ys[n] = y
    this.n = n + 1
  }

  /** Ends the ring; a hole of an outer ring that collapsed is dropped with it. */
  endRing(outer: boolean): void {
    const { xs, ys } = this
    let n = this.n
    if (n > 1 && xs[0] === xs[n - 1] && ys[0] === ys[n - 1]) n-- // MVT closes rings itself
    if (!outer && !this.outerKept) return
    let area = 0
    for (let i = 0, j = n - 1; i < n; j = i++) area += xs[j]! * ys[i]! - xs[i]! * ys[j]!
    if (n < 3 || area === 0) {
      if (outer) this.outerKept = false
      return
    }
    if (outer) this.outerKept = true
    const reverse = outer ? area < 0 : area > 0
    const c = this.commands
    for (let k = 0; k < n; k++) {
      const i = reverse ? n - 1 - k : k
      const x = xs[i]!
      const y = ys[i]!
      if (k === 0) c.push(command(1, 1))
      else if (k === 1) c.push(command(2, n - 1))
      c.push(zigzag(x - this.cursorX), zigzag(y - this.cursorY))
      this.cursorX = x
      this.cursorY = y
    }
    c.push(command(7, 1))
  }

  /** The commands of the feature (empty when every ring collapsed); the builder starts afresh. */
  finish(): number[] {
    const out = this.commands
    this.commands = []
    this.cursorX = this.cursorY = 0
    this.outerKept = false
    return out
  }
}

/**
 * Feeds the polygons of a WKB geometry (Polygon, MultiPolygon, or a
 * GeometryCollection of them, as ST_ClipByBox2D may return) to `out`; points
 * and lines that a clip can leave behind are skipped.
 */
export function readWkbPolygons(bytes: Uint8Array, out: PolygonCommands): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const geometry = (): void => {
    const little = view.getUint8(at) === 1
    const type = view.getUint32(at + 1, little) & 0xffff
    at += 5
    const count = () => ((at += 4), view.getUint32(at - 4, little))
    if (type === 1) at += 16
    else if (type === 2) at += 16 * count()
    else if (type === 3) polygon(little, count())
    else if (type >= 4 && type <= 7) for (let k = count(); k > 0; k--) geometry()
    else throw new Error(`Unexpected WKB geometry type: ${type}`)
  }
  const polygon = (little: boolean, rings: number) => {
    for (let r = 0; r < rings; r++) {
      const n = view.getUint32(at, little)
      at += 4
      out.beginRing()
      for (let k = 0; k < n; k++, at += 16) out.lonLat(view.getFloat64(at, little), view.getFloat64(at + 8, little))
      out.endRing(r === 0)
    }
  }
  geometry()
}

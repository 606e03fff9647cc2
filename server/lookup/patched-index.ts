/**
 * The index of a generation that differs from the previous one in a few grids
 * (a published plan redraws one town or community): the previous index keeps
 * answering for the unchanged grids, and a small index over the changed grids
 * answers inside their box. Building it costs the changed area only — a town
 * instead of the whole city — so a publish switches lookups in well under a
 * second, and answers stay exact:
 *   - the changed grids of both generations cover the same ground (a plan only
 *     redistributes it), so a point outside the new changed grids lies in an
 *     unchanged grid, whose polygon is identical in both generations, or in none;
 *   - on a shared edge the lowest code wins, as everywhere (both sides asked).
 */
import { lookupEach, type PointIndex } from './build-index.ts'
import { EdgeIndex } from './edge-index.ts'
import type { GridIndex } from './grid-index.ts'
import { GridPolygons, ON_BOUNDARY, OUTSIDE } from './grid-polygons.ts'

export class PatchedIndex implements PointIndex {
  readonly kind = 'patched' as const
  onBoundary = false
  readonly stats: Record<string, number | string>
  /** Previous index's grid → this generation's grid index, or −1 when it changed or is gone. */
  private readonly fromPrevious: Int32Array
  /** Small index's grid → this generation's grid index. */
  private readonly fromPatch: Int32Array
  private readonly box: [number, number, number, number]
  private edgeIndex: EdgeIndex | null = null

  constructor(
    readonly polygons: GridPolygons,
    private readonly previous: PointIndex,
    private readonly patch: PointIndex,
    started: number,
  ) {
    const position = new Map(polygons.codes.map((c, i) => [c, i]))
    const changed = new Set(patch.polygons.codes)
    this.fromPrevious = Int32Array.from(previous.polygons.codes, (c) => (changed.has(c) ? -1 : (position.get(c) ?? -1)))
    this.fromPatch = Int32Array.from(patch.polygons.codes, (c) => position.get(c)!)
    // The box of the changed ground: the new changed grids, and the old grids that changed or went.
    const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity]
    const grow = (bbox: Float64Array, g: number) => {
      box[0] = Math.min(box[0], bbox[4 * g]!)
      box[1] = Math.min(box[1], bbox[4 * g + 1]!)
      box[2] = Math.max(box[2], bbox[4 * g + 2]!)
      box[3] = Math.max(box[3], bbox[4 * g + 3]!)
    }
    for (let g = 0; g < patch.polygons.size; g++) grow(patch.polygons.bbox, g)
    for (let g = 0; g < this.fromPrevious.length; g++) if (this.fromPrevious[g]! < 0) grow(previous.polygons.bbox, g)
    this.box = box
    this.stats = { changedGrids: patch.polygons.size, patchKind: patch.kind, previousKind: previous.kind, buildMs: Math.round(performance.now() - started) }
  }

  /** Built on first use: only answers for points outside every grid need it. */
  get edges(): EdgeIndex {
    return (this.edgeIndex ??= new EdgeIndex(this.polygons))
  }

  lookup(lon: number, lat: number): number {
    const [minLon, minLat, maxLon, maxLat] = this.box
    const o = this.previous.lookup(lon, lat)
    const mapped = o >= 0 ? this.fromPrevious[o]! : -1
    const previousBoundary = this.previous.onBoundary
    if (!(lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat)) {
      // Outside the changed ground every grid near is unchanged: the previous answer stands.
      this.onBoundary = mapped >= 0 && previousBoundary
      return mapped
    }
    // Inside it both indexes are asked: a changed grid and an unchanged one can both cover a point
    // (their shared edge, or ground they overlap on, which an import's tolerance may have let through).
    const p = this.patch.lookup(lon, lat)
    const answer = p >= 0 ? this.fromPatch[p]! : -1
    // The previous index names only its lowest grid: when that one changed, or another covered the point
    // too, which of this generation's grids cover it takes the exact test.
    if (o >= 0 && (mapped < 0 || previousBoundary) && !(answer >= 0 && mapped >= 0)) return this.exact(lon, lat)
    if (answer >= 0 && mapped >= 0) {
      this.onBoundary = true
      return Math.min(answer, mapped)
    }
    if (answer >= 0) {
      this.onBoundary = this.patch.onBoundary
      return answer
    }
    this.onBoundary = mapped >= 0 && previousBoundary
    return mapped
  }

  lookupMany(coords: Float64Array, grid: Int32Array, boundary: Uint8Array): void {
    lookupEach(this, coords, grid, boundary)
  }

  /**
   * The plain exact test over this generation's grids: the lowest covering grid, on a boundary when
   * the point lies on its edge or another grid covers it too.
   */
  private exact(lon: number, lat: number): number {
    const { bbox } = this.polygons
    let found = -1
    for (let g = 0; g < this.polygons.size; g++) {
      if (lon < bbox[4 * g]! || lon > bbox[4 * g + 2]! || lat < bbox[4 * g + 1]! || lat > bbox[4 * g + 3]!) continue
      const where = this.polygons.locate(g, lon, lat)
      if (where === OUTSIDE) continue
      if (found >= 0) {
        this.onBoundary = true
        return found
      }
      found = g
      if (where === ON_BOUNDARY) {
        this.onBoundary = true
        return g
      }
    }
    this.onBoundary = false
    return found
  }

  /**
   * Resolution-9 cells with the grid wholly holding each (−2: crossing grid
   * edges), for analytics: the previous index's cells, re-decided inside the
   * changed box (conservatively: a cell there is whole only when the small
   * index says so).
   */
  *coarseEntries(): Generator<{ h3: string; value: number }> {
    const previous = this.previous as PointIndex & { coarseEntries?: () => Generator<{ h3: string; value: number }> }
    const patch = this.patch as PointIndex & { coarseEntries?: () => Generator<{ h3: string; value: number }> }
    if (!previous.coarseEntries) return
    const patched = new Map<string, number>()
    if (patch.coarseEntries) for (const e of patch.coarseEntries()) patched.set(e.h3, e.value >= 0 ? this.fromPatch[e.value]! : -2)
    for (const e of previous.coarseEntries()) {
      const inPatch = patched.get(e.h3)
      if (inPatch !== undefined) {
        patched.delete(e.h3)
        // Outside the small index's grids (its −1 was dropped) the previous answer stands when its grid is unchanged.
        yield { h3: e.h3, value: inPatch }
        continue
      }
      yield { h3: e.h3, value: e.value >= 0 ? (this.fromPrevious[e.value]! >= 0 ? this.fromPrevious[e.value]! : -2) : e.value }
    }
    for (const [h3, value] of patched) yield { h3, value }
  }
}

export type CoarseCells = Pick<GridIndex, 'coarseEntries'>

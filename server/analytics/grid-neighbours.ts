/**
 * Queen contiguity of a generation's grids, from the lookup index's polygons:
 * two grids are neighbours when they come within `tolerance` degrees of each
 * other — share an edge or only a vertex, or leave a gap thinner than the
 * tolerance — or overlap: what PostGIS `ST_DWithin(a.geom, b.geom, 1e-7)`
 * answers for every pair. PostGIS took 22 s for the demo city's 3,050 grids on
 * the embedded database (a distance between two polygons of hundreds of
 * vertices for every pair of touching boxes); here every boundary segment is
 * put in the cells of a uniform grid and only segments sharing a cell are
 * compared, which takes a fraction of a second.
 */
import { orient2d } from 'robust-predicates'
import { INSIDE, ON_BOUNDARY, type GridPolygons } from '../lookup/grid-polygons.ts'

/** Squared distance from (px, py) to the segment (ax, ay)–(bx, by). */
function pointSegment2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const len2 = dx * dx + dy * dy
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0
  t = t < 0 ? 0 : t > 1 ? 1 : t
  const ex = ax + t * dx - px
  const ey = ay + t * dy - py
  return ex * ex + ey * ey
}

const onSegment = (ax: number, ay: number, bx: number, by: number, px: number, py: number) =>
  px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by)

/** Whether two segments cross or touch (robust orientation tests). */
function segmentsMeet(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const o1 = orient2d(ax, ay, bx, by, cx, cy)
  const o2 = orient2d(ax, ay, bx, by, dx, dy)
  const o3 = orient2d(cx, cy, dx, dy, ax, ay)
  const o4 = orient2d(cx, cy, dx, dy, bx, by)
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true
  return (o1 === 0 && onSegment(ax, ay, bx, by, cx, cy)) || (o2 === 0 && onSegment(ax, ay, bx, by, dx, dy))
    || (o3 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) || (o4 === 0 && onSegment(cx, cy, dx, dy, bx, by))
}

/** Pairs of grid indexes [a, b] with a < b that are queen neighbours (see above). */
export function queenNeighbours(polygons: GridPolygons, tolerance = 1e-7): [number, number][] {
  const c = polygons.coords
  const n = polygons.size
  // Segments: the start vertex of each (the next vertex ends it), and its grid.
  let segments = 0
  for (let r = 0; r < polygons.ringStart.length - 1; r++) segments += Math.max(0, polygons.ringStart[r + 1]! - polygons.ringStart[r]! - 1)
  const start = new Uint32Array(segments)
  const gridOf = new Uint32Array(segments)
  let s = 0
  for (let g = 0; g < n; g++) {
    for (let r = polygons.gridRing[g]!; r < polygons.gridRing[g + 1]!; r++) {
      for (let v = polygons.ringStart[r]!; v < polygons.ringStart[r + 1]! - 1; v++) (start[s] = v), (gridOf[s++] = g)
    }
  }
  const found = new Set<number>()
  const pairs: [number, number][] = []
  const mark = (a: number, b: number) => {
    const [lo, hi] = a < b ? [a, b] : [b, a]
    const key = lo * n + hi
    if (!found.has(key)) found.add(key), pairs.push([lo, hi])
  }
  if (segments > 0) {
    // Cells of a uniform grid over the extent, about one per segment.
    const [minX, minY, maxX, maxY] = polygons.extent()
    const w = Math.max(maxX - minX, 1e-9)
    const h = Math.max(maxY - minY, 1e-9)
    const size = Math.max(Math.sqrt((w * h) / segments), tolerance * 4)
    const nx = Math.min(Math.ceil(w / size) + 1, 1 << 15)
    const ny = Math.min(Math.ceil(h / size) + 1, 1 << 15)
    const cellX = (x: number) => Math.min(nx - 1, Math.max(0, Math.floor((x - minX) / size)))
    const cellY = (y: number) => Math.min(ny - 1, Math.max(0, Math.floor((y - minY) / size)))
    // Each segment goes into every cell its box, grown by the tolerance, touches (counted, then filled: CSR).
    const span = (k: number, visit: (cell: number) => void) => {
      const v = start[k]!
      const ax = c[2 * v]!, ay = c[2 * v + 1]!, bx = c[2 * v + 2]!, by = c[2 * v + 3]!
      const x0 = cellX(Math.min(ax, bx) - tolerance), x1 = cellX(Math.max(ax, bx) + tolerance)
      const y0 = cellY(Math.min(ay, by) - tolerance), y1 = cellY(Math.max(ay, by) + tolerance)
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) visit(y * nx + x)
    }
    const cellStart = new Uint32Array(nx * ny + 1)
    for (let k = 0; k < segments; k++) span(k, (cell) => cellStart[cell + 1]!++)
    for (let i = 0; i < nx * ny; i++) cellStart[i + 1]! += cellStart[i]!
    const fill = cellStart.slice(0, nx * ny)
    const members = new Uint32Array(cellStart[nx * ny]!)
    for (let k = 0; k < segments; k++) span(k, (cell) => (members[fill[cell]!++] = k))

    const tol2 = tolerance * tolerance
    for (let cell = 0; cell < nx * ny; cell++) {
      const from = cellStart[cell]!, to = cellStart[cell + 1]!
      for (let i = from; i < to; i++) {
        const p = members[i]!
        const gp = gridOf[p]!
        const v = start[p]!
        const ax = c[2 * v]!, ay = c[2 * v + 1]!, bx = c[2 * v + 2]!, by = c[2 * v + 3]!
        for (let j = i + 1; j < to; j++) {
          const q = members[j]!
          const gq = gridOf[q]!
          if (gq === gp || found.has(gp < gq ? gp * n + gq : gq * n + gp)) continue
          const u = start[q]!
          const cx = c[2 * u]!, cy = c[2 * u + 1]!, dx = c[2 * u + 2]!, dy = c[2 * u + 3]!
          if (Math.max(ax, bx) + tolerance < Math.min(cx, dx) || Math.max(cx, dx) + tolerance < Math.min(ax, bx)) continue
          if (Math.max(ay, by) + tolerance < Math.min(cy, dy) || Math.max(cy, dy) + tolerance < Math.min(ay, by)) continue
          if (segmentsMeet(ax, ay, bx, by, cx, cy, dx, dy)
            || pointSegment2(ax, ay, cx, cy, dx, dy) <= tol2 || pointSegment2(bx, by, cx, cy, dx, dy) <= tol2
            || pointSegment2(cx, cy, ax, ay, bx, by) <= tol2 || pointSegment2(dx, dy, ax, ay, bx, by) <= tol2) mark(gp, gq)
        }
      }
    }
  }
  // A grid wholly inside another (boundaries far apart) overlaps it: boxes that
  // meet, swept along x, and a vertex of one inside the other.
  const bb = polygons.bbox
  const order = Array.from({ length: n }, (_, g) => g).sort((a, b) => bb[4 * a]! - bb[4 * b]!)
  const firstVertex = (g: number) => polygons.ringStart[polygons.gridRing[g]!]!
  for (let i = 0; i < n; i++) {
    const a = order[i]!
    for (let j = i + 1; j < n && bb[4 * order[j]!]! <= bb[4 * a + 2]! + tolerance; j++) {
      const b = order[j]!
      if (bb[4 * b + 1]! > bb[4 * a + 3]! + tolerance || bb[4 * a + 1]! > bb[4 * b + 3]! + tolerance) continue
      if (found.has(a < b ? a * n + b : b * n + a)) continue
      const va = firstVertex(a)
      const vb = firstVertex(b)
      const inside = (g: number, v: number) => {
        const where = polygons.locate(g, c[2 * v]!, c[2 * v + 1]!)
        return where === INSIDE || where === ON_BOUNDARY
      }
      if (polygons.gridRing[a + 1]! > polygons.gridRing[a]! && polygons.gridRing[b + 1]! > polygons.gridRing[b]! && (inside(b, va) || inside(a, vb))) mark(a, b)
    }
  }
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1])
}

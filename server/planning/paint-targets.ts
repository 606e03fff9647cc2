/**
 * Where a paint stroke lands: the blocks of a grid's community that listed
 * cells, a round brush or a lasso polygon cover. A stroke that covers none of
 * them, or a lasso that is not a simple closed shape, is the caller's error.
 */
import { orient2d } from 'robust-predicates'
import { isValidCell } from 'h3-js'
import { AppError } from '../errors.ts'
import type { PlanState } from './plan-state.ts'
import type { PlanGrid } from './plan-types.ts'

export type Position = [number, number]

/** The blocks a paint stroke covers, restricted to the grid's community; a stroke that covers none of them is an error. */
export function paintTargets(state: PlanState, g: number, grids: PlanGrid[], op: { cells?: string[]; at?: Position; radiusM?: number; polygon?: { coordinates: Position[][] } }): number[] {
  const { blocks } = state
  const community = grids[g]!.community
  const communityCode = blocks.communities[community]
  const given = [op.cells !== undefined, op.at !== undefined, op.polygon !== undefined].filter(Boolean).length
  if (given !== 1) throw new AppError('invalid-parameter', 'A paint stroke names exactly one of: cells (H3 ids), at + radiusM (a brush), polygon (a lasso)')
  const out: number[] = []
  if (op.cells) {
    const outside: string[] = []
    const notCells = op.cells.filter((c) => !isValidCell(c.toLowerCase()))
    if (notCells.length > 0) {
      throw new AppError('invalid-parameter', `${notCells.length} of the cells named are not H3 cell ids: ${notCells.slice(0, 10).join(', ')}${notCells.length > 10 ? ', …' : ''}`, { cells: notCells.slice(0, 1000) })
    }
    for (const cell of op.cells) {
      const b = state.byH3.get(cell.toLowerCase())?.find((c) => blocks.community[c] === community)
      if (b === undefined) outside.push(cell)
      else out.push(b)
    }
    if (outside.length > 0) {
      throw new AppError('invalid-parameter', `${outside.length} cell(s) lie outside community ${communityCode} of grid ${grids[g]!.code} (grids nest in their community): ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? ', …' : ''}`, {
        cells: outside.slice(0, 1000),
      })
    }
    return out
  }
  if (op.at) {
    const [lon, lat] = op.at
    const radius = op.radiusM ?? 0
    let nearest = -1
    let nearestD = Infinity
    for (let b = 0; b < blocks.h3.length; b++) {
      if (blocks.community[b] !== community) continue
      const d = metres(lon, lat, blocks.centroid[2 * b]!, blocks.centroid[2 * b + 1]!)
      if (d <= radius) out.push(b)
      if (d < nearestD) [nearest, nearestD] = [b, d]
    }
    // A brush smaller than a cell still paints the cell under it, when the point is in the community's cells at all.
    if (out.length === 0 && nearest >= 0 && nearestD <= cellRadiusM(blocks.res)) out.push(nearest)
    if (out.length === 0) {
      throw new AppError('invalid-parameter', `The brush at ${lon},${lat} (radius ${radius} m) covers no cell of community ${communityCode} of grid ${grids[g]!.code}: painting outside the grid's community is not possible`)
    }
    return out
  }
  const rings = op.polygon!.coordinates
  const problem = lassoProblem(rings)
  if (problem) throw new AppError('invalid-parameter', `Unexpected lasso polygon: ${problem}`)
  for (let b = 0; b < blocks.h3.length; b++) {
    if (blocks.community[b] !== community) continue
    if (insidePolygon(blocks.centroid[2 * b]!, blocks.centroid[2 * b + 1]!, rings)) out.push(b)
  }
  if (out.length === 0) throw new AppError('invalid-parameter', `The lasso encloses no cell centre of community ${communityCode} of grid ${grids[g]!.code}`)
  return out
}

/**
 * What is wrong with a lasso ring set, or null: rings must be closed, hold at
 * least four positions, not cross themselves, and span less than 180° of
 * longitude (RFC 7946: a shape across the antimeridian is cut in two there).
 */
export function lassoProblem(rings: Position[][]): string | null {
  for (const [r, ring] of rings.entries()) {
    const where = `ring ${r}`
    if (ring.length < 4) return `${where} has ${ring.length} positions; a closed ring needs at least 4`
    const [x0, y0] = ring[0]!
    const [xn, yn] = ring[ring.length - 1]!
    if (x0 !== xn || y0 !== yn) return `${where} is not closed: its last position ${xn},${yn} differs from its first ${x0},${y0}`
    let minX = Infinity
    let maxX = -Infinity
    for (const [x] of ring) (minX = Math.min(minX, x)), (maxX = Math.max(maxX, x))
    if (maxX - minX >= 180) return `${where} spans ${maxX - minX}° of longitude; cut shapes crossing the antimeridian there (RFC 7946)`
    const n = ring.length - 1
    if (n > 2000) return `${where} has ${n} positions; a lasso holds at most 2,000`
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (j === i + 1 || (i === 0 && j === n - 1)) continue // neighbouring edges share a vertex
        if (segmentsCross(ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!)) return `${where} crosses itself (edges ${i} and ${j})`
      }
    }
  }
  return null
}

function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const o1 = Math.sign(orient2d(a[0], a[1], b[0], b[1], c[0], c[1]))
  const o2 = Math.sign(orient2d(a[0], a[1], b[0], b[1], d[0], d[1]))
  const o3 = Math.sign(orient2d(c[0], c[1], d[0], d[1], a[0], a[1]))
  const o4 = Math.sign(orient2d(c[0], c[1], d[0], d[1], b[0], b[1]))
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true
  const on = (p: Position, q: Position, r: Position) =>
    Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) && Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1])
  return (o1 === 0 && on(a, b, c)) || (o2 === 0 && on(a, b, d)) || (o3 === 0 && on(c, d, a)) || (o4 === 0 && on(c, d, b))
}

/** Roughly the centre-to-vertex distance of an H3 cell at `res` (res 10: ~66 m). */
function cellRadiusM(res: number): number {
  return 66 * Math.sqrt(7) ** (10 - res)
}

function metres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Even-odd rule over all rings (outer and holes). */
export function insidePolygon(x: number, y: number, rings: Position[][]): boolean {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!
      const [xj, yj] = ring[j]!
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
    }
  }
  return inside
}

/**
 * Smallest circle enclosing a set of points (Welzl's algorithm, in its iterative
 * form). Points are visited in a shuffled order because the expected linear time
 * only holds for a random order: a grid's vertices come sorted along the H3
 * lattice, and sorted input drives the algorithm towards its cubic worst case.
 * The circle itself does not depend on the order.
 */
import type { Rng } from '../demo/prng.ts'

/** Metres per degree for the local projection x = lon·cos(lat0)·111,320, y = lat·110,574. */
export const M_PER_DEG_LON = 111_320
export const M_PER_DEG_LAT = 110_574

export interface Circle {
  x: number
  y: number
  r: number
}

/** The smallest circle around the first `count` points of xs/ys, which it shuffles in place. */
export function minEnclosingCircle(xs: Float64Array, ys: Float64Array, count: number, rng: Rng): Circle {
  if (count === 0) return { x: 0, y: 0, r: 0 }
  count = dropInterior(xs, ys, count)
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tx = xs[i]!, ty = ys[i]!
    xs[i] = xs[j]!
    ys[i] = ys[j]!
    xs[j] = tx
    ys[j] = ty
  }
  let c: Circle = { x: xs[0]!, y: ys[0]!, r: 0 }
  for (let i = 1; i < count; i++) {
    if (inside(c, xs[i]!, ys[i]!)) continue
    c = { x: xs[i]!, y: ys[i]!, r: 0 }
    for (let j = 0; j < i; j++) {
      if (inside(c, xs[j]!, ys[j]!)) continue
      c = diameterCircle(xs[i]!, ys[i]!, xs[j]!, ys[j]!)
      for (let k = 0; k < j; k++) {
        if (!inside(c, xs[k]!, ys[k]!)) c = circumcircle(xs[i]!, ys[i]!, xs[j]!, ys[j]!, xs[k]!, ys[k]!)
      }
    }
  }
  return c
}

/**
 * Moves to the front the points not strictly inside the octagon of the extreme
 * points in eight directions (Akl–Toussaint) and returns their count. The circle
 * only depends on the convex hull, and the octagon holds most of a grid's vertices.
 */
function dropInterior(xs: Float64Array, ys: Float64Array, count: number): number {
  // Extreme points by x, x+y, y, y−x, −x, −x−y, −y, x−y: counter-clockwise around the set.
  const best = new Float64Array(8).fill(-Infinity)
  const ext = new Int32Array(8)
  for (let i = 0; i < count; i++) {
    const x = xs[i]!, y = ys[i]!
    if (x > best[0]!) { best[0] = x; ext[0] = i }
    if (x + y > best[1]!) { best[1] = x + y; ext[1] = i }
    if (y > best[2]!) { best[2] = y; ext[2] = i }
    if (y - x > best[3]!) { best[3] = y - x; ext[3] = i }
    if (-x > best[4]!) { best[4] = -x; ext[4] = i }
    if (-x - y > best[5]!) { best[5] = -x - y; ext[5] = i }
    if (-y > best[6]!) { best[6] = -y; ext[6] = i }
    if (x - y > best[7]!) { best[7] = x - y; ext[7] = i }
  }
  // Octagon edges, skipping repeated corners.
  const ox = new Float64Array(8)
  const oy = new Float64Array(8)
  let corners = 0
  for (let d = 0; d < 8; d++) {
    const x = xs[ext[d]!]!, y = ys[ext[d]!]!
    if (corners > 0 && ox[corners - 1] === x && oy[corners - 1] === y) continue
    ox[corners] = x
    oy[corners++] = y
  }
  if (corners > 1 && ox[corners - 1] === ox[0] && oy[corners - 1] === oy[0]) corners--
  if (corners < 3) return count
  let kept = 0
  for (let i = 0; i < count; i++) {
    const x = xs[i]!, y = ys[i]!
    let interior = true
    for (let e = 0; e < corners; e++) {
      const f = e + 1 < corners ? e + 1 : 0
      if ((ox[f]! - ox[e]!) * (y - oy[e]!) - (oy[f]! - oy[e]!) * (x - ox[e]!) <= 0) {
        interior = false
        break
      }
    }
    if (!interior) {
      xs[kept] = x
      ys[kept++] = y
    }
  }
  return kept
}

function inside(c: Circle, x: number, y: number): boolean {
  const dx = x - c.x
  const dy = y - c.y
  return Math.sqrt(dx * dx + dy * dy) <= c.r * (1 + 1e-12) + 1e-9
}

function diameterCircle(ax: number, ay: number, bx: number, by: number): Circle {
  return { x: (ax + bx) / 2, y: (ay + by) / 2, r: Math.hypot(ax - bx, ay - by) / 2 }
}

/** Circle through three points; for (nearly) collinear points, the circle on the farthest pair. */
function circumcircle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): Circle {
  const bX = bx - ax, bY = by - ay, cX = cx - ax, cY = cy - ay
  const d = 2 * (bX * cY - bY * cX)
  const scale = Math.max(bX * bX + bY * bY, cX * cX + cY * cY)
  if (Math.abs(d) <= 1e-12 * scale) {
    const ab = diameterCircle(ax, ay, bx, by)
    const ac = diameterCircle(ax, ay, cx, cy)
    const bc = diameterCircle(bx, by, cx, cy)
    return ab.r >= ac.r && ab.r >= bc.r ? ab : ac.r >= bc.r ? ac : bc
  }
  const b2 = bX * bX + bY * bY
  const c2 = cX * cX + cY * cY
  const ux = (cY * b2 - bY * c2) / d
  const uy = (bX * c2 - cX * b2) / d
  return { x: ax + ux, y: ay + uy, r: Math.hypot(ux, uy) }
}

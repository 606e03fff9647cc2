/**
 * A plan's building blocks as the studio holds them: per block its H3 cell,
 * community, centre and current grid (as the server last said), plus which
 * blocks touch. Answers what a brush stroke or a lasso covers the way the
 * server does (block centres within the radius or the ring, the grid's
 * community only), so the map can show a stroke before the server has it.
 */
import type { FeatureCollection } from '../api.ts'
import { bboxOf, ringCentre, type BBox } from './geometry.ts'

type Position = [number, number]

export class PlanBlockModel {
  readonly count: number
  readonly cell: string[]
  readonly community: string[]
  /** Centres, lon/lat interleaved. */
  readonly centre: Float64Array
  /** The grid of each block in the plan as last answered by the server. */
  readonly grid: string[]
  readonly bbox: BBox | null
  readonly #byCell = new Map<string, number[]>()
  /** Blocks sharing a vertex, CSR: touching[touchStart[b] .. touchStart[b+1]). */
  readonly #touchStart: Int32Array
  readonly #touching: Int32Array

  constructor(fc: FeatureCollection) {
    this.count = fc.features.length
    this.cell = new Array<string>(this.count)
    this.community = new Array<string>(this.count)
    this.grid = new Array<string>(this.count)
    this.centre = new Float64Array(this.count * 2)
    const byVertex = new Map<string, number[]>()
    for (const f of fc.features) {
      const b = Number(f.id ?? f.properties.idx)
      if (!Number.isInteger(b) || b < 0 || b >= this.count) throw new Error(`Unexpected block id value: ${String(f.id)}`)
      this.cell[b] = String(f.properties.cell)
      this.community[b] = String(f.properties.community)
      this.grid[b] = String(f.properties.grid)
      this.#byCell.set(this.cell[b]!, [...(this.#byCell.get(this.cell[b]!) ?? []), b])
      const rings = outerRings(f.geometry)
      const [x, y] = ringCentre(rings.reduce((a, r) => (r.length > a.length ? r : a), rings[0] ?? [[0, 0]]))
      this.centre[2 * b] = x
      this.centre[2 * b + 1] = y
      for (const ring of rings) {
        for (const [vx, vy] of ring) {
          const key = `${vx!.toFixed(6)},${vy!.toFixed(6)}`
          const list = byVertex.get(key)
          if (!list) byVertex.set(key, [b])
          else if (list.at(-1) !== b) list.push(b)
        }
      }
    }
    const sets: Set<number>[] = Array.from({ length: this.count }, () => new Set<number>())
    for (const list of byVertex.values()) for (const a of list) for (const b of list) if (a !== b) sets[a]!.add(b)
    this.#touchStart = new Int32Array(this.count + 1)
    sets.forEach((s, b) => (this.#touchStart[b + 1] = this.#touchStart[b]! + s.size))
    this.#touching = Int32Array.from(sets.flatMap((s) => [...s]))
    this.bbox = bboxOf({ coordinates: fc.features.map((f) => f.geometry.coordinates) })
  }

  blocksOfCell(cell: string): number[] {
    return this.#byCell.get(cell) ?? []
  }

  blocksOfGrid(grid: string): number[] {
    const out: number[] = []
    for (let b = 0; b < this.count; b++) if (this.grid[b] === grid) out.push(b)
    return out
  }

  /** Blocks of `community` whose centre lies within `radiusM` of `at`, and the block under the pointer. */
  brush(at: Position, radiusM: number, community: string, under: number | null): number[] {
    const out: number[] = []
    for (let b = 0; b < this.count; b++) {
      if (this.community[b] !== community) continue
      if (b === under || metres(at[0], at[1], this.centre[2 * b]!, this.centre[2 * b + 1]!) <= radiusM) out.push(b)
    }
    return out
  }

  /** Blocks of `community` whose centre lies inside the ring. */
  lasso(ring: Position[], community: string): number[] {
    const out: number[] = []
    for (let b = 0; b < this.count; b++) if (this.community[b] === community && inside(this.centre[2 * b]!, this.centre[2 * b + 1]!, ring)) out.push(b)
    return out
  }

  /** Which grids touch which, by the blocks' current grids. */
  gridNeighbours(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>()
    for (let b = 0; b < this.count; b++) {
      const g = this.grid[b]!
      if (!out.has(g)) out.set(g, new Set())
      for (let k = this.#touchStart[b]!; k < this.#touchStart[b + 1]!; k++) {
        const other = this.grid[this.#touching[k]!]!
        if (other !== g) out.get(g)!.add(other)
      }
    }
    return out
  }

  bboxOfBlocks(blocks: Iterable<number>): BBox | null {
    const box: BBox = [Infinity, Infinity, -Infinity, -Infinity]
    for (const b of blocks) {
      const x = this.centre[2 * b]!
      const y = this.centre[2 * b + 1]!
      box[0] = Math.min(box[0], x)
      box[1] = Math.min(box[1], y)
      box[2] = Math.max(box[2], x)
      box[3] = Math.max(box[3], y)
    }
    return Number.isFinite(box[0]) ? box : null
  }
}

function outerRings(geometry: { type: string; coordinates: unknown }): number[][][] {
  if (geometry.type === 'Polygon') return [(geometry.coordinates as number[][][])[0]!]
  if (geometry.type === 'MultiPolygon') return (geometry.coordinates as number[][][][]).map((p) => p[0]!)
  return []
}

/** Great-circle distance, as the server measures a brush. */
export function metres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

function inside(x: number, y: number, ring: Position[]): boolean {
  let odd = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!
    const [xj, yj] = ring[j]!
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd
  }
  return odd
}

/** A circle of `radiusM` around `at` as a GeoJSON polygon (the brush outline). */
export function circle(at: Position, radiusM: number, steps = 48): GeoJSON.Polygon {
  const dLat = radiusM / 111_320
  const dLon = dLat / Math.cos((at[1] * Math.PI) / 180)
  const ring: Position[] = []
  for (let i = 0; i <= steps; i++) {
    const a = (2 * Math.PI * i) / steps
    ring.push([at[0] + dLon * Math.cos(a), at[1] + dLat * Math.sin(a)])
  }
  return { type: 'Polygon', coordinates: [ring] }
}

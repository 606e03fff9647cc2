/**
 * The adjacency of a plan's blocks. Two blocks are neighbours when their H3
 * cells share an edge and they belong to the same community: a grid can only
 * grow across its own community, so edges between communities never matter to
 * the rebalancer and are counted in `edgeLength` instead.
 *
 * Shared lengths are what h3-js's `edgeLength(cellsToDirectedEdge(a, b), 'm')`
 * returns — the great-circle length of the edge's boundary on H3's sphere — but
 * computed here from the two cells' `cellToBoundary` vertices: each h3-js call
 * costs about 2 µs, and 30,000 of them would eat most of the 100 ms budget for
 * 5,000 blocks. (The test checks both ways agree.)
 */
import { cellToBoundary, gridDisk } from 'h3-js'
import type { PlanBlocks } from './plan-types.ts'

export type CellGraph = Pick<PlanBlocks, 'nbrStart' | 'nbr' | 'nbrLength' | 'edgeLength' | 'vertexStart' | 'vertices'>

/** H3's authalic Earth radius (h3api EARTH_RADIUS_KM), so lengths match h3-js's. */
export const EARTH_RADIUS_M = 6371007.180918475
const DEG = Math.PI / 180
/** Two boundary vertices closer than this (degrees, ≈ 1 cm) are the same vertex. */
const SAME_VERTEX = 1e-7

export function buildCellGraph(h3: string[], community: Int32Array): CellGraph {
  const n = h3.length
  if (community.length !== n) throw new Error(`Unexpected community length: ${community.length} (blocks: ${n})`)

  // Blocks by cell; a cell clipped by two communities gives two blocks, chained by `nextSame`.
  const firstOfCell = new Map<string, number>()
  const nextSame = new Int32Array(n).fill(-1)
  for (let i = n - 1; i >= 0; i--) {
    const prev = firstOfCell.get(h3[i]!)
    if (prev !== undefined) nextSame[i] = prev
    firstOfCell.set(h3[i]!, i)
  }

  const vertexStart = new Int32Array(n + 1)
  const lonLat: number[] = []
  for (let i = 0; i < n; i++) {
    const boundary = cellToBoundary(h3[i]!)
    for (let k = 0; k < boundary.length; k++) lonLat.push(boundary[k]![1], boundary[k]![0])
    vertexStart[i + 1] = lonLat.length / 2
  }
  const vertices = Float64Array.from(lonLat)
  // segment[k]: length of the boundary segment from vertex k to the block's next vertex.
  const segment = new Float64Array(vertices.length / 2)
  const perimeter = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = vertexStart[i]!
    const b = vertexStart[i + 1]!
    for (let k = a; k < b; k++) {
      const l = k + 1 < b ? k + 1 : a
      segment[k] = distanceM(vertices[2 * k]!, vertices[2 * k + 1]!, vertices[2 * l]!, vertices[2 * l + 1]!)
      perimeter[i]! += segment[k]!
    }
  }

  const nbrStart = new Int32Array(n + 1)
  const nbrList: number[] = []
  const lengthList: number[] = []
  const edgeLength = new Float64Array(n)
  const found: number[] = []
  for (let i = 0; i < n; i++) {
    found.length = 0
    for (const cell of gridDisk(h3[i]!, 1)) {
      if (cell === h3[i]) continue
      for (let j = firstOfCell.get(cell) ?? -1; j >= 0; j = nextSame[j]!) {
        if (community[j] === community[i]) found.push(j)
      }
    }
    found.sort((a, b) => a - b)
    let shared = 0
    for (const j of found) {
      // A pair is measured once, from its lower block; the higher one copies it.
      const length = j < i ? lengthList[slotOf(nbrList, nbrStart, j, i)]! : sharedLength(vertices, vertexStart, segment, i, j)
      nbrList.push(j)
      lengthList.push(length)
      shared += length
    }
    nbrStart[i + 1] = nbrList.length
    edgeLength[i] = Math.max(0, perimeter[i]! - shared)
  }
  return {
    nbrStart,
    nbr: Int32Array.from(nbrList),
    nbrLength: Float64Array.from(lengthList),
    edgeLength,
    vertexStart,
    vertices,
  }
}

/** Great-circle distance in metres, with H3's haversine and radius. */
export function distanceM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const sinLat = Math.sin((lat2 - lat1) * DEG * 0.5)
  const sinLon = Math.sin((lon2 - lon1) * DEG * 0.5)
  const a = sinLat * sinLat + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * sinLon * sinLon
  return 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a)) * EARTH_RADIUS_M
}

function slotOf(nbr: number[], nbrStart: Int32Array, j: number, i: number): number {
  for (let k = nbrStart[j]!; k < nbrStart[j + 1]!; k++) if (nbr[k] === i) return k
  throw new Error(`Unexpected adjacency: block ${i} lists ${j} but not the other way round`)
}

/**
 * Length of the boundary of cell i that is also boundary of cell j: the sum of
 * i's boundary segments whose both ends are vertices of j. Usually one segment;
 * two or more where a class III cell's edge crosses an icosahedron face.
 */
function sharedLength(v: Float64Array, start: Int32Array, segment: Float64Array, i: number, j: number): number {
  const a = start[i]!
  const b = start[i + 1]!
  let sum = 0
  const firstShared = hasVertex(v, start, j, v[2 * a]!, v[2 * a + 1]!)
  let shared = firstShared
  for (let k = a; k < b; k++) {
    const nextShared = k + 1 < b ? hasVertex(v, start, j, v[2 * k + 2]!, v[2 * k + 3]!) : firstShared
    if (shared && nextShared) sum += segment[k]!
    shared = nextShared
  }
  return sum
}

function hasVertex(v: Float64Array, start: Int32Array, j: number, lon: number, lat: number): boolean {
  for (let k = start[j]!; k < start[j + 1]!; k++) {
    if (Math.abs(v[2 * k]! - lon) < SAME_VERTEX && Math.abs(v[2 * k + 1]! - lat) < SAME_VERTEX) return true
  }
  return false
}

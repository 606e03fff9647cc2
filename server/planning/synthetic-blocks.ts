/**
 * A made-up town for the planning studio's tests and benchmarks: H3 cells in a
 * disc, cut into communities (Voronoi of random seed cells), with smooth
 * population and a workload skewed by a few hot spots — and a base generation of
 * grids that is contiguous but deliberately unbalanced, the way hand-drawn grids
 * are. Everything follows from the seed, so before/after runs see the same town.
 */
import { cellArea, cellToLatLng, getHexagonEdgeLengthAvg, gridDisk, latLngToCell } from 'h3-js'
import { createRng, type Rng } from '../demo/prng.ts'
import { buildCellGraph, distanceM } from './cell-graph.ts'
import { largestRemainder } from './grid-counts.ts'
import type { PlanBlocks, PlanGrid } from './plan-types.ts'

export interface SyntheticOptions {
  /** [lon, lat] */
  centre: [number, number]
  radiusKm: number
  res: number
  communities: number
  /** Grids of the base generation over the whole town (default 5 per community). */
  grids?: number
  seed: number | string
}

export interface SyntheticPlan {
  blocks: PlanBlocks
  grids: PlanGrid[]
  assignment: Int32Array
}

const TOWN_CODE = '441900101'

export function syntheticBlocks(options: SyntheticOptions): SyntheticPlan {
  const { centre, radiusKm, res, seed } = options
  const [lon0, lat0] = centre
  const rng = createRng(seed)
  const radiusM = radiusKm * 1000
  const spacing = getHexagonEdgeLengthAvg(res, 'm') * Math.sqrt(3)
  const cells = gridDisk(latLngToCell(lat0, lon0, res), Math.ceil(radiusM / spacing) + 2)
    .map((h) => ({ h, ll: cellToLatLng(h) }))
    .filter(({ ll }) => distanceM(lon0, lat0, ll[1], ll[0]) <= radiusM)
    .sort((a, b) => (a.h < b.h ? -1 : 1))
  const nCells = cells.length
  const communityCount = options.communities
  if (!Number.isInteger(communityCount) || communityCount < 1 || communityCount > nCells) {
    throw new Error(`Unexpected communities value: ${communityCount} (cells: ${nCells})`)
  }

  // Communities: nearest of random seed cells, then stray pieces handed to a neighbour.
  const seeds = distinctInts(rng.fork('communities'), nCells, communityCount)
  const xy = (i: number): [number, number] => [
    (cells[i]!.ll[1] - lon0) * Math.cos(lat0 * Math.PI / 180) * 111_320,
    (cells[i]!.ll[0] - lat0) * 110_574,
  ]
  const dist = (i: number, c: number) => Math.hypot(xy(i)[0] - xy(seeds[c]!)[0], xy(i)[1] - xy(seeds[c]!)[1])
  const cellCommunity = new Int32Array(nCells)
  for (let i = 0; i < nCells; i++) {
    let best = 0
    for (let c = 1; c < communityCount; c++) if (dist(i, c) < dist(i, best)) best = c
    cellCommunity[i] = best
  }
  const whole = buildCellGraph(cells.map((c) => c.h), new Int32Array(nCells))
  joinStrayPieces(whole.nbrStart, whole.nbr, cellCommunity)

  // A cell near a community border becomes two blocks, one per community, its area shared.
  const blockCell: number[] = []
  const blockCommunity: number[] = []
  const blockShare: number[] = []
  for (let i = 0; i < nCells; i++) {
    const own = cellCommunity[i]!
    let other = -1
    for (let k = whole.nbrStart[i]!; k < whole.nbrStart[i + 1]!; k++) {
      const c = cellCommunity[whole.nbr[k]!]!
      if (c !== own && (other < 0 || dist(i, c) < dist(i, other))) other = c
    }
    const margin = other < 0 ? Infinity : (dist(i, other) - dist(i, own)) / (0.35 * spacing)
    const share = margin < 1 ? 0.5 + 0.5 * margin : 1
    const pairs: [number, number][] = [[own, share]]
    if (share < 1) pairs.push([other, 1 - share])
    pairs.sort((a, b) => a[0] - b[0])
    for (const [c, s] of pairs) {
      blockCell.push(i)
      blockCommunity.push(c)
      blockShare.push(s)
    }
  }

  const n = blockCell.length
  const h3 = blockCell.map((i) => cells[i]!.h)
  const community = Int32Array.from(blockCommunity)
  const graph = buildCellGraph(h3, community)
  const figures = blockFigures(rng.fork('figures'), cells, blockCell, blockShare, lon0, lat0, radiusM)
  const blocks: PlanBlocks = {
    res,
    h3,
    community,
    communities: Array.from({ length: communityCount }, (_, c) => `${TOWN_CODE}${String(c + 1).padStart(3, '0')}`),
    ...figures,
    ...graph,
  }
  const { grids, assignment } = unevenGrids(rng.fork('grids'), blocks, options.grids ?? 5 * communityCount)
  return { blocks, grids, assignment }
}

/** A `newGrid` for synthetic plans: the next free 3-digit code of the community. */
export function syntheticGridFactory(blocks: PlanBlocks, grids: readonly PlanGrid[]): (community: number) => PlanGrid {
  const used = new Set(grids.map((g) => g.code))
  return (community) => {
    const prefix = blocks.communities[community]
    if (prefix === undefined) throw new Error(`Unexpected community value: ${community}`)
    for (let k = 1; k < 1000; k++) {
      const code = prefix + String(k).padStart(3, '0')
      if (used.has(code)) continue
      used.add(code)
      return { code, community, name: `New grid ${k}`, administrators: 1, locked: false, added: true }
    }
    throw new Error(`Community ${prefix} has no free grid code`)
  }
}

function distinctInts(rng: Rng, n: number, k: number): number[] {
  const picked = new Set<number>()
  while (picked.size < k) picked.add(rng.int(n))
  return [...picked]
}

/** Gives every piece of a community but its largest to the neighbouring community it touches first. */
function joinStrayPieces(nbrStart: Int32Array, nbr: Int32Array, label: Int32Array) {
  for (;;) {
    const piece = new Int32Array(label.length).fill(-1)
    const pieceSize: number[] = []
    for (let s = 0; s < label.length; s++) {
      if (piece[s] !== -1) continue
      const id = pieceSize.length
      const queue = [s]
      piece[s] = id
      for (let q = 0; q < queue.length; q++) {
        const i = queue[q]!
        for (let k = nbrStart[i]!; k < nbrStart[i + 1]!; k++) {
          const j = nbr[k]!
          if (piece[j] === -1 && label[j] === label[i]) {
            piece[j] = id
            queue.push(j)
          }
        }
      }
      pieceSize.push(queue.length)
    }
    const largest = new Map<number, number>()
    for (let i = 0; i < label.length; i++) {
      const best = largest.get(label[i]!)
      if (best === undefined || pieceSize[piece[i]!]! > pieceSize[best]!) largest.set(label[i]!, piece[i]!)
    }
    let changed = false
    for (let i = 0; i < label.length; i++) {
      if (largest.get(label[i]!) === piece[i]) continue
      for (let k = nbrStart[i]!; k < nbrStart[i + 1]!; k++) {
        if (label[nbr[k]!] !== label[i]) {
          label[i] = label[nbr[k]!]!
          changed = true
          break
        }
      }
    }
    if (!changed) return
  }
}

function blockFigures(
  rng: Rng, cells: { h: string; ll: number[] }[], blockCell: number[], blockShare: number[],
  lon0: number, lat0: number, radiusM: number,
) {
  const n = blockCell.length
  const spots = Array.from({ length: 5 }, () => {
    const r = radiusM * Math.sqrt(rng.next()) * 0.85
    const a = rng.range(0, 2 * Math.PI)
    return { x: r * Math.cos(a), y: r * Math.sin(a), sigma: rng.range(250, 600), gain: rng.range(2, 5) }
  })
  const area = new Float64Array(n)
  const population = new Float64Array(n)
  const households = new Float64Array(n)
  const workload = new Float64Array(n)
  const openIncidents = new Int32Array(n)
  const centroid = new Float64Array(2 * n)
  const cellAreas = new Map<number, number>()
  for (let b = 0; b < n; b++) {
    const cell = cells[blockCell[b]!]!
    const [lat, lon] = cell.ll as [number, number]
    const x = (lon - lon0) * Math.cos(lat0 * Math.PI / 180) * 111_320
    const y = (lat - lat0) * 110_574
    let a = cellAreas.get(blockCell[b]!)
    if (a === undefined) cellAreas.set(blockCell[b]!, (a = cellArea(cell.h, 'm2')))
    area[b] = a * blockShare[b]!
    const r = Math.hypot(x, y) / radiusM
    const density = 1500 + 11000 * Math.exp(-2 * r * r) * (1 + 0.3 * Math.sin(x / 900) * Math.cos(y / 1100))
    population[b] = (density * area[b]!) / 1e6
    households[b] = population[b]! / (2.7 + 0.4 * Math.sin((x + y) / 1500))
    let heat = 1
    for (const s of spots) heat += s.gain * Math.exp(-((x - s.x) ** 2 + (y - s.y) ** 2) / (2 * s.sigma * s.sigma))
    workload[b] = population[b]! * 0.05 * heat * Math.exp(0.35 * rng.normal())
    openIncidents[b] = Math.floor(workload[b]! * 0.1 + rng.next())
    centroid[2 * b] = lon
    centroid[2 * b + 1] = lat
  }
  return { area, population, households, workload, openIncidents, centroid }
}

/**
 * The base generation: grids per community in proportion to workload, each grown
 * by BFS from a random seed at its own random speed — contiguous, uneven in size,
 * and blind to hot spots.
 */
function unevenGrids(rng: Rng, blocks: PlanBlocks, total: number): { grids: PlanGrid[]; assignment: Int32Array } {
  const n = blocks.h3.length
  const C = blocks.communities.length
  const members: number[][] = Array.from({ length: C }, () => [])
  const load = new Float64Array(C)
  for (let b = 0; b < n; b++) {
    members[blocks.community[b]!]!.push(b)
    load[blocks.community[b]!]! += blocks.workload[b]!
  }
  const counts = largestRemainder(load, Math.max(total, C)).map((k, c) => Math.min(k, members[c]!.length))
  const grids: PlanGrid[] = []
  const assignment = new Int32Array(n).fill(-1)
  for (let c = 0; c < C; c++) {
    const first = grids.length
    const queues: number[][] = []
    const speed: number[] = []
    for (const s of distinctInts(rng, members[c]!.length, counts[c]!)) {
      const b = members[c]![s]!
      const k = grids.length - first
      grids.push({
        code: `${blocks.communities[c]}${String(k + 1).padStart(3, '0')}`,
        community: c,
        name: `Grid ${k + 1}`,
        administrators: rng.next() < 0.3 ? 2 : 1,
        locked: false,
        added: false,
      })
      assignment[b] = grids.length - 1
      queues.push([b])
      speed.push(rng.range(0.5, 2))
    }
    const head = queues.map(() => 0)
    const credit = queues.map(() => 0)
    let left = members[c]!.length - queues.length
    while (left > 0) {
      const before = left
      for (let k = 0; k < queues.length; k++) {
        credit[k]! += speed[k]!
        const q = queues[k]!
        while (credit[k]! >= 1 && head[k]! < q.length) {
          const i = q[head[k]!]!
          let claimed = false
          for (let e = blocks.nbrStart[i]!; e < blocks.nbrStart[i + 1]! && !claimed; e++) {
            const j = blocks.nbr[e]!
            if (assignment[j]! >= 0) continue
            assignment[j] = first + k
            q.push(j)
            left--
            credit[k]! -= 1
            claimed = true
          }
          if (!claimed) head[k]!++
        }
        credit[k] = Math.min(credit[k]!, 3)
      }
      if (left === before && queues.every((q, k) => head[k] === q.length)) {
        throw new Error(`Community ${blocks.communities[c]} is not connected`)
      }
    }
  }
  return { grids, assignment }
}

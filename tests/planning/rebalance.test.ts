/**
 * The planning studio's pure algorithms: the block graph, plan metrics,
 * disruption, the rebalancer and the grid splits. Small cases are checked
 * against figures worked out by hand; the rebalancer against the goals a
 * planner relies on, on seeded synthetic towns.
 */
import { cellArea, cellToBoundary, cellToLatLng, cellsToDirectedEdge, edgeLength, gridDisk, latLngToCell, originToDirectedEdges } from 'h3-js'
import { describe, expect, it } from 'vitest'
import { buildCellGraph } from '../../server/planning/cell-graph.ts'
import { planViolations } from '../../server/planning/checks.ts'
import { computeMetrics, contiguityViolations, disruption } from '../../server/planning/plan-metrics.ts'
import type { PlanBlocks, PlanGrid } from '../../server/planning/plan-types.ts'
import { rebalance, splitGrid, splitGridByLine } from '../../server/planning/rebalance.ts'
import { syntheticBlocks, syntheticGridFactory, type SyntheticPlan } from '../../server/planning/synthetic-blocks.ts'

const CENTRE: [number, number] = [113.75, 22.95]
const WORKLOAD_ONLY = [{ measure: 'workload' as const, weight: 1, tolerance: 0.1 }]

/** The centre cell and its ring, the ring in walking order (each cell next to the one before). */
function rosette(): string[] {
  const centre = latLngToCell(CENTRE[1], CENTRE[0], 10)
  const left = gridDisk(centre, 1).filter((h) => h !== centre)
  const ring = [left.shift()!]
  while (left.length > 0) {
    const i = left.findIndex((h) => gridDisk(ring[ring.length - 1]!, 1).includes(h))
    ring.push(left.splice(i, 1)[0]!)
  }
  return [centre, ...ring]
}

function blocksOf(cells: string[], community: number[], figures: { workload?: number[]; population?: number[]; openIncidents?: number[] } = {}): PlanBlocks {
  const n = cells.length
  const c = Int32Array.from(community)
  return {
    res: 10,
    h3: cells,
    community: c,
    communities: ['441900101001', '441900101002'],
    area: Float64Array.from(cells, (h) => cellArea(h, 'm2')),
    population: Float64Array.from(figures.population ?? new Array<number>(n).fill(100)),
    households: Float64Array.from(figures.population ?? new Array<number>(n).fill(100), (p) => p / 2.5),
    workload: Float64Array.from(figures.workload ?? new Array<number>(n).fill(1)),
    openIncidents: Int32Array.from(figures.openIncidents ?? new Array<number>(n).fill(0)),
    centroid: Float64Array.from(cells.flatMap((h) => [cellToLatLng(h)[1], cellToLatLng(h)[0]])),
    ...buildCellGraph(cells, c),
  }
}

const grid = (code: string, community = 0, administrators = 1, locked = false): PlanGrid =>
  ({ code, community, name: code, administrators, locked, added: false })

const perimeterOf = (h: string) => originToDirectedEdges(h).reduce((sum, e) => sum + edgeLength(e, 'm'), 0)

function expectSound(plan: SyntheticPlan, assignment: Int32Array, grids: PlanGrid[]) {
  for (let b = 0; b < assignment.length; b++) expect(grids[assignment[b]!]!.community).toBe(plan.blocks.community[b])
  expect(contiguityViolations(plan.blocks, assignment, grids)).toEqual([])
}

/**
 * Best of a few runs, in CPU milliseconds of this process: the machine is shared,
 * and wall-clock time there measures the neighbours as much as the code.
 */
function timeBest(runs: number, f: () => void): number {
  let best = Infinity
  for (let r = 0; r < runs; r++) {
    const t = process.cpuUsage()
    f()
    const used = process.cpuUsage(t)
    best = Math.min(best, (used.user + used.system) / 1000)
  }
  return best
}

describe('cell graph', () => {
  const cells = gridDisk(latLngToCell(CENTRE[1], CENTRE[0], 10), 3)
  const graph = buildCellGraph(cells, new Int32Array(cells.length))
  const neighbours = (i: number) => Array.from(graph.nbr.subarray(graph.nbrStart[i]!, graph.nbrStart[i + 1]!))

  it('links exactly the cells of the h3 ring around each cell, both ways, with one shared length', () => {
    for (let i = 0; i < cells.length; i++) {
      const ring = gridDisk(cells[i]!, 1).filter((h) => h !== cells[i] && cells.includes(h)).sort()
      expect(neighbours(i).map((j) => cells[j]!).sort()).toEqual(ring)
      for (let k = graph.nbrStart[i]!; k < graph.nbrStart[i + 1]!; k++) {
        const j = graph.nbr[k]!
        const back = graph.nbrStart[j]! + neighbours(j).indexOf(i)
        expect(back).toBeGreaterThanOrEqual(graph.nbrStart[j]!)
        expect(graph.nbrLength[back]).toBe(graph.nbrLength[k])
      }
    }
  })

  it('measures shared edges as h3 does and leaves the rest of the outline to edgeLength', () => {
    for (let i = 0; i < cells.length; i++) {
      let shared = 0
      for (let k = graph.nbrStart[i]!; k < graph.nbrStart[i + 1]!; k++) {
        const h3Length = edgeLength(cellsToDirectedEdge(cells[i]!, cells[graph.nbr[k]!]!), 'm')
        expect(graph.nbrLength[k]).toBeCloseTo(h3Length, 6)
        shared += graph.nbrLength[k]!
      }
      expect(graph.edgeLength[i]! + shared).toBeCloseTo(perimeterOf(cells[i]!), 6)
      // Interior cells have nothing left over; the outer ring keeps its outside edges.
      expect(graph.edgeLength[i]! > 1).toBe(neighbours(i).length < 6)
    }
  })

  it('links a cell shared by two communities only within each community', () => {
    const [centre, r0, r1] = rosette() as [string, string, string]
    // Blocks: the rosette in community 0, plus the centre and r0 clipped into community 1.
    const h3 = [...rosette(), centre, r0]
    const community = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1])
    const g = buildCellGraph(h3, community)
    const of = (i: number) => Array.from(g.nbr.subarray(g.nbrStart[i]!, g.nbrStart[i + 1]!))
    expect(of(7)).toEqual([8])
    expect(of(0)).toEqual([1, 2, 3, 4, 5, 6])
    expect(h3[2]).toBe(r1)
    expect(g.edgeLength[7]).toBeCloseTo(perimeterOf(centre) - edgeLength(cellsToDirectedEdge(centre, r0), 'm'), 6)
    expect(g.vertexStart[8]! - g.vertexStart[7]!).toBe(6)
  })

  it('builds the graph of 5,000 cells in well under 100 ms', () => {
    const many = gridDisk(latLngToCell(CENTRE[1], CENTRE[0], 10), 40)
    const community = new Int32Array(many.length)
    buildCellGraph(many, community)
    const ms = timeBest(5, () => buildCellGraph(many, community))
    console.log(`cell graph: ${many.length} cells in ${ms.toFixed(1)} ms (CPU)`)
    expect(ms).toBeLessThan(100)
  })
})

describe('plan metrics', () => {
  // Centre A (2 administrators), ring arcs B (3 cells, none) and C (3 cells, 1), an empty grid D.
  const cells = rosette()
  const blocks = blocksOf(cells, [0, 0, 0, 0, 0, 0, 0], { workload: [60, 20, 30, 40, 30, 40, 60] })
  const grids = [grid('441900101001001', 0, 2), grid('441900101001002', 0, 0), grid('441900101001003', 0, 1), grid('441900101001004')]
  const assignment = Int32Array.from([0, 1, 1, 1, 2, 2, 2])
  const metrics = computeMetrics(blocks, assignment, grids)
  const [A, B, C, D] = metrics.grids as [typeof metrics.grids[0], typeof metrics.grids[0], typeof metrics.grids[0], typeof metrics.grids[0]]

  it('sums each grid and divides its load among at least one administrator', () => {
    expect([A.cells, B.cells, C.cells, D.cells]).toEqual([1, 3, 3, 0])
    expect([A.workload, B.workload, C.workload]).toEqual([60, 90, 130])
    expect([A.loadPerAdministrator, B.loadPerAdministrator, C.loadPerAdministrator]).toEqual([30, 90, 130])
    expect(B.areaM2).toBeCloseTo(cellArea(cells[1]!, 'm2') + cellArea(cells[2]!, 'm2') + cellArea(cells[3]!, 'm2'), 6)
    expect(A.deviation).toBeCloseTo(60 / (280 / 3) - 1, 12)
  })

  it('gives a lone hexagon its textbook shape scores', () => {
    // Polsby–Popper of a regular hexagon is π·√3/6.
    expect(A.perimeterM).toBeCloseTo(perimeterOf(cells[0]!), 6)
    expect(A.polsbyPopper).toBeCloseTo((Math.PI * Math.sqrt(3)) / 6, 2)
    // H3 cells are not quite regular (vertices 73–77 m from the centre here), so Reock is below a regular
    // hexagon's 3√3/(2π) ≈ 0.827. The cell is centrally symmetric: its smallest circle is centred on the
    // cell centre and passes through its farthest vertex.
    const [lat0, lon0] = cellToLatLng(cells[0]!)
    const r = Math.max(...cellToBoundary(cells[0]!).map(([lat, lon]) =>
      Math.hypot((lon - lon0) * Math.cos((lat0 * Math.PI) / 180) * 111_320, (lat - lat0) * 110_574)))
    expect(A.reock).toBeCloseTo(A.areaM2 / (Math.PI * r * r), 4)
    expect(A.reock).toBeLessThan((3 * Math.sqrt(3)) / (2 * Math.PI))
    expect(A.reock).toBeGreaterThan(0.75)
  })

  it('counts a border between two grids in both perimeters and not at all inside a grid', () => {
    const shared = (a: string, b: string) => edgeLength(cellsToDirectedEdge(a, b), 'm')
    const expected = perimeterOf(cells[1]!) + perimeterOf(cells[2]!) + perimeterOf(cells[3]!) - 2 * (shared(cells[1]!, cells[2]!) + shared(cells[2]!, cells[3]!))
    expect(B.perimeterM).toBeCloseTo(expected, 3)
  })

  it('computes Gini, CV and largest deviation over the grids that have blocks', () => {
    const mean = 280 / 3
    const w = metrics.balance.workload
    expect(w.gini).toBeCloseTo((2 * (30 + 70 + 40)) / (2 * 9 * mean), 12)
    expect(w.gini).toBeCloseTo(1 / 6, 12)
    expect(w.cv).toBeCloseTo(Math.sqrt(((60 - mean) ** 2 + (90 - mean) ** 2 + (130 - mean) ** 2) / 3) / mean, 12)
    expect(w.maxDeviation).toBeCloseTo((130 - mean) / mean, 12)
    // Loads per administrator 30, 90, 130: B's none count as one.
    expect(metrics.balance.loadPerAdministrator.maxDeviation).toBeCloseTo((250 / 3 - 30) / (250 / 3), 12)
    expect(D.contiguous).toBe(false)
    expect(D.deviation).toBe(-1)
    expect([A.contiguous, B.contiguous, C.contiguous]).toEqual([true, true, true])
    expect(metrics.compactness.meanPolsbyPopper).toBeCloseTo((A.polsbyPopper + B.polsbyPopper + C.polsbyPopper) / 3, 12)
  })

  it('measures deviation against the mean of the same community', () => {
    const two = blocksOf(cells, [0, 0, 0, 0, 1, 1, 1], { workload: [10, 5, 5, 20, 40, 30, 50] })
    const m = computeMetrics(two, Int32Array.from([0, 1, 1, 1, 2, 3, 3]), [grid('a', 0), grid('b', 0), grid('c', 1), grid('d', 1)])
    expect(m.grids.map((g) => g.deviation)).toEqual([-0.5, 0.5, -1 / 3, 1 / 3].map((x) => expect.closeTo(x, 12)))
    expect(m.grids.map((g) => g.community)).toEqual(['441900101001', '441900101001', '441900101002', '441900101002'])
  })

  it('reports every piece of a broken grid but its largest', () => {
    // B holds two opposite ring cells that do not touch; the rest is A.
    const broken = Int32Array.from([0, 1, 0, 0, 1, 0, 0])
    const two = [grid('A'), grid('B'), grid('E')]
    expect(contiguityViolations(blocks, broken, two)).toEqual([{ grid: 'B', parts: [[4]] }])
    const m = computeMetrics(blocks, broken, two)
    expect(m.grids.map((g) => g.contiguous)).toEqual([true, false, false])
    // A ring without its centre piece is still one piece: A holds the ring, B the centre.
    expect(contiguityViolations(blocks, Int32Array.from([1, 0, 0, 0, 0, 0, 0]), two)).toEqual([])
  })

  it('lets a grid the city already keeps in pieces stay so, and flags it when a plan splits it further', () => {
    // B's base: two opposite ring cells (an exclave the import accepted); A the rest, E nothing.
    const two = [grid('A'), grid('B'), grid('E')]
    const base = Int32Array.from([0, 1, 0, 0, 1, 0, 0])
    const baseParts = new Map(contiguityViolations(blocks, base, two).map((v) => [v.grid, v.parts.length + 1]))
    const none = { minAreaM2: undefined, maxAreaM2: undefined, minPopulation: undefined, maxPopulation: undefined }
    expect(planViolations(blocks, base, two, none, 0, baseParts)).toEqual([])
    expect(planViolations(blocks, base, two, none, 0).map((v) => v.grid)).toEqual(['B'])
    // Reshaped but still two pieces: fine. Three pieces (every other ring cell): flagged.
    expect(planViolations(blocks, Int32Array.from([0, 1, 0, 1, 1, 0, 0]), two, none, 0, baseParts)).toEqual([])
    const worse = planViolations(blocks, Int32Array.from([0, 1, 0, 1, 0, 1, 0]), two, none, 0, baseParts)
    expect(worse.map((v) => [v.check, v.grid, v.cells.length])).toEqual([['contiguity', 'B', 2]])
  })

  // Its speed (a few ms, so that every edit can answer with fresh metrics) is bench:planning's to measure, not a unit test's.
  it('computes the metrics of a town of 5,000 blocks and 100 grids, every block counted once', () => {
    const town = syntheticBlocks({ centre: CENTRE, radiusKm: 4.8, res: 10, communities: 20, grids: 100, seed: 7 })
    const metrics = computeMetrics(town.blocks, town.assignment, town.grids)
    const ms = timeBest(10, () => computeMetrics(town.blocks, town.assignment, town.grids))
    console.log(`metrics: ${town.blocks.h3.length} blocks, ${town.grids.length} grids in ${ms.toFixed(1)} ms (CPU)`)
    expect(metrics.grids).toHaveLength(town.grids.length)
    expect(metrics.grids.reduce((n, g) => n + g.cells, 0)).toBe(town.blocks.h3.length)
  })
})

describe('disruption', () => {
  const cells = rosette()
  const blocks = blocksOf(cells, [0, 0, 0, 0, 0, 0, 0], { population: [10, 20, 30, 40, 50, 60, 70], openIncidents: [0, 1, 2, 3, 4, 5, 6] })
  const grids = [grid('A', 0, 1), grid('B', 0, 2), grid('C', 0, 3)]
  const before = Int32Array.from([0, 1, 1, 1, 2, 2, 2])

  it('counts changed cells, their residents and open incidents, and the staff of a grid that lost most of its area', () => {
    // B gives one cell to A and one to C, keeping 1 of its 3: its 2 administrators serve a different area.
    const after = Int32Array.from([0, 0, 1, 2, 2, 2, 2])
    expect(disruption(blocks, before, grids, after, grids)).toEqual({
      cells: 2, residents: 20 + 40, openIncidents: 1 + 3, administrators: 2, changedGrids: ['A', 'B', 'C'],
    })
  })

  it('counts the staff of a removed grid, whether it is left empty or dropped from the list', () => {
    const after = Int32Array.from([0, 1, 1, 1, 1, 1, 1])
    const expected = { cells: 3, residents: 50 + 60 + 70, openIncidents: 4 + 5 + 6, administrators: 3, changedGrids: ['B', 'C'] }
    expect(disruption(blocks, before, grids, after, grids)).toEqual(expected)
    expect(disruption(blocks, before, grids, after, grids.slice(0, 2))).toEqual(expected)
    expect(disruption(blocks, before, grids, before, grids)).toEqual({ cells: 0, residents: 0, openIncidents: 0, administrators: 0, changedGrids: [] })
  })
})

describe('rebalance', () => {
  const town = syntheticBlocks({ centre: CENTRE, radiusKm: 4.8, res: 10, communities: 20, grids: 100, seed: 7 })
  const small = syntheticBlocks({ centre: CENTRE, radiusKm: 2.2, res: 10, communities: 5, grids: 30, seed: 3 })
  const worstDeviation = (plan: SyntheticPlan, assignment: Int32Array, grids: PlanGrid[]) =>
    Math.max(...computeMetrics(plan.blocks, assignment, grids).grids.filter((g) => g.cells > 0).map((g) => Math.abs(g.deviation)))

  it('balances a town of 5,000 blocks: Gini halved, every grid within 10 %, under 30 % of blocks moved, in 10 s', async () => {
    const { blocks } = town
    const before = computeMetrics(blocks, town.assignment, town.grids)
    const result = await rebalance(blocks, town.assignment, town.grids, { measures: WORKLOAD_ONLY, seed: 1 }, syntheticGridFactory(blocks, town.grids))
    const after = computeMetrics(blocks, result.assignment, result.grids)
    console.log(
      `town: ${blocks.h3.length} blocks, ${town.grids.length} grids; workload Gini ${before.balance.workload.gini.toFixed(3)} → ${after.balance.workload.gini.toFixed(3)}, ` +
      `worst deviation ${worstDeviation(town, town.assignment, town.grids).toFixed(3)} → ${worstDeviation(town, result.assignment, result.grids).toFixed(3)}, ` +
      `Polsby–Popper ${before.compactness.meanPolsbyPopper.toFixed(3)} → ${after.compactness.meanPolsbyPopper.toFixed(3)}, ` +
      `moved ${result.moved} (${((100 * result.moved) / blocks.h3.length).toFixed(1)} %), ${result.iterations} iterations, ${result.elapsedMs.toFixed(0)} ms`,
    )
    expectSound(town, result.assignment, result.grids)
    expect(result.grids.map((g) => g.code)).toEqual(town.grids.map((g) => g.code))
    expect(after.balance.workload.gini).toBeLessThan(before.balance.workload.gini / 2)
    expect(worstDeviation(town, result.assignment, result.grids)).toBeLessThanOrEqual(0.1)
    expect(result.moved / blocks.h3.length).toBeLessThan(0.3)
    expect(result.elapsedMs).toBeLessThan(10_000)
    let moved = 0
    for (let b = 0; b < blocks.h3.length; b++) if (result.assignment[b] !== town.assignment[b]) moved++
    expect(result.moved).toBe(moved)
  })

  it('with no workload at all, balances residents by residents, also when redistributing an explicit k', async () => {
    const blocks = { ...small.blocks, workload: new Float64Array(small.blocks.h3.length) }
    const plan = { ...small, blocks }
    const measures = [{ measure: 'population' as const, weight: 1, tolerance: 0.2 }]
    const before = computeMetrics(blocks, small.assignment, small.grids).balance.population.gini
    for (const k of [undefined, small.grids.length]) {
      const result = await rebalance(blocks, small.assignment, small.grids, { measures, seed: 2, k }, syntheticGridFactory(blocks, small.grids))
      expectSound(plan, result.assignment, result.grids)
      expect(computeMetrics(blocks, result.assignment, result.grids).balance.population.gini, `k=${k}`).toBeLessThan(before)
    }
  })

  it('balances one community of ~250 blocks and 6 grids within a second', async () => {
    const one = syntheticBlocks({ centre: CENTRE, radiusKm: 1.1, res: 10, communities: 1, grids: 6, seed: 11 })
    const result = await rebalance(one.blocks, one.assignment, one.grids, { measures: WORKLOAD_ONLY, seed: 1 }, syntheticGridFactory(one.blocks, one.grids))
    console.log(`community: ${one.blocks.h3.length} blocks, ${one.grids.length} grids; worst deviation ${worstDeviation(one, one.assignment, one.grids).toFixed(3)} → ${worstDeviation(one, result.assignment, result.grids).toFixed(3)} in ${result.elapsedMs.toFixed(0)} ms`)
    expectSound(one, result.assignment, result.grids)
    expect(worstDeviation(one, result.assignment, result.grids)).toBeLessThanOrEqual(0.1)
    expect(result.elapsedMs).toBeLessThan(1000)
  })

  it('reaches the tolerance given for each measure', async () => {
    const measures = [{ measure: 'population' as const, weight: 1, tolerance: 0.05 }]
    const result = await rebalance(small.blocks, small.assignment, small.grids, { measures, seed: 2 }, syntheticGridFactory(small.blocks, small.grids))
    expectSound(small, result.assignment, result.grids)
    const m = computeMetrics(small.blocks, result.assignment, result.grids)
    for (const community of new Set(m.grids.map((g) => g.community))) {
      const mine = m.grids.filter((g) => g.community === community && g.cells > 0)
      const mean = mine.reduce((s, g) => s + g.population, 0) / mine.length
      for (const g of mine) expect(Math.abs(g.population / mean - 1)).toBeLessThanOrEqual(0.05)
    }
  })

  it('leaves locked grids exactly as they were and paints nothing into them', async () => {
    const grids = small.grids.map((g, i) => (i % 6 === 0 ? { ...g, locked: true } : g))
    const result = await rebalance(small.blocks, small.assignment, grids, { measures: WORKLOAD_ONLY, seed: 1 }, syntheticGridFactory(small.blocks, grids))
    expectSound(small, result.assignment, result.grids)
    let lockedBlocks = 0
    for (let b = 0; b < small.assignment.length; b++) {
      const was = small.assignment[b]!
      const now = result.assignment[b]!
      if (grids[was]!.locked || result.grids[now]!.locked) {
        expect(now).toBe(was)
        lockedBlocks++
      }
    }
    expect(lockedBlocks).toBeGreaterThan(0)
    expect(result.moved).toBeGreaterThan(0)
  })

  it('gives the same plan for the same seed', async () => {
    const run = (seed: number) =>
      rebalance(small.blocks, small.assignment, small.grids, { measures: WORKLOAD_ONLY, seed, timeLimitMs: 60_000 }, syntheticGridFactory(small.blocks, small.grids))
    const [a, b] = [await run(5), await run(5)]
    expect(Buffer.from(a.assignment.buffer).equals(Buffer.from(b.assignment.buffer))).toBe(true)
    expect(a.grids).toEqual(b.grids)
    expect(a.iterations).toBe(b.iterations)
  })

  it('gives the event loop turns while it searches, so a server answers other requests meanwhile', async () => {
    let done = false
    const running = rebalance(small.blocks, small.assignment, small.grids, { measures: WORKLOAD_ONLY, seed: 3 }, syntheticGridFactory(small.blocks, small.grids))
      .finally(() => (done = true))
    let turns = 0
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve))
      if (!done) turns++
    }
    expectSound(small, (await running).assignment, (await running).grids)
    expect(turns).toBeGreaterThanOrEqual(4) // a turn before each round of annealing and descent; 0 when it held the loop
  })

  it('still returns a sound plan when the time limit cuts the search short', async () => {
    const result = await rebalance(town.blocks, town.assignment, town.grids, { measures: WORKLOAD_ONLY, seed: 1, timeLimitMs: 0 }, syntheticGridFactory(town.blocks, town.grids))
    expectSound(town, result.assignment, result.grids)
    expect(result.moved).toBe(0)
  })

  it('makes exactly k grids when asked, spread over the communities by workload', async () => {
    for (const k of [22, 41]) {
      const result = await rebalance(small.blocks, small.assignment, small.grids, { measures: WORKLOAD_ONLY, seed: 1, k }, syntheticGridFactory(small.blocks, small.grids))
      expectSound(small, result.assignment, result.grids)
      const m = computeMetrics(small.blocks, result.assignment, result.grids)
      const live = m.grids.filter((g) => g.cells > 0)
      expect(live.length).toBe(k)
      expect(new Set(live.map((g) => g.community)).size).toBe(small.blocks.communities.length)
      expect(Math.max(...live.map((g) => Math.abs(g.deviation)))).toBeLessThanOrEqual(0.1)
      // Added grids are appended; removed ones stay in the list with no blocks.
      expect(result.grids.slice(0, small.grids.length).map((g) => g.code)).toEqual(small.grids.map((g) => g.code))
      if (k > small.grids.length) expect(result.grids.length).toBe(k)
      else expect(m.grids.filter((g) => g.cells === 0).length).toBe(small.grids.length - k)
    }
  })

  it('derives k from a target load per administrator', async () => {
    let total = 0
    for (const w of small.blocks.workload) total += w
    const perGrid = small.grids.reduce((s, g) => s + g.administrators, 0) / small.grids.length
    const result = await rebalance(small.blocks, small.assignment, small.grids, { measures: WORKLOAD_ONLY, seed: 1, targetLoadPerAdministrator: total / (36 * perGrid) }, syntheticGridFactory(small.blocks, small.grids))
    expect(computeMetrics(small.blocks, result.assignment, result.grids).grids.filter((g) => g.cells > 0).length).toBe(36)
  })

  it('refuses a plan whose blocks sit in another community’s grid', async () => {
    const wrong = Int32Array.from(small.assignment)
    const b = wrong.findIndex((g) => small.grids[g]!.community === 1)
    wrong[b] = small.grids.findIndex((g) => g.community === 0)
    await expect(rebalance(small.blocks, wrong, small.grids, { measures: WORKLOAD_ONLY, seed: 1 }, syntheticGridFactory(small.blocks, small.grids))).rejects.toThrow(/another community/)
  })
})

describe('splitting a grid', () => {
  const plan = syntheticBlocks({ centre: CENTRE, radiusKm: 2.2, res: 10, communities: 5, grids: 30, seed: 3 })
  const sizes = plan.grids.map((_, g) => plan.assignment.filter((x) => x === g).length)
  const g = sizes.indexOf(Math.max(...sizes))
  const membersOf = (assignment: Int32Array, i: number) => [...assignment.keys()].filter((b) => assignment[b] === i)

  it('splits into k connected parts of even workload, the grid keeping one part', () => {
    const input = Int32Array.from(plan.assignment)
    const result = splitGrid(plan.blocks, plan.assignment, plan.grids, g, 3, syntheticGridFactory(plan.blocks, plan.grids), 1)
    expect(plan.assignment).toEqual(input)
    expect(result.grids.length).toBe(plan.grids.length + 2)
    expect(result.grids.slice(-2).every((x) => x.added && x.community === plan.grids[g]!.community)).toBe(true)
    expectSound(plan, result.assignment, result.grids)
    const parts = [g, plan.grids.length, plan.grids.length + 1]
    const loads = parts.map((p) => membersOf(result.assignment, p).reduce((s, b) => s + plan.blocks.workload[b]!, 0))
    expect(parts.reduce((n, p) => n + membersOf(result.assignment, p).length, 0)).toBe(sizes[g])
    const mean = loads.reduce((a, b) => a + b, 0) / 3
    for (const load of loads) expect(Math.abs(load / mean - 1)).toBeLessThan(0.15)
    for (let b = 0; b < input.length; b++) if (input[b] !== g) expect(result.assignment[b]).toBe(input[b])
  })

  it('splits along a line drawn across the grid, the largest piece keeping the code', () => {
    const members = membersOf(plan.assignment, g)
    const lons = members.map((b) => plan.blocks.centroid[2 * b]!)
    const lats = members.map((b) => plan.blocks.centroid[2 * b + 1]!).sort((a, b) => a - b)
    const lat = lats[Math.floor(lats.length / 3)]! + 1e-6
    const line: [number, number][] = [[Math.min(...lons) - 0.01, lat], [Math.max(...lons) + 0.01, lat]]
    const result = splitGridByLine(plan.blocks, plan.assignment, plan.grids, g, line, syntheticGridFactory(plan.blocks, plan.grids))
    expectSound(plan, result.assignment, result.grids)
    expect(result.grids.length).toBeGreaterThan(plan.grids.length)
    const kept = membersOf(result.assignment, g)
    for (let p = plan.grids.length; p < result.grids.length; p++) {
      const part = membersOf(result.assignment, p)
      expect(part.length).toBeGreaterThan(0)
      expect(part.length).toBeLessThanOrEqual(kept.length)
      // Every new piece lies on one side of the line.
      const sides = new Set(part.map((b) => plan.blocks.centroid[2 * b + 1]! > lat))
      expect(sides.size).toBe(1)
    }
  })

  it('says so when the line does not cut the grid apart', () => {
    const far: [number, number][] = [[CENTRE[0] + 1, CENTRE[1] + 1], [CENTRE[0] + 1.1, CENTRE[1] + 1]]
    expect(() => splitGridByLine(plan.blocks, plan.assignment, plan.grids, g, far, syntheticGridFactory(plan.blocks, plan.grids))).toThrow(/does not cut grid \d{15}/)
  })
})

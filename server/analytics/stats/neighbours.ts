/**
 * Who counts as whose neighbour, in one compact form shared by every statistic
 * in this folder. Local statistics only ever walk "the neighbours of i", so a
 * CSR pair of typed arrays is enough and costs two allocations, however many
 * locations there are. Self is never stored: Gi* adds it, local Moran must not
 * see it, and keeping it out means one structure serves both.
 */
import { gridDisk } from 'h3-js'
import { CsrBuilder } from './csr-builder.ts'

export { distanceBandNeighbours, haversineMetres } from './distance-band.ts'

/** Neighbour lists in CSR form; self is NOT included. n = offsets.length - 1. indices sorted ascending per row. */
export interface Neighbours {
  offsets: Int32Array
  indices: Int32Array
}

/** Number of locations the structure describes. */
export function locationCount(nb: Neighbours): number {
  return nb.offsets.length - 1
}

/**
 * Throws unless `nb` describes exactly `n` locations. Statistics call this with
 * the length of their data so that a neighbour structure built for another
 * selection of cells fails loudly instead of reading past the data.
 */
export function checkNeighbours(nb: Neighbours, n: number): void {
  const rows = nb.offsets.length - 1
  if (rows !== n) throw new Error(`Neighbours describe ${rows} locations but the data has ${n} values`)
  if (nb.offsets[0] !== 0 || nb.offsets[rows] !== nb.indices.length) {
    throw new Error(`Unexpected neighbour offsets: first ${nb.offsets[0]}, last ${nb.offsets[rows]}, indices ${nb.indices.length}`)
  }
}

/**
 * H3 cells within k grid steps of each cell, restricted to the given cells.
 * One gridDisk call per cell; membership is a Map lookup, so the cost is
 * n · (3k² + 3k + 1) string look-ups and no further h3-js work.
 */
export function kRingNeighbours(cells: readonly string[], k: number): Neighbours {
  if (!Number.isInteger(k) || k < 0) throw new Error(`Unexpected k value: ${k}`)
  const position = new Map<string, number>()
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!
    if (position.has(cell)) throw new Error(`Duplicate cell ${cell} at positions ${position.get(cell)} and ${i}`)
    position.set(cell, i)
  }
  const builder = new CsrBuilder(cells.length, 3 * k * (k + 1))
  for (let i = 0; i < cells.length; i++) {
    for (const near of gridDisk(cells[i]!, k)) {
      const j = position.get(near)
      if (j !== undefined) builder.push(j)
    }
    builder.endRow()
  }
  return builder.finish()
}

/**
 * Neighbours from a flat list of index pairs [i0, j0, i1, j1, ...], e.g. the
 * rows of a ST_Touches self-join. Each pair makes both locations neighbours of
 * each other; repeated pairs and self pairs are dropped.
 */
export function neighboursFromPairs(n: number, pairs: ArrayLike<number>): Neighbours {
  if (!Number.isInteger(n) || n < 0) throw new Error(`Unexpected n value: ${n}`)
  if (pairs.length % 2 !== 0) throw new Error(`Unexpected pairs length: ${pairs.length} (must be even)`)
  const degree = new Int32Array(n + 1)
  for (let p = 0; p < pairs.length; p += 2) {
    const i = checkIndex(pairs[p]!, n, p)
    const j = checkIndex(pairs[p + 1]!, n, p + 1)
    if (i === j) continue
    degree[i + 1]!++
    degree[j + 1]!++
  }
  for (let i = 0; i < n; i++) degree[i + 1]! += degree[i]!
  const fill = degree.slice(0, n)
  const raw = new Int32Array(degree[n]!)
  for (let p = 0; p < pairs.length; p += 2) {
    const i = pairs[p]!
    const j = pairs[p + 1]!
    if (i === j) continue
    raw[fill[i]!++] = j
    raw[fill[j]!++] = i
  }
  return compactRows(degree, raw)
}

/**
 * Neighbours from one list per location (0-based), as spdep's `nb` objects or
 * a PostGIS array_agg give them. Lists are taken as they are (no symmetric
 * closure), only sorted, de-duplicated and stripped of self.
 */
export function neighboursFromLists(lists: ArrayLike<ArrayLike<number>>): Neighbours {
  const n = lists.length
  const builder = new CsrBuilder(n)
  for (let i = 0; i < n; i++) {
    const row = lists[i]!
    for (let r = 0; r < row.length; r++) builder.push(checkIndex(row[r]!, n, r))
    builder.endRow()
  }
  return builder.finish()
}

/** Sorts each row of a CSR structure and removes repeated entries. */
function compactRows(offsets: Int32Array, raw: Int32Array): Neighbours {
  const n = offsets.length - 1
  const out = new Int32Array(n + 1)
  let write = 0
  for (let i = 0; i < n; i++) {
    const start = offsets[i]!
    const end = offsets[i + 1]!
    raw.subarray(start, end).sort()
    const rowStart = write
    for (let r = start; r < end; r++) {
      const j = raw[r]!
      if (write > rowStart && raw[write - 1] === j) continue
      raw[write++] = j
    }
    out[i + 1] = write
  }
  return { offsets: out, indices: raw.slice(0, write) }
}

function checkIndex(value: number, n: number, at: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= n) {
    throw new Error(`Unexpected location index ${value} at position ${at} (n = ${n})`)
  }
  return value
}

/**
 * Row-by-row construction of a compressed-sparse-row neighbour structure.
 *
 * Neighbour searches (k-ring, distance band) find a row's members in no
 * particular order and do not know the total count up front; this grows one
 * Int32Array by doubling instead of collecting an array per row, and sorts and
 * de-duplicates each row when it is closed so every producer hands out the
 * same canonical form (ascending, unique, no self).
 */
import type { Neighbours } from './neighbours.ts'

export class CsrBuilder {
  private readonly offsets: Int32Array
  private indices: Int32Array
  private length = 0
  private row = 0

  constructor(n: number, expectedPerRow = 8) {
    this.offsets = new Int32Array(n + 1)
    this.indices = new Int32Array(Math.max(16, n * expectedPerRow))
  }

  /** Adds j to the row being built. */
  push(j: number): void {
    if (this.length === this.indices.length) this.grow()
    this.indices[this.length++] = j
  }

  /** Closes the current row: sorts it, drops repeats and the row's own index. */
  endRow(): void {
    const start = this.offsets[this.row]!
    const self = this.row
    sortRange(this.indices, start, this.length)
    let write = start
    for (let r = start; r < this.length; r++) {
      const j = this.indices[r]!
      if (j === self || (write > start && this.indices[write - 1] === j)) continue // sorted: repeats are adjacent
      this.indices[write++] = j
    }
    this.length = write
    this.row++
    this.offsets[this.row] = write
  }

  finish(): Neighbours {
    if (this.row !== this.offsets.length - 1) {
      throw new Error(`CsrBuilder finished after ${this.row} of ${this.offsets.length - 1} rows`)
    }
    return { offsets: this.offsets, indices: this.indices.slice(0, this.length) }
  }

  private grow(): void {
    const bigger = new Int32Array(this.indices.length * 2)
    bigger.set(this.indices)
    this.indices = bigger
  }
}

/**
 * Sorts a[from..to) ascending. Rows are mostly a handful of entries, where an
 * insertion sort beats the set-up cost of a native sort on a subarray view.
 */
function sortRange(a: Int32Array, from: number, to: number): void {
  if (to - from > 32) {
    a.subarray(from, to).sort()
    return
  }
  for (let r = from + 1; r < to; r++) {
    const v = a[r]!
    let w = r - 1
    while (w >= from && a[w]! > v) {
      a[w + 1] = a[w]!
      w--
    }
    a[w + 1] = v
  }
}

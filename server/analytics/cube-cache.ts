/**
 * The incident cube (migration 010) held in memory as columns, so an
 * aggregation scans typed arrays instead of a million rows through SQL: a
 * year citywide takes milliseconds. The table stays the truth; before each
 * answer the cache reads the rows written since the oldest transaction that
 * was still running at its previous read (`xid >= previous snapshot xmin`),
 * so a late commit is never missed and a re-read row simply overwrites its
 * slot with its current count. Several servers on one database each keep
 * their own copy the same way.
 */
import type { Db } from '../db/client.ts'
import { hexToBigint, parentOf } from './h3-ids.ts'

const XMIN = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`
const ROWS = `
SELECT (day - DATE '2000-01-01') AS day, to_hex(cell) AS cell, category_code AS category, channel, status, n
FROM incident_cell_day WHERE xid >= $1::bigint`
const WEIGHTS = `SELECT code, effort_weight FROM incident_category`

/** Days since 2000-01-01 of a YYYY-MM-DD day. */
export function dayNumber(day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.UTC(2000, 0, 1)) / 86_400_000)
}

/** A small dictionary of strings → dense ids. */
export class Dictionary {
  readonly values: string[] = []
  private readonly ids = new Map<string, number>()
  id(v: string): number {
    let id = this.ids.get(v)
    if (id === undefined) {
      id = this.values.length
      this.values.push(v)
      this.ids.set(v, id)
    }
    return id
  }
  find(v: string): number | undefined {
    return this.ids.get(v)
  }
}

export interface CubeFilter {
  fromDay: number
  toDay: number
  categories: string[] | null
  channels: string[] | null
  status: string[] | null
  /** Only rows whose cell id has a 1 here (cells with no entry count as 0); all cells when absent. */
  cells?: Uint8Array
}

export class CubeCache {
  size = 0
  day = new Int32Array(1024)
  cell = new Int32Array(1024)
  category = new Uint8Array(1024)
  channel = new Uint8Array(1024)
  status = new Uint8Array(1024)
  n = new Int32Array(1024)
  readonly cells = new Dictionary()
  readonly categories = new Dictionary()
  readonly channels = new Dictionary()
  readonly statuses = new Dictionary()
  /** Effort weight by category id. */
  weights = new Float64Array(0)
  private readonly slots = new Map<number, number>()
  private readonly parents = new Map<number, { dict: Dictionary; ofCell: Int32Array }>()
  private xmin = '0'
  private syncing: Promise<void> | null = null

  constructor(private readonly db: Db) {}

  /** Brings the copy up to date with every transaction committed before this call. Concurrent calls share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.read().finally(() => (this.syncing = null))
    return this.syncing
  }

  private async read(): Promise<void> {
    const xmin = (await this.db.query<{ xmin: string }>(XMIN)).rows[0]!.xmin
    const rows = (await this.db.query<{ day: number; cell: string; category: string; channel: string; status: string; n: number }>(ROWS, [this.xmin])).rows
    for (const r of rows) this.put(r.day, this.cells.id(r.cell), this.categories.id(r.category), this.channels.id(r.channel), this.statuses.id(r.status), r.n)
    const weights = (await this.db.query<{ code: string; effort_weight: number }>(WEIGHTS)).rows
    for (const w of weights) this.categories.id(w.code)
    this.weights = new Float64Array(this.categories.values.length)
    for (const w of weights) this.weights[this.categories.id(w.code)] = w.effort_weight
    this.xmin = xmin
  }

  private put(day: number, cell: number, category: number, channel: number, status: number, n: number): void {
    // 16 bits of day, 22 of cell, 8 of category, 3 + 3 of channel and status: 52 bits, an exact double.
    const key = (((day * 4_194_304 + cell) * 256 + category) * 8 + channel) * 8 + status
    const slot = this.slots.get(key)
    if (slot !== undefined) {
      this.n[slot] = n
      return
    }
    if (this.size === this.n.length) this.grow()
    const s = this.size++
    this.day[s] = day
    this.cell[s] = cell
    this.category[s] = category
    this.channel[s] = channel
    this.status[s] = status
    this.n[s] = n
    this.slots.set(key, s)
  }

  private grow(): void {
    const next = this.n.length * 2
    const copy = <T extends Int32Array | Uint8Array>(a: T, b: T) => (b.set(a), b)
    this.day = copy(this.day, new Int32Array(next))
    this.cell = copy(this.cell, new Int32Array(next))
    this.category = copy(this.category, new Uint8Array(next))
    this.channel = copy(this.channel, new Uint8Array(next))
    this.status = copy(this.status, new Uint8Array(next))
    this.n = copy(this.n, new Int32Array(next))
  }

  /** The resolution-`res` parent of each cell id, as ids of a per-resolution dictionary (extended as cells arrive). */
  parentsAt(res: number): { dict: Dictionary; ofCell: Int32Array } {
    let p = this.parents.get(res)
    const count = this.cells.values.length
    if (!p || p.ofCell.length < count) {
      const dict = p?.dict ?? new Dictionary()
      const ofCell = new Int32Array(count)
      const done = p?.ofCell.length ?? 0
      if (p) ofCell.set(p.ofCell)
      for (let c = done; c < count; c++) ofCell[c] = dict.id(parentOf(hexToBigint(this.cells.values[c]!), res).toString(16))
      p = { dict, ofCell }
      this.parents.set(res, p)
    }
    return p
  }

  /** A row predicate's lookup tables: which category/channel/status ids pass. */
  private passes(f: CubeFilter) {
    const mask = (dict: Dictionary, wanted: string[] | null) => {
      const m = new Uint8Array(256).fill(wanted ? 0 : 1)
      for (const w of wanted ?? []) {
        const id = dict.find(w)
        if (id !== undefined) m[id] = 1
      }
      return m
    }
    return { cat: mask(this.categories, f.categories), ch: mask(this.channels, f.channels), st: mask(this.statuses, f.status) }
  }

  /**
   * Calls `add(parentId, step, n, load)` for every matching row, with `step`
   * from `stepOf(day)` (rows whose step is < 0 are skipped), after
   * `prepare(parent dictionary)`. Returns the parent dictionary.
   */
  scan(
    res: number,
    f: CubeFilter,
    stepOf: (day: number) => number,
    add: (parent: number, step: number, n: number, load: number) => void,
    prepare: (parents: Dictionary) => void = () => {},
  ): Dictionary {
    const { dict, ofCell } = this.parentsAt(res)
    prepare(dict)
    const { cat, ch, st } = this.passes(f)
    const { day, cell, category, channel, status, n, weights } = this
    const inCells = f.cells
    for (let i = 0; i < this.size; i++) {
      const d = day[i]!
      if (d < f.fromDay || d >= f.toDay || n[i] === 0) continue
      if (inCells && inCells[cell[i]!] !== 1) continue
      const c = category[i]!
      if (!cat[c] || !ch[channel[i]!] || !st[status[i]!]) continue
      const step = stepOf(d)
      if (step < 0) continue
      add(ofCell[cell[i]!]!, step, n[i]!, n[i]! * weights[c]!)
    }
    return dict
  }
}

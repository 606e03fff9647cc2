/**
 * Keeps lookup indexes: the current generation's, swapped atomically when a new
 * generation is published (requests keep using the old one until the new one
 * is complete), and past generations' built on first use in a small LRU cache.
 */
import { readMoment } from '../analytics/period-scope.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { GENERATION } from '../units/queries.ts'
import type { IndexLog, PointIndex } from './build-index.ts'
import { COARSE_RES, type GridIndex } from './grid-index.ts'
import { ADMINISTRATORS_OF_GRID_AT } from '../administrators/queries.ts'
import { loadAdministrators, loadIndexedGeneration, type AdministratorRef, type IndexedGeneration } from './indexed-generation.ts'
import * as q from './queries.ts'

const PAST_CACHE_SIZE = 4
/** How often to look for a generation published by another server on the same database. */
const POLL_MS = 5000

export class LookupService {
  private current: IndexedGeneration | null = null
  /** administrator_version when the current index's administrators were read. */
  private administratorsVersion: string | null = null
  private building: Promise<IndexedGeneration | null> | null = null
  private swapped: Promise<IndexedGeneration | null> | null = null
  private readonly past = new Map<number, Promise<IndexedGeneration>>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly db: Db, private readonly log: IndexLog = () => {}) {}

  /** Builds the current index now and starts watching for new generations. */
  async start(): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh().catch((err) => this.log(`lookup index refresh failed: ${err.message}`, 'warn')), POLL_MS)
    this.timer.unref()
  }

  /** Stops watching; resolves once a build under way (and the storing of its cells) has ended, so the database may close. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.building?.catch(() => {})
  }

  /**
   * Rebuilds in the background when the current generation changed; resolves
   * once the index in use is the current generation's and its cells are
   * stored (with `untilSwap`: as soon as lookups answer from it). Concurrent
   * calls share one build.
   */
  refresh(options: { untilSwap?: boolean } = {}): Promise<IndexedGeneration | null> {
    if (!this.building) {
      let swapped!: (ix: IndexedGeneration | null) => void
      let failed!: (err: unknown) => void
      this.swapped = new Promise((resolve, reject) => ((swapped = resolve), (failed = reject)))
      this.swapped.catch(() => {})
      this.building = (async () => {
        try {
          const state = (await this.db.query<{ id: number | null; administrators: string }>(q.CURRENT_STATE)).rows[0]
          const id = state?.id ?? null
          if (id === null) return (this.current = null)
          if (this.current?.generation.id === id) {
            // Same boundaries, other administrators: the index stays, what answers name changes.
            if (this.administratorsVersion !== state!.administrators) {
              this.current = this.current.withAdministrators(await loadAdministrators(this.db))
              this.administratorsVersion = state!.administrators
              swapped(this.current)
            }
            return this.current
          }
          const started = Date.now()
          const next = await loadIndexedGeneration(this.db, id, this.log, this.current)
          // Whether points outside every grid can still lie in a community or town: asked now rather than by the
          // first such lookup under traffic (a union of every community's grids, ~0.7 s on the embedded database,
          // which holds the server's thread meanwhile). A failure leaves it to that first lookup.
          await next.uncovered(this.db).catch(() => undefined)
          this.current = next // the swap: one assignment, so no request sees a half-built index
          this.administratorsVersion = state!.administrators
          swapped(next)
          this.log(`lookup index for generation ${id} ready in ${Date.now() - started} ms (${next.index.kind} index, ${JSON.stringify(next.index.stats)})`)
          await this.storeCells(next)
          return next
        } catch (err) {
          failed(err)
          throw err
        } finally {
          swapped(this.current)
          this.building = null
        }
      })()
    }
    if (!options.untilSwap) return this.building
    // The caller only waits for the swap: the rest (storing the cells) must not fail unseen.
    this.building.catch((err) => this.log(`lookup index refresh failed: ${(err as Error).message}`, 'warn'))
    return this.swapped!
  }

  /** Stores the index's resolution-9 cells in unit_h3_cell once per generation, for analytics and coverage. */
  private async storeCells(ix: IndexedGeneration) {
    const id = ix.generation.id
    const { rows } = await this.db.query<{ n: number }>(q.COUNT_CELLS, [id])
    if (rows[0]!.n > 0) return
    const h3: string[] = []
    const res: number[] = []
    const grid: (string | null)[] = []
    const cells = ix.index as PointIndex & Partial<Pick<GridIndex, 'coarseEntries'>>
    if (!cells.coarseEntries) return
    for (const { h3: cell, value } of cells.coarseEntries()) {
      h3.push(cell)
      res.push(COARSE_RES)
      grid.push(value >= 0 ? ix.codes[value]! : null)
    }
    await this.db.transaction(async (tx) => {
      await tx.query(q.REPLACE_CELLS, [id])
      await tx.query(q.INSERT_CELLS, [id, h3, res, grid])
    })
  }

  /**
   * After boundaries, administrators or their grids changed on this server:
   * resolves once lookups answer from what was committed. A build already
   * under way may have read the state before the change, so it is let finish
   * first. (Other servers see the change at their next poll.)
   */
  async changed(): Promise<void> {
    await this.building?.catch(() => {})
    await this.refresh({ untilSwap: true })
  }

  /** The administrators who served grid `code` at `at`, from the assignment history. */
  async administratorsAt(code: string, at: Date): Promise<AdministratorRef[]> {
    const { rows } = await this.db.query<{ name: string; phone: string | null; employee_no: string; active: boolean }>(ADMINISTRATORS_OF_GRID_AT, [code, at])
    // The phone is today's: of someone who no longer serves, nobody is told to call it.
    return rows.map((r) => ({ name: r.name, phone: r.active ? r.phone : null, employeeNo: r.employee_no }))
  }

  /** The current generation's index when it is built, without waiting: the hot path's way in. */
  get ready(): IndexedGeneration | null {
    return this.current
  }

  /** The index answering for `at` (ISO date-time, or a date: its midnight in the city), or the current one. */
  async indexFor(at?: string): Promise<IndexedGeneration> {
    if (!at) {
      const current = this.current ?? (await this.refresh())
      if (!current) throw new AppError('not-found', 'No boundary generation has been imported yet')
      return current
    }
    const gen = (await this.db.query<{ id: number }>(GENERATION, [readMoment('at', at)])).rows[0]
    if (!gen) throw new AppError('not-found', `No boundary generation was valid at ${at}`)
    return this.indexById(gen.id)
  }

  /** The index of generation `id`: the current one, or a past one from the LRU cache (built on first use). */
  async indexById(id: number): Promise<IndexedGeneration> {
    if (this.current?.generation.id === id) return this.current
    let entry = this.past.get(id)
    if (entry) {
      this.past.delete(id) // re-insert: most recently used last
    } else {
      entry = loadIndexedGeneration(this.db, id, this.log)
      entry.catch(() => this.past.delete(id))
    }
    this.past.set(id, entry)
    while (this.past.size > PAST_CACHE_SIZE) this.past.delete(this.past.keys().next().value!)
    return entry
  }
}

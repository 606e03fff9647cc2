/**
 * The studio's edits of one plan, one request at a time: each names the
 * version the previous answer gave, so versions chain however fast the
 * planner paints. Brush stamps do not wait their turn one by one: stamps for
 * the same grid that arrive while earlier edits are in flight join one paint
 * edit, sent when its turn comes. A failed edit drops everything queued
 * behind it (it was drawn on a state that never came to be).
 */
import { editPlan } from '../api.ts'
import type { EditAnswer, PlanEdit } from '../plan-types.ts'

export interface EditHooks {
  /** The plan version the next edit is made on. */
  version(): number
  applied(answer: EditAnswer, edit: PlanEdit | null, roundTripMs: number): void
  failed(err: unknown): void
  /** The number of queued or running edits changed. */
  busy(pending: number): void
}

export type Send = (version: number) => Promise<EditAnswer>

export class EditQueue {
  #tail: Promise<unknown> = Promise.resolve()
  #pending = 0
  #epoch = 0
  #paint: { grid: string; cells: Set<string> } | null = null
  readonly #planId: number
  readonly #hooks: EditHooks

  constructor(planId: number, hooks: EditHooks) {
    this.#planId = planId
    this.#hooks = hooks
  }

  get pending(): number {
    return this.#pending
  }

  /** Queues an edit; `make` runs when its turn comes and may return null to skip. */
  edit(make: () => PlanEdit | null): Promise<EditAnswer | null> {
    this.#paint = null
    return this.#queue(make)
  }

  /** Queues any request that answers like an edit (an assignment upload). */
  send(request: Send): Promise<EditAnswer | null> {
    this.#paint = null
    return this.#run(request, () => null)
  }

  #queue(make: () => PlanEdit | null): Promise<EditAnswer | null> {
    let edit: PlanEdit | null = null
    return this.#run((version) => {
      edit = make()
      return edit ? editPlan(this.#planId, edit, version) : Promise.reject(SKIP)
    }, () => edit)
  }

  #run(request: Send, edit: () => PlanEdit | null): Promise<EditAnswer | null> {
    const epoch = this.#epoch
    this.#hooks.busy(++this.#pending)
    const run = this.#tail.then(async () => {
      try {
        if (epoch !== this.#epoch) return null
        const started = performance.now()
        const answer = await request(this.#hooks.version())
        if (epoch === this.#epoch) this.#hooks.applied(answer, edit(), performance.now() - started)
        return answer
      } catch (err) {
        if (err === SKIP || epoch !== this.#epoch) return null
        this.clear()
        this.#hooks.failed(err)
        return null
      } finally {
        this.#hooks.busy(--this.#pending)
      }
    })
    this.#tail = run
    return run
  }

  /** Adds cells to the paint edit waiting for its turn, or queues a new one. */
  paint(grid: string, cells: string[]): void {
    if (cells.length === 0) return
    const waiting = this.#paint
    if (waiting && waiting.grid === grid) {
      for (const c of cells) waiting.cells.add(c)
      return
    }
    const batch = { grid, cells: new Set(cells) }
    this.#paint = batch
    void this.#queue(() => {
      if (this.#paint === batch) this.#paint = null
      return { op: 'paint', grid: batch.grid, cells: [...batch.cells] }
    })
  }

  /** Drops every edit not yet sent. */
  clear(): void {
    this.#epoch++
    this.#paint = null
  }

  /** Resolves when every edit queued so far has been answered. */
  idle(): Promise<void> {
    return this.#tail.then(() => {})
  }
}

const SKIP = new Error('skipped')

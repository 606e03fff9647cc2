/**
 * One plan open in the studio: its blocks on the map, the active grid, the
 * paint tool and the queue of edits. A stroke shows on the map at once; the
 * server's answer then says which blocks really moved (`changes`) and brings
 * the new metrics, so the map and the tables always end up as the server has
 * them. Any failed edit reloads the plan.
 */
import { ApiError, getPlan, planBlocks, type FeatureCollection } from '../api.ts'
import { fill, h } from '../dom.ts'
import { num, t } from '../i18n.ts'
import { GridPalette } from '../map/grid-palette.ts'
import { setPlanBlocks } from '../map/layers/plan-blocks.ts'
import { PaintTool, type Tool } from '../map/paint-tool.ts'
import { PlanBlockModel } from '../map/plan-block-model.ts'
import { PlanBlockPaint } from '../map/plan-block-paint.ts'
import type { EditAnswer, PlanEdit, PlanMetrics, PlanView, PublishAnswer } from '../plan-types.ts'
import type { ConsoleContext } from './panel.ts'
import { planActions, type SessionActions } from './studio-actions.ts'
import { renderControls, renderResults } from './studio-render.ts'
import { EditQueue } from './studio-edits.ts'
import { errorText } from './widgets.ts'

type Position = [number, number]

export interface SessionHost {
  /** Back to choosing a scope (the plan was discarded, or the planner closed it). */
  close(): void
  /** Opens another plan (a rebased copy). */
  open(id: number): void
}

/** What the panel shows of the plan; the render functions read it. */
export interface SessionState {
  view: PlanView
  active: string | null
  tool: Tool
  radiusM: number
  splitK: number
  mergeWith: string
  rebalanceK: string
  tolerancePct: number
  rebalanceOpen: boolean
  pending: number
  running: 'rebalance' | 'publish' | 'import' | null
  message: { text: string; kind: 'info' | 'error' } | null
  rebalance: { before: PlanMetrics; after: PlanMetrics; info: EditAnswer['info'] } | null
  published: PublishAnswer | null
  staleBase: boolean
  timings: { applyMs: number; metricsMs: number; roundTripMs: number } | null
}

export class PlanSession {
  readonly id: number
  readonly model: PlanBlockModel
  readonly palette = new GridPalette()
  readonly queue: EditQueue
  readonly state: SessionState
  readonly ctx: ConsoleContext
  readonly host: SessionHost
  readonly el = h('div', { id: 'studio-plan' })
  readonly #title = h('div', { className: 'row plan-title' })
  readonly #controls = h('div', { className: 'studio-controls' })
  readonly #results = h('div', { className: 'studio-results' })
  readonly #tool: PaintTool
  readonly #paint: PlanBlockPaint
  #controlsKey = ''
  readonly #blocks: FeatureCollection
  readonly actions: SessionActions

  /** Loads a plan (the view may be at hand already: creating a plan answers with it). */
  static async open(ctx: ConsoleContext, host: SessionHost, id: number, known?: PlanView): Promise<PlanSession> {
    const [view, blocks] = await Promise.all([known ?? getPlan(id), planBlocks(id)])
    return new PlanSession(ctx, host, view, new PlanBlockModel(blocks), blocks)
  }

  private constructor(ctx: ConsoleContext, host: SessionHost, view: PlanView, model: PlanBlockModel, blocks: FeatureCollection) {
    this.#blocks = blocks
    this.ctx = ctx
    this.host = host
    this.id = view.plan.id
    this.model = model
    this.state = {
      view, active: null, tool: 'pick', radiusM: 0, splitK: 2, mergeWith: '', rebalanceK: '', tolerancePct: 10, rebalanceOpen: false,
      pending: 0, running: null, message: null, rebalance: null, published: null, staleBase: !view.plan.baseIsCurrent, timings: null,
    }
    this.palette.assign(view.grids.map((g) => g.code), model.gridNeighbours())
    this.#paint = new PlanBlockPaint(() => ctx.map, model, this.palette)
    this.queue = new EditQueue(this.id, {
      version: () => this.state.view.plan.version,
      applied: (answer, edit, ms) => this.applied(answer, edit, ms),
      failed: (err) => void this.#failed(err),
      busy: (n) => this.#busy(n),
    })
    this.actions = planActions(this)
    this.#tool = new PaintTool({
      pick: (b) => b !== null && this.setActive(this.#paint.gridShown(b)),
      stamp: (at, under) => this.#stamp(at, under),
      lasso: (ring) => this.#lasso(ring),
    })
    this.el.append(this.#title, this.#controls, this.#results)
  }

  mount(): void {
    setPlanBlocks(this.ctx.map, this.#blocks)
    this.#paint.all(this.state.active, this.state.view.violations)
    this.#tool.onAdd(this.ctx.map)
    this.#tool.setTool(this.state.tool)
    this.#tool.setRadius(this.state.radiusM)
    if (this.model.bbox) this.ctx.map.fitBounds(this.model.bbox, { padding: 30, maxZoom: 16.5, duration: 0 })
    this.render()
  }

  unmount(): void {
    this.queue.clear()
    this.#tool.onRemove()
    setPlanBlocks(this.ctx.map, null)
  }

  idle(): Promise<void> {
    return this.queue.idle()
  }

  render(): void {
    this.el.dataset.plan = String(this.id)
    this.el.dataset.version = String(this.state.view.plan.version)
    this.el.dataset.pending = String(this.state.pending)
    this.el.dataset.active = this.state.active ?? ''
    const p = this.state.view.plan
    fill(this.#title,
      h('strong', {}, p.name),
      h('span', { className: 'muted' }, `#${p.id} · v${p.version} · ${num(p.blocks)} ${t('studio.cellsUnit')} · H3 r${p.res}`),
      h('button', { type: 'button', id: 'studio-close', onclick: () => this.host.close() }, t('studio.close')))
    this.#renderControls()
    renderResults(this.#results, this)
  }

  /** After a language switch: everything again, the toolbar too. */
  relabel(): void {
    this.#controlsKey = ''
    this.render()
  }

  /** The toolbar is rebuilt only when what it shows changed, so a slider being dragged survives a stream of answers. */
  #renderControls(): void {
    const p = this.state.view.plan
    const g = this.activeGrid()
    const key = [this.state.tool, this.state.active, g?.locked, p.canUndo, p.canRedo, p.status, this.state.view.grids.length, this.state.running].join('|')
    if (key === this.#controlsKey) return
    this.#controlsKey = key
    renderControls(this.#controls, this)
  }

  activeGrid() {
    return this.state.view.grids.find((g) => g.code === this.state.active) ?? null
  }

  setTool(tool: Tool): void {
    this.state.tool = tool
    this.#tool.setTool(tool)
    this.#renderControls()
  }

  setRadius(metres: number): void {
    this.state.radiusM = metres
    this.#tool.setRadius(metres)
  }

  setActive(code: string | null): void {
    const old = this.state.active
    if (old === code) return
    this.state.active = code
    this.#paint.select(old, code)
    this.state.mergeWith = ''
    this.render()
  }

  say(text: string | null, kind: 'info' | 'error' = 'info'): void {
    this.state.message = text ? { text, kind } : null
    renderResults(this.#results, this)
  }

  /** The grid painting goes into, or null (and why) when there is none to paint into. */
  #paintable(): { code: string; community: string } | null {
    const g = this.activeGrid()
    if (this.state.view.plan.status !== 'draft') return this.say(t('studio.notDraft'), 'error'), null
    if (!g) return this.say(t('studio.pickFirst'), 'error'), null
    if (g.locked) return this.say(t('studio.lockedGrid', { grid: g.code }), 'error'), null
    return { code: g.code, community: g.community }
  }

  /** Shows blocks in the grid painted into before the server has answered; returns their cells. */
  #paintLocally(grid: string, blocks: number[]): string[] {
    return this.#paint.local(blocks, grid, new Set(this.state.view.grids.filter((g) => g.locked).map((g) => g.code)))
  }

  #stamp(at: Position, under: number | null): void {
    const g = this.#paintable()
    if (!g) return
    const blocks = this.model.brush(at, this.state.radiusM, g.community, under)
    if (blocks.length === 0) {
      if (under !== null) this.say(t('studio.outsideCommunity', { community: g.community }), 'error')
      return
    }
    const cells = this.#paintLocally(g.code, blocks)
    if (cells.length === 0) return
    this.queue.paint(g.code, cells)
  }

  #lasso(ring: Position[]): void {
    const g = this.#paintable()
    if (!g) return
    const blocks = this.model.lasso(ring, g.community)
    if (blocks.length === 0) return this.say(t('studio.outsideCommunity', { community: g.community }), 'error')
    this.#paintLocally(g.code, blocks)
    void this.queue.edit(() => ({ op: 'paint', grid: g.code, polygon: { type: 'Polygon', coordinates: [ring] } }))
  }

  /** An edit's answer: the moved blocks, new grids' colours, the metrics. */
  applied(answer: EditAnswer, edit: PlanEdit | null, roundTripMs: number): void {
    const before = this.state.view
    this.state.view = answer
    answer.changes.blocks.forEach((b, i) => (this.model.grid[b] = answer.changes.grids[i]!))
    const codes = answer.grids.map((g) => g.code)
    if (codes.some((c) => this.palette.index(c) < 0)) this.palette.assign(codes, this.model.gridNeighbours())
    if (edit?.op === 'add-grid' && answer.info?.added) this.state.active = answer.info.added
    if (this.activeGrid()?.removed) this.state.active = null
    this.#paint.confirmed(answer.changes.blocks, this.state.active)
    this.#paint.flag(answer.violations)
    if (edit?.op === 'rebalance') this.state.rebalance = { before: before.metrics.after, after: answer.metrics.after, info: answer.info }
    this.state.timings = { applyMs: answer.applyMs, metricsMs: answer.metricsMs, roundTripMs: Math.round(roundTripMs) }
    this.state.message = answer.skippedLocked ? { text: t('studio.skippedLocked', { n: answer.skippedLocked }), kind: 'info' } : null
    this.render()
  }

  #busy(pending: number): void {
    this.state.pending = pending
    this.el.dataset.pending = String(pending)
    if (pending === 0) this.#paint.reconcile(this.state.active)
    const status = this.#results.querySelector('#studio-pending')
    if (status) status.textContent = pending > 0 ? t('studio.saving', { n: pending }) : ''
  }

  async #failed(err: unknown): Promise<void> {
    const stale = err instanceof ApiError && err.problem?.reason === 'version'
    this.say(stale ? t('studio.staleVersion') : errorText(err), 'error')
    await this.reload()
  }

  /** Fetches the plan and its assignment again and redraws everything. */
  async reload(): Promise<void> {
    try {
      const [view, blocks] = await Promise.all([getPlan(this.id), planBlocks(this.id)])
      for (const f of blocks.features) this.model.grid[Number(f.id)] = String(f.properties.grid)
      this.state.view = view
      this.state.staleBase = !view.plan.baseIsCurrent
      this.palette.assign(view.grids.map((g) => g.code), this.model.gridNeighbours())
      if (this.activeGrid()?.removed) this.state.active = null
      this.#paint.all(this.state.active, view.violations)
    } catch (err) {
      this.state.message = { text: errorText(err), kind: 'error' }
    }
    this.render()
  }
}

/**
 * What the studio's buttons do to the open plan: grid edits go through the
 * edit queue (so they chain after any strokes still in flight); export,
 * publish, rebase and discard wait for the queue to empty first.
 */
import { ApiError, exportPlan, gridTilesAt, gridUnitsAt, publishPlan, putAssignment, rebasePlan, discardPlan } from '../api.ts'
import { t } from '../i18n.ts'
import type { GeoJSONSource, VectorTileSource } from 'maplibre-gl'
import type { PlanEdit, Violation } from '../plan-types.ts'
import { confirmPublish } from './studio-dialogs.ts'
import type { PlanSession } from './studio-session.ts'
import { errorText } from './widgets.ts'

export interface SessionActions {
  edit(make: () => PlanEdit | null): void
  undo(): void
  redo(): void
  split(): void
  merge(): void
  addGrid(): void
  removeGrid(): void
  toggleLock(): void
  rebalance(): void
  exportAs(format: 'csv' | 'geojson', dissolve?: boolean): void
  importFile(file: File): void
  publish(): Promise<void>
  rebase(): void
  discard(): void
  showViolation(v: Violation): void
}

export function planActions(s: PlanSession): SessionActions {
  const active = () => s.state.active
  const needActive = (): string | null => {
    const g = active()
    if (!g) s.say(t('studio.pickFirst'), 'error')
    return g
  }
  const edit = (make: () => PlanEdit | null) => void s.queue.edit(make)
  const ready = async () => {
    await s.queue.idle()
    return s.state.view.plan.version
  }

  return {
    edit,
    undo: () => edit(() => ({ op: 'undo' })),
    redo: () => edit(() => ({ op: 'redo' })),
    split() {
      const g = needActive()
      if (g) edit(() => ({ op: 'split', grid: g, k: s.state.splitK }))
    },
    merge() {
      const g = needActive()
      const other = s.state.mergeWith
      if (!g) return
      if (!other) return s.say(t('studio.mergePick'), 'error')
      edit(() => ({ op: 'merge', grids: [g, other] }))
    },
    addGrid() {
      const community = s.activeGrid()?.community ?? (s.state.view.plan.scope.length === 12 ? s.state.view.plan.scope : null)
      if (!community) return s.say(t('studio.pickFirst'), 'error')
      edit(() => ({ op: 'add-grid', community }))
    },
    removeGrid() {
      const g = needActive()
      if (g) edit(() => ({ op: 'remove-grid', grid: g }))
    },
    toggleLock() {
      const g = needActive()
      if (g) edit(() => ({ op: 'lock', grid: g, locked: !s.state.view.grids.find((x) => x.code === g)?.locked }))
    },
    rebalance() {
      const k = s.state.rebalanceK.trim() === '' ? undefined : Number(s.state.rebalanceK)
      if (k !== undefined && !(Number.isInteger(k) && k > 0)) return s.say(t('studio.badK', { k: s.state.rebalanceK }), 'error')
      const tolerance = Math.max(0.1, s.state.tolerancePct) / 100
      s.state.running = 'rebalance'
      s.render()
      void s.queue
        .edit(() => ({ op: 'rebalance', ...(k ? { k } : {}), measures: [{ measure: 'workload', weight: 1, tolerance }, { measure: 'population', weight: 0.3, tolerance: Math.max(tolerance, 0.3) }] }))
        .finally(() => ((s.state.running = null), s.render()))
    },
    exportAs(format, dissolve = false) {
      void ready()
        .then((v) => exportPlan(s.id, v, format, dissolve))
        .catch((err) => s.say(errorText(err), 'error'))
    },
    importFile(file) {
      s.state.running = 'import'
      s.render()
      void file
        .text()
        .then((text) => s.queue.send((version) => putAssignment(s.id, text, version)))
        .catch((err) => s.say(errorText(err), 'error'))
        .finally(() => ((s.state.running = null), s.render()))
    },
    async publish() {
      const version = await ready()
      if (!s.state.view.valid) return s.say(t('studio.notPublishable', { n: s.state.view.violations.length }), 'error')
      if (!(await confirmPublish(s.state.view))) return
      s.state.running = 'publish'
      s.render()
      try {
        const answer = await publishPlan(s.id, version)
        s.state.published = answer
        showGeneration(s, answer.generation.id)
        await s.reload()
      } catch (err) {
        if (err instanceof ApiError && err.problem?.reason === 'stale-base') s.state.staleBase = true
        s.say(errorText(err), 'error')
      } finally {
        s.state.running = null
        s.render()
        s.el.querySelector('#studio-published, #studio-message')?.scrollIntoView({ block: 'nearest' })
      }
    },
    rebase() {
      void ready()
        .then((v) => rebasePlan(s.id, v))
        .then((view) => s.host.open(view.plan.id))
        .catch((err) => s.say(errorText(err), 'error'))
    },
    discard() {
      if (!window.confirm(t('studio.discardConfirm', { name: s.state.view.plan.name }))) return
      void ready()
        .then((v) => discardPlan(s.id, v))
        .then(() => s.host.close())
        .catch((err) => s.say(errorText(err), 'error'))
    },
    showViolation(v) {
      const blocks = v.cells.flatMap((c) => s.model.blocksOfCell(c))
      const box = s.model.bboxOfBlocks(blocks.length > 0 ? blocks : v.grid ? s.model.blocksOfGrid(v.grid) : [])
      if (box) s.ctx.map.fitBounds(box, { padding: 80, maxZoom: 17, duration: 500 })
      if (v.grid) s.setActive(v.grid)
    },
  }
}

/** The console's grid layer draws the generation just published (its tiles are otherwise cached for minutes). */
function showGeneration(s: PlanSession, generation: number): void {
  const source = s.ctx.map.getSource(s.ctx.grids.source)
  if (!source) return
  if (source.type === 'vector') (source as VectorTileSource).setTiles([gridTilesAt(generation)])
  else (source as GeoJSONSource).setData(gridUnitsAt(generation))
}

/**
 * The open plan in the panel: the toolbar (tools, brush size, the active
 * grid and the grid edits, the rebalancer) and the results (metric table,
 * balance before vs after, disruption, violations, the rebalancer's
 * before/after, export and publish).
 */
import { fill, h } from '../dom.ts'
import { num, t, tDynamic } from '../i18n.ts'
import type { Tool } from '../map/paint-tool.ts'
import type { PlanSession } from './studio-session.ts'
import { balanceTable, disruptionFacts, gridTable, rebalanceCompare, violationList } from './studio-tables.ts'
import { select } from './widgets.ts'

const TOOLS: Tool[] = ['pick', 'brush', 'lasso']

function numberInput(id: string, value: number | string, min: number, max: number, label: string, set: (v: string) => void): HTMLInputElement {
  const input = h('input', { type: 'number', id, value: String(value), min, max, step: 1, 'aria-label': label, className: 'num' })
  input.addEventListener('input', () => set(input.value))
  return input
}

export function renderControls(el: HTMLElement, s: PlanSession): void {
  const { state, actions: a } = s
  const p = state.view.plan
  const draft = p.status === 'draft'
  const g = s.activeGrid()
  const busy = state.running !== null
  const button = (id: string, label: string, onclick: () => void, disabled = false) => h('button', { type: 'button', id, onclick, disabled: disabled || !draft || busy }, label)
  const radius = h('input', { type: 'range', id: 'studio-radius', min: 0, max: 500, step: 10, value: state.radiusM, 'aria-label': t('studio.radius') })
  const radiusText = h('span', { className: 'muted' }, t('studio.metres', { m: state.radiusM }))
  radius.addEventListener('input', () => {
    s.setRadius(Number(radius.value))
    radiusText.textContent = t('studio.metres', { m: radius.value })
  })
  const others = g ? state.view.grids.filter((x) => x.community === g.community && x.code !== g.code && !x.removed) : []
  fill(
    el,
    h('div', { className: 'row tools-row', role: 'group', 'aria-label': t('studio.tool') },
      ...TOOLS.map((tool) => h('button', { type: 'button', id: `studio-tool-${tool}`, 'aria-pressed': String(state.tool === tool), onclick: () => s.setTool(tool) }, t(`studio.tool.${tool}`))),
      button('studio-undo', t('studio.undo'), a.undo, !p.canUndo),
      button('studio-redo', t('studio.redo'), a.redo, !p.canRedo)),
    state.tool === 'brush' ? h('label', { className: 'row' }, t('studio.radius'), radius, radiusText) : null,
    h('p', { className: 'muted hint' }, t(`studio.hint.${state.tool}`)),
    h('div', { className: 'row active-grid', id: 'studio-active' },
      h('strong', {}, t('studio.active')),
      g ? h('span', { className: 'swatch', style: `background:${s.palette.colour(g.code)}` }) : null,
      g ? `${g.code} ${g.name}${g.locked ? ' 🔒' : ''}` : h('span', { className: 'muted' }, t('studio.none'))),
    g
      ? h('div', { className: 'row' },
          button('studio-lock', g.locked ? t('studio.unlock') : t('studio.lock'), a.toggleLock),
          numberInput('studio-split-k', state.splitK, 2, 20, t('studio.splitK'), (v) => (state.splitK = Number(v))),
          button('studio-split', t('studio.split'), a.split, g.locked),
          button('studio-remove', t('studio.remove'), a.removeGrid, g.locked))
      : null,
    g
      ? h('div', { className: 'row' },
          select([['', t('studio.mergeWith')], ...others.map((x): [string, string] => [x.code, `…${x.code.slice(-6)} ${x.name}`])], state.mergeWith, (v) => (state.mergeWith = v), t('studio.mergeWith')),
          button('studio-merge', t('studio.merge'), a.merge, g.locked || others.length === 0),
          button('studio-add', t('studio.add'), a.addGrid))
      : h('div', { className: 'row' }, button('studio-add', t('studio.add'), a.addGrid, p.scope.length !== 12)),
    rebalanceBox(s),
  )
}

function rebalanceBox(s: PlanSession): HTMLElement {
  const { state, actions: a } = s
  const draft = state.view.plan.status === 'draft'
  const box = h('details', { className: 'rebalance', open: state.rebalanceOpen || state.running === 'rebalance' },
    h('summary', {}, t('studio.rebalance')),
    h('div', { className: 'row' },
      t('studio.rebalanceK'), numberInput('studio-rebalance-k', state.rebalanceK, 1, 999, t('studio.rebalanceK'), (v) => (state.rebalanceK = v)),
      t('studio.tolerance'), numberInput('studio-rebalance-tol', state.tolerancePct, 1, 100, t('studio.tolerance'), (v) => (state.tolerancePct = Number(v) || 10)), '%',
      h('button', { type: 'button', id: 'studio-rebalance', onclick: a.rebalance, disabled: !draft || state.running !== null }, state.running === 'rebalance' ? t('studio.running') : t('studio.run'))),
    state.running === 'rebalance' ? h('progress', { className: 'wide' }) : null)
  box.addEventListener('toggle', () => (state.rebalanceOpen = box.open))
  return box
}

export function renderResults(el: HTMLElement, s: PlanSession): void {
  const { state, actions: a } = s
  const v = state.view
  const p = v.plan
  const timings = state.timings
  const file = h('input', { type: 'file', id: 'studio-import', accept: '.csv,.geojson,.json,text/csv,application/geo+json', className: 'file' })
  file.addEventListener('change', () => file.files?.[0] && a.importFile(file.files[0]))
  fill(
    el,
    h('div', { className: 'row studio-status' },
      h('span', { id: 'studio-pending', className: 'muted' }, state.pending > 0 ? t('studio.saving', { n: state.pending }) : ''),
      timings ? h('span', { className: 'muted', id: 'studio-timings' }, t('studio.timings', { apply: num(timings.applyMs, 1), metrics: num(timings.metricsMs, 1), total: num(timings.roundTripMs) })) : null),
    state.message ? h('div', { id: 'studio-message', className: state.message.kind === 'error' ? 'error' : 'notice' }, state.message.text) : null,
    state.staleBase && p.status === 'draft'
      ? h('div', { className: 'notice', id: 'studio-stale' }, t('studio.staleBase'), ' ',
          h('button', { type: 'button', id: 'studio-rebase', onclick: a.rebase }, t('studio.rebase')), ' ',
          h('button', { type: 'button', id: 'studio-stale-discard', onclick: a.discard }, t('studio.discard')))
      : null,
    state.published
      ? h('div', { className: 'notice', id: 'studio-published', 'data-generation': String(state.published.generation.id) },
          t('studio.published', { id: state.published.generation.id, label: state.published.generation.label, changed: state.published.changed.length, ms: num(state.published.transactionMs + state.published.indexMs) }),
          state.published.unstaffed?.length ? h('div', { id: 'studio-unstaffed' }, t('studio.unstaffed', { codes: state.published.unstaffed.join(', ') })) : null)
      : null,
    h('h3', {}, t('studio.grids', { n: num(v.grids.filter((g) => !g.removed).length) })),
    gridTable(v, { active: state.active, colour: (c) => s.palette.colour(c), pick: (c) => s.setActive(c) }),
    h('h3', {}, t('studio.balance')),
    h('p', { className: 'muted' }, t('studio.estimates')),
    balanceTable('studio-balance', v.metrics.before, v.metrics.after),
    h('div', { className: 'muted' }, `Polsby–Popper ⌀ ${num(v.metrics.before.compactness.meanPolsbyPopper, 2)} → ${num(v.metrics.after.compactness.meanPolsbyPopper, 2)} · Reock ⌀ ${num(v.metrics.before.compactness.meanReock, 2)} → ${num(v.metrics.after.compactness.meanReock, 2)}`),
    h('h3', {}, t('studio.disruption')),
    disruptionFacts(v.disruption),
    h('h3', {}, t('studio.violations', { n: v.violations.length })),
    violationList(v.violations, a.showViolation),
    state.rebalance ? h('div', {}, h('h3', {}, t('studio.rebalanceResult')), rebalanceCompare(state.rebalance.before, state.rebalance.after, state.rebalance.info, (c) => s.palette.colour(c))) : null,
    h('h3', {}, t('studio.exchange')),
    h('div', { className: 'row' },
      h('button', { type: 'button', id: 'studio-export-csv', onclick: () => a.exportAs('csv') }, 'CSV'),
      h('button', { type: 'button', id: 'studio-export-geojson', onclick: () => a.exportAs('geojson') }, t('studio.geojsonCells')),
      h('button', { type: 'button', id: 'studio-export-grids', onclick: () => a.exportAs('geojson', true) }, t('studio.geojsonGrids'))),
    p.status === 'draft' ? h('label', { className: 'row' }, t('studio.import'), file) : null,
    p.status === 'draft'
      ? h('div', { className: 'row publish-row' },
          h('button', { type: 'button', id: 'studio-publish', className: 'primary', disabled: state.running !== null, onclick: () => void a.publish() }, state.running === 'publish' ? t('studio.publishing') : t('studio.publish')),
          h('button', { type: 'button', id: 'studio-discard', onclick: a.discard }, t('studio.discard')))
      : h('p', { className: 'muted' }, t('studio.status', { status: tDynamic(`studio.status.${p.status}`) })),
  )
}

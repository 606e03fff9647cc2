/**
 * The studio's figures as DOM: the metric table per grid with deviation bars,
 * balance before vs after, disruption, violations and the rebalancer's
 * before/after. Cells carry their raw value in `data-v` (tests and copying
 * read those; people read the formatted text).
 */
import { h } from '../dom.ts'
import { num, pct, t, tDynamic, type MessageKey } from '../i18n.ts'
import { BALANCE_MEASURES, type Balance, type Disruption, type GridMetrics, type PlanMetrics, type PlanGrid, type PlanView, type Violation } from '../plan-types.ts'
import { facts } from './widgets.ts'

const signed = (v: number) => `${v > 0 ? '+' : ''}${pct(v)}`

/** A bar from the middle: left and blue below the community mean, right and red above; ±100 % fills a half. */
export function deviationBar(v: number | null): HTMLElement {
  const bar = h('span', { className: 'devbar' })
  if (v === null || !Number.isFinite(v)) return bar
  const w = Math.min(50, Math.abs(v) * 50)
  bar.append(h('span', { className: v < 0 ? 'neg' : 'pos', style: `${v < 0 ? 'right' : 'left'}:50%;width:${w.toFixed(1)}%` }))
  return bar
}

const td = (key: string, value: number | boolean | string, text: string | Node) => h('td', { 'data-k': key, 'data-v': String(value) }, text)

export interface GridTableOptions {
  active: string | null
  colour(code: string): string
  pick(code: string): void
}

export function gridTable(view: PlanView, o: GridTableOptions): HTMLElement {
  const names = new Map(view.grids.map((g) => [g.code, g]))
  const columns: [MessageKey, MessageKey][] = [
    ['studio.grid', 'studio.grid'], ['studio.cells', 'studio.cells'], ['studio.col.load', 'unit.load'], ['unit.population', 'unit.population'],
    ['studio.col.area', 'unit.area'], ['studio.col.admins', 'unit.admins'], ['studio.col.loadPerAdmin', 'unit.loadPerAdmin'],
    ['studio.col.deviation', 'unit.deviation'], ['studio.col.pp', 'studio.pp'], ['studio.col.contiguous', 'studio.contiguous'],
  ]
  const head = columns.map(([short, long]) => h('th', { title: t(long) }, t(short)))
  const town = view.plan.scope.length === 9
  const rows: HTMLElement[] = []
  let community = ''
  for (const m of [...view.metrics.after.grids].sort((a, b) => (a.code < b.code ? -1 : 1))) {
    // A town's grids by community: their short codes repeat from one community to the next.
    if (town && m.community !== community) {
      community = m.community
      rows.push(h('tr', { className: 'group' }, h('th', { colspan: 10 }, `${t('level.community')} ${community}`)))
    }
    rows.push(gridRow(m, names.get(m.code), o))
  }
  return h('div', { className: 'scroll-x' }, h('table', { className: 'table studio-grids', id: 'studio-grids' }, h('tr', {}, ...head), ...rows))
}

function gridRow(m: GridMetrics, g: PlanGrid | undefined, o: GridTableOptions): HTMLElement {
  const removed = m.cells === 0
  return h('tr', { className: `link${m.code === o.active ? ' active' : ''}${removed ? ' removed' : ''}`, 'data-grid': m.code, title: `${m.code} ${g?.name ?? ''}`, onclick: () => o.pick(m.code) },
    h('td', {}, h('span', { className: 'swatch', style: `background:${o.colour(m.code)}` }), ` …${m.code.slice(-6)}`, m.locked ? ' 🔒' : '', g?.added ? ' ＋' : ''),
    td('cells', m.cells, num(m.cells)),
    td('workload', m.workload, num(m.workload, 1)),
    td('population', m.population, num(m.population)),
    td('areaM2', m.areaM2, num(m.areaM2 / 1e6, 2)),
    td('administrators', m.administrators, num(m.administrators)),
    td('loadPerAdministrator', m.loadPerAdministrator, num(m.loadPerAdministrator, 1)),
    td('deviation', m.deviation, removed ? '—' : h('span', { className: 'dev' }, deviationBar(m.deviation), signed(m.deviation))),
    td('polsbyPopper', m.polsbyPopper, removed ? '—' : num(m.polsbyPopper, 2)),
    td('contiguous', m.contiguous, removed ? '—' : m.contiguous ? '✓' : h('span', { className: 'error' }, '✗')))
}

const BALANCE_LABEL: Record<(typeof BALANCE_MEASURES)[number], MessageKey> = {
  workload: 'unit.load',
  population: 'unit.population',
  households: 'unit.households',
  area: 'studio.area',
  loadPerAdministrator: 'unit.loadPerAdmin',
}

/** One "a → b" cell, green when b is the better (smaller) figure. */
function change(key: string, a: number, b: number, fmt: (v: number) => string): HTMLElement {
  const better = b < a - 1e-9 ? 'better' : b > a + 1e-9 ? 'worse' : ''
  return h('td', { 'data-k': key, 'data-v': String(b), className: better }, `${fmt(a)} → ${fmt(b)}`)
}

/** Gini, CV and largest deviation of each measure, before → after. */
export function balanceTable(id: string, before: PlanMetrics, after: PlanMetrics): HTMLTableElement {
  const f2 = (v: number) => num(v, 2)
  return h('table', { className: 'table balance', id },
    h('tr', {}, h('th', {}, ''), h('th', {}, 'Gini'), h('th', {}, 'CV'), h('th', {}, t('studio.maxDeviation'))),
    ...BALANCE_MEASURES.map((k) => {
      const a: Balance = before.balance[k]
      const b: Balance = after.balance[k]
      return h('tr', { 'data-measure': k }, h('th', {}, t(BALANCE_LABEL[k])), change('gini', a.gini, b.gini, f2), change('cv', a.cv, b.cv, f2), change('maxDeviation', a.maxDeviation, b.maxDeviation, pct))
    }))
}

export function disruptionFacts(d: Disruption): HTMLElement {
  const table = facts([
    ['studio.d.cells', num(d.cells)],
    ['studio.d.residents', num(d.residents)],
    ['studio.d.openIncidents', num(d.openIncidents)],
    ['studio.d.administrators', num(d.administrators)],
    ['studio.d.changedGrids', d.changedGrids.length === 0 ? '0' : `${num(d.changedGrids.length)}: ${d.changedGrids.map((c) => `…${c.slice(-6)}`).join(', ')}`],
  ])
  table.id = 'studio-disruption'
  table.dataset.cells = String(d.cells)
  return table
}

export function violationList(violations: Violation[], show: (v: Violation) => void): HTMLElement {
  if (violations.length === 0) return h('div', { id: 'studio-violations', className: 'ok' }, '✓ ', t('studio.valid'))
  return h('div', { id: 'studio-violations', className: 'results' },
    ...violations.map((v) => h('button', { type: 'button', className: 'result violation', 'data-check': v.check, onclick: () => show(v) }, h('strong', {}, tDynamic(`studio.check.${v.check}`)), ' ', v.message)))
}

/** The rebalancer's result: workload deviation per grid before and after, side by side, and the balance of each measure. */
export function rebalanceCompare(before: PlanMetrics, after: PlanMetrics, info: { moved?: number; iterations?: number; elapsedMs?: number } | undefined, colour: (code: string) => string): HTMLElement {
  const was = new Map(before.grids.map((g) => [g.code, g]))
  const codes = [...new Set([...before.grids, ...after.grids].filter((g) => g.cells > 0).map((g) => g.code))].sort()
  const now = new Map(after.grids.map((g) => [g.code, g]))
  const cell = (g: GridMetrics | undefined) => (g && g.cells > 0 ? h('td', {}, h('span', { className: 'dev' }, deviationBar(g.deviation), signed(g.deviation))) : h('td', { className: 'muted' }, '—'))
  return h('div', { id: 'studio-rebalance-result' },
    h('div', { className: 'muted' }, t('studio.rebalanceInfo', { moved: num(info?.moved ?? 0), iterations: num(info?.iterations ?? 0), ms: num(info?.elapsedMs ?? 0) })),
    h('table', { className: 'table compare' },
      h('tr', {}, h('th', {}, t('studio.grid')), h('th', {}, t('studio.before')), h('th', {}, t('studio.after'))),
      ...codes.map((c) => h('tr', {}, h('td', {}, h('span', { className: 'swatch', style: `background:${colour(c)}` }), ` …${c.slice(-6)}`), cell(was.get(c)), cell(now.get(c))))),
    balanceTable('studio-rebalance-balance', before, after))
}

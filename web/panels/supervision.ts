/**
 * Supervision: the queue of overdue dispatched incidents and the supervision
 * score tables (per grid, administrator, town or department), each row
 * linked to the map; the scores export as CSV.
 */
import { administrators, supervision, supervisionCsv, supervisionQueue, type IncidentSummary, type Score, type SupervisionBy } from '../api.ts'
import { fill, h } from '../dom.ts'
import { cityDate, num, pct, t, tDynamic, localName } from '../i18n.ts'
import { highlightPoint } from '../map/layers/highlight.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { categoryNames } from './time-filter.ts'
import { errorText, needsKey, select } from './widgets.ts'

const QUEUE_ROWS = 100

/** A table row that shows something on the map: clicked, or focused and Enter/Space, like a button. */
function linkRow(go: () => void, ...cells: HTMLElement[]): HTMLTableRowElement {
  const row = h('tr', { className: 'link', tabindex: 0, role: 'button', onclick: go }, ...cells)
  row.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') (e.preventDefault(), go())
  })
  return row
}
/** Periods the scores can cover; a quarter by default (supervision looks at recent work, and a year of a big city takes seconds on the embedded database). */
const PERIOD_DAYS = [30, 90, 365]

export class SupervisionPanel implements Panel {
  readonly id = 'supervision' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #by: SupervisionBy = 'grid'
  #days = 90
  #queue: IncidentSummary[] | null = null
  #queueError: string | null = null
  #scores: Score[] | null = null
  #scoresError: string | null = null
  #scoresTotal = 0
  #names = new Map<string, { name: string; name_en: string | null }>()
  #seq = 0
  #settled: Promise<void> = Promise.resolve()

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    // Two tables of five and seven columns: a wider panel keeps both whole in either language.
    document.body.classList.add('supervision-wide')
    ctx.map.resize()
    if (!ctx.hasKey()) return fill(el, h('h2', {}, t('view.supervision')), needsKey(ctx))
    void categoryNames().then((c) => ((this.#names = new Map(c.map((x) => [x.code, x]))), this.render()))
    const queue = supervisionQueue().then(
      (q) => ((this.#queue = q.items), this.render()),
      (err) => ((this.#queueError = errorText(err)), this.render()),
    )
    this.#settled = Promise.all([queue, this.#loadScores()]).then(() => {})
    this.render()
  }

  onRemove(): void {
    if (this.#ctx) {
      highlightPoint(this.#ctx.map, null)
      document.body.classList.remove('supervision-wide')
      this.#ctx.map.resize()
    }
    this.#ctx = null
  }

  onLangChange(): void {
    this.render()
  }

  settled(): Promise<void> {
    return this.#settled
  }

  async #loadScores(): Promise<void> {
    const seq = ++this.#seq
    this.#scores = null
    this.render()
    try {
      const s = await supervision(this.#by, this.#days)
      if (seq === this.#seq) (this.#scores = s.items), (this.#scoresTotal = s.total), (this.#scoresError = null)
    } catch (err) {
      if (seq === this.#seq) this.#scoresError = errorText(err)
    }
    this.render()
  }

  render(): void {
    const el = this.#el
    const ctx = this.#ctx
    if (!el || !ctx || !ctx.hasKey()) return
    const bys: SupervisionBy[] = ['grid', 'administrator', 'town', 'department']
    fill(
      el,
      h('h2', {}, t('view.supervision')),
      h('p', { className: 'muted' }, t('supervision.rowHint')),
      h('h3', {}, t('supervision.queue'), this.#queue ? ` (${num(this.#queue.length)})` : ''),
      this.#queue && this.#queue.length > QUEUE_ROWS ? h('p', { className: 'muted', id: 'queue-showing' }, t('supervision.showing', { shown: num(QUEUE_ROWS), total: num(this.#queue.length) })) : null,
      h('div', { className: 'scroll-x' }, this.#queueTable(ctx)),
      h('h3', {}, t('supervision.scores')),
      h('div', { className: 'row' },
        t('supervision.by'), ' ', select(bys.map((b) => [b, tDynamic(`supervision.by.${b}`)]), this.#by, (v) => ((this.#by = v as SupervisionBy), (this.#settled = this.#loadScores())), t('supervision.by')), ' ',
        t('supervision.period'), ' ', Object.assign(select(PERIOD_DAYS.map((d) => [String(d), t('incidents.days', { n: d })]), String(this.#days), (v) => ((this.#days = Number(v)), (this.#settled = this.#loadScores())), t('supervision.period')), { id: 'supervision-period' }), ' ',
        h('button', { type: 'button', onclick: () => void supervisionCsv(this.#by, this.#days).catch((err) => ctx.status(errorText(err), 'error')) }, t('supervision.export'))),
      this.#scores && this.#scoresTotal > this.#scores.length ? h('p', { className: 'muted', id: 'scores-showing' }, t('supervision.showing', { shown: num(this.#scores.length), total: num(this.#scoresTotal) })) : null,
      h('div', { className: 'scroll-x' }, this.#scoreTable(ctx)),
    )
  }

  #queueTable(ctx: ConsoleContext): HTMLElement {
    if (this.#queueError) return h('div', { className: 'error' }, this.#queueError)
    if (!this.#queue) return h('div', { className: 'muted' }, t('loading'))
    if (this.#queue.length === 0) return h('div', { className: 'muted' }, t('supervision.empty'))
    return h('table', { className: 'table', id: 'queue-table' },
      h('tr', {}, h('th', {}, '#'), h('th', {}, t('incidents.category')), h('th', {}, t('incidents.grid')), h('th', {}, t('incidents.deadline')), h('th', {}, t('supervision.level'))),
      ...this.#queue.slice(0, QUEUE_ROWS).map((i) =>
        linkRow(() => (highlightPoint(ctx.map, i.point), ctx.flyTo(i.point, 16)),
          h('td', {}, i.id), h('td', {}, this.#names.has(i.category) ? localName(this.#names.get(i.category)) : i.category),
          h('td', {}, i.grid ?? '—'), h('td', {}, cityDate(i.deadlineAt)), h('td', {}, i.supervisionLevel))))
  }

  #scoreTable(ctx: ConsoleContext): HTMLElement {
    if (this.#scoresError) return h('div', { className: 'error' }, this.#scoresError)
    if (!this.#scores) return h('div', { className: 'muted' }, t('loading'))
    const by = this.#by
    const locate = async (s: Score) => {
      if (by === 'grid' || by === 'town') return ctx.showUnit(s.key)
      if (by === 'administrator') {
        const a = (await administrators(s.key)).items.find((x) => x.employeeNo === s.key)
        if (a?.grids[0]) return ctx.showUnit(a.grids[0])
      }
    }
    return h('table', { className: 'table', id: 'score-table' },
      h('tr', {}, h('th', {}, t('supervision.rank')), h('th', {}, t('supervision.name')), h('th', {}, t('supervision.incidents')), h('th', {}, t('supervision.onTime')), h('th', {}, t('supervision.overdue')), h('th', {}, t('supervision.satisfaction')), h('th', {}, t('supervision.patrol'))),
      ...this.#scores.map((s) =>
        (by === 'department' ? (...cells: HTMLElement[]) => h('tr', {}, ...cells) : (...cells: HTMLElement[]) => linkRow(() => void locate(s).catch((err) => ctx.status(errorText(err), 'error')), ...cells))(
          h('td', {}, s.rank ?? '—'), h('td', { title: s.key }, by === 'department' ? tDynamic(`dept.${s.key}`) : s.active === false ? `${s.name} (${t('supervision.left')})` : localName(s)), h('td', {}, num(s.incidents)), h('td', {}, pct(s.onTimeRate)), h('td', {}, num(s.overdue)), h('td', {}, num(s.satisfaction, 1)), h('td', {}, pct(s.patrolCoverage)))))
  }
}

/**
 * Incidents: heatmap at city zoom, points at street zoom, the time window with
 * playback and the filters, the chart of incidents over time by category, and
 * a clicked incident's details with its history.
 */
import type * as maplibregl from 'maplibre-gl'
import { incident, series, type IncidentDetail, type SeriesAnswer } from '../api.ts'
import { fill, h } from '../dom.ts'
import { cityTime, localName, num, t, tDynamic } from '../i18n.ts'
import { highlightPoint } from '../map/layers/highlight.ts'
import { IncidentLayers, POINT_LAYER } from '../map/layers/incidents.ts'
import { seriesChart } from './chart.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { categoryNames, TimeFilter } from './time-filter.ts'
import { addDays, daysBetween } from '../filters.ts'
import { errorText, facts, needsKey } from './widgets.ts'

export class IncidentsPanel implements Panel {
  readonly id = 'incidents' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #layers: IncidentLayers | null = null
  #time: TimeFilter | null = null
  #settled: Promise<void> = Promise.resolve()
  #unsubscribe: (() => void) | null = null
  #series: SeriesAnswer | null = null
  #seriesError: string | null = null
  #countError: string | null = null
  /** Whether the layers have counted the current filter at least once. */
  #counted = false
  #seriesTimer: number | null = null
  #seriesDone: Promise<void> = Promise.resolve()
  #seriesSuperseded: () => void = () => {}
  #detail: IncidentDetail | null = null
  #names = new Map<string, { name: string; name_en: string | null }>()
  readonly #count = h('div', { id: 'incident-count', className: 'muted' })
  readonly #chart = h('div', { id: 'incident-chart' })
  readonly #card = h('div', { id: 'incident-card', className: 'card' })
  readonly #onClick = (e: maplibregl.MapMouseEvent & { features?: maplibregl.MapGeoJSONFeature[] }) => {
    const f = e.features?.[0]
    const id = Number(f?.properties.id ?? f?.id)
    if (Number.isInteger(id) && id > 0) void this.#open(id)
  }

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    if (!ctx.hasKey()) return fill(el, h('h2', {}, t('view.incidents')), needsKey(ctx))
    this.#counted = false
    this.#countError = null
    this.#time = new TimeFilter(ctx.filters, () => this.#settled)
    this.#layers = new IncidentLayers()
    // A refused or failed count is said as such: "0 incidents" would be a wrong answer.
    const counted = () => ((this.#countError = null), (this.#counted = true), this.#renderCount())
    const failed = (err: unknown) => ((this.#countError = errorText(err)), this.#renderCount())
    this.#settled = this.#layers.add(ctx.map, ctx.tiles, ctx.filters.value).then(counted, failed)
    this.#unsubscribe = ctx.filters.subscribe((f) => {
      this.#settled = this.#layers!.update(f).then(counted, failed)
      this.#loadSeries()
    })
    ctx.map.on('click', POINT_LAYER, this.#onClick)
    void categoryNames().then((c) => ((this.#names = new Map(c.map((x) => [x.code, x]))), this.#renderChart()))
    this.#loadSeries()
    this.render()
  }

  onRemove(): void {
    this.#unsubscribe?.()
    this.#time?.stop()
    this.#ctx?.map.off('click', POINT_LAYER, this.#onClick)
    this.#layers?.remove()
    if (this.#seriesTimer !== null) clearTimeout(this.#seriesTimer)
    this.#seriesDone = Promise.resolve()
    if (this.#ctx) highlightPoint(this.#ctx.map, null)
    this.#layers = null
    this.#time = null
    this.#ctx = null
  }

  onLangChange(): void {
    if (!this.#ctx) return
    if (!this.#time) return this.onAdd(this.#ctx, this.#el!)
    this.#time.render()
    this.render()
  }

  /** Resolves when the map and the chart show the current filter (tests and playback wait for it). */
  settled(): Promise<void> {
    return Promise.all([this.#settled, this.#seriesDone]).then(() => {})
  }

  render(): void {
    if (!this.#el || !this.#time) return
    fill(this.#el, h('h2', {}, t('view.incidents')), this.#time.el, this.#count, h('p', { className: 'muted' }, t('incidents.zoomHint')), h('h3', {}, t('incidents.chart')), this.#chart, this.#card)
    this.#renderCount()
    this.#renderChart()
    this.#renderCard()
  }

  #renderCount(): void {
    const el = this.#count
    el.className = this.#countError !== null ? 'error' : 'muted'
    el.textContent = this.#countError !== null
      ? t('incidents.countFailed', { detail: this.#countError })
      : !this.#counted || !this.#layers
        ? t('loading')
        : `${t('incidents.count', { n: num(this.#layers.total) })} (${t('incidents.countNote')})`
  }

  /** The chart's data, fetched once the filter has stopped changing for a moment (a dragged slider). */
  #loadSeries(): void {
    if (this.#seriesTimer !== null) clearTimeout(this.#seriesTimer)
    // Whoever waited for the superseded fetch waits no longer.
    this.#seriesSuperseded()
    let done = () => {}
    this.#seriesDone = new Promise<void>((resolve) => (done = resolve))
    this.#seriesSuperseded = done
    this.#seriesTimer = window.setTimeout(async () => {
      const ctx = this.#ctx
      if (!ctx) return done()
      const f = ctx.filters.value
      const days = this.#time?.windowDays ?? 90
      try {
        this.#series = await series(f, days <= 31 ? 'day' : days <= 400 ? 'week' : 'month')
        this.#seriesError = null
      } catch (err) {
        this.#series = null
        this.#seriesError = errorText(err)
      }
      if (this.#ctx === ctx) this.#renderChart()
      done()
    }, 250)
  }

  #renderChart(): void {
    if (this.#seriesError) return fill(this.#chart, h('div', { className: 'muted' }, this.#seriesError))
    if (!this.#series) return fill(this.#chart, h('div', { className: 'muted' }, t('loading')))
    const partial = this.#partialLastStep()
    fill(this.#chart, seriesChart(this.#series, (key) => (this.#names.has(key) ? localName(this.#names.get(key)) : key)),
      partial === null ? null : h('div', { className: 'muted', id: 'chart-partial' }, t('chart.partial', { n: partial })))
  }

  /** Days in the chart's last step when the window ends before that step would (a window of 90 days in weeks); null when whole. */
  #partialLastStep(): number | null {
    const answer = this.#series as (SeriesAnswer & { params?: { to?: string; step?: string } }) | null
    const last = answer?.steps.at(-1)
    const to = answer?.params?.to
    const step = answer?.params?.step
    if (!last || !to || (step !== 'week' && step !== 'month')) return null
    const [y, m] = last.split('-').map(Number) as [number, number]
    const stepEnd = step === 'week' ? addDays(last, 7) : `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01`
    return to < stepEnd ? daysBetween(last, to) : null
  }

  async #open(id: number): Promise<void> {
    const ctx = this.#ctx
    if (!ctx) return
    try {
      this.#detail = await incident(id)
      if (this.#ctx !== ctx) return
      highlightPoint(ctx.map, this.#detail.point)
      this.#renderCard()
    } catch (err) {
      ctx.status(errorText(err), 'error')
    }
  }

  #renderCard(): void {
    const d = this.#detail
    if (!d) return fill(this.#card)
    this.#card.dataset.incident = String(d.id)
    const when = cityTime
    fill(
      this.#card,
      h('h3', {}, t('incidents.detail', { id: d.id })),
      facts([
        ['incidents.category', this.#names.has(d.category) ? localName(this.#names.get(d.category)) : d.categoryName],
        ['incidents.statusOne', tDynamic(`status.${d.status}`)],
        ['incidents.reportedAt', when(d.reportedAt)],
        ['incidents.channel', tDynamic(`channel.${d.channel}`)],
        ['incidents.grid', d.grid],
        ['incidents.department', d.department ? tDynamic(`dept.${d.department}`) : null],
        ['incidents.deadline', when(d.deadlineAt)],
        ['incidents.supervisionLevel', d.supervisionLevel],
        ['incidents.description', d.description],
      ]),
      h('h4', {}, t('incidents.history')),
      h('ol', { className: 'history' }, ...d.history.map((e) => h('li', {}, h('span', { className: 'muted' }, when(e.at)), ' ', tDynamic(`action.${e.action}`), e.to_status ? ` → ${tDynamic(`status.${e.to_status}`)}` : '', e.actor ? h('span', { className: 'muted' }, ` · ${e.actor}`) : null, e.note ? h('div', {}, e.note) : null))),
    )
  }
}

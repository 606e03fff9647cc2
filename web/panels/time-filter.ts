/**
 * The time window (a slider over the last two years, a window length, and
 * playback that steps the window forward) and the category, status and
 * channel filters, all writing to the shared FilterState.
 */
import { categories } from '../api.ts'
import { fill, h } from '../dom.ts'
import { addDays, CHANNELS, daysBetween, localToday, STATUSES, type FilterState } from '../filters.ts'
import { localName, t, tDynamic } from '../i18n.ts'
import { select } from './widgets.ts'

const SPAN_DAYS = 730
const WINDOWS = [7, 30, 90, 365]
const TICK_MS = 900

let categoryList: Promise<{ code: string; name: string; name_en: string | null }[]> | null = null
export const categoryNames = () => (categoryList ??= categories().then((c) => c.items.filter((x) => x.active)).catch(() => []))

export class TimeFilter {
  readonly el = h('div', { className: 'time-filter' })
  readonly #end = addDays(localToday(), 1)
  readonly #start = addDays(this.#end, -SPAN_DAYS)
  #timer: number | null = null
  #cats: { code: string; name: string; name_en: string | null }[] = []
  readonly #summary = h('summary', { id: 'filter-summary' })

  /** `settled` resolves once the map shows the current filter, so playback never outruns the server. */
  constructor(private readonly filters: FilterState, private readonly settled: () => Promise<void>) {
    void categoryNames().then((c) => ((this.#cats = c), this.render()))
    this.render()
  }

  get windowDays(): number {
    return daysBetween(this.filters.value.from, this.filters.value.to)
  }

  render(): void {
    const f = this.filters.value
    const windowDays = this.windowDays
    const slider = h('input', { type: 'range', id: 'time-slider', min: windowDays, max: SPAN_DAYS, step: 1, value: daysBetween(this.#start, f.to), 'aria-label': t('incidents.end') })
    slider.addEventListener('input', () => this.#setEnd(Number(slider.value)))
    const play = h('button', { type: 'button', id: 'time-play', onclick: () => this.#toggle() }, this.#timer === null ? `▶ ${t('incidents.play')}` : `⏸ ${t('incidents.pause')}`)
    const windowSelect = select(WINDOWS.map((d) => [String(d), t('incidents.days', { n: d })]), String(windowDays), (v) => this.#setWindow(Number(v)), t('incidents.window'))
    const checks = (name: 'categories' | 'status' | 'channels', items: [string, string][]) =>
      h('fieldset', {}, h('legend', {}, t(`incidents.${name}`)),
        ...items.map(([code, label]) => {
          const box = h('input', { type: 'checkbox', value: code, checked: f[name].includes(code) })
          box.addEventListener('change', () => {
            this.filters.set({ [name]: box.checked ? [...this.filters.value[name], code] : this.filters.value[name].filter((c) => c !== code) })
            this.#renderSummary()
          })
          return h('label', { className: 'check' }, box, ' ', label)
        }))
    this.#renderSummary()
    fill(
      this.el,
      h('div', { className: 'row' }, t('incidents.window'), ' ', windowSelect, ' ', play),
      h('div', { className: 'row' }, slider),
      h('div', { className: 'muted', id: 'time-label' }, `${f.from} – ${addDays(f.to, -1)}`),
      h('details', {}, this.#summary,
        checks('categories', this.#cats.map((c) => [c.code, localName(c)])),
        checks('status', STATUSES.map((s) => [s, tDynamic(`status.${s}`)])),
        checks('channels', CHANNELS.map((c) => [c, tDynamic(`channel.${c}`)]))),
    )
  }

  /** "Filters (n)": how many boxes are ticked. */
  #renderSummary(): void {
    const f = this.filters.value
    const active = f.categories.length + f.status.length + f.channels.length
    this.#summary.textContent = `${t('incidents.filters')}${active > 0 ? ` (${active})` : ''}`
  }

  #setEnd(daysFromStart: number): void {
    const to = addDays(this.#start, daysFromStart)
    this.filters.set({ to, from: addDays(to, -this.windowDays) })
    const label = this.el.querySelector('#time-label')
    if (label) label.textContent = `${this.filters.value.from} – ${addDays(to, -1)}`
  }

  #setWindow(days: number): void {
    this.filters.set({ from: addDays(this.filters.value.to, -days) })
    this.render()
  }

  #toggle(): void {
    if (this.#timer !== null) this.stop()
    else {
      // From the start of the span when the window already reached today.
      if (this.filters.value.to >= this.#end) this.#setEnd(this.windowDays)
      this.#tick()
    }
    this.render()
  }

  #tick(): void {
    this.#timer = window.setTimeout(async () => {
      const next = daysBetween(this.#start, this.filters.value.to) + Math.max(1, Math.round(this.windowDays / 6))
      if (next > SPAN_DAYS) return (this.stop(), this.render())
      this.#setEnd(next)
      const slider = this.el.querySelector<HTMLInputElement>('#time-slider')
      if (slider) slider.value = String(next)
      await this.settled()
      if (this.#timer !== null) this.#tick()
    }, TICK_MS)
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}

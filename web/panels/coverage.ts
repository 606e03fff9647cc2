/**
 * Coverage: the gaps and overlaps the coverage check finds among the towns of
 * the city or the communities of a town, and the patrol coverage (last 30
 * days) of each grid of the chosen town.
 */
import { CITY_CODE, coverage, patrolCoverage, type FeatureCollection } from '../api.ts'
import { fill, h } from '../dom.ts'
import { localName, num, pct, t } from '../i18n.ts'
import { addCoverage, GAP_COLOUR, OVERLAP_COLOUR, removeCoverage, updateCoverage } from '../map/layers/coverage.ts'
import { clearGridStates, patrolColouring, setGridStates } from '../map/layers/grid-colour.ts'
import { highlightUnit } from '../map/layers/highlight.ts'
import { fetchLabelPoints, setGridFill } from '../map/layers/units.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { errorText, legend, needsKey, select } from './widgets.ts'

type Report = FeatureCollection & { clean: boolean; parent: { name: string } }

const townList = () => fetchLabelPoints('town').then((fc) => fc.features.map((f) => f.properties as { code: string; name: string; name_en: string | null }).sort((a, b) => (a.code < b.code ? -1 : 1)))

export class CoveragePanel implements Panel {
  readonly id = 'coverage' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #code = CITY_CODE
  #towns: { code: string; name: string; name_en: string | null }[] = []
  #report: Report | null = null
  #patrol: { grid: string; share30: number }[] | null = null
  #error: string | null = null
  #patrolError: string | null = null
  #loading = false
  #seq = 0
  #settled: Promise<void> = Promise.resolve()

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    addCoverage(ctx.map)
    void townList().then((list) => ((this.#towns = list), this.render()))
    this.#settled = this.#load()
  }

  onRemove(): void {
    if (this.#ctx) {
      removeCoverage(this.#ctx.map)
      clearGridStates(this.#ctx.map, this.#ctx.grids)
      setGridFill(this.#ctx.map, null)
      highlightUnit(this.#ctx.map, null)
    }
    this.#ctx = null
  }

  onLangChange(): void {
    this.render()
  }

  settled(): Promise<void> {
    return this.#settled
  }

  async #load(): Promise<void> {
    const ctx = this.#ctx
    if (!ctx) return
    const seq = ++this.#seq
    const code = this.#code
    this.#loading = true
    this.#report = null
    this.#patrol = null
    this.render()
    clearGridStates(ctx.map, ctx.grids)
    setGridFill(ctx.map, null)
    if (code !== CITY_CODE) void ctx.showUnit(code)
    // The gap and overlap report is public; patrol coverage needs a key that may see it. One refused does not hide the other.
    const [report, patrol] = await Promise.allSettled([
      coverage(code),
      code !== CITY_CODE && ctx.hasKey() ? patrolCoverage(code).then((p) => p.items) : Promise.resolve(null),
    ])
    if (seq !== this.#seq || this.#ctx !== ctx) return
    this.#report = report.status === 'fulfilled' ? report.value : null
    this.#error = report.status === 'rejected' ? errorText(report.reason) : null
    this.#patrol = patrol.status === 'fulfilled' ? patrol.value : null
    this.#patrolError = patrol.status === 'rejected' ? errorText(patrol.reason) : null
    updateCoverage(ctx.map, this.#report)
    if (this.#patrol) {
      setGridStates(ctx.map, ctx.grids, this.#patrol.map((p) => [p.grid, { share30: p.share30 }]))
      setGridFill(ctx.map, patrolColouring().colour)
    }
    this.#loading = false
    this.render()
  }

  render(): void {
    const el = this.#el
    const ctx = this.#ctx
    if (!el || !ctx) return
    const options: [string, string][] = [[CITY_CODE, t('coverage.city')], ...this.#towns.map((x): [string, string] => [x.code, `${localName(x)} ${x.code}`])]
    const r = this.#report
    const gaps = r?.features.filter((f) => f.properties.kind === 'gap') ?? []
    const overlaps = r?.features.filter((f) => f.properties.kind === 'overlap') ?? []
    const item = (f: FeatureCollection['features'][number]) => {
      const loc = f.properties.location as [number, number]
      const label = `${f.properties.kind === 'gap' ? t('coverage.gap') : `${t('coverage.overlap')} ${(f.properties.codes as string[]).join(' / ')}`} · ${t('coverage.area', { a: num(Number(f.properties.areaM2)) })}`
      return h('button', { type: 'button', className: 'result', onclick: () => ctx.flyTo(loc, 15) }, label)
    }
    fill(
      el,
      h('h2', {}, t('view.coverage')),
      h('label', { className: 'row' }, t('coverage.unit'), ' ', select(options, this.#code, (v) => ((this.#code = v), (this.#settled = this.#load())), t('coverage.unit'))),
      h('div', { id: 'coverage-status', className: this.#error ? 'error' : 'muted' }, this.#loading ? t('loading') : this.#error ?? (r ? (r.clean ? t('coverage.clean') : `${t('coverage.gaps', { n: gaps.length })} · ${t('coverage.overlaps', { n: overlaps.length })}`) : '')),
      legend(t('view.coverage'), [{ colour: GAP_COLOUR, label: t('coverage.gap') }, { colour: OVERLAP_COLOUR, label: t('coverage.overlap') }]),
      h('div', { className: 'results' }, ...[...gaps, ...overlaps].slice(0, 50).map(item)),
      this.#code === CITY_CODE
        ? h('p', { className: 'muted' }, t('coverage.patrolCity'))
        : !ctx.hasKey()
          ? needsKey(ctx)
          : this.#patrol
            ? h('div', {}, legend(t('coverage.patrol'), patrolColouring().legend), h('div', { className: 'muted' }, `${t('level.grid')}: ${num(this.#patrol.length)} · ⌀ ${pct(this.#patrol.reduce((s, p) => s + p.share30, 0) / Math.max(1, this.#patrol.length))}`))
            : this.#patrolError
              ? h('div', { className: 'error', id: 'patrol-error' }, this.#patrolError)
              : null,
    )
  }
}

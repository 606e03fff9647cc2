/**
 * Overview: towns, communities and grids, grids coloured by workload or by
 * deviation from their community's mean, with a legend; search a unit by code
 * or name and fly to it; click a grid for its numbers.
 */
import * as maplibregl from 'maplibre-gl'
import { searchUnits, workload, type Feature } from '../api.ts'
import { fill, h } from '../dom.ts'
import { localName, num, pct, t, tDynamic } from '../i18n.ts'
import { quantileBreaks } from '../map/geometry.ts'
import { deviationColouring, loadColouring, loadedGridValues, setGridStates } from '../map/layers/grid-colour.ts'
import { GRID_FILL, setGridFill } from '../map/layers/units.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { errorText, facts, legend, select } from './widgets.ts'

type Mode = 'load' | 'deviation' | 'none'

export class OverviewPanel implements Panel {
  readonly id = 'overview' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #mode: Mode = 'load'
  #breaks: number[] | null = null
  #results: Feature[] | null = null
  #query = ''
  #searchAbort: AbortController | null = null
  #popup: maplibregl.Popup | null = null
  #settled: Promise<void> = Promise.resolve()
  readonly #legend = h('div')
  readonly #list = h('div', { className: 'results' })
  readonly #onClick = (e: maplibregl.MapMouseEvent) => this.#showGrid(e)
  /** Load classes come from the grids once their tiles are in, before the map draws them. */
  readonly #onGridData = (e: maplibregl.MapSourceDataEvent) => {
    if (e.sourceId === this.#ctx?.grids.source && e.isSourceLoaded && loadedGridValues(this.#ctx.map, this.#ctx.grids, 'load').length > 0) this.#colour()
  }
  #coloured: (() => void) | null = null

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    ctx.map.on('click', GRID_FILL, this.#onClick)
    this.render()
    this.#colour()
  }

  onRemove(): void {
    const map = this.#ctx?.map
    map?.off('click', GRID_FILL, this.#onClick)
    map?.off('sourcedata', this.#onGridData)
    this.#coloured?.()
    this.#coloured = null
    if (map) setGridFill(map, null)
    this.#popup?.remove()
    this.#searchAbort?.abort()
    this.#ctx = null
  }

  onLangChange(): void {
    this.render()
  }

  settled(): Promise<void> {
    return this.#settled
  }

  render(): void {
    if (!this.#el) return
    const input = h('input', { type: 'search', value: this.#query, placeholder: t('overview.search'), 'aria-label': t('overview.search'), id: 'unit-search' })
    input.addEventListener('input', () => this.#search(input.value))
    fill(
      this.#el,
      h('h2', {}, t('view.overview')),
      h('label', { className: 'row' }, t('overview.colour'), ' ', select([['load', t('overview.load')], ['deviation', t('overview.deviation')], ['none', t('overview.none')]], this.#mode, (v) => this.#setMode(v as Mode), t('overview.colour'))),
      this.#legend,
      h('p', { className: 'muted' }, t('overview.clickHint')),
      input,
      this.#list,
    )
    this.#renderLegend()
    this.#renderResults()
  }

  #setMode(mode: Mode): void {
    this.#mode = mode
    this.#colour()
  }

  /** Colours the grids; load classes need the loaded grids' values, so may wait for the map to settle. */
  #colour(): void {
    const ctx = this.#ctx
    if (!ctx) return
    const { map } = ctx
    map.off('sourcedata', this.#onGridData)
    if (this.#mode === 'none') setGridFill(map, null)
    else if (this.#mode === 'deviation') setGridFill(map, deviationColouring().colour)
    else {
      if (!this.#breaks) {
        const values = loadedGridValues(map, ctx.grids, 'load')
        if (values.length > 0) this.#breaks = quantileBreaks(values, 5)
        else if (!ctx.tiles.grids && ctx.hasKey()) this.#settled = this.#fetchWorkload()
        else if (ctx.tiles.grids) {
          // Settled once the classes come from the loaded grids (zoomed out past the grid tiles, when the user zooms in).
          if (!this.#coloured) this.#settled = new Promise<void>((resolve) => (this.#coloured = resolve))
          map.on('sourcedata', this.#onGridData)
          this.#renderLegend()
          return
        }
      }
      setGridFill(map, loadColouring(this.#breaks ?? [1, 10, 50, 100]).colour)
    }
    this.#renderLegend()
    this.#coloured?.()
    this.#coloured = null
  }

  /** Without grid tiles, loads come from the workload table; deviation is taken against each community's mean, as the tiles do. */
  async #fetchWorkload(): Promise<void> {
    const ctx = this.#ctx
    if (!ctx) return
    try {
      const items = (await workload()).items
      const byCommunity = new Map<string, number[]>()
      for (const g of items) byCommunity.set(g.code.slice(0, 12), [...(byCommunity.get(g.code.slice(0, 12)) ?? []), g.load])
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
      const states = items.map((g): [string, Record<string, number | null>] => {
        const m = mean(byCommunity.get(g.code.slice(0, 12))!)
        return [g.code, { load: g.load, deviation: m > 0 ? (g.load - m) / m : null, load_per_admin: g.loadPerAdministrator, administrators: g.administrators }]
      })
      if (this.#ctx !== ctx) return
      setGridStates(ctx.map, ctx.grids, states)
      this.#breaks = quantileBreaks(items.map((g) => g.load), 5)
      this.#colour()
    } catch (err) {
      ctx.status(errorText(err), 'error')
    }
  }

  #renderLegend(): void {
    if (this.#mode === 'none') return fill(this.#legend)
    const { legend: entries } = this.#mode === 'load' ? loadColouring(this.#breaks ?? [1, 10, 50, 100]) : deviationColouring()
    fill(this.#legend, legend(this.#mode === 'load' ? t('overview.load') : t('overview.deviation'), entries))
  }

  #search(q: string): void {
    this.#query = q
    this.#searchAbort?.abort()
    if (q.trim().length === 0) return ((this.#results = null), this.#renderResults())
    const abort = (this.#searchAbort = new AbortController())
    setTimeout(() => {
      if (abort.signal.aborted) return
      searchUnits(q.trim(), abort.signal)
        .then((fc) => ((this.#results = fc.features), this.#renderResults()))
        .catch((err) => (err as Error).name !== 'AbortError' && this.#ctx?.status(errorText(err), 'error'))
    }, 200)
  }

  #renderResults(): void {
    if (!this.#results) return fill(this.#list)
    if (this.#results.length === 0) return fill(this.#list, h('div', { className: 'muted' }, t('overview.noMatch')))
    fill(
      this.#list,
      ...this.#results.map((f) =>
        h('button', { type: 'button', className: 'result', 'data-code': String(f.properties.code), onclick: () => void this.#ctx?.showUnit(String(f.properties.code)) },
          h('span', {}, localName(f.properties)), h('span', { className: 'muted' }, ` ${tDynamic(`level.${String(f.properties.level)}`)} ${String(f.properties.code)}`)),
      ),
    )
  }

  #showGrid(e: maplibregl.MapMouseEvent & { features?: maplibregl.MapGeoJSONFeature[] }): void {
    const ctx = this.#ctx
    const f = e.features?.[0]
    if (!ctx || !f) return
    const p = { ...f.properties, ...ctx.map.getFeatureState({ ...ctx.grids, id: String(f.properties.code) }) } as Record<string, unknown>
    const n = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : null)
    const area = n('area_km2') ?? (n('area_m2') !== null ? n('area_m2')! / 1e6 : null)
    this.#popup?.remove()
    this.#popup = new maplibregl.Popup({ maxWidth: '320px' })
      .setLngLat(e.lngLat)
      .setDOMContent(
        h('div', { className: 'popup' },
          h('strong', {}, localName(p)), h('div', { className: 'muted' }, String(p.code ?? '')),
          facts([
            ['unit.population', num(n('population'))],
            ['unit.households', num(n('households'))],
            ['unit.area', num(area, 2)],
            ['unit.admins', num(n('administrators'))],
            ['unit.load', num(n('load'), 1)],
            ['unit.loadPerAdmin', num(n('load_per_admin'), 1)],
            ['unit.deviation', n('deviation') === null ? '—' : `${n('deviation')! > 0 ? '+' : ''}${pct(n('deviation'))}`],
          ]),
        ),
      )
      .addTo(ctx.map)
  }
}

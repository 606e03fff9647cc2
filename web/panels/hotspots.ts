/**
 * Hotspots: Getis-Ord Gi* classes of H3 cells for the current window and
 * filters (with or without FDR correction), or emerging hot spot patterns
 * over two years; legend, and a click on a cell for its statistics.
 */
import * as maplibregl from 'maplibre-gl'
import { emerging, hotspots, type FeatureCollection } from '../api.ts'
import { fill, h } from '../dom.ts'
import { num, t, tDynamic } from '../i18n.ts'
import { addHotspots, BIN_COLOURS, HOTSPOT_FILL, PATTERN_COLOURS, removeHotspots, updateHotspots, type HotspotKind } from '../map/layers/hotspots.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { TimeFilter } from './time-filter.ts'
import { errorText, facts, legend, needsKey, select } from './widgets.ts'

export class HotspotsPanel implements Panel {
  readonly id = 'hotspots' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #kind: HotspotKind = 'gi'
  #res = 8
  #fdr = true
  #data: FeatureCollection | null = null
  #error: string | null = null
  #loading = false
  #abort: AbortController | null = null
  #settled: Promise<void> = Promise.resolve()
  #time: TimeFilter | null = null
  #unsubscribe: (() => void) | null = null
  #popup: maplibregl.Popup | null = null
  readonly #onClick = (e: maplibregl.MapMouseEvent & { features?: maplibregl.MapGeoJSONFeature[] }) => this.#showCell(e)

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    if (!ctx.hasKey()) return fill(el, h('h2', {}, t('view.hotspots')), needsKey(ctx))
    addHotspots(ctx.map)
    ctx.map.on('click', HOTSPOT_FILL, this.#onClick)
    this.#time = new TimeFilter(ctx.filters, () => this.#settled)
    this.#unsubscribe = ctx.filters.subscribe(() => this.#load())
    this.#load()
  }

  onRemove(): void {
    this.#abort?.abort()
    this.#unsubscribe?.()
    this.#time?.stop()
    this.#popup?.remove()
    if (this.#ctx) {
      this.#ctx.map.off('click', HOTSPOT_FILL, this.#onClick)
      removeHotspots(this.#ctx.map)
    }
    this.#ctx = null
    this.#time = null
  }

  onLangChange(): void {
    this.#time?.render()
    this.render()
  }

  settled(): Promise<void> {
    return this.#settled
  }

  #load(): void {
    const ctx = this.#ctx
    if (!ctx) return
    this.#abort?.abort()
    const abort = (this.#abort = new AbortController())
    this.#loading = true
    this.render()
    const f = ctx.filters.value
    const request = this.#kind === 'gi' ? hotspots(f, { res: this.#res, k: 1, fdr: this.#fdr }, abort.signal) : emerging(f, { res: this.#res, step: 'week' }, abort.signal)
    this.#settled = request.then(
      (data) => {
        if (abort.signal.aborted || this.#ctx !== ctx) return
        this.#data = data
        this.#error = null
        this.#loading = false
        updateHotspots(ctx.map, this.#kind, data)
        this.render()
      },
      (err) => {
        if ((err as Error).name === 'AbortError') return
        this.#data = null
        this.#error = errorText(err)
        this.#loading = false
        updateHotspots(ctx.map, this.#kind, { type: 'FeatureCollection', features: [] })
        this.render()
      },
    )
  }

  render(): void {
    const el = this.#el
    if (!el || !this.#time) return
    const fdr = h('input', { type: 'checkbox', id: 'hotspot-fdr', checked: this.#fdr, disabled: this.#kind !== 'gi' })
    fdr.addEventListener('change', () => ((this.#fdr = fdr.checked), this.#load()))
    fill(
      el,
      h('h2', {}, t('view.hotspots')),
      h('label', { className: 'row' }, t('hotspots.mode'), ' ', select([['gi', t('hotspots.gi')], ['emerging', t('hotspots.emerging')]], this.#kind, (v) => ((this.#kind = v as HotspotKind), this.#load()), t('hotspots.mode'))),
      h('label', { className: 'row' }, t('hotspots.res'), ' ', select([7, 8, 9].map((r) => [String(r), String(r)]), String(this.#res), (v) => ((this.#res = Number(v)), this.#load()), t('hotspots.res'))),
      h('label', { className: 'row check' }, fdr, ' ', t('hotspots.fdr')),
      h('p', { className: 'muted' }, this.#kind === 'gi' ? t('hotspots.giHint') : `${t('hotspots.emergingHint')} ${this.#filtersInUse()}`),
      this.#kind === 'gi' ? this.#time.el : null,
      h('div', { id: 'hotspot-status', className: this.#error ? 'error' : 'muted' }, this.#loading ? t('loading') : this.#error ?? (this.#data ? t('hotspots.cells', { n: num(this.#data.features.length) }) : '')),
      this.#legend(),
    )
  }

  /** In the trend mode the filter boxes are not shown: say which filters still apply. */
  #filtersInUse(): string {
    const f = this.#ctx?.filters.value
    const active = f ? f.categories.length + f.status.length + f.channels.length : 0
    return active === 0 ? t('hotspots.noFilters') : t('hotspots.filtersInUse', { n: active })
  }

  #legend(): HTMLElement {
    if (this.#kind === 'gi') return legend(t('hotspots.gi'), BIN_COLOURS.map(([bin, colour]) => ({ colour, label: tDynamic(`bin.${bin}`) })))
    const counts = new Map<string, number>()
    for (const f of this.#data?.features ?? []) counts.set(String(f.properties.pattern), (counts.get(String(f.properties.pattern)) ?? 0) + 1)
    return legend(t('hotspots.emerging'), PATTERN_COLOURS.map(([p, colour]) => ({ colour, label: `${tDynamic(`pattern.${p}`)}${counts.has(p) ? ` (${num(counts.get(p))})` : ''}` })))
  }

  #showCell(e: maplibregl.MapMouseEvent & { features?: maplibregl.MapGeoJSONFeature[] }): void {
    const ctx = this.#ctx
    const p = e.features?.[0]?.properties
    if (!ctx || !p) return
    const rows: [string, unknown][] =
      this.#kind === 'gi'
        ? [['Gi* z', num(Number(p.z), 2)], ['p', num(Number(p.p), 4)], [t('hotspots.gi'), tDynamic(`bin.${p.bin}`)], ['n', num(Number(p.count))]]
        : [[t('hotspots.emerging'), tDynamic(`pattern.${p.pattern}`)], ['Mann–Kendall z', num(Number(p.trendZ), 2)], ['n', num(Number(p.total))]]
    this.#popup?.remove()
    this.#popup = new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(h('div', { className: 'popup' }, h('code', {}, String(p.id ?? p.cell ?? '')), facts(rows))).addTo(ctx.map)
  }
}

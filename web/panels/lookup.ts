/**
 * Lookup: click anywhere (or type coordinates, WGS84 or GCJ-02 from Chinese
 * map apps) → the grid, community and town there and how to reach the grid's
 * administrators: the lookup API's answer, as a card.
 */
import type * as maplibregl from 'maplibre-gl'
import { lookup, unit, type LookupAnswer } from '../api.ts'
import { fill, h } from '../dom.ts'
import { localName, num, t } from '../i18n.ts'
import { highlightPoint, highlightUnit } from '../map/layers/highlight.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { errorText } from './widgets.ts'

/** A typed coordinate: a plain decimal within ±limit, or null. */
function coordinate(text: string, limit: number): number | null {
  const v = text.trim()
  if (!/^[-+−]?(\d+\.?\d*|\.\d+)$/.test(v)) return null
  const x = Number(v.replace('−', '-'))
  return Math.abs(x) <= limit ? x : null
}

export class LookupPanel implements Panel {
  readonly id = 'lookup' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #lon = '113.7518'
  #lat = '23.0207'
  #gcj = false
  #answer: LookupAnswer | null = null
  #error: string | null = null
  #seq = 0
  #settled: Promise<void> = Promise.resolve()
  readonly #card = h('div', { id: 'lookup-card', className: 'card' })
  readonly #onClick = (e: maplibregl.MapMouseEvent) => {
    this.#lon = e.lngLat.lng.toFixed(6)
    this.#lat = e.lngLat.lat.toFixed(6)
    this.#gcj = false
    this.render()
    this.#settled = this.#lookup(e.lngLat.lng, e.lngLat.lat, 'wgs84')
  }

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    ctx.map.on('click', this.#onClick)
    ctx.map.getCanvas().style.cursor = 'crosshair'
    this.render()
  }

  onRemove(): void {
    this.#seq++
    this.#ctx?.map.off('click', this.#onClick)
    if (this.#ctx) this.#ctx.map.getCanvas().style.cursor = ''
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
    const lon = h('input', { id: 'lookup-lon', value: this.#lon, size: 10, 'aria-label': t('lookup.lon'), inputmode: 'decimal' })
    const lat = h('input', { id: 'lookup-lat', value: this.#lat, size: 10, 'aria-label': t('lookup.lat'), inputmode: 'decimal' })
    const gcj = h('input', { type: 'checkbox', id: 'lookup-gcj', checked: this.#gcj })
    const form = h('form', { className: 'lookup-form' },
      h('label', {}, t('lookup.lon'), ' ', lon), h('label', {}, t('lookup.lat'), ' ', lat),
      h('label', { className: 'check' }, gcj, ' ', t('lookup.gcj')),
      h('button', { type: 'submit' }, t('lookup.go')))
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      this.#lon = lon.value
      this.#lat = lat.value
      this.#gcj = gcj.checked
      // Checked here, in the interface's language: an empty box is not 0, and "113,75" is not a number.
      const x = coordinate(lon.value, 180)
      const y = coordinate(lat.value, 90)
      if (x === null || y === null) {
        this.#seq++ // an answer still on its way is for the previous input
        this.#answer = null
        this.#error = x === null ? t('lookup.badLon', { v: lon.value.trim() }) : t('lookup.badLat', { v: lat.value.trim() })
        this.#renderCard()
        ;(x === null ? lon : lat).focus()
        return
      }
      this.#settled = this.#lookup(x, y, gcj.checked ? 'gcj02' : 'wgs84', true)
    })
    fill(this.#el, h('h2', {}, t('lookup.title')), h('p', { className: 'muted' }, t('lookup.hint')), form, this.#card)
    this.#renderCard()
  }

  async #lookup(lon: number, lat: number, crs: 'wgs84' | 'gcj02', fly = false): Promise<void> {
    const ctx = this.#ctx
    if (!ctx) return
    const seq = ++this.#seq
    try {
      const a = await lookup(lon, lat, crs)
      if (seq !== this.#seq || this.#ctx !== ctx) return
      this.#answer = a
      this.#error = null
      this.#renderCard()
      highlightPoint(ctx.map, a.point)
      if (fly) ctx.flyTo(a.point, Math.max(ctx.map.getZoom(), 14))
      const code = a.grid?.code
      highlightUnit(ctx.map, null)
      if (code) {
        const f = await unit(code)
        if (seq === this.#seq && this.#ctx === ctx) highlightUnit(ctx.map, f.geometry)
      }
    } catch (err) {
      if (seq !== this.#seq) return
      this.#answer = null
      this.#error = errorText(err)
      this.#renderCard()
    }
  }

  #renderCard(): void {
    const a = this.#answer
    if (this.#error) return (this.#card.dataset.grid = ''), fill(this.#card, h('div', { className: 'error', role: 'alert' }, this.#error))
    if (!a) return fill(this.#card)
    this.#card.dataset.grid = a.grid?.code ?? ''
    if (!a.grid) {
      return fill(this.#card, h('div', {}, h('strong', {}, t('lookup.outside'))),
        a.nearest ? h('div', { className: 'muted' }, t('lookup.nearest', { name: localName(a.nearest), m: num(a.nearest.distanceM) })) : null)
    }
    const unitRow = (label: string, u: LookupAnswer['grid']) => h('tr', {}, h('th', {}, label), h('td', {}, localName(u), ' ', h('code', {}, u?.code ?? '')))
    fill(
      this.#card,
      h('table', { className: 'facts' },
        unitRow(t('lookup.grid'), a.grid),
        unitRow(t('lookup.community'), a.community),
        unitRow(t('lookup.town'), a.town),
        h('tr', {}, h('th', {}, t('lookup.admins')), h('td', { className: 'admins' },
          ...(a.administrators.length === 0 ? ['—'] : a.administrators.map((x) => h('div', {}, x.name, ' ', x.phone ? h('a', { href: `tel:${x.phone}` }, x.phone) : null)))))),
      a.onBoundary ? h('div', { className: 'muted' }, t('lookup.boundary')) : null,
    )
  }
}

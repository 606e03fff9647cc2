/**
 * Wires the console: settles the API key, learns which tile layers the
 * server has, creates the one map with the unit layers, and switches views
 * (panels) from the header and the URL hash (#incidents, …).
 */
import './style.css'
import type * as maplibregl from 'maplibre-gl'
import { ApiError, consoleConfig, me, setPlannerKey, unit, type ConsoleConfig } from './api.ts'
import { h } from './dom.ts'
import { FilterState } from './filters.ts'
import { currentLang, onLangChange, setLang, t, type MessageKey } from './i18n.ts'
import { keyCleared, setKey, storedKey } from './key-store.ts'
import { createMap } from './map/create-map.ts'
import { bboxOf } from './map/geometry.ts'
import { addHighlight, clearHighlight, highlightUnit } from './map/layers/highlight.ts'
import { addUnits, fetchLabelPoints, gridSourceRef, setCommunityLabels, setUnitLabelLanguage } from './map/layers/units.ts'
import { CoveragePanel } from './panels/coverage.ts'
import { HotspotsPanel } from './panels/hotspots.ts'
import { IncidentsPanel } from './panels/incidents.ts'
import { openKeyDialog } from './panels/key-dialog.ts'
import { LookupPanel } from './panels/lookup.ts'
import { OverviewPanel } from './panels/overview.ts'
import { VIEWS, type ConsoleContext, type Panel, type ViewId } from './panels/panel.ts'
import { StudioPanel } from './panels/studio.ts'
import { SupervisionPanel } from './panels/supervision.ts'

/** What tests and the benchmark read from the page. */
export interface ConsoleHandle {
  map: maplibregl.Map
  /** Resolves at the map's first `idle` with the console's layers on it; its value is ms since navigation. */
  firstIdle: Promise<number>
  view(): ViewId
  openView(id: ViewId): void
  /** Resolves when the current view shows what its filter asks for. */
  settled(): Promise<void>
}
declare global {
  interface Window {
    zhiwang?: ConsoleHandle
  }
}

const statusEl = document.getElementById('status')!
function status(message: string | null, kind: 'info' | 'error' = 'info'): void {
  statusEl.textContent = message ?? ''
  statusEl.className = `status ${kind}`
  if (message) console.info(`[zhiwang] ${message}`)
}

/**
 * The key to send: the user's own while the server accepts it (`check`
 * says so); otherwise the server's current demo key (a new one after each
 * restart of the server) — unless the user cleared the key, who then sees
 * what the public sees. Resolves to a message for the user when their
 * saved key was refused (shown once the view is open).
 */
async function settleKey(config: ConsoleConfig, check: Promise<unknown> | null): Promise<string | null> {
  const stored = storedKey()
  let message: string | null = null
  if (stored?.source === 'user' && check) {
    try {
      await check
      return null
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) return null
      setKey(null)
      message = t('key.invalidStored', { detail: err.message.replace(/^\d{3}: /, '') }) + (config.demoKey ? t('key.fallbackDemo') : '')
    }
  }
  if (keyCleared() && message === null) return null
  if (config.demoKey) setKey({ secret: config.demoKey, source: 'demo' })
  else if (stored?.source === 'demo') setKey(null)
  return message
}

async function start(): Promise<void> {
  document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en'
  // Everything the first picture needs is asked for at once; the map (and its
  // worker) starts meanwhile, on a blank style.
  const stored = storedKey()
  const check = stored?.source === 'user' ? me(stored.secret) : null
  check?.catch(() => {})
  const townLabels = fetchLabelPoints('town')
  const map = createMap(document.getElementById('map')!)
  const mapLoaded = new Promise<void>((resolve) => map.once('load', () => resolve()))
  const config = await consoleConfig().catch((): ConsoleConfig => ({ demoKey: null, basemapStyle: null, tiles: null }))
  performance.mark('zw:config')
  const keyMessage = await settleKey(config, check)
  setPlannerKey(config.demoPlannerKey ?? null)
  const tiles = config.tiles ?? {}
  // Grid tiles start at some zoom: open there when the city fits nearly whole (the first picture then
  // has grids); on a narrow screen (a phone) the whole city first, its towns and communities, grids on zooming in.
  const gridsFrom = tiles.grids?.minzoom ?? 0
  if (map.getZoom() < gridsFrom && map.getZoom() >= gridsFrom - 0.25) map.jumpTo({ zoom: gridsFrom })
  const town = await townLabels
  performance.mark('zw:labels')
  await mapLoaded
  performance.mark('zw:map-load')
  if (config.basemapStyle) {
    map.setStyle(config.basemapStyle)
    await new Promise<void>((resolve) => map.once('style.load', () => resolve()))
  }

  const filters = new FilterState()
  const panels: Record<ViewId, Panel> = {
    overview: new OverviewPanel(),
    lookup: new LookupPanel(),
    incidents: new IncidentsPanel(),
    hotspots: new HotspotsPanel(),
    coverage: new CoveragePanel(),
    supervision: new SupervisionPanel(),
    studio: new StudioPanel(),
  }
  const panelEl = document.getElementById('panel')!
  const ctx: ConsoleContext = {
    map,
    filters,
    tiles,
    grids: gridSourceRef(tiles),
    hasKey: () => storedKey() !== null,
    askKey: () => openKeyDialog(config.demoKey, () => location.reload()),
    async showUnit(code) {
      const f = await unit(code)
      const box = bboxOf(f.geometry)
      if (box) map.fitBounds(box, { padding: 40, maxZoom: 16, duration: 600 })
      highlightUnit(map, f.geometry)
    },
    flyTo: (lonLat, zoom) => map.flyTo({ center: lonLat, zoom: zoom ?? map.getZoom(), duration: 600 }),
    status,
  }

  let current: ViewId | null = null
  const nav = document.getElementById('views')!
  const buttons = new Map(VIEWS.map((id) => [id, h('button', { type: 'button', 'data-view': id, onclick: () => (location.hash = id) }, t(`view.${id}`))]))
  nav.append(...buttons.values())

  function openView(id: ViewId): void {
    if (id === current) return
    if (current) panels[current].onRemove()
    status(null)
    clearHighlight(map)
    panelEl.replaceChildren()
    current = id
    for (const [v, b] of buttons) b.setAttribute('aria-current', String(v === id))
    panels[id].onAdd(ctx, panelEl)
  }
  const viewFromHash = (): ViewId => (VIEWS as readonly string[]).includes(location.hash.slice(1)) ? (location.hash.slice(1) as ViewId) : 'overview'
  window.addEventListener('hashchange', () => openView(viewFromHash()))

  function translateStatic(): void {
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey)
    for (const [id, b] of buttons) b.textContent = t(`view.${id}`)
    document.getElementById('lang')!.textContent = t('lang.other')
    document.title = `${t('app.title')} · ${t('app.subtitle')}`
  }
  translateStatic()
  document.getElementById('lang')!.addEventListener('click', () => setLang(currentLang() === 'zh' ? 'en' : 'zh'))
  document.getElementById('key')!.addEventListener('click', () => ctx.askKey())
  onLangChange((lang) => {
    translateStatic()
    setUnitLabelLanguage(map, lang)
    if (current) panels[current].onLangChange()
  })

  map.on('error', (e) => console.warn('[map]', e.error?.message ?? String(e.error)))
  addUnits(map, tiles, town, currentLang())
  addHighlight(map)
  performance.mark('zw:layers')
  const firstIdle = new Promise<number>((resolve) => map.once('idle', () => resolve(performance.mark('zw:idle').startTime)))
  // Community names show from zoom 11.5 only: they need not hold up the first picture.
  void firstIdle.then(() => fetchLabelPoints('community')).then((fc) => setCommunityLabels(map, fc), (err) => console.warn('[labels]', (err as Error).message))
  openView(viewFromHash())
  if (keyMessage) status(keyMessage, 'error')
  window.zhiwang = {
    map,
    firstIdle,
    view: () => current ?? 'overview',
    openView: (id) => (location.hash = id),
    settled: () => (current ? panels[current].settled() : Promise.resolve()),
  }
}

start().catch((err) => {
  status(t('error', { detail: (err as Error).message }), 'error')
  console.error(err)
})

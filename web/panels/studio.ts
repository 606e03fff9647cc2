/**
 * The planning studio: choose a town or one of its communities (from the
 * lists or by clicking the map), open one of its drafts or start a new plan,
 * then repaint its grids block by block and publish it as the next boundary
 * generation. The open plan lives in a PlanSession; this panel chooses it.
 */
import type * as maplibregl from 'maplibre-gl'
import { communitiesOf, createPlan, draftPlans, lookup, planActsAsDemo, planSecret } from '../api.ts'
import { fill, h } from '../dom.ts'
import { localName, num, t } from '../i18n.ts'
import { highlightUnit } from '../map/layers/highlight.ts'
import { addPlanBlocks, removePlanBlocks } from '../map/layers/plan-blocks.ts'
import { fetchLabelPoints } from '../map/layers/units.ts'
import type { PlanSummary, PlanView } from '../plan-types.ts'
import type { ConsoleContext, Panel } from './panel.ts'
import { PlanSession } from './studio-session.ts'
import { errorText, needsKey, select } from './widgets.ts'

interface Named {
  code: string
  name: string
  name_en: string | null
}

const byCode = (a: Named, b: Named) => (a.code < b.code ? -1 : 1)
const RESOLUTIONS = [10, 9, 8, 7]

export class StudioPanel implements Panel {
  readonly id = 'studio' as const
  #ctx: ConsoleContext | null = null
  #el: HTMLElement | null = null
  #towns: Named[] = []
  #communities: Named[] = []
  #town = ''
  #community = ''
  #res = 10
  #drafts: PlanSummary[] | null = null
  #creating: { started: number; timer: number } | null = null
  #opening = false
  #error: string | null = null
  #session: PlanSession | null = null
  #seq = 0
  #settled: Promise<void> = Promise.resolve()
  readonly #onClick = (e: maplibregl.MapMouseEvent) => {
    if (!this.#session && !this.#creating) this.#settled = this.#chooseAt(e.lngLat.lng, e.lngLat.lat)
  }
  readonly #onKey = (e: KeyboardEvent) => {
    const s = this.#session
    if (!s || !(e.ctrlKey || e.metaKey) || (e.target as HTMLElement | null)?.closest('input, select, textarea')) return
    const key = e.key.toLowerCase()
    if (key === 'z' && !e.shiftKey) s.actions.undo()
    else if (key === 'y' || (key === 'z' && e.shiftKey)) s.actions.redo()
    else return
    e.preventDefault()
  }

  onAdd(ctx: ConsoleContext, el: HTMLElement): void {
    this.#ctx = ctx
    this.#el = el
    document.body.classList.add('studio-wide')
    ctx.map.resize()
    addPlanBlocks(ctx.map)
    ctx.map.on('click', this.#onClick)
    document.addEventListener('keydown', this.#onKey)
    if (!planSecret()) return fill(el, h('h2', {}, t('view.studio')), needsKey(ctx))
    this.render()
    this.#settled = fetchLabelPoints('town').then(
      (fc) => {
        this.#towns = fc.features.map((f) => f.properties as unknown as Named).sort(byCode)
        this.render()
      },
      (err) => ((this.#error = errorText(err)), this.render()),
    )
  }

  onRemove(): void {
    const ctx = this.#ctx
    this.#seq++
    this.#stopTimer()
    this.#session?.unmount()
    this.#session = null
    if (ctx) {
      ctx.map.off('click', this.#onClick)
      removePlanBlocks(ctx.map)
      document.body.classList.remove('studio-wide')
      ctx.map.resize()
    }
    document.removeEventListener('keydown', this.#onKey)
    this.#ctx = null
  }

  onLangChange(): void {
    this.#session?.relabel()
    this.render()
  }

  settled(): Promise<void> {
    return this.#settled.then(() => this.#session?.idle())
  }

  render(): void {
    const el = this.#el
    if (!el || !this.#ctx || !planSecret()) return
    if (this.#session) return fill(el, h('h2', {}, t('view.studio')), this.#session.el)
    const scope = this.#community || this.#town
    const town = select([['', '—'], ...this.#towns.map((x): [string, string] => [x.code, `${localName(x)} ${x.code}`])], this.#town, (v) => (this.#settled = this.#chooseTown(v, '')), t('level.town'))
    const community = select([['', t('studio.wholeTown')], ...this.#communities.map((x): [string, string] => [x.code, `${localName(x)} ${x.code}`])], this.#community, (v) => (this.#settled = this.#chooseCommunity(v)), t('level.community'))
    town.id = 'studio-town'
    community.id = 'studio-community'
    fill(el,
      h('h2', {}, t('view.studio')),
      h('p', { className: 'muted' }, t('studio.intro')),
      h('p', { className: 'muted', id: 'studio-identity' }, planActsAsDemo() ? t('studio.as.demo') : t('studio.as.user')),
      h('label', { className: 'row' }, t('level.town'), ' ', town),
      h('label', { className: 'row' }, t('level.community'), ' ', community),
      this.#error ? h('div', { className: 'error', id: 'studio-error' }, this.#error) : null,
      // Drafts that could not be read (a key whose role may not plan): the error says so, no endless "Loading…" or New plan.
      scope && !(this.#error !== null && this.#drafts === null) ? this.#planChoice(scope) : null)
  }

  #planChoice(scope: string): HTMLElement {
    const creating = this.#creating
    return h('div', {},
      h('h3', {}, t('studio.drafts')),
      this.#drafts === null
        ? h('div', { className: 'muted' }, t('loading'))
        : this.#drafts.length === 0
          ? h('div', { className: 'muted', id: 'studio-drafts' }, t('studio.noDrafts'))
          : h('div', { className: 'results', id: 'studio-drafts' },
              ...this.#drafts.map((d) => h('button', { type: 'button', className: 'result', 'data-plan': String(d.id), disabled: this.#opening, onclick: () => (this.#settled = this.#open(d.id)) },
                h('strong', {}, d.name), h('span', { className: 'muted' }, ` #${d.id} · v${d.version} · ${d.scopeName ?? d.scope} · ${d.updatedAt.slice(0, 16).replace('T', ' ')}${d.baseIsCurrent ? '' : ` · ${t('studio.staleShort')}`}`)))),
      h('div', { className: 'row' },
        h('button', { type: 'button', id: 'studio-new', className: 'primary', disabled: creating !== null || this.#opening, onclick: () => (this.#settled = this.#create(scope)) }, t('studio.new')),
        t('studio.res'), select(RESOLUTIONS.map((r) => [String(r), `r${r}`]), String(this.#res), (v) => (this.#res = Number(v)), t('studio.res'))),
      creating ? h('div', { id: 'studio-creating' }, h('progress', { className: 'wide' }), h('span', { className: 'muted' }, t('studio.creating', { s: num((performance.now() - creating.started) / 1000, 0) }))) : null,
      this.#opening && !creating ? h('div', { className: 'muted' }, t('loading')) : null)
  }

  async #chooseTown(town: string, community: string): Promise<void> {
    const seq = ++this.#seq
    this.#town = town
    this.#community = community
    this.#communities = []
    this.#drafts = null
    this.render()
    if (!town) return
    try {
      const fc = await communitiesOf(town)
      if (seq !== this.#seq) return
      this.#communities = fc.features.map((f) => f.properties as unknown as Named).sort(byCode)
      this.render()
      await this.#chooseCommunity(community, seq)
    } catch (err) {
      if (seq === this.#seq) (this.#error = errorText(err)), this.render()
    }
  }

  async #chooseCommunity(community: string, seq = ++this.#seq): Promise<void> {
    this.#community = community
    this.#drafts = null
    this.#error = null
    this.render()
    const scope = community || this.#town
    if (!scope) return
    void this.#ctx?.showUnit(scope).catch(() => {})
    try {
      const drafts = (await draftPlans(scope)).items
      if (seq === this.#seq) this.#drafts = drafts
    } catch (err) {
      if (seq === this.#seq) this.#error = errorText(err)
    }
    this.render()
  }

  /** A click on the map chooses the community (and town) there. */
  async #chooseAt(lon: number, lat: number): Promise<void> {
    try {
      const a = await lookup(lon, lat)
      if (a.town && a.community) await this.#chooseTown(a.town.code, a.community.code)
    } catch (err) {
      this.#ctx?.status(errorText(err), 'error')
    }
  }

  async #create(scope: string): Promise<void> {
    this.#creating = { started: performance.now(), timer: window.setInterval(() => this.render(), 1000) }
    this.#error = null
    this.render()
    try {
      const view = await createPlan(scope, this.#res)
      console.info(`[studio] plan ${view.plan.id} created in ${Math.round(performance.now() - this.#creating.started)} ms (${view.plan.blocks} blocks)`)
      this.#stopTimer()
      await this.#open(view.plan.id, view)
    } catch (err) {
      this.#stopTimer()
      this.#error = errorText(err)
      this.render()
    }
  }

  async #open(id: number, known?: PlanView): Promise<void> {
    const ctx = this.#ctx
    if (!ctx) return
    const seq = ++this.#seq
    this.#opening = true
    this.render()
    try {
      const host = { close: () => this.#close(), open: (other: number) => void (this.#settled = this.#open(other)) }
      highlightUnit(ctx.map, null)
      const started = performance.now()
      const session = await PlanSession.open(ctx, host, id, known)
      if (seq !== this.#seq || this.#ctx !== ctx) return
      console.info(`[studio] plan ${id} opened in ${Math.round(performance.now() - started)} ms`)
      this.#session?.unmount()
      ctx.status(null)
      this.#session = session
      session.mount()
    } catch (err) {
      if (seq === this.#seq) this.#error = errorText(err)
    } finally {
      this.#opening = false
    }
    this.render()
  }

  #close(): void {
    this.#session?.unmount()
    this.#session = null
    this.#seq++
    this.render()
    this.#settled = this.#chooseCommunity(this.#community)
  }

  #stopTimer(): void {
    if (this.#creating) window.clearInterval(this.#creating.timer)
    this.#creating = null
  }
}

/** Small pieces several panels share: legends, key prompts, definition tables, errors. */
import { h } from '../dom.ts'
import { t, type MessageKey } from '../i18n.ts'
import { ApiError } from '../api.ts'
import type { LegendEntry } from '../map/layers/grid-colour.ts'
import type { ConsoleContext } from './panel.ts'

export function legend(title: string, entries: LegendEntry[]): HTMLElement {
  return h('div', { className: 'legend' }, h('div', { className: 'legend-title' }, title), ...entries.map((e) => h('div', { className: 'legend-row' }, h('span', { className: 'swatch', style: `background:${e.colour}` }), e.label)))
}

export function needsKey(ctx: ConsoleContext): HTMLElement {
  return h('div', { className: 'notice' }, t('needsKey'), ' ', h('button', { type: 'button', onclick: () => ctx.askKey() }, t('needsKey.enter')))
}

export function facts(rows: [MessageKey | string, unknown][]): HTMLTableElement {
  return h('table', { className: 'facts' }, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k.includes('.') ? t(k as MessageKey) : k), h('td', {}, v instanceof Node ? v : String(v ?? '—')))))
}

/** A message for a failed request: missing endpoints said plainly. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError && err.status === 404 && /Route .* not found/.test(err.message)) return t('unavailable', { detail: err.message })
  return t('error', { detail: (err as Error).message })
}

export function heading(key: MessageKey): HTMLElement {
  return h('h2', {}, t(key))
}

export function select(options: [string, string][], value: string, onchange: (v: string) => void, label?: string): HTMLSelectElement {
  const s = h('select', { 'aria-label': label ?? null }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)))
  s.addEventListener('change', () => onchange(s.value))
  return s
}

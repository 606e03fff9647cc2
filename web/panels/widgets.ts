/** Small pieces several panels share: legends, key prompts, definition tables, errors. */
import { h } from '../dom.ts'
import { currentLang, t, tDynamic, type MessageKey } from '../i18n.ts'
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

/**
 * A message for a failed request, in the interface's language where the
 * server said why in fields: a key without the role a view needs names the
 * roles; other refusals and bad input keep the server's detail after a
 * sentence of ours.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('error', { detail: (err as Error).message })
  const detail = err.message.replace(/^\d{3}: /, '')
  if (err.status === 404 && /Route .* not found/.test(err.message)) return t('unavailable', { detail })
  const needed = err.problem?.requiredRoles
  if (err.status === 403 && Array.isArray(needed) && typeof err.problem?.role === 'string') {
    return t('error.role', { roles: needed.map((r) => tDynamic(`role.${String(r)}`)).join(currentLang() === 'zh' ? '、' : ', '), role: tDynamic(`role.${err.problem.role}`) })
  }
  if (err.status === 403) return t('error.forbidden', { detail })
  if (err.status === 401) return t('error.key', { detail })
  if (err.status === 400 || err.status === 422) return t('error.input', { detail })
  return t('error', { detail: err.message })
}

export function heading(key: MessageKey): HTMLElement {
  return h('h2', {}, t(key))
}

export function select(options: [string, string][], value: string, onchange: (v: string) => void, label?: string): HTMLSelectElement {
  const s = h('select', { 'aria-label': label ?? null }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)))
  s.addEventListener('change', () => onchange(s.value))
  return s
}

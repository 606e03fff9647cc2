/**
 * Incidents over time by category, drawn as plain SVG: stacked areas of the
 * busiest categories with the rest summed as "other", so the outline is the
 * total and the bands its make-up. No chart library.
 */
import type { SeriesAnswer } from '../api.ts'
import { h } from '../dom.ts'
import { num, t } from '../i18n.ts'

const SVG = 'http://www.w3.org/2000/svg'
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c8c8c']
const W = 320
const H = 150
const PAD = { l: 34, r: 8, t: 8, b: 20 }

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  el.append(...children)
  return el
}

/** Top `k` series by total, plus the rest summed. */
export function topSeries(answer: SeriesAnswer, k: number, otherLabel: string): { key: string; values: number[] }[] {
  const sorted = [...answer.series].sort((a, b) => b.total - a.total)
  const top = sorted.slice(0, k).map((s) => ({ key: s.key, values: s.values }))
  const rest = sorted.slice(k)
  if (rest.length > 0) top.push({ key: otherLabel, values: answer.steps.map((_, i) => rest.reduce((s, r) => s + (r.values[i] ?? 0), 0)) })
  return top
}

export function seriesChart(answer: SeriesAnswer, nameOf: (key: string) => string): HTMLElement {
  const lines = topSeries(answer, 5, t('chart.other'))
  const n = answer.steps.length
  const stacked = lines.map((_, k) => answer.steps.map((__, i) => lines.slice(0, k + 1).reduce((s, l) => s + (l.values[i] ?? 0), 0)))
  const max = Math.max(1, ...(stacked.at(-1) ?? []))
  if (n === 0 || lines.length === 0) return h('div', { className: 'chart muted' }, t('chart.empty'))
  const x = (i: number) => PAD.l + (n === 1 ? 0 : (i / (n - 1)) * (W - PAD.l - PAD.r))
  const y = (v: number) => H - PAD.b - (v / max) * (H - PAD.t - PAD.b)
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': t('incidents.chart') },
    svg('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, stroke: '#9aa5b1' }),
    svg('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, stroke: '#9aa5b1' }),
    svg('text', { x: PAD.l - 4, y: PAD.t + 8, 'text-anchor': 'end', class: 'axis' }, num(max)),
    svg('text', { x: PAD.l - 4, y: H - PAD.b, 'text-anchor': 'end', class: 'axis' }, '0'),
    svg('text', { x: PAD.l, y: H - 4, class: 'axis' }, answer.steps[0]!),
    svg('text', { x: W - PAD.r, y: H - 4, 'text-anchor': 'end', class: 'axis' }, answer.steps[n - 1]!),
    ...lines.map((l, k) => {
      const top = stacked[k]!.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`)
      const bottom = (k === 0 ? answer.steps.map(() => 0) : stacked[k - 1]!).map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse()
      const colour = COLOURS[k % COLOURS.length]!
      return svg('polygon', { points: [...top, ...bottom].join(' '), fill: colour, 'fill-opacity': 0.55, stroke: colour, 'stroke-width': 1 },
        svg('title', {}, `${nameOf(l.key)}: ${num(l.values.reduce((s, v) => s + v, 0))}`))
    }),
  )
  const key = h('div', { className: 'chart-key' }, ...lines.map((l, k) => h('span', {}, h('span', { className: 'swatch', style: `background:${COLOURS[k % COLOURS.length]}` }), nameOf(l.key))))
  return h('div', { className: 'chart-box' }, chart as unknown as Node, key)
}

/**
 * Colourings of the grid fill: workload (quantile classes), deviation from
 * the community mean (the ±25 % band neutral) and patrol coverage. Values
 * come from the grid tiles' attributes, or from feature state where the
 * console fetched them (GeoJSON fallback, patrol coverage).
 */
import type * as maplibregl from 'maplibre-gl'
import type { ExpressionSpecification } from 'maplibre-gl'
import { num, pct, t } from '../../i18n.ts'
import type { GridSourceRef } from './units.ts'

export interface LegendEntry {
  colour: string
  label: string
}

const NO_DATA = 'rgba(200,200,200,0.25)'
const LOAD_COLOURS = ['#fee6ce', '#fdae6b', '#f16913', '#d94801', '#7f2704']
const DEVIATION = { breaks: [-0.5, -0.25, 0.25, 0.5], colours: ['#2166ac', '#92c5de', '#f7f7f7', '#f4a582', '#b2182b'] }
const PATROL = { breaks: [0.25, 0.5, 0.75], colours: ['#edf8e9', '#bae4b3', '#74c476', '#238b45'] }

const value = (name: string): ExpressionSpecification => ['coalesce', ['feature-state', name], ['get', name]]

function stepped(name: string, breaks: number[], colours: string[]): ExpressionSpecification {
  const steps = breaks.flatMap((b, i) => [b, colours[i + 1]!])
  return ['case', ['==', ['typeof', value(name)], 'number'], ['step', value(name), colours[0]!, ...steps], NO_DATA] as ExpressionSpecification
}

function legendOf(breaks: number[], colours: string[], fmt: (v: number) => string): LegendEntry[] {
  return colours.slice(0, breaks.length + 1).map((colour, i) => ({
    colour,
    label: i === 0 ? `< ${fmt(breaks[0]!)}` : i === breaks.length ? `≥ ${fmt(breaks[i - 1]!)}` : `${fmt(breaks[i - 1]!)} – ${fmt(breaks[i]!)}`,
  }))
}

export function loadColouring(breaks: number[]): { colour: ExpressionSpecification; legend: LegendEntry[] } {
  const colours = LOAD_COLOURS.slice(LOAD_COLOURS.length - breaks.length - 1)
  return { colour: stepped('load', breaks, colours), legend: [...legendOf(breaks, colours, (v) => num(v, v < 10 ? 1 : 0)), { colour: NO_DATA, label: t('legend.noData') }] }
}

export function deviationColouring(): { colour: ExpressionSpecification; legend: LegendEntry[] } {
  const signed = (v: number) => `${v > 0 ? '+' : ''}${pct(v)}`
  return { colour: stepped('deviation', DEVIATION.breaks, DEVIATION.colours), legend: [...legendOf(DEVIATION.breaks, DEVIATION.colours, signed), { colour: NO_DATA, label: t('legend.noData') }] }
}

export function patrolColouring(): { colour: ExpressionSpecification; legend: LegendEntry[] } {
  return { colour: stepped('share30', PATROL.breaks, PATROL.colours), legend: legendOf(PATROL.breaks, PATROL.colours, (v) => pct(v)) }
}

/** Puts per-grid values into feature state (code → values). */
export function setGridStates(map: maplibregl.Map, ref: GridSourceRef, values: Iterable<[string, Record<string, number | null>]>): void {
  for (const [code, state] of values) map.setFeatureState({ ...ref, id: code }, state)
}

export function clearGridStates(map: maplibregl.Map, ref: GridSourceRef): void {
  if (map.getSource(ref.source)) map.removeFeatureState(ref.sourceLayer ? { source: ref.source, sourceLayer: ref.sourceLayer } : { source: ref.source })
}

/** The numbers of one attribute of the grids loaded so far (tile attributes and feature state). */
export function loadedGridValues(map: maplibregl.Map, ref: GridSourceRef, name: string): number[] {
  const seen = new Map<string, number>()
  for (const f of map.querySourceFeatures(ref.source, ref.sourceLayer ? { sourceLayer: ref.sourceLayer } : {})) {
    const code = String(f.properties.code ?? f.id)
    const state = map.getFeatureState({ ...ref, id: code })
    const v = state[name] ?? f.properties[name]
    if (typeof v === 'number' && Number.isFinite(v)) seen.set(code, v)
  }
  return [...seen.values()]
}

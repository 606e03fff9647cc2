/**
 * Shapes lookup answers. Single answers are objects; batch and stream answers
 * are built from per-grid JSON snippets made once per index, so a million
 * answers cost a million string concatenations and nothing else.
 */
import type { IndexedGeneration, UnitRef } from './indexed-generation.ts'

export const SINGLE_FIELDS = ['grid', 'community', 'town', 'onBoundary', 'administrators', 'nearest', 'generation', 'point'] as const
export type SingleField = (typeof SINGLE_FIELDS)[number]

export function singleAnswer(ix: IndexedGeneration, g: number, lon: number, lat: number, onBoundary: boolean, nearest: boolean) {
  const ref = (u: UnitRef | null | undefined) => (u ? { code: u.code, name: u.name, name_en: u.name_en } : null)
  const answer: Record<string, unknown> = {
    point: [lon, lat],
    generation: { id: ix.generation.id, label: ix.generation.label, validFrom: ix.generation.validFrom, validTo: ix.generation.validTo },
    grid: g >= 0 ? ref(ix.grids[g]) : null,
    community: g >= 0 ? ref(ix.communities[g]) : null,
    town: g >= 0 ? ref(ix.towns[g]) : null,
    onBoundary,
    administrators: g >= 0 ? ix.administrators[g] : [],
  }
  if (nearest && g < 0) {
    const n = ix.index.edges.nearest(lon, lat)
    answer.nearest = n ? { ...ref(ix.grids[n.grid]), distanceM: Math.round(n.metres * 10) / 10 } : null
  }
  return answer
}

export function pickFields(answer: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (!fields) return answer
  const wanted = new Set(fields.split(',').map((f) => f.trim()))
  return Object.fromEntries(Object.entries(answer).filter(([k]) => wanted.has(k)))
}

export const BATCH_FIELDS = ['grid', 'community', 'town', 'onBoundary'] as const
export type BatchField = (typeof BATCH_FIELDS)[number]

/** JSON members per grid index for the chosen fields, and the members for "no grid". */
export function batchSnippets(ix: IndexedGeneration, fields: readonly BatchField[]) {
  const code = (u: UnitRef | null | undefined) => (u ? JSON.stringify(u.code) : 'null')
  const members = (g: number) =>
    fields
      .filter((f) => f !== 'onBoundary')
      .map((f) => `"${f}":${g < 0 ? 'null' : code(f === 'grid' ? ix.grids[g] : f === 'community' ? ix.communities[g] : ix.towns[g])}`)
      .join(',')
  return { byGrid: ix.grids.map((_, g) => members(g)), none: members(-1), withBoundary: fields.includes('onBoundary') }
}

/**
 * Shapes lookup answers. Single answers are objects; batch and stream answers
 * are built from per-grid JSON snippets made once per index, so a million
 * answers cost a million string concatenations and nothing else.
 */
import type { IndexedGeneration, UnitRef } from './indexed-generation.ts'

export const SINGLE_FIELDS = ['grid', 'community', 'town', 'onBoundary', 'administrators', 'nearest', 'generation', 'point'] as const
export type SingleField = (typeof SINGLE_FIELDS)[number]

/**
 * The single answer. Units, generation and administrators are the index's own
 * objects, shared by every answer: only the answer and its point are new.
 */
export function singleAnswer(ix: IndexedGeneration, g: number, lon: number, lat: number, onBoundary: boolean, nearest: boolean) {
  const answer: Record<string, unknown> = {
    point: [lon, lat],
    generation: ix.generation,
    grid: g >= 0 ? ix.grids[g] : null,
    community: g >= 0 ? ix.communities[g] : null,
    town: g >= 0 ? ix.towns[g] : null,
    onBoundary,
    administrators: g >= 0 ? ix.administrators[g] : [],
  }
  if (nearest && g < 0) {
    const n = ix.index.edges.nearest(lon, lat)
    answer.nearest = n ? { ...ix.grids[n.grid], distanceM: Math.round(n.metres * 10) / 10 } : null
  }
  return answer
}

/** The part of a single answer after its point, and its length in UTF-8 bytes. */
export interface AnswerRest {
  text: string
  bytes: number
}

const wholeAnswers = new WeakMap<IndexedGeneration, AnswerRest[]>()

/**
 * The single answer with every field but its point, as JSON text: the same
 * for every point of a grid (and boundary flag), so it is serialised and
 * measured once per index and grid.
 */
export function singleRest(ix: IndexedGeneration, g: number, onBoundary: boolean): AnswerRest {
  let cache = wholeAnswers.get(ix)
  if (!cache) wholeAnswers.set(ix, (cache = []))
  const k = g < 0 ? 2 * ix.grids.length : 2 * g + (onBoundary ? 1 : 0)
  let rest = cache[k]
  if (rest === undefined) {
    const text = JSON.stringify(singleAnswer(ix, g, 0, 0, onBoundary, false)).slice('{"point":[0,0]'.length)
    rest = cache[k] = { text, bytes: Buffer.byteLength(text) }
  }
  return rest
}

/** The JSON that starts a single answer: its point, ASCII (one byte a character). */
export const singleHead = (lon: number, lat: number): string => `{"point":[${lon},${lat}]`

/**
 * The single answer with every field, as JSON text: one short concatenation.
 * The text is what serialising singleAnswer() gives.
 */
export function singleJson(ix: IndexedGeneration, g: number, lon: number, lat: number, onBoundary: boolean): string {
  return singleHead(lon, lat) + singleRest(ix, g, onBoundary).text
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

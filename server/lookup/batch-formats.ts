/**
 * Writes a batch's answers — one Int32 per point, encoded as in
 * batch-binary.ts (2·grid + onBoundary, −1 no grid, −2 not a point) — in the
 * form the client asked for. Every form is built from per-grid snippets made
 * once, so a million answers cost a million array reads and one join.
 *
 *   rows     {"generation", "count", "errors", "results": [{"grid": …, "onBoundary": …}, …]}
 *            (null in place of a point that is not one)
 *   columns  {"generation", "count", "errors", "columns": {"grid": [...], "onBoundary": [...]}}
 *            one array per field, in input order (null where the point is not one)
 *   binary   see batch-binary.ts
 */
import { batchSnippets, type BatchField } from './answers.ts'
import { encodeBinaryAnswer, NO_GRID } from './batch-binary.ts'
import type { IndexedGeneration, UnitRef } from './indexed-generation.ts'
import { nextTurn, SLICE } from '../next-turn.ts'

export type BatchLayout = 'rows' | 'columns'

export interface PointError {
  index: number
  message: string
}

/** The JSON answer's text, written a slice of points at a time (next-turn.ts). */
export async function batchJson(ix: IndexedGeneration, answers: Int32Array, fields: readonly BatchField[], layout: BatchLayout, errors: PointError[]): Promise<string> {
  const head = `{"generation":${JSON.stringify(ix.generation)},"count":${answers.length},"errors":${JSON.stringify(errors)}`
  if (layout === 'rows') return `${head},"results":[${await pick(answers, rowSnippets(ix, fields), 'null')}]}`
  const columns: string[] = []
  for (const f of fields) columns.push(`${JSON.stringify(f)}:[${await pick(answers, columnSnippets(ix, f), 'null')}]`)
  return `${head},"columns":{${columns.join(',')}}}`
}

export function batchBinary(ix: IndexedGeneration, answers: Int32Array, invalid: number): Buffer {
  return encodeBinaryAnswer({ generation: ix.generation, count: answers.length, invalid, codes: ix.codes }, answers)
}

/** snippets[v] for each answer v ≥ 0, `none` for −1, `invalid` for −2; joined with commas. */
async function pick(answers: Int32Array, { snippets, none }: { snippets: string[]; none: string }, invalid: string): Promise<string> {
  const parts: string[] = []
  for (let from = 0; from < answers.length; from += SLICE) {
    if (from > 0) await nextTurn()
    const to = Math.min(answers.length, from + SLICE)
    const out: string[] = new Array(to - from)
    for (let k = from; k < to; k++) {
      const v = answers[k]!
      out[k - from] = v >= 0 ? snippets[v]! : v === NO_GRID ? none : invalid
    }
    parts.push(out.join(','))
  }
  return parts.join(',')
}

/** One row object per answer code 2·g + onBoundary. */
function rowSnippets(ix: IndexedGeneration, fields: readonly BatchField[]) {
  const { byGrid, none, withBoundary } = batchSnippets(ix, fields)
  const row = (members: string, boundary: boolean) => (withBoundary ? `{${members}${members ? ',' : ''}"onBoundary":${boundary}}` : `{${members}}`)
  return { snippets: byGrid.flatMap((m) => [row(m, false), row(m, true)]), none: row(none, false) }
}

/** One column value per answer code 2·g + onBoundary. */
function columnSnippets(ix: IndexedGeneration, field: BatchField) {
  if (field === 'onBoundary') return { snippets: ix.grids.flatMap(() => ['false', 'true']), none: 'false' }
  const units: (UnitRef | null)[] = field === 'grid' ? ix.grids : field === 'community' ? ix.communities : ix.towns
  return { snippets: units.flatMap((u) => [u ? JSON.stringify(u.code) : 'null', u ? JSON.stringify(u.code) : 'null']), none: 'null' }
}

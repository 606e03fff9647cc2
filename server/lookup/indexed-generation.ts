/**
 * One generation ready for lookups: its grid index plus what an answer names —
 * codes and names of each grid's community and town, and the grid's active
 * administrators — in arrays by grid index, so answering allocates little.
 */
import type { Queryable } from '../db/client.ts'
import { buildPointIndex, type IndexLog, type PointIndex } from './build-index.ts'
import { PatchedIndex } from './patched-index.ts'
import { GridPolygons } from './grid-polygons.ts'
import * as q from './queries.ts'
import { multiPolygonFromWkb } from './wkb.ts'

export interface UnitRef {
  code: string
  name: string
  name_en: string | null
}

export interface AdministratorRef {
  name: string
  phone: string | null
  employeeNo: string
}

export interface GenerationInfo {
  id: number
  label: string
  validFrom: string
  validTo: string | null
}

export class IndexedGeneration {
  constructor(
    readonly generation: GenerationInfo,
    readonly index: PointIndex,
    readonly grids: UnitRef[],
    readonly communities: (UnitRef | null)[],
    readonly towns: (UnitRef | null)[],
    readonly administrators: AdministratorRef[][],
    /**
     * Whether some town or community of the generation has area its children
     * leave uncovered (a gap a boundary import left): only then can a point
     * outside every grid still lie in a community or town, which PostGIS tells.
     * Asked once, when the current generation's index is built (past
     * generations: when their first point outside every grid comes); shared by
     * the copies withAdministrators makes; undefined until then.
     */
    readonly gaps: { uncovered?: boolean; asking?: Promise<boolean> } = {},
  ) {}

  /**
   * Whether a point outside every grid may still lie in a community or town
   * (see gaps); asks PostGIS once, however many requests wait for the answer
   * (a failed question is asked again by the next one).
   */
  uncovered(db: Queryable): Promise<boolean> {
    const gaps = this.gaps
    if (gaps.uncovered !== undefined) return Promise.resolve(gaps.uncovered)
    gaps.asking ??= db.query<{ uncovered: boolean }>(q.UNCOVERED, [this.generation.id]).then(
      (r) => (gaps.uncovered = r.rows[0]!.uncovered),
      (err) => {
        gaps.asking = undefined
        throw err
      },
    )
    return gaps.asking
  }

  get codes(): string[] {
    return this.index.polygons.codes
  }

  /** The same generation and index naming other administrators (after they changed): a new object, so nothing cached per index is stale. */
  withAdministrators(rows: AdministratorRow[]): IndexedGeneration {
    return new IndexedGeneration(this.generation, this.index, this.grids, this.communities, this.towns, administratorsByGrid(rows, this.codes), this.gaps)
  }
}

export interface AdministratorRow { grid_code: string; name: string; phone: string | null; employee_no: string }

/** Today's active administrators of each grid, in the order of `codes`. */
export async function loadAdministrators(db: Queryable): Promise<AdministratorRow[]> {
  return (await db.query<AdministratorRow>(q.ACTIVE_ADMINISTRATORS)).rows
}

function administratorsByGrid(rows: AdministratorRow[], codes: string[]): AdministratorRef[][] {
  const byGrid = new Map<string, AdministratorRef[]>()
  for (const a of rows) {
    const list = byGrid.get(a.grid_code) ?? []
    list.push({ name: a.name, phone: a.phone, employeeNo: a.employee_no })
    byGrid.set(a.grid_code, list)
  }
  return codes.map((c) => byGrid.get(c) ?? [])
}

/** A previous generation's index is patched instead of rebuilt when at most this share of the grids changed. */
const PATCH_SHARE = 0.25

export async function loadIndexedGeneration(
  db: Queryable,
  generationId: number,
  log?: IndexLog,
  previous?: IndexedGeneration | null,
): Promise<IndexedGeneration> {
  const gen = (await db.query<{ id: number; label: string; valid_from: Date; valid_to: Date | null }>(q.GENERATION_INFO, [generationId])).rows[0]
  if (!gen) throw new Error(`Unexpected generation id: ${generationId}`)
  // After a small change (a published plan) only the changed grids' polygons are read; the rest come from the previous index.
  const changed = previous && previous.index.kind !== 'exact'
    ? new Set((await db.query<{ code: string }>(q.CHANGED_GRIDS, [previous.generation.id, generationId])).rows.map((r) => r.code))
    : null
  const patching = changed !== null && changed.size <= PATCH_SHARE * previous!.codes.length
  const [grids, parents, admins] = await Promise.all([
    db.query<{ code: string; name_zh: string; name_en: string | null; parent_code: string; wkb: Uint8Array | null }>(
      patching ? q.GRIDS_CHANGED_ONLY : q.GRIDS,
      patching ? [generationId, [...changed!]] : [generationId],
    ),
    db.query<{ code: string; level: string; name_zh: string; name_en: string | null }>(q.PARENTS, [generationId]),
    loadAdministrators(db),
  ])
  // No grid added, removed or redrawn (a plan that only renamed grids): the previous index answers as it is.
  const same = changed !== null && changed.size === 0 && grids.rows.length === previous!.codes.length && grids.rows.every((g, i) => g.code === previous!.codes[i])
  const started = performance.now()
  let index: PointIndex | null = same ? previous!.index : null
  const before = patching && !same ? previous!.index.polygons : null
  const position = before ? new Map(before.codes.map((c, i) => [c, i])) : null
  const polygons = same
    ? previous!.index.polygons
    : new GridPolygons({
        codes: grids.rows.map((g) => g.code),
        multipolygons: grids.rows.map((g) => (g.wkb ? multiPolygonFromWkb(g.wkb) : before!.ringsOf(position!.get(g.code)!))),
      })
  if (same) log?.(`lookup index for generation ${generationId}: no grid redrawn, generation ${previous!.generation.id}'s index kept`)
  if (patching && !same) {
    const picked: number[] = []
    polygons.codes.forEach((code, g) => changed!.has(code) && picked.push(g))
    if (picked.length > 0) {
      index = new PatchedIndex(polygons, previous!.index, buildPointIndex(polygons.subset(picked), log), started)
      log?.(`lookup index for generation ${generationId}: generation ${previous!.generation.id}'s index patched with ${picked.length} changed grid(s) in ${index.stats.buildMs} ms`)
    }
  }
  index ??= buildPointIndex(polygons, log)
  const parentRef = new Map(parents.rows.map((p) => [p.code, { code: p.code, name: p.name_zh, name_en: p.name_en }]))
  return new IndexedGeneration(
    { id: gen.id, label: gen.label, validFrom: gen.valid_from.toISOString(), validTo: gen.valid_to?.toISOString() ?? null },
    index,
    grids.rows.map((g) => ({ code: g.code, name: g.name_zh, name_en: g.name_en })),
    grids.rows.map((g) => parentRef.get(g.parent_code) ?? null),
    grids.rows.map((g) => parentRef.get(g.code.slice(0, 9)) ?? null),
    administratorsByGrid(admins, grids.rows.map((g) => g.code)),
  )
}

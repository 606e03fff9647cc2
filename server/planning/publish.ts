/**
 * Publishing a plan makes it the next boundary generation, in one transaction.
 *
 * Which grids change, and how: a repainted cell (one whose grid differs from
 * where it started) moves the part of it that belonged to the grid it started
 * in, and nothing else — slivers of other grids inside the cell stay where
 * they were. A grid the plan removed (none of its cells left) has an heir,
 * the grid that took most of its cells, which inherits the removed grid's old
 * area (and its administrators). So a changed grid becomes
 *   (its old polygon ∪ those it inherits − the parts moved out) ∪ the parts moved in,
 * a grid that gives, takes and inherits nothing carries over unchanged,
 * polygon and all, old boundaries survive wherever the plan did not touch
 * them, a merge is exactly the union of the merged grids, and the grids still
 * tile each community (moved parts are cut with the fixed-precision overlay). Residents,
 * households, buildings, rented rooms and businesses of a changed grid are
 * shared out by area from the old grids it overlaps.
 */
import { INSERT_ADMINISTRATOR_AUDITS, LOCK_ADMINISTRATORS } from '../administrators/queries.ts'
import { recordAudit } from '../audit/audit-log.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { LOCK_IMPORTS } from '../units/import-queries.ts'
import { validFromError } from '../units/generation-start.ts'
import { removedGrids } from './plan-heirs.ts'
import { describePlan } from './plan-service.ts'
import { expectVersion, type PlanStore } from './plan-state.ts'

const STAGE = `
CREATE TEMP TABLE publish_block ON COMMIT DROP AS
SELECT b.idx, b.community_code, b.geom, b.init_grid, a.grid, (a.grid <> b.init_grid) AS repainted
FROM plan_block b
JOIN unnest($2::text[]) WITH ORDINALITY AS a(grid, n) ON b.idx = a.n - 1
WHERE b.plan_id = $1`

/** Fixed-precision unions (see migration 004): floating-point unions of many cut cells can fail inside GEOS. */
const EMPTY = `ST_SetSRID('MULTIPOLYGON EMPTY'::geometry, 4326)`

const CHANGED_GRIDS = `
CREATE TEMP TABLE publish_grid ON COMMIT DROP AS
WITH heirs AS (
  SELECT removed, heir FROM unnest($4::text[], $5::text[]) AS h(removed, heir)
), owner AS (
  -- whose each old grid's area is before any repainting: its own, or its heir's when the plan removed it
  SELECT code AS old_code, code AS owner FROM unnest($2::text[]) AS a(code)
  UNION ALL SELECT removed, heir FROM heirs
), moved AS (
  -- what a repainted cell moves: the part of it that belonged to the grid it started in
  SELECT pb.grid AS to_grid, ow.owner AS from_grid,
         CASE WHEN ST_CoveredBy(pb.geom, g.geom) THEN pb.geom ELSE ST_CollectionExtract(zw_intersection(pb.geom, g.geom), 3) END AS geom
  FROM publish_block pb
  JOIN unit g ON g.generation_id = $1 AND g.code = pb.init_grid
  JOIN owner ow ON ow.old_code = pb.init_grid
  WHERE pb.repainted
), touched AS (
  SELECT to_grid AS code FROM moved WHERE to_grid <> from_grid
  UNION SELECT from_grid FROM moved WHERE to_grid <> from_grid
  UNION SELECT heir FROM heirs
), base AS (
  SELECT ow.owner AS code, ST_Union(g.geom, 9.094947017729282e-13) AS geom
  FROM owner ow JOIN unit g ON g.generation_id = $1 AND g.code = ow.old_code
  WHERE ow.owner IN (SELECT code FROM touched)
  GROUP BY ow.owner
), outs AS (
  SELECT from_grid AS code, ST_Union(geom, 9.094947017729282e-13) AS geom FROM moved WHERE from_grid <> to_grid GROUP BY from_grid
), ins AS (
  SELECT to_grid AS code, ST_Union(geom, 9.094947017729282e-13) AS geom FROM moved WHERE from_grid <> to_grid GROUP BY to_grid
)
SELECT a.code, a.name, left(a.code, 12) AS parent_code,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(
         coalesce(CASE WHEN o.geom IS NULL THEN b.geom ELSE zw_difference(b.geom, o.geom) END, ${EMPTY}),
         coalesce(i.geom, ${EMPTY}),
         9.094947017729282e-13
       )), 3)) AS geom
FROM touched t
JOIN unnest($2::text[], $3::text[]) AS a(code, name) ON a.code = t.code
LEFT JOIN base b ON b.code = t.code
LEFT JOIN outs o ON o.code = t.code
LEFT JOIN ins i ON i.code = t.code`

const CHANGED_LIST = `SELECT code, zw_area_m2(geom) AS area_m2, ST_IsEmpty(geom) AS empty FROM publish_grid ORDER BY code`

/** Grids the plan only renamed: carried over with their new name. */
const RENAME_CARRIED = `
UPDATE unit u SET name_zh = a.name FROM unnest($2::text[], $3::text[]) AS a(code, name)
WHERE u.generation_id = $1 AND u.level = 'grid' AND u.code = a.code AND u.name_zh IS DISTINCT FROM a.name`

const INSERT_GENERATION = `
INSERT INTO generation (label, valid_from, created_by, source, note) VALUES ($1, $2, $3, 'plan', $4) RETURNING id, label, valid_from`

/** Grids $2 of generation $1: whether anyone serves them, and their English name. */
const UNFINISHED_GRIDS = `
SELECT u.code, EXISTS (SELECT 1 FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id WHERE ag.grid_code = u.code AND a.active) AS staffed, u.name_en
FROM unit u WHERE u.generation_id = $1 AND u.code = ANY($2::text[]) ORDER BY u.code`

/** Every unit of the old generation that the plan leaves alone. */
const CARRY_OVER = `
INSERT INTO unit (generation_id, code, level, parent_code, name_zh, name_en, geom, area_m2, centroid,
  population, households, buildings, rented_rooms, businesses, extra)
SELECT $2, code, level, parent_code, name_zh, name_en, geom, area_m2, centroid,
       population, households, buildings, rented_rooms, businesses, extra
FROM unit
WHERE generation_id = $1 AND NOT (code = ANY($3::text[]))`

/** The changed and added grids, their figures shared out by area from the old grids they overlap. */
const WRITE_CHANGED = `
INSERT INTO unit (generation_id, code, level, parent_code, name_zh, name_en, geom, area_m2, centroid,
  population, households, buildings, rented_rooms, businesses, extra)
SELECT $2, p.code, 'grid', p.parent_code, p.name, o.name_en, p.geom, zw_area_m2(p.geom), ST_Centroid(p.geom),
       round(s.population)::int, round(s.households)::int, round(s.buildings)::int, round(s.rented_rooms)::int, round(s.businesses)::int,
       coalesce(o.extra, '{}'::jsonb)
FROM publish_grid p
LEFT JOIN unit o ON o.generation_id = $1 AND o.code = p.code
CROSS JOIN LATERAL (
  SELECT sum(g.population * f) AS population, sum(g.households * f) AS households, sum(g.buildings * f) AS buildings,
         sum(g.rented_rooms * f) AS rented_rooms, sum(g.businesses * f) AS businesses
  FROM unit g
  -- A share of areas: within a town the lon/lat plane keeps area ratios.
  CROSS JOIN LATERAL (SELECT CASE WHEN ST_CoveredBy(g.geom, p.geom) THEN 1 ELSE ST_Area(zw_intersection(g.geom, p.geom)) / nullif(ST_Area(g.geom), 0) END AS f) share
  WHERE g.generation_id = $1 AND g.level = 'grid' AND g.parent_code = p.parent_code AND g.geom && p.geom
) s
WHERE NOT ST_IsEmpty(p.geom)
ORDER BY p.code`

const MOVE_ADMINISTRATORS = `
WITH moved AS (
  DELETE FROM administrator_grid ag USING unnest($1::text[], $2::text[]) AS h(removed, heir)
  WHERE ag.grid_code = h.removed
  RETURNING ag.administrator_id, h.heir, h.removed
), ins AS (
  INSERT INTO administrator_grid (administrator_id, grid_code)
  SELECT administrator_id, heir FROM moved ON CONFLICT DO NOTHING
)
SELECT m.administrator_id, a.employee_no, m.removed, m.heir
FROM moved m JOIN administrator a ON a.id = m.administrator_id ORDER BY a.employee_no, m.removed`

const MARK_PUBLISHED = `
UPDATE plan SET status = 'published', published_generation_id = $3, version = version + 1, updated_by = $4, updated_at = now()
WHERE id = $1 AND version = $2 AND status = 'draft' RETURNING version`

export interface PublishOptions {
  version?: number
  validFrom?: Date
  label?: string
  note?: string
  actor: string | null
}

export async function publishPlan(store: PlanStore, db: Db, id: number, options: PublishOptions) {
  return store.serialize(id, async () => {
    const state = await store.load(id)
    expectVersion(state, options.version)
    const described = describePlan(state)
    if (!described.valid) {
      throw new AppError('plan-rejected', `Plan ${id} has ${described.violations.length} violation(s); nothing was published. First: ${described.violations[0]!.message}`, {
        violations: described.violations,
      })
    }
    const { row, assignment, grids } = state
    const counts = new Int32Array(grids.length)
    for (const g of assignment) counts[g]!++
    // Grids smaller than any cell hold no block from the start; they carry over like the rest.
    const baseCounts = new Map<string, number>()
    for (const g of state.base) baseCounts.set(row.base_grids[g]!.code, (baseCounts.get(row.base_grids[g]!.code) ?? 0) + 1)
    const alive = grids.filter((g, i) => counts[i]! > 0 || (!g.added && !baseCounts.has(g.code)))
    const inherited = removedGrids(state.base, row.base_grids, assignment, grids)
    const removed = inherited.map((m) => m.removed)
    const heirs = inherited.map((m) => m.heir)
    const baseName = new Map(row.base_grids.map((g) => [g.code, g.name]))
    const renamed = alive.filter((g) => !g.added && baseName.has(g.code) && baseName.get(g.code) !== g.name)
    const repainted = assignment.some((g, b) => grids[g]!.code !== row.base_grids[state.base[b]!]!.code)
    const changesNothing = !repainted && removed.length === 0 && renamed.length === 0 && !alive.some((g) => g.added)
    const started = performance.now()
    /** Milliseconds per step of the transaction, for the planner's and the benchmark's eyes. */
    const timings: Record<string, number> = {}

    const result = await db.transaction(async (tx) => {
      await tx.query(LOCK_IMPORTS)
      const current = (await tx.query<{ id: number; valid_from: Date }>(`SELECT id, valid_from FROM generation WHERE valid_to IS NULL`)).rows[0]
      // Drawn on an earlier generation is fine as long as the plan's scope is the same in the current one (another area was published meanwhile).
      const unchanged = current !== undefined && (current.id === row.base_generation_id ||
        (await tx.query<{ ok: boolean }>(`SELECT zw_scope_unchanged($1, $2) AS ok`, [row.base_generation_id, row.scope_code])).rows[0]!.ok)
      if (!current || !unchanged) {
        throw new AppError('conflict', `Plan ${id} was drawn on generation ${row.base_generation_id}, but generation ${current?.id} is current now and redraws part of the plan's scope ${row.scope_code}: rebase the plan onto it or discard it`, {
          reason: 'stale-base',
          baseGeneration: row.base_generation_id,
          currentGeneration: current?.id ?? null,
        })
      }
      const validFrom = options.validFrom ?? new Date()
      const refused = validFromError(validFrom, current.valid_from, 'body/validFrom', { reason: 'valid-from' })
      if (refused) throw refused
      if (changesNothing) {
        throw new AppError('plan-rejected', `Plan ${id} changes nothing in generation ${current.id}; nothing was published`, { violations: [] })
      }
      let mark = performance.now()
      const lap = (name: string) => {
        timings[name] = Math.round(performance.now() - mark)
        mark = performance.now()
      }
      await tx.query(STAGE, [id, Array.from(assignment, (g) => grids[g]!.code)])
      lap('stage')
      await tx.query(CHANGED_GRIDS, [current.id, alive.map((g) => g.code), alive.map((g) => g.name), removed, heirs])
      const changed = (await tx.query<{ code: string; area_m2: number; empty: boolean }>(CHANGED_LIST)).rows
      lap('redraw')
      const empty = changed.filter((c) => c.empty)
      if (empty.length > 0) {
        throw new AppError('plan-rejected', `Grid(s) ${empty.map((c) => c.code).join(', ')} would have no area left; nothing was published`, { violations: [] })
      }

      await tx.query(`UPDATE generation SET valid_to = $2 WHERE id = $1`, [current.id, validFrom])
      const gen = (await tx.query<{ id: number; label: string; valid_from: Date }>(INSERT_GENERATION, [
        options.label ?? `${row.name} (plan ${id})`,
        validFrom,
        options.actor,
        options.note ?? `Published from plan ${id} (scope ${row.scope_code})`,
      ])).rows[0]!
      const replaced = [...changed.map((c) => c.code), ...removed]
      await tx.query(CARRY_OVER, [current.id, gen.id, replaced])
      if (renamed.length > 0) await tx.query(RENAME_CARRIED, [gen.id, renamed.map((g) => g.code), renamed.map((g) => g.name)])
      lap('carryOver')
      await tx.query(WRITE_CHANGED, [current.id, gen.id])
      lap('writeChanged')
      // The administrators' history dates the moves from the generation's start.
      if (removed.length > 0) {
        await tx.query(LOCK_ADMINISTRATORS) // after the imports' lock, as everywhere
        await tx.query(`SELECT set_config('zhiwang.assignment_from', $1, true)`, [validFrom.toISOString()])
      }
      const moves = removed.length === 0 ? [] : (await tx.query<{ administrator_id: number; employee_no: string; removed: string; heir: string }>(MOVE_ADMINISTRATORS, [removed, heirs])).rows
      const marked = (await tx.query(MARK_PUBLISHED, [id, row.version, gen.id, options.actor])).rows[0]
      if (!marked) throw new AppError('conflict', `Plan ${id} changed while it was being published; reload it`, { reason: 'version' })
      // What the city still has to do for the grids it redrew: staff them, name them in English.
      const redrawn = [...new Set([...changed.map((c) => c.code), ...alive.filter((g) => g.added).map((g) => g.code)])]
      const unfinished = (await tx.query<{ code: string; staffed: boolean; name_en: string | null }>(UNFINISHED_GRIDS, [gen.id, redrawn])).rows
      const unstaffed = unfinished.filter((g) => !g.staffed).map((g) => g.code)
      const unnamed = unfinished.filter((g) => g.name_en === null).map((g) => g.code)
      const warnings = [
        ...(unstaffed.length > 0 ? [`Grid(s) ${unstaffed.join(', ')} have no administrator: citizens there find no contact until one is assigned (PUT /api/v1/administrators/{employeeNo} with the grid)`] : []),
        ...(unnamed.length > 0 ? [`Grid(s) ${unnamed.join(', ')} have no English name`] : []),
      ]
      const summary = {
        ...(warnings.length > 0 ? { warnings } : {}),
        unstaffed,
        changed: changed.map((c) => c.code),
        renamed: renamed.map((g) => g.code),
        added: alive.filter((g) => g.added).map((g) => g.code),
        removed,
        administratorsMoved: moves.map((m) => ({ administrator: m.administrator_id, employeeNo: m.employee_no, from: m.removed, to: m.heir })),
      }
      // Each moved administrator's own audit trail says so too.
      if (moves.length > 0) {
        await tx.query(INSERT_ADMINISTRATOR_AUDITS, [options.actor, JSON.stringify(moves.map((m) => ({
          action: 'administrator.update',
          subject: `administrator:${m.employee_no}`,
          detail: { before: { grid: m.removed }, after: { grid: m.heir }, reason: `plan:${id} published as generation ${gen.id}: grid ${m.removed} removed, ${m.heir} took most of it` },
        })))])
      }
      await recordAudit(tx, {
        actor: options.actor,
        action: 'plan.publish',
        subject: `plan:${id}`,
        detail: {
          before: { generation: current.id, validFrom: current.valid_from.toISOString() },
          after: { generation: gen.id, label: gen.label, validFrom: gen.valid_from.toISOString() },
          scope: row.scope_code,
          ...summary,
          disruption: described.disruption,
        },
      })
      return { generation: { id: gen.id, label: gen.label, validFrom: gen.valid_from.toISOString() }, ...summary }
    })
    return { ...result, disruption: described.disruption, transactionMs: Math.round(performance.now() - started), timings }
  })
}

/**
 * Plans as the API sees them: the description with live metrics (before vs
 * after), disruption and checks; edits saved as undoable steps under
 * optimistic concurrency (an edit names the version it was made on; when the
 * plan moved on, it loses with 409 instead of silently overwriting).
 */
import { recordAudit } from '../audit/audit-log.ts'
import type { Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { childCode } from '../units/unit-codes.ts'
import { planViolations } from './checks.ts'
import type { PlanConstraints } from './create-plan.ts'
import { applyOp, type OpResult, type PlanOp } from './operations.ts'
import { computeMetrics, contiguityViolations, disruption } from './plan-metrics.ts'
import { withInheritedAdministrators } from './plan-heirs.ts'
import { expectVersion, type PlanState, type PlanStore } from './plan-state.ts'
import type { PlanGrid } from './plan-types.ts'
import * as q from './queries.ts'

export type EditOp = PlanOp | { op: 'undo' } | { op: 'redo' }

/** The base generation's metrics never change for a plan: computed once per blocks object. */
const baseMetrics = new WeakMap<object, ReturnType<typeof computeMetrics>>()
/** Nor the pieces of the base's grids that are already in several (see planViolations). */
const baseParts = new WeakMap<object, Map<string, number>>()

export function describePlan(state: PlanState) {
  const { row, blocks, assignment, grids } = state
  const started = performance.now()
  let before = baseMetrics.get(blocks)
  if (!before) baseMetrics.set(blocks, (before = computeMetrics(blocks, state.base, row.base_grids)))
  const after = computeMetrics(blocks, assignment, withInheritedAdministrators(state.base, row.base_grids, assignment, grids))
  let parts = baseParts.get(blocks)
  if (!parts) baseParts.set(blocks, (parts = new Map(contiguityViolations(blocks, state.base, row.base_grids).map((v) => [v.grid, v.parts.length + 1]))))
  const violations = planViolations(blocks, assignment, grids, row.constraints, row.uncovered_m2, parts)
  const counts = new Int32Array(grids.length)
  for (const g of assignment) counts[g]!++
  return {
    plan: {
      id: row.id,
      name: row.name,
      scope: row.scope_code,
      res: row.res,
      status: row.status,
      version: row.version,
      cursor: row.cursor,
      steps: row.steps,
      canUndo: row.cursor > 0,
      canRedo: row.cursor < row.steps,
      baseGeneration: row.base_generation_id,
      baseIsCurrent: row.base_is_current,
      publishedGeneration: row.published_generation_id,
      period: { from: row.period_from.toISOString(), to: row.period_to.toISOString() },
      constraints: row.constraints,
      blocks: blocks.h3.length,
      uncoveredM2: row.uncovered_m2,
      createdBy: row.created_by,
      createdAt: row.created_at.toISOString(),
      updatedBy: row.updated_by,
      updatedAt: row.updated_at.toISOString(),
    },
    grids: grids.map((g, i) => ({
      code: g.code,
      name: g.name,
      community: blocks.communities[g.community],
      cells: counts[i],
      removed: counts[i] === 0,
      locked: g.locked,
      added: g.added,
      administrators: g.administrators,
    })),
    metrics: { before: rounded(before), after: rounded(after) },
    disruption: disruption(blocks, state.base, row.base_grids, assignment, grids),
    violations,
    valid: violations.length === 0,
    metricsMs: Math.round((performance.now() - started) * 100) / 100,
  }
}

/** Figures to 4 decimals: the answer after every brush stroke stays small (and so fast) without losing anything a planner reads. */
function rounded(m: ReturnType<typeof computeMetrics>) {
  const r = (x: number) => Math.round(x * 1e4) / 1e4
  const each = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? r(v) : v])) as T
  return {
    grids: m.grids.map(each),
    balance: Object.fromEntries(Object.entries(m.balance).map(([k, b]) => [k, each(b)])) as typeof m.balance,
    compactness: each(m.compactness),
  }
}

export async function editPlan(store: PlanStore, id: number, version: number | undefined, op: EditOp, actor: string | null) {
  return store.serialize(id, async () => {
    const state = await store.load(id)
    expectVersion(state, version)
    const started = performance.now()
    let result: OpResult
    let cursor: number
    let step: { seq: number; op: EditOp } | null = null
    if (op.op === 'undo' || op.op === 'redo') {
      const undo = op.op === 'undo'
      const seq = undo ? state.row.cursor : state.row.cursor + 1
      if (undo ? seq < 1 : seq > state.row.steps) throw new AppError('conflict', `Nothing to ${op.op} in plan ${id}`, { reason: `no-${op.op}` })
      const stored = (await store.db.query<{
        blocks: number[]; before: number[]; after: number[]; grids_before: PlanGrid[] | null; grids_after: PlanGrid[] | null
        constraints_before: PlanConstraints | null; constraints_after: PlanConstraints | null
      }>(
        q.GET_STEP,
        [id, seq],
      )).rows[0]!
      const assignment = Int32Array.from(state.assignment)
      const values = undo ? stored.before : stored.after
      stored.blocks.forEach((b, i) => (assignment[b] = values[i]!))
      const grids = (undo ? stored.grids_before : stored.grids_after) ?? state.grids
      // Null when the step left the constraints alone.
      const constraints = (undo ? stored.constraints_before : stored.constraints_after) ?? undefined
      result = { assignment, grids, constraints }
      cursor = undo ? seq - 1 : seq
    } else {
      const factory = await gridFactory(store.db, state)
      result = await applyOp(state, op, factory)
      cursor = state.row.cursor + 1
      step = { seq: cursor, op }
    }
    const applyMs = performance.now() - started

    const changedBlocks: number[] = []
    for (let b = 0; b < result.assignment.length; b++) if (result.assignment[b] !== state.assignment[b]) changedBlocks.push(b)
    const gridsChanged = JSON.stringify(result.grids) !== JSON.stringify(state.grids)
    const constraints = result.constraints ?? state.row.constraints
    // An edit that changes nothing (repainting a grid's own cells, locking a locked grid,
    // re-importing the same assignment) is no step: no new version to make others' edits stale.
    const constraintsChanged = JSON.stringify(constraints) !== JSON.stringify(state.row.constraints)
    if (step && changedBlocks.length === 0 && !gridsChanged && !constraintsChanged) {
      return {
        ...describePlan(state),
        changes: { blocks: [], grids: [] },
        unchanged: true,
        ...(result.skippedLocked ? { skippedLocked: result.skippedLocked } : {}),
        ...(result.info ? { info: result.info } : {}),
        applyMs: Math.round(applyMs * 100) / 100,
        saveMs: 0,
      }
    }

    const saveStarted = performance.now()
    const saved = (await store.db.query<{ version: number; updated_at: Date }>(q.SAVE_EDIT, [
      id,
      state.row.version,
      cursor,
      JSON.stringify(result.grids),
      Array.from(result.assignment),
      JSON.stringify(constraints),
      actor,
      step !== null,
      step ? JSON.stringify(storedOp(step.op)) : null,
      changedBlocks,
      changedBlocks.map((b) => state.assignment[b]),
      changedBlocks.map((b) => result.assignment[b]),
      gridsChanged ? JSON.stringify(state.grids) : null,
      gridsChanged ? JSON.stringify(result.grids) : null,
      constraintsChanged ? JSON.stringify(state.row.constraints) : null,
      constraintsChanged ? JSON.stringify(constraints) : null,
    ])).rows[0]
    if (!saved) throw await staleVersion(store.db, id, state.row.version)
    const saveMs = performance.now() - saveStarted
    // What was just stored, without reading it back.
    const next = store.remember({
      ...state,
      row: {
        ...state.row,
        version: saved.version,
        cursor,
        steps: step ? step.seq : state.row.steps,
        grids: result.grids,
        assignment: Array.from(result.assignment),
        constraints,
        updated_by: actor,
        updated_at: saved.updated_at,
      },
      assignment: result.assignment,
      grids: result.grids,
    })
    return {
      ...describePlan(next),
      changes: { blocks: changedBlocks, grids: changedBlocks.map((b) => next.grids[next.assignment[b]!]!.code) },
      ...(result.skippedLocked ? { skippedLocked: result.skippedLocked } : {}),
      ...(result.info ? { info: result.info } : {}),
      applyMs: Math.round(applyMs * 100) / 100,
      saveMs: Math.round(saveMs * 100) / 100,
    }
  })
}

async function staleVersion(db: Queryable, id: number, version: number): Promise<AppError> {
  const now = (await db.query<{ version: number; status: string }>(q.PLAN_VERSION, [id])).rows[0]
  if (now && now.status !== 'draft') return new AppError('conflict', `Plan ${id} is ${now.status}; only drafts can change`, { reason: 'not-draft', planStatus: now.status })
  return new AppError('conflict', `Plan ${id} is at version ${now?.version}, not ${version}: somebody changed it meanwhile; reload and apply your edit again`, {
    reason: 'version',
    currentVersion: now?.version,
  })
}

/** New grids get the next ordinal under their community that no generation and no grid of this plan ever used. */
async function gridFactory(db: Queryable, state: PlanState) {
  const used = new Set((await db.query<{ code: string }>(q.USED_GRID_CODES, [state.row.scope_code])).rows.map((r) => r.code))
  for (const g of state.grids) used.add(g.code)
  const names = new Map((await db.query<{ code: string; name_zh: string }>(
    `SELECT code, name_zh FROM unit WHERE generation_id = $1 AND level = 'community' AND starts_with(code, $2)`,
    [state.row.base_generation_id, state.row.scope_code],
  )).rows.map((r) => [r.code, r.name_zh]))
  return (community: number): PlanGrid => {
    const parent = state.blocks.communities[community]!
    let ordinal = 1
    while (ordinal <= 999 && used.has(childCode(parent, ordinal))) ordinal++
    if (ordinal > 999) throw new AppError('conflict', `Community ${parent} has used all 999 grid codes`)
    const code = childCode(parent, ordinal)
    used.add(code)
    return { code, community, name: `${names.get(parent) ?? parent}第${ordinal}网格`, administrators: 0, locked: false, added: true }
  }
}

export async function discardPlan(store: PlanStore, id: number, version: number | undefined, actor: string | null) {
  return store.serialize(id, async () => {
    const state = await store.load(id)
    expectVersion(state, version)
    await store.db.transaction(async (tx) => {
      const done = (await tx.query(q.DISCARD_PLAN, [id, state.row.version, actor])).rows[0]
      if (!done) throw await staleVersion(tx, id, state.row.version)
      await recordAudit(tx, { actor, action: 'plan.discard', subject: `plan:${id}`, detail: { before: { status: 'draft' }, after: { status: 'discarded' } } })
    })
    return describePlan(await store.load(id))
  })
}

/** The step as the plan's history keeps it: an assignment's rows without where they were in the uploaded file. */
function storedOp(op: EditOp): EditOp {
  if (op.op !== 'assign') return op
  return { op: 'assign', rows: op.rows }
}

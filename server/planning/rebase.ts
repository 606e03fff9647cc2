/**
 * Rebasing: a plan drawn on a generation that is no longer current is redrawn
 * on the current one. A new plan is cut from the current generation with the
 * same scope, resolution, period and limits; the old plan's grids that it
 * added come along under the next free codes (their own when still free: a
 * grid another plan published meanwhile may hold the code — two drafts of one
 * community both number their first new grid alike — and the cells stay
 * apart from it), and every cell the old
 * plan repainted is painted the same way where that grid still exists in the
 * cell's community, and grids that are still there keep the old plan's names
 * and locks. The old plan is left as it was.
 */
import { AppError } from '../errors.ts'
import { createPlan } from './create-plan.ts'
import { editPlan } from './plan-service.ts'
import { expectVersion, type PlanStore } from './plan-state.ts'

export async function rebasePlan(store: PlanStore, id: number, version: number | undefined, actor: string | null): Promise<number> {
  const old = await store.load(id)
  expectVersion(old, version)
  if (old.row.base_is_current) throw new AppError('conflict', `Plan ${id} is already drawn on the current generation (or on one whose units in its scope ${old.row.scope_code} are the same): nothing to rebase`, { reason: 'current' })
  const fresh = await createPlan(store.db, {
    scope: old.row.scope_code,
    name: `${old.row.name} (rebased from plan ${id})`,
    res: old.row.res,
    from: old.row.period_from,
    to: old.row.period_to,
    constraints: old.row.constraints,
    actor,
  })
  const next = await store.load(fresh)
  let codes = new Set(next.grids.map((g) => g.code))
  const communities = next.blocks.communities
  /** The old plan's added grids: their codes on the new plan. */
  const added = new Map<string, string>()
  for (const g of old.grids.filter((g) => g.added)) {
    const community = old.blocks.communities[g.community]!
    if (!communities.includes(community)) continue
    // add-grid allocates the next free code: the old one when it is free and the plan added grids in order.
    const grids = (await editPlan(store, fresh, undefined, { op: 'add-grid', community, name: g.name }, actor)).grids
    const code = grids.find((x) => !codes.has(x.code))?.code
    if (code) added.set(g.code, code)
    codes = new Set(grids.map((x) => x.code))
  }
  const codeOf = (g: { code: string; added: boolean }) => (g.added ? added.get(g.code) : g.code)
  const now = await store.load(fresh)
  const present = new Map(now.grids.map((g) => [g.code, g]))
  const rows: { cell: string; grid: string }[] = []
  old.blocks.h3.forEach((cell, b) => {
    const painted = old.grids[old.assignment[b]!]!
    if (painted.code === old.row.base_grids[old.base[b]!]!.code) return
    const grid = codeOf(painted)
    if (grid === undefined) return // an added grid of a community no longer in scope
    const target = present.get(grid)
    if (target && now.byH3.get(cell)?.some((c) => now.blocks.community[c] === target.community)) rows.push({ cell, grid })
  })
  if (rows.length > 0) await editPlan(store, fresh, undefined, { op: 'assign', rows }, actor)
  // Names and locks of the grids that are still there come along too (locks last: the repainting above must reach locked grids).
  const drawn = new Map((await store.load(fresh)).grids.map((g) => [g.code, g]))
  for (const g of old.grids) {
    const code = codeOf(g)
    const target = code === undefined ? undefined : drawn.get(code)
    if (!target) continue
    // A name a sibling took meanwhile stays with the sibling.
    const taken = [...drawn.values()].some((x) => x.code !== target.code && x.community === target.community && x.name === g.name)
    if (g.name !== target.name && !taken) await editPlan(store, fresh, undefined, { op: 'rename', grid: target.code, name: g.name }, actor)
    if (g.locked && !target.locked) await editPlan(store, fresh, undefined, { op: 'lock', grid: target.code, locked: true }, actor)
  }
  return fresh
}

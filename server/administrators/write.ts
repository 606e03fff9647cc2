/**
 * Writing grid administrators: create or replace them (one, or a city's list
 * at once) and change some of their fields. Everything of one request is one
 * transaction: a grid code that is not a grid of the current generation, or an
 * employee number given twice, rejects the whole request and nothing is
 * stored. Each administrator created or changed gets one audit record with
 * the state before and after. The history of who served which grid when
 * (administrator_assignment, migration 019) is kept by the database itself.
 */
import type { Db, Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import * as q from './queries.ts'

export interface AdministratorState {
  employeeNo: string
  name: string
  phone: string | null
  active: boolean
  grids: string[]
}

export type AdministratorChange = Partial<Omit<AdministratorState, 'employeeNo'>>

export interface StoreResult {
  created: string[]
  updated: string[]
  unchanged: string[]
}

interface Row { id: number; employee_no: string; name: string; phone: string | null; active: boolean; grids: string[] }

const stateOf = (r: Row): AdministratorState => ({ employeeNo: r.employee_no, name: r.name, phone: r.phone, active: r.active, grids: [...r.grids].sort() })

const same = (a: AdministratorState, b: AdministratorState) => JSON.stringify(a) === JSON.stringify(b)

/** Today's state of the administrators with these employee numbers, locked for the transaction (under LOCK_ADMINISTRATORS, taken first). */
async function current(tx: Queryable, employeeNos: string[]): Promise<Map<string, AdministratorState>> {
  const { rows } = await tx.query<Row>(q.ADMINISTRATORS_FOR_UPDATE, [employeeNos])
  return new Map(rows.map((r) => [r.employee_no, stateOf(r)]))
}

/** Refuses grid codes that are not grids of the current generation; `where(i, j)` names the place of entry i's grid j. */
async function checkGrids(tx: Queryable, wanted: AdministratorState[], where: (i: number, j: number) => string) {
  const codes = [...new Set(wanted.flatMap((w) => w.grids))]
  if (codes.length === 0) return
  const { rows } = await tx.query<{ code: string }>(q.CURRENT_GRIDS_AMONG, [codes])
  const known = new Set(rows.map((r) => r.code))
  const errors = wanted.flatMap((w, i) => w.grids.flatMap((g, j) => (known.has(g) ? [] : [{ where: where(i, j), message: `${g} is not a grid of the current generation` }])))
  if (errors.length > 0) {
    const unknownCodes = [...new Set(wanted.flatMap((w) => w.grids.filter((g) => !known.has(g))))]
    throw new AppError('invalid-parameter', `${unknownCodes.length === 1 ? 'Grid' : 'Grids'} ${unknownCodes.slice(0, 5).join(', ')}${unknownCodes.length > 5 ? ` (and ${unknownCodes.length - 5} more)` : ''} ${unknownCodes.length === 1 ? 'is not a grid' : 'are not grids'} of the current generation (${errors.length} place(s) in the body, listed in errors); nothing was stored`, { errors })
  }
}

/** Creates or replaces administrators (each entry is the whole new state). */
async function store(tx: Queryable, wanted: AdministratorState[], before: Map<string, AdministratorState>, actor: string | null): Promise<StoreResult> {
  const result: StoreResult = { created: [], updated: [], unchanged: [] }
  const changed = wanted.filter((w) => {
    const b = before.get(w.employeeNo)
    const bucket = !b ? result.created : same(b, w) ? result.unchanged : result.updated
    bucket.push(w.employeeNo)
    return bucket !== result.unchanged
  })
  if (changed.length === 0) return result
  const col = <K extends keyof AdministratorState>(k: K) => changed.map((w) => w[k])
  const ids = (await tx.query<{ id: number; employee_no: string }>(q.UPSERT_ADMINISTRATORS, [col('employeeNo'), col('name'), col('phone'), col('active')])).rows
  const idOf = new Map(ids.map((r) => [r.employee_no, r.id]))
  const pairs = changed.flatMap((w) => w.grids.map((g) => [idOf.get(w.employeeNo)!, g] as const))
  await tx.query(q.REPLACE_ASSIGNMENTS, [changed.map((w) => idOf.get(w.employeeNo)!), pairs.map((p) => p[0]), pairs.map((p) => p[1])])
  await tx.query(q.INSERT_ADMINISTRATOR_AUDITS, [
    actor,
    JSON.stringify(changed.map((w) => ({
      action: before.has(w.employeeNo) ? 'administrator.update' : 'administrator.create',
      subject: `administrator:${w.employeeNo}`,
      detail: { before: before.get(w.employeeNo) ?? null, after: w },
    }))),
  ])
  return result
}

const normalised = (s: AdministratorState): AdministratorState => ({ ...s, phone: s.phone ?? null, grids: [...new Set(s.grids)].sort() })

/**
 * When the assignments a write opens began: 'now', or 'unknown' — served since
 * before records, for a city loading the list it already had (so incidents of
 * the past count for them in supervision scores and at= lookups). Either way,
 * an assignment the write ends ends now.
 */
export type Since = 'now' | 'unknown'

/**
 * Stores as `store` does; with since = 'unknown', the assignments opened for
 * administrators without any recorded period yet (new to the records) start
 * "since before records", and everybody else's start now: one who already has
 * a history and moves would otherwise be claimed to have served the new grid
 * all along (the end of the old period is dated by the same write).
 */
async function storeSince(tx: Queryable, wanted: AdministratorState[], before: Map<string, AdministratorState>, actor: string | null, since: Since): Promise<StoreResult> {
  if (since === 'now') return store(tx, wanted, before, actor)
  const recorded = new Set((await tx.query<{ employee_no: string }>(q.WITH_ASSIGNMENT_HISTORY, [wanted.map((w) => w.employeeNo)])).rows.map((r) => r.employee_no))
  await tx.query(`SELECT set_config('zhiwang.assignment_from', 'unknown', true)`)
  const fresh = await store(tx, wanted.filter((w) => !recorded.has(w.employeeNo)), before, actor)
  await tx.query(`SELECT set_config('zhiwang.assignment_from', '', true)`)
  const known = await store(tx, wanted.filter((w) => recorded.has(w.employeeNo)), before, actor)
  return { created: [...fresh.created, ...known.created], updated: [...fresh.updated, ...known.updated], unchanged: [...fresh.unchanged, ...known.unchanged] }
}

/**
 * Creates or replaces a list of administrators, each given whole. `where(i)`
 * names entry i in error messages (a body pointer).
 */
export async function putAdministrators(db: Db, entries: AdministratorState[], actor: string | null, where: (i: number) => string, since: Since = 'now'): Promise<StoreResult> {
  const seen = new Map<string, number>()
  entries.forEach((e, i) => {
    const first = seen.get(e.employeeNo)
    if (first !== undefined) {
      throw new AppError('invalid-parameter', `Employee number ${e.employeeNo} is given twice (${where(first)} and ${where(i)}); nothing was stored`, {
        errors: [{ where: `${where(i)}/employeeNo`, message: `repeats ${where(first)}` }],
      })
    }
    seen.set(e.employeeNo, i)
  })
  const wanted = entries.map(normalised)
  return db.transaction(async (tx) => {
    await tx.query(q.LOCK_ADMINISTRATORS)
    await checkGrids(tx, entries, (i, j) => `${where(i)}/grids/${j}`)
    return storeSince(tx, wanted, await current(tx, wanted.map((w) => w.employeeNo)), actor, since)
  })
}

/** Changes the given fields of one administrator; null when there is none with that employee number. */
export async function patchAdministrator(db: Db, employeeNo: string, change: AdministratorChange, actor: string | null, since: Since = 'now'): Promise<{ result: StoreResult; state: AdministratorState } | null> {
  return db.transaction(async (tx) => {
    await tx.query(q.LOCK_ADMINISTRATORS)
    const before = await current(tx, [employeeNo])
    const was = before.get(employeeNo)
    if (!was) return null
    const next = normalised({ ...was, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)), employeeNo })
    await checkGrids(tx, [{ ...next, grids: change.grids ?? [] }], (_i, j) => `body/grids/${j}`)
    return { result: await storeSince(tx, [next], before, actor, since), state: next }
  })
}

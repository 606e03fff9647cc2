/** Applies one workflow action to one incident, in a transaction, recording the step. */
import { recordAudit } from '../audit/audit-log.ts'
import { assertKnownDepartment } from './departments.ts'
import type { Db } from '../db/client.ts'
import { AppError, notFound } from '../errors.ts'
import * as q from './queries.ts'
import { allowedActions, nextStatus, type Action, type Status } from './workflow.ts'

export interface TransitionInput {
  action: Action
  actor: string | null
  note?: string
  media?: string[]
  /** dispatch: the department (default: the category's). */
  department?: string
  /** merge: the incident this one duplicates. */
  duplicateOf?: number
}

export async function transition(db: Db, id: number, input: TransitionInput): Promise<{ id: number; from: Status; status: Status }> {
  return db.transaction(async (tx) => {
    if (input.action === 'merge' && input.duplicateOf && input.duplicateOf !== id) await tx.query(q.LOCK_INCIDENTS_IN_ORDER, [[id, input.duplicateOf]])
    const row = (await tx.query<{ id: number; status: Status; duplicate_of: number | null; sla_hours: number; default_department: string }>(q.LOCK_INCIDENT, [id])).rows[0]
    if (!row) throw notFound('incident', String(id))
    const linked = row.duplicate_of !== null
    const to = nextStatus(row.status, input.action, linked)
    if (!to) {
      const allowed = allowedActions(row.status, linked)
      const why = input.action === 'unlink' && row.status !== 'rejected'
        ? `Incident ${id} is not marked as a duplicate of another; there is nothing to unlink`
        : `Incident ${id} is ${row.status}; "${input.action}" is not allowed from there`
      throw new AppError('conflict', `${why} (allowed: ${allowed.join(', ') || 'none'})`, { status_now: row.status, allowed })
    }
    if ((input.action === 'reject' || input.action === 'reopen') && !input.note?.trim()) {
      throw new AppError('bad-request', `"${input.action}" needs a note saying why`)
    }
    if (input.action === 'merge') {
      if (!input.duplicateOf || input.duplicateOf === id) throw new AppError('bad-request', '"merge" needs duplicateOf: the id of another incident')
      const target = (await tx.query<{ status: Status }>(q.LOCK_INCIDENT, [input.duplicateOf])).rows[0]
      if (!target) throw notFound('incident', String(input.duplicateOf))
      // Into a live incident only: merging into one already rejected or merged would lose the report (or make a cycle).
      if (target.status === 'rejected') throw new AppError('conflict', `Incident ${input.duplicateOf} is itself rejected or merged; merge into the incident it duplicates, or reopen it first`)
      // Nor into one that (through a reopened merge, say) already duplicates this one: the two would point at each other.
      const chain = (await tx.query<{ id: number }>(q.DUPLICATE_CHAIN, [input.duplicateOf])).rows.map((r) => Number(r.id))
      if (chain.includes(id)) throw new AppError('conflict', `Incident ${input.duplicateOf} is already marked as a duplicate of ${id} (${[input.duplicateOf, ...chain].join(' → ')}); merging ${id} into it would make a cycle`)
    }
    const at = new Date()
    const department = input.action === 'dispatch' ? input.department ?? row.default_department : null
    if (input.action === 'dispatch' && input.department !== undefined) await assertKnownDepartment(tx, input.department)
    await tx.query(q.APPLY_TRANSITION, [id, to, department, input.action === 'merge' ? input.duplicateOf : null, at, row.sla_hours, input.action === 'unlink'])
    await tx.query(q.RECORD_EVENT, [
      id, at, input.actor, input.action, row.status, to, input.note ?? null, input.media ?? [],
      JSON.stringify({
        ...(department ? { department } : {}),
        ...(input.action === 'merge' ? { duplicateOf: input.duplicateOf } : {}),
        ...((input.action === 'reopen' || input.action === 'unlink') && row.duplicate_of !== null ? { unlinkedFrom: Number(row.duplicate_of) } : {}),
      }),
    ])
    await recordAudit(tx, {
      actor: input.actor,
      action: `incident.${input.action}`,
      subject: `incident:${id}`,
      detail: {
        before: { status: row.status, ...(row.duplicate_of !== null ? { duplicateOf: Number(row.duplicate_of) } : {}) },
        after: { status: to, ...(department ? { department } : {}), ...(input.action === 'merge' ? { duplicateOf: input.duplicateOf } : {}) },
        note: input.note ?? null,
      },
    })
    return { id, from: row.status, status: to }
  })
}

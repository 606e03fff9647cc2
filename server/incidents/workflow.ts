/**
 * The incident workflow, enforced by the server: which action moves an
 * incident from which state to which. Anything else is refused (409).
 *
 *   reported → accepted (verified on site) → dispatched (to a department; the
 *   deadline clock starts) → handled (department's feedback) → verified (the
 *   grid administrator re-checks) → closed
 *   reported/accepted/reopened → rejected (not real, or a duplicate: `merge`)
 *   handled/verified/closed/rejected → reopened → dispatched again
 *
 * And one action that keeps the state: `unlink` says a report flagged as a
 * probable duplicate at intake is not one (any state but rejected, where a
 * merged report is taken up again by `reopen`).
 */
export const STATUSES = ['reported', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'rejected', 'reopened'] as const
export type Status = (typeof STATUSES)[number]
export const ACTIONS = ['accept', 'dispatch', 'handle', 'verify', 'close', 'reject', 'merge', 'reopen', 'unlink'] as const
export type Action = (typeof ACTIONS)[number]

const MOVES: Record<Status, Partial<Record<Exclude<Action, 'unlink'>, Status>>> = {
  reported: { accept: 'accepted', reject: 'rejected', merge: 'rejected' },
  accepted: { dispatch: 'dispatched', reject: 'rejected', merge: 'rejected' },
  dispatched: { handle: 'handled' },
  handled: { verify: 'verified', reopen: 'reopened' },
  verified: { close: 'closed', reopen: 'reopened' },
  closed: { reopen: 'reopened' },
  rejected: { reopen: 'reopened' },
  reopened: { dispatch: 'dispatched', reject: 'rejected', merge: 'rejected' },
}

/** The state `action` leads to from `from` (`linked`: the report is marked as a duplicate of another), or null when the workflow does not allow it. */
export function nextStatus(from: Status, action: Action, linked = false): Status | null {
  if (action === 'unlink') return linked && from !== 'rejected' ? from : null
  return MOVES[from][action] ?? null
}

export function allowedActions(from: Status, linked = false): Action[] {
  return [...(Object.keys(MOVES[from]) as Action[]), ...(linked && from !== 'rejected' ? (['unlink'] as const) : [])]
}

/** Open311 has two states; the detailed one goes to status_notes. */
export function open311Status(status: Status): 'open' | 'closed' {
  return status === 'closed' || status === 'rejected' ? 'closed' : 'open'
}

/**
 * The audit log: one row per state change — who (`actor`), when (`at`), what
 * (`action` on `subject`) and, in `detail`, the state before and after.
 * Written inside the transaction that makes the change, so a change that
 * rolls back leaves no audit row and a stored change always has one.
 */
import type { Queryable } from '../db/client.ts'
import { INSERT_AUDIT } from './queries.ts'

export interface AuditEntry {
  actor: string | null
  /** `<domain>.<verb>`, e.g. `units.import`, `key.create`, `key.revoke`. */
  action: string
  /** `<kind>:<id>`, e.g. `generation:3`, `api_key:7`. */
  subject: string | null
  /** `before` and `after` (null when the thing did not / no longer exists) and anything else worth keeping. */
  detail: { before: unknown; after: unknown; [more: string]: unknown }
}

export async function recordAudit(tx: Queryable, entry: AuditEntry): Promise<void> {
  await tx.query(INSERT_AUDIT, [entry.actor, entry.action, entry.subject, JSON.stringify(entry.detail)])
}

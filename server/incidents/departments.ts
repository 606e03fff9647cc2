/**
 * The departments incidents can be dispatched to: those the category
 * catalogue names as responsible (editable through the catalogue). A dispatch
 * or a department key naming any other would leave cases with nobody to see them.
 */
import type { Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'

const KNOWN_DEPARTMENTS = `SELECT DISTINCT department FROM incident_category ORDER BY department`

export async function assertKnownDepartment(db: Queryable, department: string): Promise<void> {
  const known = (await db.query<{ department: string }>(KNOWN_DEPARTMENTS)).rows.map((r) => r.department)
  if (!known.includes(department)) {
    throw new AppError('invalid-parameter', `Unknown department ${JSON.stringify(department)}; the category catalogue names ${known.join(', ')}`)
  }
}

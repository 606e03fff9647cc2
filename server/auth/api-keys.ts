/**
 * API keys: made, listed and revoked here by both the admin API and
 * scripts/api-keys.ts, so the two cannot drift apart; every change is
 * audited in the same transaction.
 */
import { assertKnownDepartment } from '../incidents/departments.ts'
import { createHash, randomBytes } from 'node:crypto'
import { recordAudit } from '../audit/audit-log.ts'
import type { Db, Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import type { Principal } from './principal.ts'
import * as q from './queries.ts'
import { isKeyRole, KEY_ROLES, type KeyRole } from './roles.ts'

/** Secrets look like `zw_` + 43 base64url characters (32 random bytes). */
const SECRET_PREFIX = 'zw_'
const MAX_SECRET_LENGTH = 512

export interface NewApiKey {
  name: string
  role: string
  /** grid_admin keys: the employee number of the administrator the key belongs to. */
  administratorEmployeeNo?: string
  /** department keys: the department's name. */
  department?: string
}

export interface ApiKeyInfo {
  id: number
  name: string
  role: KeyRole
  /** The secret's first 8 characters. */
  prefix: string
  administratorId: number | null
  administratorEmployeeNo: string | null
  department: string | null
  createdAt: string
  createdBy: string | null
  revokedAt: string | null
}

/** What the auth plugin needs to know about a presented key. */
export interface KeyRecord {
  principal: Principal
  prefix: string
  revokedAt: Date | null
  /** grid_admin keys: whether their administrator is still active; null for other roles. */
  administratorActive: boolean | null
}

export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url')
}

/** SHA-256 hex; why a fast hash is enough is explained in migration 008. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

export async function createApiKey(db: Db, input: NewApiKey, actor: string): Promise<{ key: ApiKeyInfo; secret: string }> {
  const name = input.name.trim()
  if (name === '' || name.length > 200) throw new AppError('invalid-parameter', `Unexpected name value: ${JSON.stringify(input.name)}; 1–200 characters expected`)
  if (!isKeyRole(input.role)) {
    throw new AppError('invalid-parameter', `Unexpected role value: ${JSON.stringify(input.role)}; expected one of ${KEY_ROLES.join(', ')}`)
  }
  const role = input.role
  const employeeNo = input.administratorEmployeeNo?.trim() || undefined
  const department = input.department?.trim() || undefined
  if ((role === 'grid_admin') !== (employeeNo !== undefined)) {
    throw new AppError('invalid-parameter', role === 'grid_admin'
      ? 'A grid_admin key needs administratorEmployeeNo (CLI: --employee-no): the administrator whose grids it may see'
      : `Only grid_admin keys belong to an administrator; drop administratorEmployeeNo for role ${role}`)
  }
  if ((role === 'department') !== (department !== undefined)) {
    throw new AppError('invalid-parameter', role === 'department'
      ? 'A department key needs department (CLI: --department): the department incidents are dispatched to'
      : `Only department keys name a department; drop department for role ${role}`)
  }

  const secret = newSecret()
  try {
    const key = await db.transaction(async (tx) => {
      let administratorId: number | null = null
      if (employeeNo !== undefined) {
        const admin = (await tx.query<{ id: number; active: boolean }>(q.ADMINISTRATOR_BY_EMPLOYEE_NO, [employeeNo])).rows[0]
        if (!admin) throw new AppError('invalid-parameter', `No administrator with employee number ${JSON.stringify(employeeNo)}`)
        if (!admin.active) throw new AppError('invalid-parameter', `Administrator ${employeeNo} is not active`)
        administratorId = admin.id
      }
      if (department !== undefined) await assertKnownDepartment(tx, department)
      if ((await tx.query(q.LIVE_KEY_NAMED, [name])).rows.length > 0) throw duplicateName(name)
      const { id } = (await tx.query<{ id: number }>(q.INSERT_KEY, [
        name, role, hashSecret(secret), secret.slice(0, 8), administratorId, department ?? null, actor,
      ])).rows[0]!
      const created = (await getApiKey(tx, id))!
      await recordAudit(tx, { actor, action: 'key.create', subject: `api_key:${id}`, detail: { before: null, after: created } })
      return created
    })
    return { key, secret }
  } catch (err) {
    // Two creations racing past the name check meet the partial unique index.
    if ((err as { code?: unknown }).code === '23505') throw duplicateName(name)
    throw err
  }
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  return (await db.query<KeyRow>(q.LIST_KEYS)).rows.map(keyInfo)
}

export async function getApiKey(db: Queryable, id: number): Promise<ApiKeyInfo | null> {
  const row = (await db.query<KeyRow>(q.GET_KEY, [id])).rows[0]
  return row ? keyInfo(row) : null
}

/**
 * Revokes a key for good. `revoked` is false when it already was (nothing
 * changes, nothing is audited); null when there is no such key.
 */
export async function revokeApiKey(db: Db, id: number, actor: string): Promise<{ key: ApiKeyInfo; revoked: boolean } | null> {
  return db.transaction(async (tx) => {
    const changed = (await tx.query(q.REVOKE_KEY, [id])).rows.length > 0
    const key = await getApiKey(tx, id)
    if (!key) return null
    if (changed) {
      await recordAudit(tx, { actor, action: 'key.revoke', subject: `api_key:${id}`, detail: { before: { ...key, revokedAt: null }, after: key } })
    }
    return { key, revoked: changed }
  })
}

/** Whether anyone can manage keys through the API yet. */
export async function hasLiveAdminKey(db: Queryable): Promise<boolean> {
  return (await db.query<{ present: boolean }>(q.HAS_LIVE_ADMIN_KEY)).rows[0]!.present
}

/** The key a secret belongs to, revoked or not; null when none does. */
export async function findKey(db: Queryable, secret: string): Promise<KeyRecord | null> {
  if (secret.length > MAX_SECRET_LENGTH) return null
  const row = (await db.query<{
    id: number
    name: string
    role: KeyRole
    prefix: string
    administrator_id: number | null
    department: string | null
    revoked_at: Date | null
    administrator_active: boolean | null
    grids: string[] | null
  }>(q.KEY_BY_HASH, [hashSecret(secret)])).rows[0]
  if (!row) return null
  const principal: Principal = { role: row.role, keyId: row.id, name: row.name }
  if (row.administrator_id !== null) principal.administratorId = row.administrator_id
  if (row.department !== null) principal.department = row.department
  if (row.grids !== null) principal.grids = Object.freeze(row.grids) as string[]
  // Shared by every request presenting the key while it is cached.
  Object.freeze(principal)
  return { principal, prefix: row.prefix, revokedAt: row.revoked_at, administratorActive: row.administrator_active }
}

interface KeyRow {
  id: number
  name: string
  role: KeyRole
  prefix: string
  administrator_id: number | null
  administrator_employee_no: string | null
  department: string | null
  created_at: Date
  created_by: string | null
  revoked_at: Date | null
}

function keyInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    administratorId: r.administrator_id,
    administratorEmployeeNo: r.administrator_employee_no,
    department: r.department,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  }
}

const duplicateName = (name: string) =>
  new AppError('conflict', `A live key is already named ${JSON.stringify(name)}; key names are the actors of the audit log, so pick another or revoke that key first`)

/**
 * Who may call what. A key carries one of the key roles; a request without a
 * key is `public`. Each route names the roles it admits in
 * `config: { roles }` (see ./auth-plugin.ts).
 */
export const KEY_ROLES = ['admin', 'planner', 'analyst', 'supervisor', 'grid_admin', 'department', 'system'] as const

export type KeyRole = (typeof KEY_ROLES)[number]
export type Role = KeyRole | 'public'

/** Everybody, anonymous callers included: public reads. */
export const EVERYONE: readonly Role[] = Object.freeze([...KEY_ROLES, 'public'])

export function isKeyRole(value: unknown): value is KeyRole {
  return (KEY_ROLES as readonly unknown[]).includes(value)
}

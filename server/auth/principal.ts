import type { Role } from './roles.ts'

/** Who is calling: set on every request by the auth plugin. */
export interface Principal {
  role: Role
  /** null for anonymous callers. */
  keyId: number | null
  /** The key's name; the actor recorded in the audit log. */
  name: string
  /** grid_admin keys: the administrator the key belongs to. */
  administratorId?: number
  /** department keys: the department incidents are dispatched to. */
  department?: string
  /** grid_admin keys: the codes of the grids their administrator serves, sorted. */
  grids?: string[]
}

export const ANONYMOUS: Principal = Object.freeze({ role: 'public', keyId: null, name: 'anonymous' })

/**
 * The grids a caller is confined to, or null when the role is not confined by
 * grid. Domains that own grid-bound records (incidents) filter and check with it.
 */
export function ownGrids(principal: Principal): readonly string[] | null {
  return principal.role === 'grid_admin' ? (principal.grids ?? []) : null
}

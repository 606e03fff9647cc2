/** SQL of API keys (table api_key, migration 008). */

const KEY_COLUMNS = `
  k.id, k.name, k.role, k.prefix, k.administrator_id, a.employee_no AS administrator_employee_no,
  k.department, k.created_at, k.created_by, k.revoked_at`

export const LIST_KEYS = `
SELECT ${KEY_COLUMNS}
FROM api_key k LEFT JOIN administrator a ON a.id = k.administrator_id
ORDER BY k.id`

export const GET_KEY = `
SELECT ${KEY_COLUMNS}
FROM api_key k LEFT JOIN administrator a ON a.id = k.administrator_id
WHERE k.id = $1`

export const ADMINISTRATOR_BY_EMPLOYEE_NO = `SELECT id, active FROM administrator WHERE employee_no = $1`

export const HAS_LIVE_ADMIN_KEY = `SELECT EXISTS (SELECT 1 FROM api_key WHERE role = 'admin' AND revoked_at IS NULL) AS present`

export const LIVE_KEY_NAMED = `SELECT id FROM api_key WHERE name = $1 AND revoked_at IS NULL`

/** $1 name, $2 role, $3 key_hash, $4 prefix, $5 administrator_id, $6 department, $7 created_by. */
export const INSERT_KEY = `
INSERT INTO api_key (name, role, key_hash, prefix, administrator_id, department, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id`

/** Revokes a live key; no row when the key is unknown or already revoked. */
export const REVOKE_KEY = `UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`

/** Everything a request's principal needs, by the secret's hash. */
export const KEY_BY_HASH = `
SELECT k.id, k.name, k.role, k.prefix, k.administrator_id, k.department, k.revoked_at,
       a.active AS administrator_active,
       CASE WHEN k.administrator_id IS NULL THEN NULL
            ELSE COALESCE((SELECT array_agg(ag.grid_code ORDER BY ag.grid_code) FROM administrator_grid ag
                           WHERE ag.administrator_id = k.administrator_id), '{}') END AS grids
FROM api_key k LEFT JOIN administrator a ON a.id = k.administrator_id
WHERE k.key_hash = $1`

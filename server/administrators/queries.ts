/** SQL of grid administrators. */

const FILTER = `
FROM administrator a
WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM administrator_grid ag
                                   WHERE ag.administrator_id = a.id AND ag.grid_code LIKE $1 || '%'))
  AND ($2::boolean IS NULL OR a.active = $2)
  AND ($3::text IS NULL OR a.name ILIKE '%' || $3 || '%' OR a.employee_no ILIKE '%' || $3 || '%')`

export const COUNT_ADMINISTRATORS = `SELECT count(*)::int AS n ${FILTER}`

/** $1 grid (or community/town code prefix), $2 active, $3 q, $4 limit, $5 offset. */
export const LIST_ADMINISTRATORS = `
SELECT a.id, a.employee_no, a.name, a.phone, a.active,
       COALESCE((SELECT array_agg(ag.grid_code ORDER BY ag.grid_code) FROM administrator_grid ag
                 WHERE ag.administrator_id = a.id), '{}') AS grids
${FILTER}
ORDER BY a.employee_no
LIMIT $4 OFFSET $5`

export const ADMINISTRATORS_OF_GRID = `
SELECT a.id, a.employee_no, a.name, a.phone, a.active
FROM administrator a JOIN administrator_grid ag ON ag.administrator_id = a.id
WHERE ag.grid_code = $1
ORDER BY a.active DESC, a.employee_no`

export const INSERT_ADMINISTRATORS = `
INSERT INTO administrator (employee_no, name, phone, active)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[])
RETURNING id, employee_no`

export const INSERT_ASSIGNMENTS = `
INSERT INTO administrator_grid (administrator_id, grid_code)
SELECT a.id, x.grid_code
FROM unnest($1::text[], $2::text[]) AS x(employee_no, grid_code)
JOIN administrator a ON a.employee_no = x.employee_no
ON CONFLICT DO NOTHING`

const GRIDS_OF = `COALESCE((SELECT array_agg(ag.grid_code ORDER BY ag.grid_code) FROM administrator_grid ag WHERE ag.administrator_id = a.id), '{}')`

/**
 * Serialises every write of administrators and their grids (this module's, an
 * import's, a publish's), taken before anything is read: in READ COMMITTED a
 * statement that waited for another writer's row lock still reads the rest
 * (the grids) as they were before that writer committed, and a new employee
 * number has no row to lock at all. Writes of administrators are rare and
 * short; a whole list is one of them.
 */
export const LOCK_ADMINISTRATORS = `SELECT pg_advisory_xact_lock(8872434)`

/** Administrators $1 (employee numbers) as they are today, locked until the writing transaction ends. */
export const ADMINISTRATORS_FOR_UPDATE = `
SELECT a.id, a.employee_no, a.name, a.phone, a.active, ${GRIDS_OF} AS grids
FROM administrator a WHERE a.employee_no = ANY($1::text[])
FOR UPDATE OF a`

/** Which of the codes $1 are grids of the current generation. */
export const CURRENT_GRIDS_AMONG = `
SELECT code FROM unit WHERE generation_id = current_generation() AND level = 'grid' AND code = ANY($1::text[])`

/** Creates or replaces administrators: $1 employee numbers, $2 names, $3 phones, $4 active. */
export const UPSERT_ADMINISTRATORS = `
INSERT INTO administrator (employee_no, name, phone, active)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[])
ON CONFLICT (employee_no) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone, active = EXCLUDED.active
RETURNING id, employee_no`

/** The grids of administrators $1 become exactly the pairs ($2 administrator, $3 grid). */
export const REPLACE_ASSIGNMENTS = `
WITH wanted AS (SELECT * FROM unnest($2::int[], $3::text[]) AS w(administrator_id, grid_code)),
gone AS (
  DELETE FROM administrator_grid ag
  WHERE ag.administrator_id = ANY($1::int[])
    AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.administrator_id = ag.administrator_id AND w.grid_code = ag.grid_code)
)
INSERT INTO administrator_grid (administrator_id, grid_code)
SELECT administrator_id, grid_code FROM wanted
ON CONFLICT DO NOTHING`

/** Audit records $2 (JSON array of {action, subject, detail}) by actor $1. */
export const INSERT_ADMINISTRATOR_AUDITS = `
INSERT INTO audit_log (actor, action, subject, detail)
SELECT $1, e->>'action', e->>'subject', e->'detail' FROM jsonb_array_elements($2::jsonb) AS e`

export const ADMINISTRATOR_BY_EMPLOYEE_NO = `
SELECT a.id, a.employee_no, a.name, a.phone, a.active, ${GRIDS_OF} AS grids
FROM administrator a WHERE a.employee_no = $1`

/** The periods administrator $1 served each grid, earliest first (valid_from NULL: since before records). */
export const ASSIGNMENT_HISTORY = `
SELECT grid_code, valid_from, valid_to FROM administrator_assignment
WHERE administrator_id = $1 ORDER BY valid_from NULLS FIRST, grid_code, id`

/** Like ADMINISTRATORS_OF_GRID, for those who served grid $1 at moment $2. */
export const ADMINISTRATORS_OF_GRID_AT = `
SELECT a.id, a.employee_no, a.name, a.phone, a.active
FROM administrator_assignment h JOIN administrator a ON a.id = h.administrator_id
WHERE h.grid_code = $1 AND (h.valid_from IS NULL OR h.valid_from <= $2) AND (h.valid_to IS NULL OR h.valid_to > $2)
ORDER BY a.employee_no`

/** The work phone as `role` may see it: of someone who no longer serves, only staff with a key. */
export const visiblePhone = (a: { active?: unknown; phone?: unknown }, role: string) => (a.active || role !== 'public' ? a.phone : null)

/** Statistics after many administrators changed at once (the embedded database has no autovacuum to take them). */
export const ANALYZE_ADMINISTRATORS = `ANALYZE administrator, administrator_grid, administrator_assignment`

/** Which of the employee numbers $1 have a recorded assignment period (any). */
export const WITH_ASSIGNMENT_HISTORY = `
SELECT a.employee_no FROM administrator a
WHERE a.employee_no = ANY($1::text[]) AND EXISTS (SELECT 1 FROM administrator_assignment aa WHERE aa.administrator_id = a.id)`

/** Past periods of administrators no longer active ($1 employee numbers): every grid they hold, served since before records until $2. */
export const INSERT_DEPARTED_ASSIGNMENTS = `
INSERT INTO administrator_assignment (administrator_id, grid_code, valid_from, valid_to)
SELECT a.id, ag.grid_code, NULL, x.left_at
FROM unnest($1::text[], $2::timestamptz[]) AS x(employee_no, left_at)
JOIN administrator a ON a.employee_no = x.employee_no AND NOT a.active
JOIN administrator_grid ag ON ag.administrator_id = a.id`

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

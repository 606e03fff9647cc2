/** SQL of the patrols domain: tracks as uploaded, the cells they touched, and visits for coverage. */

export const ADMINISTRATOR = `SELECT id FROM administrator WHERE employee_no = $1`

export const INSERT_TRACK = `
INSERT INTO patrol_track (administrator_id, started_at, ended_at, geom, length_m)
VALUES ($1, $2, $3, ST_SetSRID(ST_MakeLine(ARRAY(SELECT ST_MakePoint(x, y) FROM unnest($4::float8[], $5::float8[]) AS p(x, y))), 4326), $6)
RETURNING id`

export const INSERT_CELLS = `INSERT INTO patrol_cell (track_id, h3, visited_at) SELECT $1, h, to_timestamp(t / 1000.0) FROM unnest($2::text[], $3::float8[]) AS c(h, t)`

export const VISITED = `
SELECT h3, max(visited_at) >= now() - interval '7 days' AS last7
FROM patrol_cell WHERE h3 = ANY($1::text[]) AND visited_at >= now() - interval '30 days' GROUP BY h3`

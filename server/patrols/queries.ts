/** SQL of the patrols domain: tracks as uploaded, the cells they touched, and visits for coverage. */

export const ADMINISTRATOR = `SELECT id FROM administrator WHERE employee_no = $1`

export const INSERT_TRACK = `
INSERT INTO patrol_track (administrator_id, started_at, ended_at, geom, length_m)
VALUES ($1, $2, $3, ST_SetSRID(ST_MakeLine(ARRAY(SELECT ST_MakePoint(x, y) FROM unnest($4::float8[], $5::float8[]) AS p(x, y))), 4326), $6)
RETURNING id`

/** The same track stored before: same administrator, times and positions in the same order. */
/**
 * One administrator's uploads one at a time (until the transaction ends): the
 * same track sent twice at once would otherwise find no copy stored and both
 * store it.
 */
export const LOCK_ADMINISTRATOR_TRACKS = `SELECT pg_advisory_xact_lock(8872435, $1::int)`

export const SAME_TRACK = `
SELECT id FROM patrol_track
WHERE administrator_id = $1 AND started_at = $2 AND ended_at = $3
  AND ST_OrderingEquals(geom, ST_SetSRID(ST_MakeLine(ARRAY(SELECT ST_MakePoint(x, y) FROM unnest($4::float8[], $5::float8[]) AS p(x, y))), 4326))
LIMIT 1`

export const INSERT_CELLS = `INSERT INTO patrol_cell (track_id, h3, visited_at) SELECT $1, h, to_timestamp(t / 1000.0) FROM unnest($2::text[], $3::float8[]) AS c(h, t)`

export const VISITED = `
SELECT h3, max(visited_at) >= now() - interval '7 days' AS last7
FROM patrol_cell WHERE h3 = ANY($1::text[]) AND visited_at >= now() - interval '30 days' GROUP BY h3`

/**
 * Tracks, newest first: of the administrator $1 (employee number, or any),
 * crossing the grid $2 of the current generation (or anywhere), overlapping
 * [$3, $4) (or any time), at most $5; $6 limits them to one administrator id
 * (a grid administrator's own tracks).
 */
/** One track, with the administrator it belongs to. */
export const TRACK = `
SELECT t.id, t.administrator_id, a.employee_no, t.started_at, t.ended_at, t.length_m, ST_AsGeoJSON(t.geom, 7) AS geometry,
       (SELECT count(*)::int FROM patrol_cell c WHERE c.track_id = t.id) AS cells
FROM patrol_track t JOIN administrator a ON a.id = t.administrator_id
WHERE t.id = $1`

export const TRACKS = `
SELECT t.id, a.employee_no, t.started_at, t.ended_at, t.length_m, ST_AsGeoJSON(t.geom, 7) AS geometry,
       (SELECT count(*)::int FROM patrol_cell c WHERE c.track_id = t.id) AS cells
FROM patrol_track t JOIN administrator a ON a.id = t.administrator_id
WHERE ($1::text IS NULL OR a.employee_no = $1)
  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM unit u WHERE u.code = $2 AND u.level = 'grid' AND u.generation_id = current_generation() AND ST_Intersects(u.geom, t.geom)))
  AND ($3::timestamptz IS NULL OR t.ended_at >= $3) AND ($4::timestamptz IS NULL OR t.started_at < $4)
  AND ($6::int IS NULL OR t.administrator_id = $6)
ORDER BY t.started_at DESC, t.id DESC
LIMIT $5`

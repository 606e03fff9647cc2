/** SQL of the demo patrol tracks' load. */

/** Active administrators with their grids, in a stable order (the sample is drawn in it). */
export const ACTIVE_ADMINISTRATORS = `
SELECT a.id, array_agg(g.grid_code ORDER BY g.grid_code) AS grids
FROM administrator a JOIN administrator_grid g ON g.administrator_id = a.id
WHERE a.active GROUP BY a.id ORDER BY a.employee_no`

export const ANY_TRACK = `SELECT EXISTS (SELECT 1 FROM patrol_track) AS any`

/** Ids for a batch of tracks, so their cells can name them in the same batch. */
export const TRACK_IDS = `SELECT nextval(pg_get_serial_sequence('patrol_track', 'id'))::int AS id FROM generate_series(1, $1)`

export const INSERT_TRACKS = `
INSERT INTO patrol_track (id, administrator_id, started_at, ended_at, geom, length_m) OVERRIDING SYSTEM VALUE
SELECT id, administrator_id, to_timestamp(s), to_timestamp(e), ST_GeomFromText(wkt, 4326), length_m
FROM unnest($1::int[], $2::int[], $3::float8[], $4::float8[], $5::text[], $6::float8[]) AS t(id, administrator_id, s, e, wkt, length_m)`

export const INSERT_CELLS = `
INSERT INTO patrol_cell (track_id, h3, visited_at)
SELECT track_id, h3, to_timestamp(t) FROM unnest($1::int[], $2::text[], $3::float8[]) AS c(track_id, h3, t)`

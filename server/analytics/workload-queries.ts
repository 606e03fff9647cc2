/**
 * SQL of workload and balance analytics. Periods are half-open, [$from, $to);
 * a scope is a unit code prefix (city 6, town 9, community 12 digits), so
 * `starts_with(grid_code, $prefix)` selects the grids under it.
 */

/** The units of generation $1 under code prefix $2 (all of them when NULL), the prefix's own unit included. */
export const SCOPE_UNITS = `
SELECT code, level, name_zh, name_en, parent_code, population, households, area_m2
FROM unit
WHERE generation_id = $1 AND ($2::text IS NULL OR starts_with(code, $2))
ORDER BY code`

/**
 * Per grid under $3: countable incidents reported in [$1, $2) and their summed
 * effort weights (summed as numeric, so 0.8 + 0.5 is 1.3 exactly). Grouped in
 * SQL: one row per grid whatever the number of incidents.
 */
export const GRID_LOADS = `
SELECT grid_code, count(*)::int AS incidents, sum(effort_weight::numeric)::float8 AS load
FROM countable_incident
WHERE reported_at >= $1 AND reported_at < $2 AND starts_with(grid_code, $3)
GROUP BY grid_code`

/**
 * The countable incidents of [$1, $2) that happened within the box of unit $3
 * of generation $4, with where they happened, to be re-attributed to that
 * generation's grids by location (after a boundary change) instead of the grid
 * they were routed to. Chosen by place, not by the routed code: an incident
 * routed to a neighbouring community before an edge moved belongs here if it
 * lies here (the caller keeps the grids under $3).
 */
export const INCIDENT_POINTS = `
SELECT ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, ci.effort_weight AS weight
FROM unit p
JOIN incident i ON i.geom && p.geom
JOIN countable_incident ci ON ci.id = i.id
WHERE p.generation_id = $4 AND p.code = $3 AND ci.reported_at >= $1 AND ci.reported_at < $2`

/** Active administrators per grid under $1, as assigned now. */
export const ADMINISTRATORS_PER_GRID = `
SELECT ag.grid_code, count(*)::int AS administrators
FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id
WHERE a.active AND starts_with(ag.grid_code, $1)
GROUP BY ag.grid_code`

/**
 * The same at moment $2, from the assignment history (periods served while
 * active; from null: since before records), as lookups name them with at=.
 */
export const ADMINISTRATORS_PER_GRID_AT = `
SELECT h.grid_code, count(DISTINCT h.administrator_id)::int AS administrators
FROM administrator_assignment h
WHERE starts_with(h.grid_code, $1) AND (h.valid_from IS NULL OR h.valid_from <= $2) AND (h.valid_to IS NULL OR h.valid_to > $2)
GROUP BY h.grid_code`

/**
 * The resolution-10 cells that patrols passed through in [$1, $2), of the
 * tracks whose line meets the box $3–$6 (min lon, min lat, max lon, max lat:
 * the area asked about). Tracks are found by their time span and their box
 * first (indexes), so only tracks that can hold a visit in the area and the
 * period are opened; the cells are told apart per grid by the caller.
 */
export const VISITED_CELLS = `
SELECT DISTINCT c.h3
FROM patrol_track t JOIN patrol_cell c ON c.track_id = t.id
WHERE t.started_at < $2 AND t.ended_at >= $1 AND t.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326)
  AND c.visited_at >= $1 AND c.visited_at < $2`

/** The same per administrator, for the administrators $7 only. */
export const VISITED_CELLS_BY_ADMINISTRATOR = `
SELECT DISTINCT t.administrator_id, c.h3
FROM patrol_track t JOIN patrol_cell c ON c.track_id = t.id
WHERE t.administrator_id = ANY($7::int[]) AND t.started_at < $2 AND t.ended_at >= $1 AND t.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326)
  AND c.visited_at >= $1 AND c.visited_at < $2`

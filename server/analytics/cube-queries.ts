/**
 * SQL over the incident cube (migration 010). Filters are arrays or NULL (no
 * filter); days are the city's local calendar days, [from, to).
 */

const FILTERS = `
  a.day >= $2::date AND a.day < $3::date
  AND ($4::text[] IS NULL OR a.category_code = ANY($4::text[]))
  AND ($5::text[] IS NULL OR a.channel = ANY($5::text[]))
  AND ($6::text[] IS NULL OR a.status = ANY($6::text[]))`

/** Count and effort-weighted load per cell at resolution $1. */
export const CELL_TOTALS = `
SELECT to_hex(h3_parent(a.cell, $1)) AS cell, sum(a.n)::float8 AS n, sum(a.n * c.effort_weight)::float8 AS load
FROM incident_cell_day a JOIN incident_category c ON c.code = a.category_code
WHERE ${FILTERS}
GROUP BY 1`

/** Naive baseline for the benchmark: the same totals straight from the incident table. */
export const CELL_TOTALS_RAW = `
SELECT to_hex(h3_parent(i.h3_10, $1)) AS cell, count(*)::float8 AS n, sum(c.effort_weight)::float8 AS load
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE incident_day(i.reported_at) >= $2::date AND incident_day(i.reported_at) < $3::date AND i.h3_10 IS NOT NULL AND i.duplicate_of IS NULL
  AND ($4::text[] IS NULL OR i.category_code = ANY($4::text[]))
  AND ($5::text[] IS NULL OR i.channel = ANY($5::text[]))
  AND ($6::text[] IS NULL OR i.status = ANY($6::text[]))
GROUP BY 1`

/** Count and load per grid over [$1, $2) local days, straight from incidents (grids are not in the cube; the grid index serves this). */
export const GRID_TOTALS = `
SELECT i.grid_code AS grid, count(*)::float8 AS n, sum(c.effort_weight)::float8 AS load
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE i.grid_code IS NOT NULL AND i.duplicate_of IS NULL
  AND i.reported_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND i.reported_at < ($2::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND ($3::text[] IS NULL OR i.category_code = ANY($3::text[]))
  AND ($4::text[] IS NULL OR i.channel = ANY($4::text[]))
  AND ($5::text[] IS NULL OR i.status = ANY($5::text[]))
GROUP BY 1`

/**
 * The incidents GRID_TOTALS counts, with where they happened: attributed by
 * location to the grids of the answered generation (after a boundary change)
 * instead of the grid each was routed to.
 */
export const GRID_POINTS = `
SELECT ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, c.effort_weight::float8 AS weight
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE i.duplicate_of IS NULL
  AND i.reported_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND i.reported_at < ($2::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND ($3::text[] IS NULL OR i.category_code = ANY($3::text[]))
  AND ($4::text[] IS NULL OR i.channel = ANY($4::text[]))
  AND ($5::text[] IS NULL OR i.status = ANY($5::text[]))`

/** Grids of generation $1 with residents and outline (their queen contiguity comes from ./grid-neighbours.ts). */
export const GRIDS = `
SELECT code, name_zh, coalesce(population, 0)::float8 AS population, ST_AsGeoJSON(geom, 7) AS geometry
FROM unit WHERE generation_id = $1 AND level = 'grid' ORDER BY code`

/**
 * Incidents over time from the cube: per step ($7 'day', 'week' = 7-day steps
 * from $2, or 'month' = calendar months) and per key ($8 'category',
 * 'channel' or 'status'), count and load. $1 is unused by the filters but keeps
 * their numbering shared with the cell queries.
 */
export const SERIES = `
SELECT (CASE WHEN $7 = 'day' THEN a.day - $2::date
             WHEN $7 = 'week' THEN (a.day - $2::date) / 7
             ELSE (extract(year FROM a.day)::int * 12 + extract(month FROM a.day)::int)
                  - (extract(year FROM $2::date)::int * 12 + extract(month FROM $2::date)::int) END)::int AS step,
       CASE $8 WHEN 'category' THEN a.category_code WHEN 'channel' THEN a.channel ELSE a.status END AS key,
       sum(a.n)::float8 AS n, sum(a.n * c.effort_weight)::float8 AS load
FROM incident_cell_day a JOIN incident_category c ON c.code = a.category_code
WHERE $1::int IS NULL AND ${FILTERS}
GROUP BY 1, 2 ORDER BY 1, 2`

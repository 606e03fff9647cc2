/**
 * SQL of the vector tiles. A tile arrives as a lon/lat rectangle ($n numbers
 * from ./tile-math.ts, already widened by the tile buffer), never as text;
 * layer names pick the level from the allow-list. Every query orders its
 * rows, so the same data gives the same bytes (and ETag).
 */

export const CURRENT_GENERATION = `SELECT current_generation() AS id`

export const GENERATION_BOUNDS = `
SELECT g.label, ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM generation g, LATERAL (SELECT ST_Extent(geom) AS e FROM unit WHERE generation_id = g.id) x
WHERE g.id = $1 AND e IS NOT NULL`

/**
 * Units of generation $1 and level $2 reaching into the rectangle $3–$6
 * (west, south, east, north), clipped to it and, when they have more than a
 * handful of vertices, simplified by $7 degrees (half a pixel: invisible once
 * snapped to the tile's pixels; for a quadrilateral it costs more than it
 * saves). The `&&` finds them through the geometry index. Clipped first, so a
 * town as large as the tile costs only the part that is drawn.
 */
export const UNITS_IN_TILE = `
SELECT u.code, u.name_zh, u.name_en, u.parent_code,
       ST_AsBinary(CASE WHEN ST_NPoints(c.geom) > 16 THEN ST_Simplify(c.geom, $7, true) ELSE c.geom END) AS wkb
FROM (SELECT ST_MakeEnvelope($3, $4, $5, $6, 4326) AS env) b
JOIN unit u ON u.geom && b.env
CROSS JOIN LATERAL (SELECT ST_ClipByBox2D(u.geom, b.env) AS geom) c
WHERE u.generation_id = $1 AND u.level = $2
ORDER BY u.code`

/**
 * Incidents in the rectangle $1–$4 reported on local days [$5, $6), filtered
 * by category $7, channel $8, status $9 (NULL: any) and confined to the grids
 * $10 (NULL: all). Like the incident list, duplicates are shown.
 */
export const INCIDENTS_IN_TILE = `
SELECT i.id::float8 AS id, i.category_code, i.status, i.channel,
       floor(extract(epoch FROM i.reported_at))::float8 AS reported_at,
       incident_supervision_level(i.status, i.dispatched_at, i.deadline_at, now())::int AS supervision_level,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat
FROM incident i
WHERE i.geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)
  AND i.reported_at >= ($5::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND i.reported_at < ($6::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND ($7::text[] IS NULL OR i.category_code = ANY($7))
  AND ($8::text[] IS NULL OR i.channel = ANY($8))
  AND ($9::text[] IS NULL OR i.status = ANY($9))
  AND ($10::text[] IS NULL OR i.grid_code = ANY($10))
ORDER BY i.id`

/**
 * Count and effort-weighted load per H3 cell at resolution $1 for the cells
 * $2 (bigint ids) of a grid administrator's own grids $8, over local days
 * [$3, $4) with filters $5 category, $6 channel, $7 status. The cube knows no
 * grids, so these come from the incident table, by the cube's rules (a cell,
 * no duplicate), found through the grid index. Everyone else's counts come
 * from the cube (CELL_TOTALS in ../analytics/cube-queries.ts).
 */
export const OWN_GRID_CELLS = `
SELECT to_hex(h3_parent(i.h3_10, $1)) AS cell, count(*)::float8 AS count, sum(c.effort_weight::numeric)::float8 AS load
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE i.grid_code = ANY($8::text[]) AND i.h3_10 IS NOT NULL AND i.duplicate_of IS NULL
  AND i.reported_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND i.reported_at < ($4::date::timestamp AT TIME ZONE 'Asia/Shanghai')
  AND h3_parent(i.h3_10, $1) = ANY($2::bigint[])
  AND ($5::text[] IS NULL OR i.category_code = ANY($5))
  AND ($6::text[] IS NULL OR i.channel = ANY($6))
  AND ($7::text[] IS NULL OR i.status = ANY($7))
GROUP BY 1
ORDER BY 1`

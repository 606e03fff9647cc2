/** Read-side SQL of the unit registry. `$1` is always the generation id. */

/** The generation valid at $1 (NULL → current). */
export const GENERATION = `
SELECT id, label, valid_from, valid_to
FROM generation
WHERE id = CASE WHEN $1::timestamptz IS NULL THEN current_generation() ELSE generation_at($1::timestamptz) END`

export const GENERATIONS = `
SELECT g.id, g.label, g.valid_from, g.valid_to, g.created_at, g.created_by, g.source, g.note,
       (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units
FROM generation g ORDER BY g.valid_from DESC`

export const GENERATION_BY_ID = `
SELECT g.id, g.label, g.valid_from, g.valid_to, g.created_at, g.created_by, g.source, g.note,
       (SELECT count(*)::int FROM unit u WHERE u.generation_id = g.id) AS units
FROM generation g WHERE g.id = $1`

// Shared filter of the unit list: level, parent, bbox, q (code prefix or name).
const FILTER = `
FROM unit u
WHERE u.generation_id = $1
  AND ($2::text IS NULL OR u.level = $2)
  AND ($3::text IS NULL OR u.parent_code = $3)
  AND ($4::float8[] IS NULL OR (u.geom && ST_MakeEnvelope($4[1], $4[2], $4[3], $4[4], 4326)
                                AND ST_Intersects(u.geom, ST_MakeEnvelope($4[1], $4[2], $4[3], $4[4], 4326))))
  AND ($5::text IS NULL OR u.code LIKE $5 || '%' OR u.name_zh ILIKE '%' || $5 || '%' OR u.name_en ILIKE '%' || $5 || '%')`

export const COUNT_UNITS = `SELECT count(*)::int AS n ${FILTER}`

const UNIT_COLUMNS = `
  u.code, u.level, u.parent_code, u.name_zh, u.name_en, u.area_m2,
  ST_X(u.centroid) AS centroid_lon, ST_Y(u.centroid) AS centroid_lat,
  u.population, u.households, u.buildings, u.rented_rooms, u.businesses, u.extra`

/*
 * Stored geometry goes out as stored, every double in its shortest exact form
 * (zw_geojson_exact, migration 021: 113.7 stays 113.7), which re-imports as it
 * is. Rounding to 7 decimals moved a grid corner lying on its community's
 * slanted edge by up to 5 cm, enough for the export to come back as "reaches
 * 1–10 m² outside its parent". A simplified outline is for display: 7 decimals (1 cm).
 */

/** $6: simplification tolerance in metres (0 = exact geometry), $7 limit, $8 offset. */
export const LIST_UNITS = `
SELECT ${UNIT_COLUMNS},
  CASE WHEN $6::float8 > 0
       THEN ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(u.geom, $6::float8 / 111320.0)), 7)
       ELSE zw_geojson_exact(u.geom) END::json AS geometry
${FILTER}
ORDER BY u.code
LIMIT $7 OFFSET $8`

export const GET_UNIT = `
SELECT ${UNIT_COLUMNS}, zw_geojson_exact(u.geom)::json AS geometry
FROM unit u WHERE u.generation_id = $1 AND u.code = $2`

/** Ancestors from the city down, by the code prefixes of $2. */
export const ANCESTORS = `
SELECT u.code, u.level, u.name_zh, u.name_en
FROM unit u
WHERE u.generation_id = $1 AND u.code <> $2 AND $2 LIKE u.code || '%'
ORDER BY length(u.code)`

export const CHILD_CODES = `
SELECT u.code FROM unit u WHERE u.generation_id = $1 AND u.parent_code = $2 ORDER BY u.code`

/**
 * SQL of the OGC API – Features collections. Each feature is built as GeoJSON
 * text in PostgreSQL, so a page of 10,000 grids is a list of strings joined
 * once, never a tree of JavaScript objects.
 */

/** A timestamptz as RFC 3339 in UTC (JSON's ISO form keeps the exact fraction of a second). */
const utc = (column: string) => `((to_json(${column} AT TIME ZONE 'UTC') #>> '{}') || 'Z')`

/**
 * Envelope test of the float8[] bbox parameter `$n` (minLon, minLat, maxLon,
 * maxLat). minLon > maxLon is a box across the antimeridian: the part east of
 * minLon and the part west of maxLon. A box that does not cross gives the
 * same envelope twice (each half is indexable; the planner ORs them).
 */
const inBbox = (geom: string, n: number) => {
  const east = `ST_MakeEnvelope($${n}[1], $${n}[2], CASE WHEN $${n}[1] <= $${n}[3] THEN $${n}[3] ELSE 180 END, $${n}[4], 4326)`
  const west = `ST_MakeEnvelope(CASE WHEN $${n}[1] <= $${n}[3] THEN $${n}[1] ELSE -180 END, $${n}[2], $${n}[3], $${n}[4], 4326)`
  return `($${n}::float8[] IS NULL OR (${geom} && ${east} AND ST_Intersects(${geom}, ${east})) OR (${geom} && ${west} AND ST_Intersects(${geom}, ${west})))`
}

/**
 * Units of level $1. $2, $3: the datetime interval (NULL, NULL → the current
 * generation; an instant is $2 = $3; open ends are ±infinity): the generations
 * valid at some moment of it. $4 bbox, $5 code, $6 parent code, $7 name (LIKE-escaped).
 */
const UNIT_FILTER = `
FROM unit u JOIN generation g ON g.id = u.generation_id
WHERE u.level = $1
  AND CASE WHEN $2::timestamptz IS NULL THEN g.valid_to IS NULL
           ELSE g.valid_from <= $3::timestamptz AND (g.valid_to IS NULL OR g.valid_to > $2::timestamptz) END
  AND ${inBbox('u.geom', 4)}
  AND ($5::text IS NULL OR u.code = $5)
  AND ($6::text IS NULL OR u.parent_code = $6)
  AND ($7::text IS NULL OR u.name_zh ILIKE '%' || $7 || '%' OR u.name_en ILIKE '%' || $7 || '%')`

/**
 * A feature id names one version of a unit: its code for the current
 * generation's, code@generation for an earlier one (a datetime query spanning
 * generations lists a unit once per generation, and clients key features by id).
 */
const UNIT_FEATURE = `json_build_object(
  'type', 'Feature',
  'id', CASE WHEN g.valid_to IS NULL THEN u.code ELSE u.code || '@' || g.id END,
  'geometry', zw_geojson_exact(u.geom)::json,
  'properties', json_build_object(
    'code', u.code, 'level', u.level, 'parent_code', u.parent_code, 'name', u.name_zh, 'name_en', u.name_en,
    'area_m2', round(u.area_m2::numeric, 2), 'population', u.population, 'households', u.households,
    'buildings', u.buildings, 'rented_rooms', u.rented_rooms, 'businesses', u.businesses,
    'valid_from', ${utc('g.valid_from')}, 'valid_to', ${utc('g.valid_to')})
)::text AS feature`

export const COUNT_UNITS = `SELECT count(*)::int AS n ${UNIT_FILTER}`

/**
 * $8 limit, $9 offset. A code appears once per generation, so (code, valid_from)
 * orders every page. The page is chosen first: rows skipped by OFFSET are never
 * turned into GeoJSON.
 */
export const UNIT_ITEMS = `
WITH page AS (SELECT u.generation_id, u.code, g.valid_from ${UNIT_FILTER}
              ORDER BY u.code, g.valid_from LIMIT $8 OFFSET $9)
SELECT ${UNIT_FEATURE}
FROM page p JOIN unit u ON u.generation_id = p.generation_id AND u.code = p.code JOIN generation g ON g.id = u.generation_id
ORDER BY p.code, p.valid_from`

/** $1 level, $2 code, $3 generation id: the unit of that generation (NULL: the current one). */
export const UNIT_ITEM = `SELECT ${UNIT_FEATURE}
FROM unit u JOIN generation g ON g.id = u.generation_id
WHERE u.level = $1 AND u.code = $2 AND CASE WHEN $3::int IS NULL THEN g.valid_to IS NULL ELSE g.id = $3::int END`

/** $1 level: the current generation's bbox, and when the first generation began. */
export const UNIT_EXTENT = `
SELECT ST_XMin(e) AS min_lon, ST_YMin(e) AS min_lat, ST_XMax(e) AS max_lon, ST_YMax(e) AS max_lat,
       (SELECT min(valid_from) FROM generation) AS first, NULL::timestamptz AS last
FROM (SELECT ST_Extent(u.geom) AS e FROM unit u WHERE u.generation_id = current_generation() AND u.level = $1) x`

/**
 * Public incidents: $1 classes of categories never shown (see CONFIDENTIAL_CLASSES
 * of Open311). $2, $3 reported_at interval (NULL: open), $4 bbox, $5 category,
 * $6 status, $7 grid code, $8 town code.
 */
const INCIDENT_FILTER = `
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE NOT (c.class = ANY($1::text[]))
  AND ($2::timestamptz IS NULL OR i.reported_at >= $2::timestamptz)
  AND ($3::timestamptz IS NULL OR i.reported_at <= $3::timestamptz)
  AND ${inBbox('i.geom', 4)}
  AND ($5::text IS NULL OR i.category_code = $5)
  AND ($6::text IS NULL OR i.status = $6)
  AND ($7::text IS NULL OR i.grid_code = $7)
  AND ($8::text IS NULL OR i.town_code = $8)`

/** What Open311 shows of an incident (server/open311/request-records.ts), with its routing codes. */
const INCIDENT_FEATURE = `json_build_object(
  'type', 'Feature',
  'id', i.id,
  'geometry', ST_AsGeoJSON(i.geom, 7)::json,
  'properties', json_build_object(
    'category', i.category_code, 'category_name', c.name_zh, 'status', i.status, 'description', i.description,
    'reported_at', ${utc('i.reported_at')}, 'updated_at', ${utc('i.updated_at')},
    'expected_at', ${utc('COALESCE(i.deadline_at, i.reported_at + make_interval(hours => c.sla_hours))')},
    'agency', COALESCE(i.department, c.department), 'media_url', i.media_urls[1],
    'grid_code', i.grid_code, 'community_code', i.community_code, 'town_code', i.town_code)
)::text AS feature`

export const COUNT_INCIDENTS = `SELECT count(*)::int AS n ${INCIDENT_FILTER}`

/** $9 limit, $10 offset; the page is chosen before any GeoJSON is made, as for units. */
export const INCIDENT_ITEMS = `
WITH page AS (SELECT i.id ${INCIDENT_FILTER} ORDER BY i.id LIMIT $9 OFFSET $10)
SELECT ${INCIDENT_FEATURE}
FROM page p JOIN incident i ON i.id = p.id JOIN incident_category c ON c.code = i.category_code
ORDER BY p.id`

/** $1 hidden classes, $2 id. */
export const INCIDENT_ITEM = `SELECT ${INCIDENT_FEATURE}
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE NOT (c.class = ANY($1::text[])) AND i.id = $2`

/** $1 hidden classes: bbox and the first and last report. */
export const INCIDENT_EXTENT = `
SELECT ST_XMin(e) AS min_lon, ST_YMin(e) AS min_lat, ST_XMax(e) AS max_lon, ST_YMax(e) AS max_lat, first, last
FROM (SELECT ST_Extent(i.geom) AS e, min(i.reported_at) AS first, max(i.reported_at) AS last
      FROM incident i JOIN incident_category c ON c.code = i.category_code
      WHERE NOT (c.class = ANY($1::text[]))) x`

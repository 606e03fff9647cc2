/** SQL of the Open311 GeoReport v2 endpoint, over the incident tables (migration 007). */

/** $1 hidden classes. */
export const SERVICES = `
SELECT code, name_zh, name_en, class, department, sla_hours, attributes
FROM incident_category WHERE active AND NOT (class = ANY($1::text[])) ORDER BY code`

/** $1 code, $2 hidden classes. */
export const SERVICE = `
SELECT code, name_zh, name_en, class, department, sla_hours, attributes
FROM incident_category WHERE active AND code = $1 AND NOT (class = ANY($2::text[]))`

/**
 * A request record's columns. The address is the names of the town, community
 * and grid the report was routed to (the units of its generation). Workflow
 * notes are staff-internal and not read here.
 */
const REQUEST = `
SELECT i.id, i.status, i.category_code, c.name_zh AS service_name, c.sla_hours, i.description,
       COALESCE(i.department, c.department) AS agency, i.reported_at, i.updated_at,
       COALESCE(i.deadline_at, i.reported_at + make_interval(hours => c.sla_hours)) AS expected_at,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.media_urls,
       NULLIF(concat_ws(' ', t.name_zh, m.name_zh, g.name_zh), '') AS address
FROM incident i
JOIN incident_category c ON c.code = i.category_code
LEFT JOIN unit t ON t.generation_id = i.generation_id AND t.code = i.town_code
LEFT JOIN unit m ON m.generation_id = i.generation_id AND m.code = i.community_code
LEFT JOIN unit g ON g.generation_id = i.generation_id AND g.code = i.grid_code`

/** $1 ids (overrides the rest), $2 category codes, $3 from, $4 to (inclusive), $5 statuses, $6 hidden classes, $7 limit. */
export const LIST_REQUESTS = `${REQUEST}
WHERE NOT (c.class = ANY($6::text[]))
  AND CASE WHEN $1::bigint[] IS NOT NULL THEN i.id = ANY($1::bigint[])
      ELSE ($2::text[] IS NULL OR i.category_code = ANY($2::text[]))
       AND ($3::timestamptz IS NULL OR i.reported_at >= $3)
       AND ($4::timestamptz IS NULL OR i.reported_at <= $4)
       AND ($5::text[] IS NULL OR i.status = ANY($5::text[])) END
ORDER BY i.reported_at DESC, i.id DESC
LIMIT $7`

/** $1 id, $2 hidden classes. */
export const GET_REQUEST = `${REQUEST} WHERE i.id = $1 AND NOT (c.class = ANY($2::text[]))`

export const REQUEST_BY_TOKEN = `SELECT id, token FROM incident WHERE token = $1`

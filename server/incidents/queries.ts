/** SQL of incidents. */

export const CATEGORIES = `
SELECT code, name_zh, name_en, class, department, sla_hours, effort_weight, attributes, active
FROM incident_category ORDER BY code`

export const CATEGORY_CODES = `SELECT code FROM incident_category WHERE active`

/**
 * Inserts a batch; a (channel, external_id) already stored is skipped (the
 * caller then reads the existing row: a retry never makes a second incident).
 * A report of the same category within 50 m and 72 h of an open incident is
 * linked to it as a probable duplicate.
 */
export const INSERT_INCIDENTS = `
WITH input AS (
  SELECT *, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
  FROM unnest($1::int[], $2::text[], $3::float8[], $4::float8[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::text[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[])
    AS t(n, category_code, lon, lat, reported_at, channel, external_id, description,
         media_json, reporter_json, attributes_json, generation_id, grid_code, community_code, town_code, token)
)
INSERT INTO incident (category_code, geom, reported_at, channel, external_id, description, media_urls, reporter, attributes,
                      generation_id, grid_code, community_code, town_code, token, duplicate_of)
SELECT i.category_code, i.geom, i.reported_at, i.channel, i.external_id, i.description,
       ARRAY(SELECT json_array_elements_text(i.media_json::json)), i.reporter_json::jsonb, i.attributes_json::jsonb,
       i.generation_id, i.grid_code, i.community_code, i.town_code, i.token,
       (SELECT o.id FROM incident o
        WHERE o.category_code = i.category_code AND o.status NOT IN ('closed', 'rejected')
          AND o.reported_at BETWEEN i.reported_at - interval '72 hours' AND i.reported_at + interval '72 hours'
          AND o.geom && ST_Expand(i.geom, 0.001)
          AND ST_DWithin(o.geom::geography, i.geom::geography, 50)
        ORDER BY o.reported_at, o.id LIMIT 1)
FROM input i
ORDER BY i.n
ON CONFLICT (channel, external_id) DO NOTHING
RETURNING id, external_id, channel, token, duplicate_of`

export const EXISTING_BY_EXTERNAL_ID = `
SELECT id, channel, external_id, token, duplicate_of FROM incident
WHERE (channel, external_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`

export const RECORD_REPORTED = `
INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note)
SELECT id, reported_at, $2, 'report', NULL, 'reported', NULL FROM incident WHERE id = ANY($1::bigint[])`

const DETAIL_COLUMNS = `
  i.id, i.category_code, c.name_zh AS category_name, c.name_en AS category_name_en, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
  i.reported_at, i.channel, i.external_id, i.description, i.media_urls, i.attributes, i.generation_id,
  i.grid_code, i.community_code, i.town_code, i.status, i.department, i.dispatched_at, i.deadline_at,
  i.handled_at, i.closed_at, i.duplicate_of, i.satisfaction, i.updated_at,
  incident_supervision_level(i.status, i.dispatched_at, i.deadline_at, now()) AS supervision_level`

export const GET_INCIDENT = `
SELECT ${DETAIL_COLUMNS}, i.reporter, i.token
FROM incident i JOIN incident_category c ON c.code = i.category_code WHERE i.id = $1`

export const GET_BY_TOKEN = `
SELECT ${DETAIL_COLUMNS}
FROM incident i JOIN incident_category c ON c.code = i.category_code WHERE i.token = $1`

export const EVENTS = `
SELECT at, actor, action, from_status, to_status, note, media_urls, detail
FROM incident_event WHERE incident_id = $1 ORDER BY at, id`

export const PROBABLE_DUPLICATES = `SELECT id FROM incident WHERE duplicate_of = $1 ORDER BY id`

// List filters: $1 grid, $2 community, $3 town, $4 statuses, $5 categories, $6 channels,
// $7 from, $8 to, $9 bbox, $10 overdue only; confinement of the caller: $11 own grids, $12 own department.
const FILTER = `
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE ($1::text IS NULL OR i.grid_code = $1)
  AND ($2::text IS NULL OR i.community_code = $2)
  AND ($3::text IS NULL OR i.town_code = $3)
  AND ($4::text[] IS NULL OR i.status = ANY($4))
  AND ($5::text[] IS NULL OR i.category_code = ANY($5))
  AND ($6::text[] IS NULL OR i.channel = ANY($6))
  AND ($7::timestamptz IS NULL OR i.reported_at >= $7)
  AND ($8::timestamptz IS NULL OR i.reported_at < $8)
  AND ($9::float8[] IS NULL OR i.geom && ST_MakeEnvelope($9[1], $9[2], $9[3], $9[4], 4326))
  AND (NOT $10::boolean OR incident_supervision_level(i.status, i.dispatched_at, i.deadline_at, now()) > 0)
  AND ($11::text[] IS NULL OR i.grid_code = ANY($11))
  AND ($12::text IS NULL OR i.department = $12)`

export const COUNT_INCIDENTS = `SELECT count(*)::int AS n ${FILTER}`

/** Sorting picks from an allow-list in the route; the ORDER BY text is never built from a request value. */
export const LIST_INCIDENTS: Record<string, string> = Object.fromEntries(
  Object.entries({
    '-reported_at': 'i.reported_at DESC, i.id DESC',
    reported_at: 'i.reported_at, i.id',
    deadline_at: 'i.deadline_at NULLS LAST, i.id',
    '-supervision_level': 'incident_supervision_level(i.status, i.dispatched_at, i.deadline_at, now()) DESC, i.deadline_at, i.id',
  }).map(([key, order]) => [key, `SELECT ${DETAIL_COLUMNS} ${FILTER} ORDER BY ${order} LIMIT $13 OFFSET $14`]),
)

export const LOCK_INCIDENT = `
SELECT i.id, i.status, i.category_code, c.sla_hours, c.department AS default_department
FROM incident i JOIN incident_category c ON c.code = i.category_code WHERE i.id = $1 FOR UPDATE OF i`

/** $2 new status, $3 department (dispatch), $4 duplicate_of (merge), $5 at. */
export const APPLY_TRANSITION = `
UPDATE incident SET
  status = $2,
  department = COALESCE($3, department),
  duplicate_of = COALESCE($4, duplicate_of),
  dispatched_at = CASE WHEN $2 = 'dispatched' THEN $5 ELSE dispatched_at END,
  deadline_at = CASE WHEN $2 = 'dispatched' THEN $5 + make_interval(hours => $6::int) ELSE deadline_at END,
  handled_at = CASE WHEN $2 = 'handled' THEN $5 ELSE handled_at END,
  closed_at = CASE WHEN $2 = 'closed' THEN $5 WHEN $2 = 'reopened' THEN NULL ELSE closed_at END,
  updated_at = $5
WHERE id = $1`

export const RECORD_EVENT = `
INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, media_urls, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`

export const RATE = `UPDATE incident SET satisfaction = $2, updated_at = now() WHERE id = $1 AND status = 'closed' RETURNING id`

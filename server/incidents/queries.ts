/** SQL of incidents. */

export const CATEGORIES = `
SELECT code, name_zh, name_en, class, department, sla_hours, effort_weight, attributes, active
FROM incident_category ORDER BY code`

export const CATEGORY_CODES = `SELECT code FROM incident_category WHERE active`

/**
 * A report's probable original: an open incident of the same category within
 * 50 m (on the spheroid) and 72 h, the earliest reported. Only the box is
 * indexable — 0.0005° of latitude is over 55 m, and so is 0.0005° / cos(lat) of
 * longitude — so each report costs one GiST probe returning the few incidents
 * nearby. (The time window is written as a difference on purpose: as a range
 * on reported_at the planner would AND the probe with a scan of the thousands
 * of incidents reported within ±72 h.)
 */
const PROBABLE_ORIGINAL = (x: string) => `
  SELECT o.id FROM incident o
  WHERE o.geom && ST_Expand(${x}.geom, 0.0005 / greatest(cos(radians(ST_Y(${x}.geom))), 0.001), 0.0005)
    AND o.category_code = ${x}.category_code AND o.status NOT IN ('closed', 'rejected')
    AND o.reported_at - ${x}.reported_at BETWEEN interval '-72 hours' AND interval '72 hours'
    AND ST_DWithin(o.geom::geography, ${x}.geom::geography, 50)`

/**
 * Ids for the next $1 incidents, allocated before the batch is stored: batches
 * of one bulk file stored at the same time still number their rows in file
 * order (the probable-original links rely on it: an original has the lower id).
 */
export const ALLOCATE_IDS = `SELECT nextval(pg_get_serial_sequence('incident', 'id')) AS id FROM generate_series(1, $1::int)`

/**
 * Inserts a batch ($1: JSON rows, see intake.ts) with its 'report' events, in
 * one statement, under the ids allocated for it; a (channel, external_id) already stored is skipped
 * (the caller then reads the existing row: a retry never makes a second
 * incident). Each report is linked to its probable original among the
 * incidents stored before the statement.
 */
export const INSERT_INCIDENTS = `
WITH input AS (
  SELECT j.n, j.id, j.c AS category_code, ST_SetSRID(ST_MakePoint(j.x, j.y), 4326) AS geom, to_timestamp(j.at / 1000.0) AS reported_at,
         j.ch AS channel, j.e AS external_id, j.d AS description, coalesce(j.m, '{}') AS media_urls, j.r AS reporter,
         coalesce(j.a, '{}') AS attributes, j.gen AS generation_id, j.g AS grid_code, j.cm AS community_code, j.tw AS town_code,
         j.k AS token, j.h AS h3
  -- Short keys, absent when null, the time in epoch milliseconds: the batch's JSON text is 40 % shorter to write and to read.
  FROM json_to_recordset($1::json) AS j(n int, id bigint, c text, x float8, y float8, at float8, ch text, e text, d text, m text[], r jsonb,
    a jsonb, gen int, g text, cm text, tw text, k text, h text)
), stored AS (
  INSERT INTO incident (id, category_code, geom, reported_at, channel, external_id, description, media_urls, reporter, attributes,
                        generation_id, grid_code, community_code, town_code, token, h3_10, duplicate_of)
  OVERRIDING SYSTEM VALUE
  SELECT i.id, i.category_code, i.geom, i.reported_at, i.channel, i.external_id, i.description, i.media_urls, i.reporter, i.attributes,
         i.generation_id, i.grid_code, i.community_code, i.town_code, i.token, h3_from_hex(i.h3), d.id
  FROM input i LEFT JOIN LATERAL (${PROBABLE_ORIGINAL('i')} AND o.id < i.id ORDER BY o.reported_at, o.id LIMIT 1) d ON true
  -- In the order of the unique key: two batches holding some of the same (channel, external_id) then
  -- wait for each other's keys in one order and never deadlock (file order made them meet from both ends).
  ORDER BY i.channel, i.external_id, i.n
  ON CONFLICT (channel, external_id) DO NOTHING
  RETURNING id, token, duplicate_of, reported_at
), reported AS (
  INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status)
  SELECT id, reported_at, $2, 'report', NULL, 'reported' FROM stored ORDER BY id
)
SELECT id, token, duplicate_of FROM stored`

/**
 * Links new incidents $1 to their probable originals among everything stored
 * before them, the rows of their own batch included; answers the rows it changed.
 */
export const LINK_BATCH_DUPLICATES = `
UPDATE incident n SET duplicate_of = d.original
FROM (
  SELECT x.id, (${PROBABLE_ORIGINAL('x')} AND o.id < x.id ORDER BY o.reported_at, o.id LIMIT 1) AS original
  FROM incident x WHERE x.id = ANY($1::bigint[])
) d
WHERE n.id = d.id AND d.original IS DISTINCT FROM n.duplicate_of
RETURNING n.id, n.duplicate_of`

/**
 * For the intake transaction. The probes' cost estimates (a GiST probe with a
 * box computed per row is guessed at thousands of rows; it finds a handful)
 * make the planner JIT-compile the batch INSERT, which costs more than running it.
 */
export const NO_JIT = `SET LOCAL jit = off`

/**
 * Incidents already stored under these (channel, external id) pairs, with what
 * a retry must repeat: who reported it, the category, point, time and description.
 */
export const EXISTING_BY_EXTERNAL_ID = `
SELECT i.id, i.channel, i.external_id, i.token, i.duplicate_of, i.category_code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       i.reported_at, i.description, i.grid_code, i.community_code, i.town_code,
       (SELECT e.actor FROM incident_event e WHERE e.incident_id = i.id AND e.action = 'report' ORDER BY e.id LIMIT 1) AS reported_by
FROM incident i
WHERE (i.channel, i.external_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`

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

// List filters: $1 grids, $2 communities, $3 towns, $4 statuses, $5 categories, $6 channels,
// $7 from, $8 to, $9 bbox, $10 overdue only; confinement of the caller: $11 own grids, $12 own department.
// Planned with the values bound, so a filter left NULL folds away and the
// overdue test (incident_overdue, migration 012) can use its partial index.
// One place (the usual case) folds to an equality, which the unit's index
// (code, reported_at DESC, status) serves newest first; = ANY of a one-element
// array does not, and the page walked the whole city's incidents newest first.
const placeIn = (column: string, p: string) =>
  `(${p}::text[] IS NULL OR (cardinality(${p}) = 1 AND ${column} = ${p}[1]) OR (cardinality(${p}) > 1 AND ${column} = ANY(${p})))`
const WHERE = `
WHERE ${placeIn('i.grid_code', '$1')}
  AND ${placeIn('i.community_code', '$2')}
  AND ${placeIn('i.town_code', '$3')}
  AND ($4::text[] IS NULL OR i.status = ANY($4))
  AND ($5::text[] IS NULL OR i.category_code = ANY($5))
  AND ($6::text[] IS NULL OR i.channel = ANY($6))
  AND ($7::timestamptz IS NULL OR i.reported_at >= $7)
  AND ($8::timestamptz IS NULL OR i.reported_at < $8)
  AND ($9::float8[] IS NULL OR i.geom && ST_MakeEnvelope($9[1], $9[2], $9[3], $9[4], 4326))
  AND (NOT $10::boolean OR incident_overdue(i.status, i.deadline_at, now()))
  AND ${placeIn('i.grid_code', '$11')}
  AND ($12::text IS NULL OR i.department = $12)`

/** How many incidents match, counting no further than $13: the incident table alone (every category exists, by its foreign key). */
export const COUNT_INCIDENTS = `SELECT count(*)::int AS n FROM (SELECT 1 FROM incident i ${WHERE} LIMIT $13) capped`

/** The planner's estimate of the same count, for when it passes the cap (EXPLAIN only plans, it reads no rows). */
export const ESTIMATE_INCIDENTS = `EXPLAIN (FORMAT JSON) SELECT 1 FROM incident i ${WHERE}`

/** Sorting picks from an allow-list in the route; the ORDER BY text is never built from a request value. */
export const LIST_INCIDENTS: Record<string, string> = Object.fromEntries(
  Object.entries({
    '-reported_at': 'i.reported_at DESC, i.id DESC',
    reported_at: 'i.reported_at, i.id',
    deadline_at: 'i.deadline_at NULLS LAST, i.id',
    '-supervision_level': 'incident_supervision_level(i.status, i.dispatched_at, i.deadline_at, now()) DESC, i.deadline_at, i.id',
  }).map(([key, order]) => [key, `SELECT ${DETAIL_COLUMNS} FROM incident i JOIN incident_category c ON c.code = i.category_code ${WHERE} ORDER BY ${order} LIMIT $13 OFFSET $14`]),
)

/**
 * Locks incidents $1 in id order: a merge locks both ends this way first, so
 * that two merges of the same pair (A into B, B into A) wait for each other
 * instead of each holding one and deadlocking.
 */
export const LOCK_INCIDENTS_IN_ORDER = `SELECT id FROM incident WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`

export const LOCK_INCIDENT = `
SELECT i.id, i.status, i.category_code, i.duplicate_of, c.sla_hours, c.department AS default_department
FROM incident i JOIN incident_category c ON c.code = i.category_code WHERE i.id = $1 FOR UPDATE OF i`

/** The incidents $1 duplicates, following duplicate_of (at most 100 steps: a stored cycle cannot loop forever). */
export const DUPLICATE_CHAIN = `
WITH RECURSIVE up(id, step) AS (
  SELECT duplicate_of, 1 FROM incident WHERE id = $1 AND duplicate_of IS NOT NULL
  UNION ALL
  SELECT i.duplicate_of, up.step + 1 FROM up JOIN incident i ON i.id = up.id WHERE i.duplicate_of IS NOT NULL AND up.step < 100
)
SELECT id FROM up ORDER BY step`

/** $2 new status, $3 department (dispatch), $4 duplicate_of (merge), $5 at. */
export const APPLY_TRANSITION = `
UPDATE incident SET
  status = $2,
  department = COALESCE($3, department),
  -- A reopened report is taken up again as a report of its own: a merge or a probable-duplicate link goes;
  -- unlink ($7) removes a probable-duplicate link and keeps the state.
  duplicate_of = CASE WHEN $2 = 'reopened' OR $7::boolean THEN NULL ELSE COALESCE($4, duplicate_of) END,
  dispatched_at = CASE WHEN $2 = 'dispatched' THEN $5 ELSE dispatched_at END,
  deadline_at = CASE WHEN $2 = 'dispatched' THEN $5 + make_interval(hours => $6::int) ELSE deadline_at END,
  handled_at = CASE WHEN $2 = 'handled' THEN $5 ELSE handled_at END,
  closed_at = CASE WHEN $2 = 'closed' THEN $5 WHEN $2 = 'reopened' THEN NULL ELSE closed_at END,
  satisfaction = CASE WHEN $2 = 'reopened' THEN NULL ELSE satisfaction END,
  updated_at = $5
WHERE id = $1`

export const RECORD_EVENT = `
INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, media_urls, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`

/** The reporter's rating, once per closing (reopening clears it): the row before, locked, then the update. */
export const RATING_NOW = `SELECT status, satisfaction FROM incident WHERE id = $1 FOR UPDATE`
export const RATE = `UPDATE incident SET satisfaction = $2, updated_at = now() WHERE id = $1`

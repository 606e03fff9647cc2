/** SQL of the demo incidents' bulk load. */

/** The current generation when it is the demo city's (the only city demo incidents fit). */
export const DEMO_GENERATION = `SELECT id FROM generation WHERE valid_to IS NULL AND source = 'demo'`

export const ANY_INCIDENT = `SELECT EXISTS (SELECT 1 FROM incident) AS any`

export const GRID_FACTS = `
SELECT code, population, rented_rooms, businesses, area_m2
FROM unit WHERE generation_id = $1 AND level = 'grid'`

export const ACTIVE_CATEGORIES = `SELECT code, sla_hours, department FROM incident_category WHERE active ORDER BY code`

/** Lookup lists written once per load and joined by index, rather than sent with every batch. */
export const CREATE_LOOKUPS = `
CREATE TEMP TABLE demo_grid_ref (i integer PRIMARY KEY, code text NOT NULL, community text, town text) ON COMMIT DROP;
CREATE TEMP TABLE demo_actor (i integer PRIMARY KEY, actor text NOT NULL) ON COMMIT DROP`

export const INSERT_GRID_REFS = `
INSERT INTO demo_grid_ref (i, code, community, town)
SELECT i - 1, code, community, town FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(code, community, town, i)`

export const INSERT_ACTORS = `
INSERT INTO demo_actor (i, actor) SELECT i - 1, actor FROM unnest($1::text[]) WITH ORDINALITY AS t(actor, i)`

/**
 * Foreign keys of the tables $1, with the statements that drop and re-add
 * them: a bulk load checks them once when re-added instead of once per row.
 */
export const FOREIGN_KEYS = `
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_sql,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS add_sql
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])
ORDER BY conrelid::regclass::text, conname`

/**
 * Indexes of the tables $1 that back no constraint, with the statements that
 * drop and re-create them: building an index once after a bulk load is
 * cheaper than updating it row by row. Primary keys and unique constraints stay.
 */
export const SECONDARY_INDEXES = `
SELECT format('DROP INDEX %s', x.indexrelid::regclass) AS drop_sql, pg_get_indexdef(x.indexrelid) AS add_sql
FROM pg_index x
WHERE x.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
ORDER BY x.indexrelid::regclass::text`

/**
 * One batch of incidents with their ids (time order). Text columns arrive as
 * 1-based codes into the small lists $19…$23 (0 → NULL), times as Unix seconds,
 * H3 resolution-10 cells as hex ($25).
 */
export const INSERT_INCIDENTS = `
INSERT INTO incident (id, category_code, geom, reported_at, channel, external_id, description, generation_id, grid_code, community_code,
                      town_code, status, department, dispatched_at, deadline_at, handled_at, closed_at, duplicate_of, satisfaction, token,
                      created_at, updated_at, h3_10)
OVERRIDING SYSTEM VALUE
SELECT t.id, ($19::text[])[t.category], ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), to_timestamp(t.reported),
       ($20::text[])[t.channel],
       CASE ($20::text[])[t.channel] WHEN 'hotline' THEN 'DG12345-' || t.id WHEN 'sensor' THEN 'IOT-' || t.id END,
       ($21::text[])[t.description], $24::int, g.code, g.community, g.town, ($22::text[])[t.status], ($23::text[])[t.department],
       to_timestamp(t.dispatched), to_timestamp(t.deadline), to_timestamp(t.handled), to_timestamp(t.closed),
       NULLIF(t.duplicate_of, 0), NULLIF(t.satisfaction, 0)::smallint, t.token, to_timestamp(t.reported), to_timestamp(t.updated),
       h3_from_hex(t.h3)
FROM unnest($1::int[], $2::int[], $3::float8[], $4::float8[], $5::float8[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[],
            $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::int[], $17::int[], $18::text[], $25::text[])
  AS t(id, category, lon, lat, reported, channel, grid, description, status, department,
       dispatched, deadline, handled, closed, updated, duplicate_of, satisfaction, token, h3)
LEFT JOIN demo_grid_ref g ON g.i = t.grid`

/**
 * One batch of events, in the order given (event ids follow it); codes into
 * $9…$12 as above; $13 the previous event's time (from_at, migration 016),
 * given here because the loader runs without the index its trigger would use.
 */
export const INSERT_EVENTS = `
INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, detail, from_at)
SELECT t.incident, to_timestamp(t.at), a.actor, ($9::text[])[t.action], ($10::text[])[t.from_status], ($10::text[])[t.to_status],
       ($11::text[])[t.note],
       CASE ($9::text[])[t.action] WHEN 'dispatch' THEN jsonb_build_object('department', ($12::text[])[t.ref])
                                   WHEN 'merge' THEN jsonb_build_object('duplicateOf', t.ref) ELSE '{}'::jsonb END,
       to_timestamp(t.from_at)
FROM unnest($1::int[], $2::float8[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $13::float8[])
       WITH ORDINALITY AS t(incident, at, actor, action, from_status, to_status, note, ref, from_at, n)
LEFT JOIN demo_actor a ON a.i = t.actor
ORDER BY t.n`

/** Later intake continues after the loaded ids. */
export const CONTINUE_INCIDENT_IDS = `SELECT setval(pg_get_serial_sequence('incident', 'id'), $1::bigint)`

export const ANALYZE = `ANALYZE incident; ANALYZE incident_event`

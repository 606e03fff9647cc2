/** SQL of the planning studio. */

/** The scope unit in generation $1 ($2 code): a town or a community. */
export const SCOPE_UNIT = `
SELECT code, level, name_zh, name_en FROM unit WHERE generation_id = $1 AND code = $2`

/** The communities of the scope ($2: a town's or a community's code) with their outlines as GeoJSON. */
export const SCOPE_COMMUNITIES = `
SELECT code, name_zh, name_en, area_m2, ST_AsGeoJSON(geom) AS geojson
FROM unit
WHERE generation_id = $1 AND level = 'community' AND starts_with(code, $2)
ORDER BY code`

/** The grids of the scope in generation $1 with their active administrators. */
export const SCOPE_GRIDS = `
SELECT u.code, u.parent_code, u.name_zh, ST_AsGeoJSON(u.geom) AS geojson,
       (SELECT count(*)::int FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id
        WHERE ag.grid_code = u.code AND a.active) AS administrators
FROM unit u
WHERE u.generation_id = $1 AND u.level = 'grid' AND starts_with(u.code, $2)
ORDER BY u.code`

/**
 * Cuts the blocks: every H3 cell ($3 community, $4 hex id, $5 cell outline as
 * GeoJSON, $6 whether the cell lies wholly inside its community) intersected
 * with its community. Cells wholly inside one grid ($7 that grid, else NULL)
 * start in it and take its residents by area; the others are settled by
 * SETTLE_BLOCKS. Numbered in the order given.
 */
export const INSERT_BLOCKS = `
INSERT INTO plan_block (plan_id, idx, h3, community_code, geom, area_m2, centroid, init_grid, population, households)
SELECT $1, x.n - 1, h3_from_hex(x.h3), x.community, b.geom, b.area, ST_PointOnSurface(b.geom), x.grid,
       coalesce(g.population * b.area / nullif(g.area_m2, 0), 0), coalesce(g.households * b.area / nullif(g.area_m2, 0), 0)
FROM unnest($3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[]) WITH ORDINALITY AS x(community, h3, outline, inside, grid, n)
JOIN unit c ON c.generation_id = $2 AND c.code = x.community
LEFT JOIN unit g ON g.generation_id = $2 AND g.code = x.grid
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromGeoJSON(x.outline), 4326) AS cell) o
CROSS JOIN LATERAL (
  SELECT ST_Multi(CASE WHEN x.inside THEN o.cell ELSE ST_CollectionExtract(zw_intersection(o.cell, c.geom), 3) END) AS geom
) cut
-- Blocks are at most a few hundred metres across: great-circle and lon/lat edges enclose the same area there.
CROSS JOIN LATERAL (SELECT cut.geom, ST_Area(cut.geom::geography) AS area) b`

/**
 * Blocks on grid boundaries start in the base grid holding most of them;
 * residents and households are shared out by area. The shares are computed
 * once (MATERIALIZED): the blocks were inserted in this transaction, so the
 * statistics may still call plan_block empty, and a plan that re-ran the
 * aggregation per block once held a plan create for over two minutes in CI.
 */
export const SETTLE_BLOCKS = `
WITH s AS MATERIALIZED (
  SELECT idx, (array_agg(code ORDER BY a DESC, code))[1] AS init_grid,
         sum(coalesce(population, 0) * a / nullif(g_area, 0)) AS population,
         sum(coalesce(households, 0) * a / nullif(g_area, 0)) AS households
  FROM (
    SELECT b.idx, g.code, g.population, g.households, g.area_m2 AS g_area,
           ST_Area(zw_intersection(b.geom, g.geom)::geography) AS a
    FROM plan_block b
    JOIN unit g ON g.generation_id = $2 AND g.level = 'grid' AND g.parent_code = b.community_code AND g.geom && b.geom
    WHERE b.plan_id = $1 AND b.init_grid IS NULL
  ) pieces
  WHERE a > 0
  GROUP BY idx
)
UPDATE plan_block b SET init_grid = s.init_grid, population = s.population, households = s.households
FROM s
WHERE b.plan_id = $1 AND b.idx = s.idx`

/** Drops blocks with no area or in no grid, and numbers the rest 0..n-1 again. */
export const DROP_EMPTY_BLOCKS = `DELETE FROM plan_block WHERE plan_id = $1 AND (init_grid IS NULL OR area_m2 <= 0 OR ST_IsEmpty(geom))`
export const RENUMBER_BLOCKS = `
UPDATE plan_block b SET idx = -1 - r.n
FROM (SELECT idx, row_number() OVER (ORDER BY idx) - 1 AS n FROM plan_block WHERE plan_id = $1) r
WHERE b.plan_id = $1 AND b.idx = r.idx`
export const RENUMBER_BLOCKS_2 = `UPDATE plan_block SET idx = -1 - idx WHERE plan_id = $1`

/** Area of the scope's communities that no block covers (should be ~0). */
export const UNCOVERED = `
SELECT coalesce((
  SELECT sum(zw_area_m2(zw_difference(c.geom, b.geom)))
  FROM unit c
  CROSS JOIN LATERAL (SELECT ST_Union(geom, 9.094947017729282e-13) AS geom FROM plan_block WHERE plan_id = $1 AND community_code = c.code) b
  WHERE c.generation_id = $2 AND c.level = 'community' AND starts_with(c.code, $3) AND b.geom IS NOT NULL
), 0)::float8 AS m2`

/** Effort-weighted countable incidents of [$2, $3) per block, each incident in exactly one block. */
export const BLOCK_WORKLOAD = `
UPDATE plan_block b SET workload = w.load
FROM (
  SELECT idx, sum(weight) AS load FROM (
    SELECT DISTINCT ON (i.id) b.idx, c.effort_weight AS weight
    FROM plan_block b
    JOIN incident i ON ST_Intersects(b.geom, i.geom)
    JOIN incident_category c ON c.code = i.category_code
    WHERE b.plan_id = $1 AND i.reported_at >= $2 AND i.reported_at < $3
      AND i.grid_code IS NOT NULL AND i.status <> 'rejected' AND i.duplicate_of IS NULL
    ORDER BY i.id, b.idx
  ) one GROUP BY idx
) w
WHERE b.plan_id = $1 AND b.idx = w.idx`

/** Incidents still open (not closed, not rejected, not a duplicate) per block. */
export const BLOCK_OPEN_INCIDENTS = `
UPDATE plan_block b SET open_incidents = o.n
FROM (
  SELECT idx, count(*)::int AS n FROM (
    SELECT DISTINCT ON (i.id) b.idx
    FROM plan_block b JOIN incident i ON ST_Intersects(b.geom, i.geom)
    WHERE b.plan_id = $1 AND i.status NOT IN ('closed', 'rejected') AND i.duplicate_of IS NULL
    ORDER BY i.id, b.idx
  ) one GROUP BY idx
) o
WHERE b.plan_id = $1 AND b.idx = o.idx`

export const INSERT_PLAN = `
INSERT INTO plan (name, scope_code, base_generation_id, res, period_from, period_to, base_grids, grids, assignment, constraints, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7, '{}', $8, $9, $9)
RETURNING id`

export const SET_START = `UPDATE plan SET assignment = $2, uncovered_m2 = $3 WHERE id = $1`

export const BLOCK_ROWS = `
SELECT idx, to_hex(h3) AS h3, community_code, area_m2, ST_X(centroid) AS lon, ST_Y(centroid) AS lat,
       init_grid, population, households, workload, open_incidents
FROM plan_block WHERE plan_id = $1 ORDER BY idx`

const PLAN_COLUMNS = `
p.id, p.name, p.scope_code, p.base_generation_id, p.res, p.period_from, p.period_to, p.status, p.version, p.cursor,
p.base_grids, p.grids, p.assignment, p.constraints, p.uncovered_m2, p.published_generation_id,
p.created_by, p.created_at, p.updated_by, p.updated_at,
(SELECT count(*)::int FROM plan_step s WHERE s.plan_id = p.id) AS steps,
zw_scope_unchanged(p.base_generation_id, p.scope_code) AS base_is_current`

export const GET_PLAN = `SELECT ${PLAN_COLUMNS} FROM plan p WHERE p.id = $1`

export const PLAN_VERSION = `SELECT version, status, zw_scope_unchanged(base_generation_id, scope_code) AS base_is_current FROM plan WHERE id = $1`

export const LIST_PLANS = `
SELECT p.id, p.name, p.scope_code, p.base_generation_id, p.res, p.status, p.version, p.created_by, p.created_at,
       p.updated_by, p.updated_at, p.published_generation_id, jsonb_array_length(p.grids) AS grid_entries,
       zw_scope_unchanged(p.base_generation_id, p.scope_code) AS base_is_current,
       (SELECT name_zh FROM unit u WHERE u.generation_id = p.base_generation_id AND u.code = p.scope_code) AS scope_name
FROM plan p
WHERE ($1::text IS NULL OR starts_with(p.scope_code, $1) OR starts_with($1, p.scope_code))
  AND ($2::text IS NULL OR p.status = $2)
ORDER BY p.updated_at DESC, p.id DESC
LIMIT $3 OFFSET $4`

/** How many plans LIST_PLANS's filters $1, $2 match. */
export const COUNT_PLANS = `
SELECT count(*)::int AS n FROM plan p
WHERE ($1::text IS NULL OR starts_with(p.scope_code, $1) OR starts_with($1, p.scope_code))
  AND ($2::text IS NULL OR p.status = $2)`

/** Saves an edit when the plan is still at version $2: no row back means somebody else wrote first. */
export const SAVE_PLAN = `
UPDATE plan SET version = version + 1, cursor = $3, grids = $4, assignment = $5, constraints = $6,
       updated_by = $7, updated_at = now()
WHERE id = $1 AND version = $2 AND status = 'draft'
RETURNING version, updated_at`

/**
 * An edit saved in one statement (atomic without a transaction, one round
 * trip): the plan row when it is still at version $2, the redo tail beyond
 * the new step dropped, the step ($9: whether there is one) written.
 */
export const SAVE_EDIT = `
WITH saved AS (
  UPDATE plan SET version = version + 1, cursor = $3, grids = $4, assignment = $5, constraints = $6,
         updated_by = $7, updated_at = now()
  WHERE id = $1 AND version = $2 AND status = 'draft'
  RETURNING version, updated_at
), dropped AS (
  DELETE FROM plan_step WHERE plan_id = $1 AND seq > $3 AND $8::boolean AND EXISTS (SELECT 1 FROM saved)
), step AS (
  INSERT INTO plan_step (plan_id, seq, op, blocks, before, after, grids_before, grids_after, actor, constraints_before, constraints_after)
  SELECT $1, $3, $9, $10, $11, $12, $13, $14, $7, $15, $16 FROM saved WHERE $8::boolean
  ON CONFLICT (plan_id, seq) DO UPDATE SET op = excluded.op, blocks = excluded.blocks, before = excluded.before,
    after = excluded.after, grids_before = excluded.grids_before, grids_after = excluded.grids_after,
    actor = excluded.actor, at = now(), constraints_before = excluded.constraints_before, constraints_after = excluded.constraints_after
)
SELECT version, updated_at FROM saved`

export const DROP_STEPS_AFTER = `DELETE FROM plan_step WHERE plan_id = $1 AND seq > $2`

export const INSERT_STEP = `
INSERT INTO plan_step (plan_id, seq, op, blocks, before, after, grids_before, grids_after, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

export const GET_STEP = `SELECT op, blocks, before, after, grids_before, grids_after, constraints_before, constraints_after FROM plan_step WHERE plan_id = $1 AND seq = $2`

export const STEP_COUNT = `SELECT count(*)::int AS n FROM plan_step WHERE plan_id = $1`

export const DISCARD_PLAN = `
UPDATE plan SET status = 'discarded', version = version + 1, updated_by = $3, updated_at = now()
WHERE id = $1 AND version = $2 AND status = 'draft' RETURNING version`

/** Highest grid ordinal ever used under each community (any generation, any plan's grids count separately). */
export const USED_GRID_CODES = `
SELECT DISTINCT code FROM unit WHERE level = 'grid' AND starts_with(code, $1)`

export const BLOCKS_GEOJSON = `
SELECT idx, to_hex(h3) AS h3, community_code, ST_AsGeoJSON(geom, 7) AS geometry
FROM plan_block WHERE plan_id = $1 ORDER BY idx`

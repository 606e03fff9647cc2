/** SQL of a boundary import. Everything runs inside the import's transaction on a temp staging table. */

export const CREATE_STAGING = `
CREATE TEMP TABLE import_staging (
  code         text PRIMARY KEY,
  idx          integer,            -- feature index; NULL for a unit carried over from the current generation
  level        text NOT NULL,
  parent_code  text,
  name_zh      text NOT NULL,
  name_en      text,
  geom         geometry NOT NULL,
  usable       boolean NOT NULL DEFAULT true,  -- false once a geometry fails validity: skip the overlay checks
  population   integer, households integer, buildings integer, rented_rooms integer, businesses integer,
  extra        jsonb NOT NULL DEFAULT '{}'::jsonb
) ON COMMIT DROP`

export const STAGE_FEATURES = `
INSERT INTO import_staging (code, idx, level, parent_code, name_zh, name_en, geom,
  population, households, buildings, rented_rooms, businesses, extra)
SELECT code, idx, level, parent_code, name_zh, name_en,
       ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326)),
       population, households, buildings, rented_rooms, businesses, extra::jsonb
FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::text[])
  AS f(code, idx, level, parent_code, name_zh, name_en, geojson,
       population, households, buildings, rented_rooms, businesses, extra)`

/** Merge mode: every unit of the current generation that the import does not replace. */
export const CARRY_OVER_CURRENT = `
INSERT INTO import_staging (code, idx, level, parent_code, name_zh, name_en, geom,
  population, households, buildings, rented_rooms, businesses, extra)
SELECT u.code, NULL, u.level, u.parent_code, u.name_zh, u.name_en, u.geom,
       u.population, u.households, u.buildings, u.rented_rooms, u.businesses, u.extra
FROM unit u
WHERE u.generation_id = current_generation()
  AND NOT EXISTS (SELECT 1 FROM import_staging s WHERE s.code = u.code)`

export const INDEX_STAGING = `CREATE INDEX ON import_staging USING gist (geom); ANALYZE import_staging`

export const UNKNOWN_PARENTS = `
SELECT c.idx, c.code, c.parent_code
FROM import_staging c
WHERE c.parent_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM import_staging p WHERE p.code = c.parent_code)
ORDER BY c.idx NULLS LAST, c.code`

export const INVALID_GEOMETRIES = `
SELECT idx, code, (d).reason, ST_X((d).location) AS x, ST_Y((d).location) AS y
FROM (SELECT idx, code, ST_IsValidDetail(geom) AS d FROM import_staging WHERE idx IS NOT NULL) s
WHERE NOT (d).valid
ORDER BY idx`

export const MARK_UNUSABLE = `UPDATE import_staging SET usable = false WHERE code = ANY($1::text[])`

/** `fix`: repair with ST_MakeValid, keeping only the polygonal part. */
export const FIX_GEOMETRIES = `
WITH fixed AS (
  SELECT code, geom AS before, ST_CollectionExtract(ST_MakeValid(geom), 3) AS after
  FROM import_staging WHERE code = ANY($1::text[])
), upd AS (
  UPDATE import_staging s SET geom = f.after FROM fixed f WHERE s.code = f.code
  RETURNING s.code
)
SELECT f.code, ST_NPoints(f.before) AS points_before, ST_NPoints(f.after) AS points_after,
       ST_Area(f.after::geography) AS area_after_m2, ST_NumGeometries(f.after) AS parts_after
FROM fixed f JOIN upd USING (code)`

export const EMPTY_GEOMETRIES = `
SELECT idx, code FROM import_staging WHERE idx IS NOT NULL AND usable AND (ST_IsEmpty(geom) OR ST_Area(geom) = 0) ORDER BY idx`

export const TO_MULTI = `UPDATE import_staging SET geom = ST_Multi(geom) WHERE GeometryType(geom) <> 'MULTIPOLYGON'`

/** Children of one level that reach outside their parent; checked when the child or its parent is new. */
export const OUTSIDE_PARENT = `
SELECT c.idx, c.code, c.parent_code, p.idx AS parent_idx,
       zw_area_m2(d.outside) AS outside_m2,
       ST_X(ST_PointOnSurface(d.outside)) AS x, ST_Y(ST_PointOnSurface(d.outside)) AS y
FROM import_staging c
JOIN import_staging p ON p.code = c.parent_code
CROSS JOIN LATERAL (SELECT zw_difference(c.geom, p.geom) AS outside) d
WHERE c.level = $1 AND c.usable AND p.usable
  AND (c.idx IS NOT NULL OR p.idx IS NOT NULL)
  AND NOT ST_CoveredBy(c.geom, p.geom)
  AND NOT ST_IsEmpty(d.outside)
ORDER BY c.idx NULLS LAST, c.code`

/** \`clip\`: cut children of one level to their parent. */
export const CLIP_TO_PARENT = `
UPDATE import_staging c
SET geom = ST_Multi(ST_CollectionExtract(zw_intersection(c.geom, p.geom), 3))
FROM import_staging p
WHERE p.code = c.parent_code AND c.level = $1 AND c.usable AND p.usable
  AND c.code = ANY($2::text[])`

/** Siblings whose interiors overlap (DE-9IM interior/interior is an area). */
export const SIBLING_OVERLAPS = `
SELECT a.idx AS a_idx, a.code AS a_code, b.idx AS b_idx, b.code AS b_code,
       zw_area_m2(o.g) AS overlap_m2,
       ST_X(ST_PointOnSurface(o.g)) AS x, ST_Y(ST_PointOnSurface(o.g)) AS y
FROM import_staging a
JOIN import_staging b
  ON b.parent_code IS NOT DISTINCT FROM a.parent_code AND b.level = a.level
 AND a.code < b.code AND a.geom && b.geom
CROSS JOIN LATERAL (SELECT ST_CollectionExtract(zw_intersection(a.geom, b.geom), 3) AS g) o
WHERE a.usable AND b.usable
  AND (a.idx IS NOT NULL OR b.idx IS NOT NULL)
  AND ST_Relate(a.geom, b.geom, '2********')
ORDER BY a.idx NULLS LAST, a.code, b.code`

export const LOCK_IMPORTS = `SELECT pg_advisory_xact_lock(8872432)`

export const CURRENT_GENERATION = `SELECT id, valid_from FROM generation WHERE valid_to IS NULL`

export const CLOSE_GENERATION = `UPDATE generation SET valid_to = $2 WHERE id = $1`

export const INSERT_GENERATION = `
INSERT INTO generation (label, valid_from, created_by, source, note)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, label, valid_from`

export const WRITE_UNITS = `
INSERT INTO unit (generation_id, code, level, parent_code, name_zh, name_en, geom, area_m2, centroid,
  population, households, buildings, rented_rooms, businesses, extra)
SELECT $1, code, level, parent_code, name_zh, name_en, geom, zw_area_m2(geom), ST_Centroid(geom),
       population, households, buildings, rented_rooms, businesses, extra
FROM import_staging
ORDER BY length(code), code`

export const LEVEL_COUNTS = `SELECT level, count(*)::int AS n FROM import_staging GROUP BY level`

/** Ends the assignments to grids generation $1 does not have; answers whose and which, by grid. */
export const UNASSIGN_REMOVED_GRIDS = `
WITH gone AS (
  DELETE FROM administrator_grid ag
  WHERE NOT EXISTS (SELECT 1 FROM unit u WHERE u.generation_id = $1 AND u.level = 'grid' AND u.code = ag.grid_code)
  RETURNING ag.administrator_id, ag.grid_code
)
SELECT a.employee_no, g.grid_code FROM gone g JOIN administrator a ON a.id = g.administrator_id ORDER BY g.grid_code, a.employee_no`

/**
 * A merge's parents whose children no longer cover them: every parent of an
 * imported unit (and every imported parent), the part of it none of its
 * children covers, in m². Only parents with children count.
 */
export const MERGE_GAPS = `
WITH touched AS (
  SELECT parent_code AS code FROM import_staging WHERE idx IS NOT NULL AND parent_code IS NOT NULL
  UNION SELECT code FROM import_staging WHERE idx IS NOT NULL AND level <> 'grid'
)
SELECT p.code, p.level, g.gap_m2, zw_area_m2(p.geom) AS area_m2
FROM import_staging p JOIN touched t ON t.code = p.code
CROSS JOIN LATERAL (
  SELECT zw_area_m2(zw_difference(p.geom, ST_Union(c.geom))) AS gap_m2 FROM import_staging c WHERE c.parent_code = p.code AND c.usable
) g
WHERE p.usable AND g.gap_m2 IS NOT NULL AND g.gap_m2 > $1
ORDER BY p.code`

/** Imported units that replace a current one with figures (residents, households…) the import leaves unknown. */
export const MERGE_LOST_FIGURES = `
SELECT s.code, array_remove(ARRAY[
  CASE WHEN u.population IS NOT NULL AND s.population IS NULL THEN 'population' END,
  CASE WHEN u.households IS NOT NULL AND s.households IS NULL THEN 'households' END,
  CASE WHEN u.buildings IS NOT NULL AND s.buildings IS NULL THEN 'buildings' END,
  CASE WHEN u.rented_rooms IS NOT NULL AND s.rented_rooms IS NULL THEN 'rented_rooms' END,
  CASE WHEN u.businesses IS NOT NULL AND s.businesses IS NULL THEN 'businesses' END], NULL) AS lost
FROM import_staging s JOIN unit u ON u.generation_id = current_generation() AND u.code = s.code
WHERE s.idx IS NOT NULL
ORDER BY s.code`

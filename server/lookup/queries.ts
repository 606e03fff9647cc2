/** SQL of point-to-grid lookup. */

export const CURRENT_GENERATION = `SELECT current_generation() AS id`

/** What the current index depends on: the generation, and the version of the administrators (migration 019). */
export const CURRENT_STATE = `SELECT current_generation() AS id, (SELECT version::text FROM administrator_version) AS administrators`

export const GENERATION_INFO = `SELECT id, label, valid_from, valid_to FROM generation WHERE id = $1`

/** Grids of generation $1, ordered by code (the index relies on it for its boundary rule); exact doubles as WKB. */
export const GRIDS = `
SELECT code, name_zh, name_en, parent_code, ST_AsBinary(geom) AS wkb
FROM unit WHERE generation_id = $1 AND level = 'grid' ORDER BY code`

/** Like GRIDS, with the polygon only for the grids in $2 (the others are taken from the previous index). */
export const GRIDS_CHANGED_ONLY = `
SELECT code, name_zh, name_en, parent_code, CASE WHEN code = ANY($2::text[]) THEN ST_AsBinary(geom) END AS wkb
FROM unit WHERE generation_id = $1 AND level = 'grid' ORDER BY code`

export const PARENTS = `
SELECT code, level, name_zh, name_en FROM unit WHERE generation_id = $1 AND level IN ('town', 'community')`

export const ACTIVE_ADMINISTRATORS = `
SELECT ag.grid_code, a.name, a.phone, a.employee_no
FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id
WHERE a.active ORDER BY ag.grid_code, a.employee_no`

/** MapIt-style: every unit of generation $1 covering the point ($2 lon, $3 lat), city first. */
export const UNITS_COVERING = `
SELECT code, level, name_zh, name_en, parent_code
FROM unit
WHERE generation_id = $1 AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326))
ORDER BY length(code), code`

export const REPLACE_CELLS = `DELETE FROM unit_h3_cell WHERE generation_id = $1`

/** $2 H3 ids (text, hex), $3 resolutions, $4 grid codes (NULL: refined, the cell crosses grid boundaries). */
export const INSERT_CELLS = `
INSERT INTO unit_h3_cell (generation_id, h3, res, grid_code)
SELECT $1, ('x' || lpad(h, 16, '0'))::bit(64)::bigint, r, g
FROM unnest($2::text[], $3::int[], $4::text[]) AS c(h, r, g)`

export const COUNT_CELLS = `SELECT count(*)::int AS n FROM unit_h3_cell WHERE generation_id = $1`

/** Grids of generation $2 that are new or differ from generation $1, and grids of $1 gone in $2. */
export const CHANGED_GRIDS = `
SELECT n.code FROM unit n
LEFT JOIN unit o ON o.generation_id = $1 AND o.code = n.code
WHERE n.generation_id = $2 AND n.level = 'grid' AND (o.code IS NULL OR ST_AsBinary(o.geom) <> ST_AsBinary(n.geom))
UNION ALL
SELECT o.code FROM unit o
WHERE o.generation_id = $1 AND o.level = 'grid'
  AND NOT EXISTS (SELECT 1 FROM unit n WHERE n.generation_id = $2 AND n.code = o.code)`

/**
 * Whether a town or community of generation $1 has more than 1 m² its
 * children leave uncovered, compared with their union (sums of areas do not
 * tell: geodesic areas of a parent and of its pieces differ by up to 0.5 %,
 * and overlapping children hide gaps). About 1 s for the demo city on PGlite.
 */
export const UNCOVERED = `
SELECT EXISTS (
  SELECT 1 FROM unit p
  WHERE p.generation_id = $1 AND p.level IN ('town', 'community')
    AND coalesce(zw_area_m2(zw_difference(p.geom, (SELECT ST_Union(c.geom) FROM unit c WHERE c.generation_id = $1 AND c.parent_code = p.code))), p.area_m2) > 1
) AS uncovered`

/**
 * SQL of the coverage check. `$1` is always the generation id, `$2` the
 * parent's code, `$3` the smallest area in m² worth reporting.
 *
 * Each check answers in exactly one row (an aggregate), so "no gaps" is a row
 * with an empty list and never an empty result a failed statement could fake.
 */

/** The 2^-40° grid of zw_difference / zw_intersection (migration 004), for the union. */
const GRID_SIZE = '9.094947017729282e-13'

/** Area in m² as the data means it (zw_area_m2, migration 006: why a plain ::geography cast is wrong for slivers). */
const areaM2 = (g: string) => `zw_area_m2(${g})`

export const PARENT = `
SELECT u.code, u.level, u.name_zh, u.area_m2,
       (SELECT count(*)::int FROM unit c WHERE c.generation_id = $1 AND c.parent_code = $2) AS children
FROM unit u WHERE u.generation_id = $1 AND u.code = $2`

/**
 * Parts of the parent that no child covers: parent − union(children), one row
 * per polygon. A parent without children is one big gap.
 * H3 (not used yet): a cell lying wholly inside one grid cannot hold a gap at
 * any level. With unit_h3_cell (migration 005: resolution-9 cells, grid_code
 * set for cells inside one grid, NULL on edges) the exact difference only needs
 * the parent's other cells, not the whole parent.
 */
export const GAPS = `
WITH parent AS (
  SELECT geom FROM unit WHERE generation_id = $1 AND code = $2
), children AS (
  SELECT ST_Union(geom, ${GRID_SIZE}) AS u FROM unit WHERE generation_id = $1 AND parent_code = $2
), parts AS (
  SELECT d.geom
  FROM parent p CROSS JOIN children c
  CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
    CASE WHEN c.u IS NULL THEN p.geom ELSE zw_difference(p.geom, c.u) END, 3)) AS d
), measured AS (
  SELECT geom, ${areaM2('geom')} AS area_m2, ST_PointOnSurface(geom) AS spot FROM parts
)
SELECT count(*)::int AS found,
       COALESCE(json_agg(json_build_object(
         'areaM2', area_m2, 'lon', ST_X(spot), 'lat', ST_Y(spot), 'geometry', ST_AsGeoJSON(geom, 9)::json
       ) ORDER BY area_m2 DESC) FILTER (WHERE area_m2 >= $3), '[]'::json) AS items
FROM measured`

/**
 * Sibling pairs whose interiors intersect (DE-9IM interior/interior is an
 * area), with the shared part. Candidates come from the bounding boxes (the
 * GiST index on unit.geom); only those go through the exact ST_Relate and
 * the overlay.
 */
export const OVERLAPS = `
WITH candidates AS MATERIALIZED (
  SELECT a.code AS a_code, b.code AS b_code, a.geom AS a_geom, b.geom AS b_geom
  FROM unit a
  JOIN unit b ON b.generation_id = a.generation_id AND b.parent_code = a.parent_code
             AND a.code < b.code AND a.geom && b.geom
  WHERE a.generation_id = $1 AND a.parent_code = $2
  -- H3 (not used yet): pairs of children that share cells of unit_h3_cell
  -- (a join on cell ids, no geometry) would replace the bounding-box test
  -- here; ST_Relate below stays the judge.
), overlapping AS (
  SELECT a_code, b_code, ST_CollectionExtract(zw_intersection(a_geom, b_geom), 3) AS geom
  FROM candidates
  WHERE ST_Relate(a_geom, b_geom, '2********')
), measured AS (
  SELECT a_code, b_code, geom, ${areaM2('geom')} AS area_m2, ST_PointOnSurface(geom) AS spot
  FROM overlapping WHERE NOT ST_IsEmpty(geom)
)
SELECT count(*)::int AS found,
       COALESCE(json_agg(json_build_object(
         'codes', json_build_array(a_code, b_code), 'areaM2', area_m2,
         'lon', ST_X(spot), 'lat', ST_Y(spot), 'geometry', ST_AsGeoJSON(geom, 9)::json
       ) ORDER BY area_m2 DESC, a_code, b_code) FILTER (WHERE area_m2 >= $3), '[]'::json) AS items
FROM measured`

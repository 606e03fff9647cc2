/**
 * SQL that cuts a parent unit into Voronoi cells around seed points, clipped
 * exactly to the parent. Children of one parent share their edges vertex for
 * vertex, so siblings neither overlap nor leave gaps and their union is the
 * parent. Cuts run on the 2^-40° grid of zw_intersection (migration 004), and
 * the city outline is put on that grid first, so a child's edges along its
 * parent's boundary are the parent's own vertices. Runs on temp tables inside
 * the generator's transaction.
 */

export const CREATE_WORK_TABLES = `
CREATE TEMP TABLE demo_unit (
  code        text PRIMARY KEY,
  level       text NOT NULL,
  parent_code text,
  geom        geometry NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE demo_cell (
  seed        integer PRIMARY KEY,
  parent_code text NOT NULL,
  geom        geometry NOT NULL
) ON COMMIT DROP`

/** The city itself: the outline, made valid and put on the cutting grid. */
export const INSERT_CITY = `
INSERT INTO demo_unit (code, level, parent_code, geom)
VALUES ($1, 'city', NULL,
        ST_Multi(ST_CollectionExtract(zw_precise(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))), 3)))`

/** 1-based indexes of the points ($1 lon, $2 lat) inside unit $3. */
export const POINTS_INSIDE = `
SELECT COALESCE(array_agg(i::int ORDER BY i), '{}') AS inside
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(lon, lat, i)
WHERE ST_Intersects((SELECT geom FROM demo_unit WHERE code = $3), ST_SetSRID(ST_MakePoint(lon, lat), 4326))`

/**
 * Voronoi cells of the seeds ($1 parent code, $2 seed id, $3 lon, $4 lat) of
 * each parent, computed with longitudes scaled by $5 (cos of the latitude) so
 * that cells are round on the ground, then clipped to the parent.
 */
export const CUT_CELLS = `
INSERT INTO demo_cell (seed, parent_code, geom)
WITH seeds AS (
  SELECT parent_code, seed, ST_MakePoint(lon * $5::float8, lat) AS p
  FROM unnest($1::text[], $2::int[], $3::float8[], $4::float8[]) AS s(parent_code, seed, lon, lat)
), diagrams AS (
  SELECT parent_code, ST_VoronoiPolygons(ST_Collect(p), 0, ST_Expand(ST_Envelope(ST_Collect(p)), 2.0)) AS v
  FROM seeds GROUP BY parent_code
), cells AS (
  SELECT parent_code, (ST_Dump(v)).geom AS cell FROM diagrams
)
SELECT s.seed, s.parent_code,
       ST_CollectionExtract(zw_intersection(ST_SetSRID(ST_Scale(c.cell, 1.0 / $5::float8, 1.0), 4326), parent.geom), 3)
FROM cells c
JOIN seeds s ON s.parent_code = c.parent_code AND ST_Contains(c.cell, s.p)
JOIN demo_unit parent ON parent.code = c.parent_code`

export const CELL_SUMMARY = `
SELECT seed, ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat, ST_Area(geom::geography) AS area_m2
FROM demo_cell WHERE NOT ST_IsEmpty(geom) AND ST_Area(geom) > 0
ORDER BY seed`

/** Turns cells into units: $1 seed ids, $2 their final codes, $3 level. Cells left out are dropped. */
export const KEEP_CELLS = `
INSERT INTO demo_unit (code, level, parent_code, geom)
SELECT x.code, $3, c.parent_code, ST_Multi(c.geom)
FROM demo_cell c JOIN unnest($1::int[], $2::text[]) AS x(seed, code) ON x.seed = c.seed;
`

export const CLEAR_CELLS = `TRUNCATE demo_cell`

export const ALL_UNITS = `
SELECT code, level, parent_code, ST_AsGeoJSON(geom, 15) AS geometry
FROM demo_unit ORDER BY length(code), code`

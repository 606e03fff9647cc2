-- A unit's stored area is measured as every other area is (zw_area_m2,
-- migration 006: edges straight in lon/lat), not by a plain ::geography cast
-- (edges as great-circle arcs). The two differ by a few parts in a million on
-- a grid; enough that the coverage check's parent area and the same unit's
-- area_m2 from /api/v1/units did not agree. Imports and publishes now store
-- zw_area_m2; this brings the units stored before up to date.
UPDATE unit SET area_m2 = zw_area_m2(geom) WHERE area_m2 IS DISTINCT FROM zw_area_m2(geom);

-- Overlays (difference, intersection) on a fixed grid of 2^-40° (about 0.1 µm).
-- Floating-precision overlay in GEOS recovers from robustness failures by
-- throwing and retrying internally; the embedded PGlite build cannot catch those
-- throws and aborts the whole query instead. Fixed-precision (snap-rounding)
-- overlay never needs that fallback, so every check and cut uses these.
-- A power of two keeps the snapping exact in binary floating point, and data
-- quantised to coarser binary steps (such as the Dongguan outline, in steps of
-- 2^-10°) is already on the grid: snapping leaves it unchanged. The grid is
-- that fine because snap rounding moves a crossing point off its lines by up to
-- half a cell, which a coarser grid (0.1 mm) turned into visible seams.
CREATE FUNCTION zw_difference(a geometry, b geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ST_Difference(a, b, 9.094947017729282e-13) $$;

CREATE FUNCTION zw_intersection(a geometry, b geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ST_Intersection(a, b, 9.094947017729282e-13) $$;

-- The same grid for a geometry on its own (outlines that children are cut from).
CREATE FUNCTION zw_precise(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ST_ReducePrecision(g, 9.094947017729282e-13) $$;

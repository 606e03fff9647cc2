-- Geodesic area in m² of a lon/lat geometry whose edges are straight in
-- lon/lat, as the data means them. A plain ::geography cast reads edges as
-- great-circle arcs, which turns a millimetre-thin sliver along a long slanted
-- edge into hectares; densifying to 1e-4° (~11 m) first removes that.
CREATE FUNCTION zw_area_m2(g geometry) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ST_Area(ST_Segmentize(g, 1e-4)::geography) $$;

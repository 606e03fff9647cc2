-- A plan is drawn on a generation; another plan published elsewhere in the
-- city makes a new generation current without touching this plan's scope.
-- Such a plan is still current where it matters: its scope's units (codes,
-- parents, names, outlines and figures) are the same in its base and in the
-- current generation, so it may be published without a rebase.
CREATE FUNCTION zw_scope_unchanged(base integer, scope text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  -- CASE, not OR: the comparison is only made when the base is not the current generation itself.
  WITH cur AS (SELECT current_generation() AS id)
  SELECT CASE WHEN base = (SELECT id FROM cur) THEN true WHEN (SELECT id FROM cur) IS NULL THEN false ELSE NOT EXISTS (
    (SELECT code, parent_code, level, name_zh, name_en, ST_AsBinary(geom), population, households, buildings, rented_rooms, businesses
       FROM unit WHERE generation_id = base AND starts_with(code, scope)
     EXCEPT
     SELECT code, parent_code, level, name_zh, name_en, ST_AsBinary(geom), population, households, buildings, rented_rooms, businesses
       FROM unit WHERE generation_id = (SELECT id FROM cur) AND starts_with(code, scope))
    UNION ALL
    (SELECT code, parent_code, level, name_zh, name_en, ST_AsBinary(geom), population, households, buildings, rented_rooms, businesses
       FROM unit WHERE generation_id = (SELECT id FROM cur) AND starts_with(code, scope)
     EXCEPT
     SELECT code, parent_code, level, name_zh, name_en, ST_AsBinary(geom), population, households, buildings, rented_rooms, businesses
       FROM unit WHERE generation_id = base AND starts_with(code, scope))) END
$$;

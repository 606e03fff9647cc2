-- Analytics read incidents through a pre-aggregated cube, never by scanning the
-- raw table: incident counts per resolution-10 H3 cell × local day × category ×
-- channel × status. Coarser resolutions (6–9) are parents computed from the id
-- bits, so one table answers them all. PostGIS has no H3, so the cell is
-- computed at intake (h3-js) and stored on the incident; statement triggers
-- with transition tables keep the cube current on insert, workflow updates and
-- deletes, one grouped upsert per statement rather than one per row.
ALTER TABLE incident ADD COLUMN h3_10 bigint;

-- H3 ids travel as hex strings (h3-js) and are stored as bigint.
CREATE FUNCTION h3_from_hex(h text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT ('x' || lpad(h, 16, '0'))::bit(64)::bigint $$;

CREATE FUNCTION h3_to_hex(cell bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT to_hex(cell) $$;

-- Parent of an H3 cell at a coarser resolution: the resolution field (bits
-- 52–55) set to res and the digits below res set to 7 ("unused"), which is
-- exactly what h3-js cellToParent returns.
CREATE FUNCTION h3_parent(cell bigint, res integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (cell & ~(15::bigint << 52)) | (res::bigint << 52) | ((1::bigint << ((15 - res) * 3)) - 1)
$$;

-- The day an incident counts for: the city's local calendar day (Dongguan is
-- UTC+8 all year, no daylight saving).
CREATE FUNCTION incident_day(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$;

CREATE INDEX incident_no_cell_idx ON incident (id) WHERE h3_10 IS NULL;

CREATE TABLE incident_cell_day (
  day            date NOT NULL,
  cell           bigint NOT NULL,          -- H3 resolution 10
  category_code  text NOT NULL,
  channel        text NOT NULL,
  status         text NOT NULL,
  n              integer NOT NULL,           -- a delta may be proposed before it meets its row, so no CHECK here
  -- The transaction that last wrote the row: servers keep the cube in memory
  -- and read only rows written since the oldest transaction still running at
  -- their previous read (pg_snapshot_xmin), which never misses a late commit.
  xid            bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  PRIMARY KEY (day, cell, category_code, channel, status)
);
CREATE INDEX incident_cell_day_xid_idx ON incident_cell_day (xid);

-- Probable duplicates are counted once, under the incident they duplicate:
-- only incidents with a cell and no duplicate_of enter the cube.
CREATE FUNCTION incident_cell_day_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO incident_cell_day AS a (day, cell, category_code, channel, status, n)
  SELECT incident_day(reported_at), h3_10, category_code, channel, status, count(*)
  FROM new_rows WHERE h3_10 IS NOT NULL AND duplicate_of IS NULL
  GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (day, cell, category_code, channel, status) DO UPDATE SET n = a.n + excluded.n, xid = excluded.xid;
  RETURN NULL;
END $$;

CREATE FUNCTION incident_cell_day_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE incident_cell_day a SET n = a.n - o.n, xid = pg_current_xact_id()::text::bigint
  FROM (SELECT incident_day(reported_at) AS day, h3_10 AS cell, category_code, channel, status, count(*) AS n
        FROM old_rows WHERE h3_10 IS NOT NULL AND duplicate_of IS NULL
        GROUP BY 1, 2, 3, 4, 5) o
  WHERE (a.day, a.cell, a.category_code, a.channel, a.status) = (o.day, o.cell, o.category_code, o.channel, o.status);
  RETURN NULL;
END $$;

-- An update moves a row between cube entries only when a counted column changed.
CREATE FUNCTION incident_cell_day_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (
    SELECT o.reported_at AS o_at, o.h3_10 AS o_cell, o.category_code AS o_cat, o.channel AS o_ch, o.status AS o_st, o.duplicate_of AS o_dup,
           n.reported_at AS n_at, n.h3_10 AS n_cell, n.category_code AS n_cat, n.channel AS n_ch, n.status AS n_st, n.duplicate_of AS n_dup
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.reported_at, o.h3_10, o.category_code, o.channel, o.status, o.duplicate_of)
          IS DISTINCT FROM (n.reported_at, n.h3_10, n.category_code, n.channel, n.status, n.duplicate_of)
  ), delta AS (
    SELECT incident_day(o_at) AS day, o_cell AS cell, o_cat AS category_code, o_ch AS channel, o_st AS status, -1 AS d
    FROM changed WHERE o_cell IS NOT NULL AND o_dup IS NULL
    UNION ALL
    SELECT incident_day(n_at), n_cell, n_cat, n_ch, n_st, 1
    FROM changed WHERE n_cell IS NOT NULL AND n_dup IS NULL
  )
  INSERT INTO incident_cell_day AS a (day, cell, category_code, channel, status, n)
  SELECT day, cell, category_code, channel, status, sum(d) FROM delta
  GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (day, cell, category_code, channel, status) DO UPDATE SET n = a.n + excluded.n, xid = excluded.xid;
  RETURN NULL;
END $$;

CREATE TRIGGER incident_cell_day_insert AFTER INSERT ON incident
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_cell_day_add();
CREATE TRIGGER incident_cell_day_update AFTER UPDATE ON incident
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_cell_day_move();
CREATE TRIGGER incident_cell_day_delete AFTER DELETE ON incident
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION incident_cell_day_remove();

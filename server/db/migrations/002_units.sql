-- Boundary versions. Every unit belongs to exactly one generation; the current
-- generation is the one still open (valid_to IS NULL). "As of" questions pick
-- the generation whose [valid_from, valid_to) holds the date.
CREATE TABLE generation (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  label       text NOT NULL,
  valid_from  timestamptz NOT NULL,
  valid_to    timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text,
  source      text,
  note        text,
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX generation_one_current ON generation ((valid_to IS NULL)) WHERE valid_to IS NULL;

CREATE TABLE unit (
  generation_id integer NOT NULL REFERENCES generation (id),
  code          text NOT NULL,
  level         text NOT NULL CHECK (level IN ('city', 'town', 'community', 'grid')),
  parent_code   text,
  name_zh       text NOT NULL CHECK (name_zh <> ''),
  name_en       text,
  geom          geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2       double precision NOT NULL,
  centroid      geometry(Point, 4326) NOT NULL,
  population    integer CHECK (population >= 0),
  households    integer CHECK (households >= 0),
  buildings     integer CHECK (buildings >= 0),
  rented_rooms  integer CHECK (rented_rooms >= 0),
  businesses    integer CHECK (businesses >= 0),
  extra         jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (generation_id, code),
  FOREIGN KEY (generation_id, parent_code) REFERENCES unit (generation_id, code) DEFERRABLE INITIALLY DEFERRED,
  -- 6-digit region code, then 3 digits per level: town 9, community 12, grid 15.
  CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,3}$'),
  CHECK (length(code) = CASE level WHEN 'city' THEN 6 WHEN 'town' THEN 9 WHEN 'community' THEN 12 ELSE 15 END),
  CHECK ((level = 'city' AND parent_code IS NULL) OR (level <> 'city' AND parent_code = left(code, length(code) - 3)))
);
CREATE INDEX unit_geom_idx ON unit USING gist (geom);
CREATE INDEX unit_level_idx ON unit (generation_id, level, code);
CREATE INDEX unit_parent_idx ON unit (generation_id, parent_code);

-- The generation valid at a moment; NULL before the first one.
CREATE FUNCTION generation_at(at timestamptz) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT id FROM generation
  WHERE valid_from <= at AND (valid_to IS NULL OR valid_to > at)
  ORDER BY valid_from DESC LIMIT 1
$$;

CREATE FUNCTION current_generation() RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT id FROM generation WHERE valid_to IS NULL
$$;

CREATE TABLE audit_log (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  actor    text,
  action   text NOT NULL,
  subject  text,
  detail   jsonb NOT NULL DEFAULT '{}'::jsonb
);

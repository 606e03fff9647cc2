-- Patrol tracks of grid administrators, and the H3 cells (resolution 10,
-- about 0.015 km²) each track touched, with the time it passed through them.
-- A grid's patrol coverage is the share of its cells touched in a period.
CREATE TABLE patrol_track (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  administrator_id integer NOT NULL REFERENCES administrator (id),
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz NOT NULL CHECK (ended_at >= started_at),
  geom             geometry(LineString, 4326) NOT NULL,
  length_m         double precision NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrol_track_admin_idx ON patrol_track (administrator_id, started_at);

CREATE TABLE patrol_cell (
  track_id   bigint NOT NULL REFERENCES patrol_track (id) ON DELETE CASCADE,
  h3         text NOT NULL,
  visited_at timestamptz NOT NULL,
  PRIMARY KEY (track_id, h3)
);
CREATE INDEX patrol_cell_visit_idx ON patrol_cell (h3, visited_at);

-- Planning studio: draft boundary plans. A plan is scoped to one town or
-- community and starts from the generation current when it was made (its
-- base). Its building blocks are H3 cells clipped to the scope's communities;
-- the plan assigns every block to one grid of its community. Edits bump
-- `version` (optimistic concurrency: a write naming an older version loses
-- with 409) and are kept as steps for undo/redo (`cursor` = steps applied).
CREATE TABLE plan (
  id                      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                    text NOT NULL CHECK (name <> ''),
  scope_code              text NOT NULL CHECK (scope_code ~ '^[0-9]{9}([0-9]{3})?$'),
  base_generation_id      integer NOT NULL REFERENCES generation (id),
  res                     smallint NOT NULL CHECK (res BETWEEN 7 AND 10),
  period_from             timestamptz NOT NULL,
  period_to               timestamptz NOT NULL CHECK (period_to > period_from),
  status                  text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'discarded')),
  version                 integer NOT NULL DEFAULT 1,
  cursor                  integer NOT NULL DEFAULT 0,
  -- The base generation's grids of the scope, and the blocks' starting assignment (init_grid) indexes them.
  base_grids              jsonb NOT NULL,
  -- The plan's grids (code, community, name, administrators, locked, added); assignment indexes them.
  grids                   jsonb NOT NULL,
  -- Optional limits checked live: minAreaM2, maxAreaM2, minPopulation, maxPopulation.
  constraints             jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Community area not covered by blocks (m²), measured when the blocks were cut: 0 when the blocks tile the scope.
  uncovered_m2            double precision NOT NULL DEFAULT 0,
  -- Per block (by idx): index into grids.
  assignment              integer[] NOT NULL,
  published_generation_id integer REFERENCES generation (id),
  created_by              text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_by              text,
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_scope_idx ON plan (scope_code, status);

CREATE TABLE plan_block (
  plan_id         integer NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
  idx             integer NOT NULL,
  h3              bigint NOT NULL,
  community_code  text NOT NULL,
  geom            geometry(MultiPolygon, 4326) NOT NULL,
  area_m2         double precision NOT NULL,
  centroid        geometry(Point, 4326) NOT NULL,
  -- The base grid holding most of the block: the plan's starting assignment
  -- (NULL only while the blocks are being cut).
  init_grid       text,
  population      double precision NOT NULL DEFAULT 0,
  households      double precision NOT NULL DEFAULT 0,
  workload        double precision NOT NULL DEFAULT 0,
  open_incidents  integer NOT NULL DEFAULT 0,
  PRIMARY KEY (plan_id, idx),
  UNIQUE (plan_id, community_code, h3)
);
CREATE INDEX plan_block_geom_idx ON plan_block USING gist (geom);

-- One edit: the blocks it changed with their grid before and after, and the
-- grid list before and after when it changed (add, remove, lock, split, merge).
CREATE TABLE plan_step (
  plan_id       integer NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
  seq           integer NOT NULL,
  op            jsonb NOT NULL,
  blocks        integer[] NOT NULL,
  before        integer[] NOT NULL,
  after         integer[] NOT NULL,
  grids_before  jsonb,
  grids_after   jsonb,
  actor         text,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, seq)
);

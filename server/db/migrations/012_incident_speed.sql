-- Speed of incident lists and intake.

-- Overdue, as a condition the planner can see through: true exactly when
-- incident_supervision_level(...) > 0 (migration 007), i.e. dispatched and the
-- deadline reached. A plain SQL expression, so it is inlined into the query and
-- the partial index below answers it.
CREATE FUNCTION incident_overdue(status text, deadline_at timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT status = 'dispatched' AND deadline_at IS NOT NULL AND deadline_at <= at
$$;

-- A town's, community's or grid's incidents newest first, whatever the status
-- filter: the first page reads the unit's newest index entries (the status is
-- in the index), and a capped count stays in the index. With the status as
-- second key, a filter on several statuses had to fetch and sort them all, or
-- walk every incident of the city newest first.
DROP INDEX incident_town_idx;
DROP INDEX incident_community_idx;
DROP INDEX incident_grid_idx;
CREATE INDEX incident_town_idx ON incident (town_code, reported_at DESC, status);
CREATE INDEX incident_community_idx ON incident (community_code, reported_at DESC, status);
CREATE INDEX incident_grid_idx ON incident (grid_code, reported_at DESC, status);

-- Incidents waiting for a department, newest first, with their deadline in the
-- index: the first page of overdue ones reads a few index entries, and none at
-- all while nothing is dispatched.
CREATE INDEX incident_dispatched_idx ON incident (reported_at DESC, deadline_at) WHERE status = 'dispatched';

-- An incident's probable duplicates (its detail page): few rows have one.
CREATE INDEX incident_duplicate_of_idx ON incident (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- The probable-duplicate check at intake now probes the GiST index on geom
-- alone (server/incidents/queries.ts); this index only cost every insert.
DROP INDEX incident_open_idx;

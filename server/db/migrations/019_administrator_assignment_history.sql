-- Who served which grid when. administrator_grid holds today's assignments;
-- administrator_assignment keeps every period an active administrator served
-- a grid, so that a lookup "as of" a past date names the administrators of
-- then. Triggers keep it: an assignment added opens a period, one removed
-- closes it, and an administrator made inactive (active again) closes (opens)
-- the periods of all their grids. A period starts at the transaction's time
-- unless the writer says otherwise in the setting zhiwang.assignment_from
-- (a time, or 'unknown' for an assignment whose start nobody recorded: the
-- demo city's, and those made before this history existed); valid_from NULL
-- means "since before records".
CREATE TABLE administrator_assignment (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  administrator_id integer NOT NULL REFERENCES administrator (id) ON DELETE CASCADE,
  grid_code        text NOT NULL,
  valid_from       timestamptz,
  valid_to         timestamptz,
  CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to)
);
CREATE INDEX administrator_assignment_grid_idx ON administrator_assignment (grid_code, valid_from);
CREATE UNIQUE INDEX administrator_assignment_open_idx ON administrator_assignment (administrator_id, grid_code) WHERE valid_to IS NULL;

INSERT INTO administrator_assignment (administrator_id, grid_code, valid_from)
SELECT ag.administrator_id, ag.grid_code, NULL
FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id
WHERE a.active;

-- The moment a change takes effect: the writer's zhiwang.assignment_from, or now.
CREATE FUNCTION administrator_assignment_moment() RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
  s text := coalesce(current_setting('zhiwang.assignment_from', true), '');
BEGIN
  IF s = '' THEN RETURN now(); END IF;
  IF s = 'unknown' THEN RETURN NULL; END IF;
  RETURN s::timestamptz;
END $$;

-- Opens a period for (administrator, grid) unless one is open.
CREATE FUNCTION administrator_assignment_open(a integer, g text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO administrator_assignment (administrator_id, grid_code, valid_from)
  VALUES (a, g, administrator_assignment_moment())
  ON CONFLICT (administrator_id, grid_code) WHERE valid_to IS NULL DO NOTHING;
END $$;

-- Closes the open period of (administrator, grid); a period that would end
-- where it began (added and removed in one transaction) is dropped.
CREATE FUNCTION administrator_assignment_close(a integer, g text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz := coalesce(administrator_assignment_moment(), now());
BEGIN
  DELETE FROM administrator_assignment
  WHERE administrator_id = a AND grid_code = g AND valid_to IS NULL AND valid_from IS NOT NULL AND valid_from >= t;
  UPDATE administrator_assignment SET valid_to = t
  WHERE administrator_id = a AND grid_code = g AND valid_to IS NULL;
END $$;

CREATE FUNCTION administrator_grid_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF (SELECT active FROM administrator WHERE id = NEW.administrator_id) THEN
      PERFORM administrator_assignment_open(NEW.administrator_id, NEW.grid_code);
    END IF;
    RETURN NEW;
  END IF;
  PERFORM administrator_assignment_close(OLD.administrator_id, OLD.grid_code);
  RETURN OLD;
END $$;

CREATE TRIGGER administrator_grid_history AFTER INSERT OR DELETE ON administrator_grid
  FOR EACH ROW EXECUTE FUNCTION administrator_grid_history();

CREATE FUNCTION administrator_active_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  g text;
BEGIN
  FOR g IN SELECT grid_code FROM administrator_grid WHERE administrator_id = NEW.id LOOP
    IF NEW.active THEN
      PERFORM administrator_assignment_open(NEW.id, g);
    ELSE
      PERFORM administrator_assignment_close(NEW.id, g);
    END IF;
  END LOOP;
  RETURN NEW;
END $$;

CREATE TRIGGER administrator_active_history AFTER UPDATE OF active ON administrator
  FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active) EXECUTE FUNCTION administrator_active_history();

-- One counter for "the administrators changed": servers poll it to refresh the
-- administrators their lookups name. Bumped in the writing transaction, so a
-- server that sees the new value also sees what changed.
CREATE TABLE administrator_version (
  one     boolean PRIMARY KEY DEFAULT true CHECK (one),
  version bigint NOT NULL
);
INSERT INTO administrator_version (version) VALUES (0);

CREATE FUNCTION administrator_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE administrator_version SET version = version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER administrator_version_bump AFTER INSERT OR UPDATE OR DELETE ON administrator
  FOR EACH STATEMENT EXECUTE FUNCTION administrator_version_bump();
CREATE TRIGGER administrator_grid_version_bump AFTER INSERT OR DELETE ON administrator_grid
  FOR EACH STATEMENT EXECUTE FUNCTION administrator_version_bump();

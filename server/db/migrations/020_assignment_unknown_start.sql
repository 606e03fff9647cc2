-- An assignment opened with zhiwang.assignment_from = 'unknown' starts "since
-- before records" (valid_from NULL) only for an administrator whose history
-- holds no recorded moment yet (every period of theirs open and undated: new
-- to the records, or loaded the same way). One with a dated or ended period
-- gets the transaction's time instead: a null start would claim they served
-- the new grid (or, coming back, the old one) all along, overlapping the
-- periods already recorded.
CREATE OR REPLACE FUNCTION administrator_assignment_open(a integer, g text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  m timestamptz := administrator_assignment_moment();
BEGIN
  IF m IS NULL AND EXISTS (SELECT 1 FROM administrator_assignment
                           WHERE administrator_id = a AND (valid_from IS NOT NULL OR valid_to IS NOT NULL)) THEN
    m := now();
  END IF;
  INSERT INTO administrator_assignment (administrator_id, grid_code, valid_from)
  VALUES (a, g, m)
  ON CONFLICT (administrator_id, grid_code) WHERE valid_to IS NULL DO NOTHING;
END $$;

-- Statistics for the planner (the embedded database has no autovacuum): supervision by administrator joins these.
ANALYZE administrator, administrator_grid, administrator_assignment;

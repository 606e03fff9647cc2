-- Each workflow event keeps the time of the event before it (the moment the
-- incident entered from_status), so a step's duration is at − from_at, read
-- straight from the row. Supervision scores took the medians of step times by
-- ordering an incident's whole history in a window (lag over at, id) for
-- every request; a year of the demo city by administrator sorted 3 M rows to
-- disk for it. NULL for the first event (the report).
ALTER TABLE incident_event ADD COLUMN from_at timestamptz;

UPDATE incident_event e SET from_at = p.prev
FROM (SELECT id, lag(at) OVER (PARTITION BY incident_id ORDER BY at, id) AS prev FROM incident_event) p
WHERE p.id = e.id AND p.prev IS NOT NULL;

-- Whoever writes an event (the workflow, a fixture, a script) gets from_at
-- filled in from the incident's history: the latest event before this one in
-- (at, id) order, which also sees earlier rows of the same INSERT. A report
-- has no earlier event, so intake's report rows skip the function entirely;
-- a writer that knows the time already (the demo loader) sets it.
CREATE FUNCTION incident_event_from_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.from_at := (SELECT e.at FROM incident_event e
                  WHERE e.incident_id = NEW.incident_id AND (e.at, e.id) < (NEW.at, NEW.id)
                  ORDER BY e.at DESC, e.id DESC LIMIT 1);
  RETURN NEW;
END $$;

CREATE TRIGGER incident_event_from_at BEFORE INSERT ON incident_event
  FOR EACH ROW WHEN (NEW.from_at IS NULL AND NEW.action <> 'report') EXECUTE FUNCTION incident_event_from_at();

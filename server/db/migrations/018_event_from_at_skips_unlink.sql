-- An event that keeps the state (unlink: "not a duplicate after all") is part
-- of the history but not a step: the next step's time still runs from the
-- event that moved the incident into its state, so an unlink between the
-- report and the acceptance does not shorten the time to accept.
CREATE OR REPLACE FUNCTION incident_event_from_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.from_at := (SELECT e.at FROM incident_event e
                  WHERE e.incident_id = NEW.incident_id AND (e.at, e.id) < (NEW.at, NEW.id)
                    AND e.from_status IS DISTINCT FROM e.to_status
                  ORDER BY e.at DESC, e.id DESC LIMIT 1);
  RETURN NEW;
END $$;

-- Grid administrators (网格员). Assignments name grids by their stable code, so
-- they survive boundary generations; a grid may have several administrators and
-- an administrator may serve several grids.
CREATE TABLE administrator (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  employee_no  text NOT NULL UNIQUE CHECK (employee_no <> ''),
  name         text NOT NULL CHECK (name <> ''),
  phone        text,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE administrator_grid (
  administrator_id integer NOT NULL REFERENCES administrator (id) ON DELETE CASCADE,
  grid_code        text NOT NULL CHECK (grid_code ~ '^[0-9]{15}$'),
  PRIMARY KEY (administrator_id, grid_code)
);
CREATE INDEX administrator_grid_code_idx ON administrator_grid (grid_code);

-- The H3 cells of the lookup index, per generation: resolution-9 cells lying
-- wholly inside one grid carry its code; cells crossing grid boundaries carry
-- NULL (the index refines them). Analytics and coverage work join on h3.
CREATE TABLE unit_h3_cell (
  generation_id integer NOT NULL REFERENCES generation (id),
  h3            bigint NOT NULL,
  res           smallint NOT NULL CHECK (res BETWEEN 0 AND 15),
  grid_code     text,
  PRIMARY KEY (generation_id, h3)
);
CREATE INDEX unit_h3_cell_grid_idx ON unit_h3_cell (generation_id, grid_code);

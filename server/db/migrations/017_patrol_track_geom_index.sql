-- Patrol coverage of a town or community reads only the tracks that pass near
-- it: their line's bounding box must meet the area's. Without this index every
-- track of the period was opened, whatever part of the city was asked about.
CREATE INDEX patrol_track_geom_idx ON patrol_track USING gist (geom);

-- incident_supervision_level (migration 007) was declared IMMUTABLE, but its
-- timestamptz + interval arithmetic is only STABLE, and PostgreSQL inlines a
-- SQL function only when the body is no more volatile than the declaration:
-- so every use was a function call per row. Declared STABLE (which it is), it
-- is inlined into lists sorted by supervision level, tiles and analytics:
-- a year of the demo city's incidents counted by level took 0.85 s, now 0.31 s.
ALTER FUNCTION incident_supervision_level(text, timestamptz, timestamptz, timestamptz) STABLE;

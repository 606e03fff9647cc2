/**
 * The data of the OGC API tests: two boundary generations of the square city
 * (6 × 5 grids of 0.02° from 2021, 12 × 10 grids of 0.01° from 2023, the
 * current one) and 240 incidents spread over it and over 2024, a quarter of
 * them in a category about persons (never shown publicly), each with a
 * reporter whose contact must never appear.
 */
import type { Db } from '../../server/db/client.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { squareCity } from '../helpers/square-city.ts'

export const INCIDENTS = 240
export const REPORTER_PHONE = '13900000000'

const SEED_INCIDENTS = `
INSERT INTO incident (category_code, geom, reported_at, channel, external_id, token, reporter, description, status, department)
SELECT (ARRAY['ENV-01', 'FIRE-01', 'CONS-02', 'SEC-01'])[g % 4 + 1],
       ST_SetSRID(ST_MakePoint(113.7 + ((g * 37) % 1200) / 10000.0 + 0.00005, 22.9 + ((g * 53) % 1000) / 10000.0 + 0.00005), 4326),
       '2024-01-01T00:00:00Z'::timestamptz + g * interval '30 hours',
       'citizen', 'ogc-' || g, 'ogc-token-' || g, jsonb_build_object('name', '张三', 'phone', '${REPORTER_PHONE}'),
       'OGC test incident ' || g, (ARRAY['reported', 'dispatched', 'closed'])[g % 3 + 1], NULL
FROM generate_series(1, ${INCIDENTS}) g;
-- Routed as intake would: to the current generation's lowest-coded grid covering the point.
UPDATE incident i SET generation_id = u.generation_id, grid_code = u.code, community_code = u.parent_code, town_code = left(u.code, 9)
FROM unit u
WHERE u.generation_id = current_generation() AND u.level = 'grid' AND ST_Covers(u.geom, i.geom)
  AND u.code = (SELECT min(v.code) FROM unit v WHERE v.generation_id = u.generation_id AND v.level = 'grid' AND ST_Covers(v.geom, i.geom));`

export async function seedOgcFixture(db: Db): Promise<void> {
  const old = squareCity({ nx: 6, ny: 5, size: 0.02 })
  old.features[2]!.properties.name = '旧城社区'
  await importUnits(db, old, { validFrom: new Date('2021-01-01T00:00:00Z') })
  const current = squareCity({ nx: 12, ny: 10 })
  current.features[2]!.properties.name = '鸿福社区'
  current.features[2]!.properties.name_en = 'Hongfu'
  await importUnits(db, current, { validFrom: new Date('2023-01-01T00:00:00Z') })
  await db.exec(SEED_INCIDENTS)
}

/** The incidents anyone may see: not of the classes Open311 hides. */
export const PUBLIC_INCIDENTS = `
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE c.class NOT IN ('public_security', 'population_housing')`

/**
 * Incidents stored before the analytics cube existed (migration 010) have no
 * H3 cell. PostGIS cannot compute one, so the server fills them in at start,
 * in batches; the update trigger then adds them to the cube. Idempotent and
 * cheap when there is nothing to do (one indexed-free probe with LIMIT).
 */
import { latLngToCell } from 'h3-js'
import type { Db } from '../db/client.ts'
import { INCIDENT_CELL_RES } from './h3-ids.ts'

const MISSING = `SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incident WHERE h3_10 IS NULL ORDER BY id LIMIT $1`
const FILL = `
UPDATE incident i SET h3_10 = h3_from_hex(c.h3)
FROM unnest($1::bigint[], $2::text[]) AS c(id, h3) WHERE i.id = c.id`

const BATCH = 20_000

/** Returns how many incidents got their cell. */
export async function backfillIncidentCells(db: Db): Promise<number> {
  let filled = 0
  for (;;) {
    const rows = (await db.query<{ id: string; lon: number; lat: number }>(MISSING, [BATCH])).rows
    if (rows.length === 0) return filled
    const cells = rows.map((r) => latLngToCell(r.lat, r.lon, INCIDENT_CELL_RES))
    await db.transaction((tx) => tx.query(FILL, [rows.map((r) => r.id), cells]))
    filled += rows.length
    if (rows.length < BATCH) return filled
  }
}

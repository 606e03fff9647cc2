/**
 * The intake benchmark's baseline: PostgreSQL alone inserting rows like the
 * ones just taken in, into a copy of the incident table (same columns,
 * checks, indexes and foreign keys to the category and generation; no
 * triggers) already holding every stored incident — one INSERT … SELECT of
 * 1,000 rows per statement, on as many connections as a bulk request uses.
 * No parsing, routing, duplicate check, workflow event or analytics cube:
 * the floor of what storing these rows costs on this server, so the intake's
 * rate can be read as a share of it.
 */
import type { Db } from '../server/db/client.ts'

const TABLE = 'bench_floor'
const COLUMNS = `category_code, geom, reported_at, channel, external_id, description, media_urls, reporter, attributes,
  generation_id, grid_code, community_code, town_code, status, token, h3_10`

export async function postgresFloor(db: Db, rows: number, connections: number): Promise<{ rate: number; rows: number; connections: number }> {
  const indexes = (await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'incident'
    AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'incident'::regclass)`)).rows
  await db.exec(`DROP TABLE IF EXISTS ${TABLE}`)
  try {
    await db.exec(`CREATE TABLE ${TABLE} (LIKE incident INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)`)
    await db.exec(`INSERT INTO ${TABLE} (${COLUMNS}) SELECT ${COLUMNS} FROM incident`)
    await db.exec(`ALTER TABLE ${TABLE} ADD PRIMARY KEY (id), ADD UNIQUE (token), ADD UNIQUE (channel, external_id),
      ADD FOREIGN KEY (category_code) REFERENCES incident_category (code), ADD FOREIGN KEY (generation_id) REFERENCES generation (id)`)
    for (const { def } of indexes) await db.exec(def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON public\.incident /, `CREATE $1INDEX ON ${TABLE} `))
    await db.exec(`VACUUM ANALYZE ${TABLE}`)
    // Copies of stored incidents under new keys, 1,000 a statement; the connections take the batches in turn.
    const starts = (await db.query<{ id: number }>(`SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM incident) s
      WHERE r % 1000 = 1 ORDER BY id LIMIT $1`, [Math.ceil(rows / 1000) + 1])).rows.map((r) => r.id)
    const batches = starts.length - 1
    const n = batches * 1000
    const batch = (b: number) => db.query(`INSERT INTO ${TABLE} (${COLUMNS})
      SELECT category_code, geom, reported_at, channel, external_id || '-floor', description, media_urls, reporter, attributes,
             generation_id, grid_code, community_code, town_code, 'reported', token || '-floor', h3_10
      FROM incident WHERE id >= $1 AND id < $2`, [starts[b], starts[b + 1]])
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: connections }, async () => {
      for (let b = next++; b < batches; b = next++) await batch(b)
    }))
    return { rate: n / ((performance.now() - started) / 1000), rows: n, connections }
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${TABLE}`)
  }
}

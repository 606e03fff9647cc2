import { createHash } from 'node:crypto'
import { expect, it } from 'vitest'
import type { Db } from '../../server/db/client.ts'
import { loadMigrations, migrate, type Migration } from '../../server/db/migrate.ts'
import { describeBackends } from '../helpers/backends.ts'

function migration(version: number, name: string, sql: string): Migration {
  return { version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
}

async function recorded(db: Db) {
  const { rows } = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migration ORDER BY version',
  )
  return rows
}

/**
 * A fingerprint of everything the migrations can create in the public schema,
 * to prove a second migrate() is a no-op rather than a silent re-run.
 */
async function schemaFingerprint(db: Db) {
  const { rows } = await db.query<{ kind: string; name: string }>(`
    SELECT 'relation' AS kind, c.relname || ':' || c.relkind::text AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'column', table_name || '.' || column_name || ':' || data_type
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'extension', extname || ' ' || extversion FROM pg_extension
    ORDER BY 1, 2`)
  return rows
}

/**
 * Area on the WGS 84 ellipsoid of the triangle (113 23, 113.01 23, 113.01 23.01),
 * written independently of PostGIS: integrate the ellipsoid's area element
 * M·N·cos φ over φ in closed form (the classic authalic "q" function) and over
 * λ numerically. Edges are taken as straight in lon/lat; at ~1 km the geodesic
 * differs by a few m², far inside the tolerance.
 */
function ellipsoidalTriangleArea(): number {
  const a = 6378137
  const f = 1 / 298.257223563
  const e2 = f * (2 - f)
  const e = Math.sqrt(e2)
  const b2 = a * a * (1 - e2)
  const F = (phi: number) => {
    const s = Math.sin(phi)
    return (b2 / 2) * (s / (1 - e2 * s * s) + Math.log((1 + e * s) / (1 - e * s)) / (2 * e))
  }
  const rad = (deg: number) => (deg * Math.PI) / 180
  const phi0 = rad(23)
  const width = rad(0.01)
  const steps = 1000
  const h = width / steps
  let area = 0
  for (let i = 0; i < steps; i++) {
    const x = (i + 0.5) * h // offset east of 113°; the hypotenuse rises by as much
    area += (F(phi0 + x) - F(phi0)) * h
  }
  return area
}

describeBackends('migrations', ({ db }) => {
  it('applied and recorded every migration file', async () => {
    const files = loadMigrations()
    expect(files.length).toBeGreaterThan(0)
    expect((await recorded(db())).map(({ version, name, checksum }) => ({ version, name, checksum }))).toEqual(
      files.map(({ version, name, checksum }) => ({ version, name, checksum })),
    )

    // Recorded is not enough: what the files create must exist. Names are read
    // from the SQL so that new migrations are covered without editing this test.
    const sql = files.map((m) => m.sql).join('\n')
    const tables = [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!)
    const extensions = [...sql.matchAll(/CREATE EXTENSION (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!)
    expect(tables.length).toBeGreaterThan(0)
    for (const table of tables) {
      const { rows } = await db().query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [table])
      expect(rows[0]?.oid, `table ${table}`).toBe(table)
    }
    const { rows } = await db().query<{ extname: string }>('SELECT extname FROM pg_extension')
    expect(rows.map((r) => r.extname)).toEqual(expect.arrayContaining(extensions))
  })

  it('applies nothing and changes nothing when run again', async () => {
    const before = { recorded: await recorded(db()), schema: await schemaFingerprint(db()) }
    expect(await migrate(db())).toEqual([])
    expect({ recorded: await recorded(db()), schema: await schemaFingerprint(db()) }).toEqual(before)
  })

  it('has a working PostGIS (geodesic area on the ellipsoid)', async () => {
    const { rows } = await db().query<{ area: number }>(
      `SELECT ST_Area(ST_GeomFromText('POLYGON((113 23,113.01 23,113.01 23.01,113 23))',4326)::geography) AS area`,
    )
    const expected = ellipsoidalTriangleArea()
    expect(expected).toBeGreaterThan(567_000) // guards the reference formula itself
    expect(expected).toBeLessThan(568_500)
    expect(Math.abs(rows[0]!.area - expected) / expected).toBeLessThan(0.001)
  })

  it('refuses a migration whose file changed after it was applied', async () => {
    const files = loadMigrations()
    const original = files[files.length - 1]!
    const changed = migration(original.version, original.name, `${original.sql}\n-- edited afterwards\n`)
    const before = await recorded(db())

    await expect(migrate(db(), [...files, changed])).rejects.toThrow(/was changed after it was applied/)
    expect(await recorded(db())).toEqual(before)
  })

  it('leaves no trace of a migration that fails', async () => {
    const bad = migration(
      900,
      '900_broken.sql',
      `CREATE TABLE should_vanish (id integer);
       INSERT INTO should_vanish VALUES (1);
       SELECT * FROM no_such_table;`,
    )
    const before = await recorded(db())

    await expect(migrate(db(), [...loadMigrations(), bad])).rejects.toThrow(/no_such_table/)
    expect(await recorded(db())).toEqual(before)
    const { rows } = await db().query<{ oid: string | null }>(`SELECT to_regclass('should_vanish')::text AS oid`)
    expect(rows[0]?.oid).toBeNull()
  })
})

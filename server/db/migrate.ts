import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Db } from './client.ts'

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))
const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => FILE_NAME.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(dir + name, 'utf8')
      return {
        version: Number(FILE_NAME.exec(name)![1]),
        name,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      }
    })
}

/**
 * Applies the numbered migrations not yet recorded, each in its own transaction,
 * under an advisory lock so that two servers starting together do not race.
 * A recorded migration whose file changed afterwards is an error: migrations are
 * append-only. Returns the names applied by this call.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`)
  const applied: string[] = []
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(8872431)`)
      const { rows } = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migration WHERE version = $1',
        [m.version],
      )
      if (rows[0]) {
        if (rows[0].checksum !== m.checksum) {
          throw new Error(`Migration ${m.name} was changed after it was applied; add a new migration instead`)
        }
        return false
      }
      await tx.exec(m.sql)
      await tx.query('INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ])
      return true
    })
    if (done) applied.push(m.name)
  }
  return applied
}

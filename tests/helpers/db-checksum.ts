import type { Db } from '../../server/db/client.ts'

const TABLES = ['generation', 'unit', 'administrator', 'administrator_grid', 'audit_log']

/**
 * A checksum of every row of the registry's tables, to prove that a rejected
 * request left the database exactly as it was.
 */
export async function registryChecksum(db: Db): Promise<string> {
  const parts: string[] = []
  for (const table of TABLES) {
    const { rows } = await db.query<{ sum: string | null; n: number }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum, count(*)::int AS n FROM ${table} t`,
    )
    parts.push(`${table}:${rows[0]!.n}:${rows[0]!.sum}`)
  }
  return parts.join(' ')
}

/** Every row of every table of the public schema (the migration ledger aside), as one digest. */
export async function databaseChecksum(db: { query: <T>(sql: string) => Promise<{ rows: T[] }> }): Promise<string> {
  const tables = (await db.query<{ t: string }>(`
    SELECT table_name AS t FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('schema_migration', 'spatial_ref_sys')
    ORDER BY 1`)).rows.map((r) => r.t)
  const parts: string[] = []
  for (const t of tables) {
    const r = (await db.query<{ s: string | null; n: number }>(`SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS s, count(*)::int AS n FROM "${t}" x`)).rows[0]!
    parts.push(`${t}:${r.n}:${r.s}`)
  }
  return parts.join(' ')
}

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

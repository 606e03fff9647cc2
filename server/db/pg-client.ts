import pg from 'pg'
import type { Db, Queryable, QueryResult } from './client.ts'

// Both backends hand back int8 as a JS number (PGlite does so by default);
// the counts and ids we store stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v))

export async function openPgDb(connectionString: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString, max: 10 })
  // An idle client losing its server (restart) must not crash the process.
  pool.on('error', () => {})
  const probe = await pool.connect()
  probe.release()

  const query = async <T>(client: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) => {
    const res = await client.query(sql, params as unknown[])
    return { rows: res.rows as T[] } satisfies QueryResult<T>
  }

  return {
    backend: 'postgres',
    query: (sql, params) => query(pool, sql, params),
    async exec(sql) {
      await pool.query(sql)
    },
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const tx: Queryable = {
          query: (sql, params) => query(client, sql, params),
          exec: async (sql) => void (await client.query(sql)),
        }
        const result = await fn(tx)
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}

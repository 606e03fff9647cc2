import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { postgis } from '@electric-sql/pglite-postgis'
import type { Db, Queryable } from './client.ts'

export interface PgliteDb extends Db {
  /** The whole data directory as a tarball another instance can start from (test templates). */
  dumpDataDir(): Promise<Blob>
}

export async function openPgliteDb(dataDir: string, loadDataDir?: Blob): Promise<PgliteDb> {
  if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true })
  const pglite = await PGlite.create(dataDir, {
    extensions: { postgis },
    ...(loadDataDir ? { loadDataDir } : {}),
  })
  const asQueryable = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const res = await q.query<T>(sql, params)
      return { rows: res.rows }
    },
    async exec(sql: string) {
      await q.exec(sql)
    },
  })

  return {
    backend: 'pglite',
    ...asQueryable(pglite),
    // PGlite serialises queries itself; its transaction() holds the connection
    // for the whole callback, so other requests wait instead of interleaving.
    transaction: (fn) => pglite.transaction((tx) => fn(asQueryable(tx))),
    close: () => pglite.close(),
    dumpDataDir: async () => (await pglite.dumpDataDir('none')) as Blob,
  }
}


import { mkdirSync, realpathSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { postgis } from '@electric-sql/pglite-postgis'
import type { Db, Queryable } from './client.ts'
import { lockDataDir } from './data-dir-lock.ts'

export interface PgliteDb extends Db {
  /** The whole data directory as a tarball another instance can start from (test templates). */
  dumpDataDir(): Promise<Blob>
}

/**
 * When a C++ exception escapes a PostGIS function (GEOS), the WebAssembly build
 * abandons the statement: no error, zero rows, and only a "snapshot … still
 * active" warning. A silently empty answer would pass checks that should fail,
 * so that warning becomes an error here, as it is on a PostgreSQL server.
 */
function abortWatch() {
  let warning: string | null = null
  return {
    onNotice: (notice: { severity?: string; message?: string }) => {
      if (notice.severity === 'WARNING' && /snapshot .* still active/.test(notice.message ?? '')) warning = notice.message ?? ''
    },
    check(sql: string) {
      if (warning !== null) {
        throw new Error(`The embedded PostGIS abandoned a statement (${warning}); a geometry operation failed inside GEOS: ${sql.trim().slice(0, 200)}`)
      }
    },
  }
}

export async function openPgliteDb(given: string, loadDataDir?: Blob): Promise<PgliteDb> {
  const onDisk = !given.includes('://')
  if (onDisk) mkdirSync(given, { recursive: true })
  // PGlite's file system cannot follow a symbolic link (ENOTDIR, errno 20): open, and lock, the directory it names.
  const dataDir = onDisk ? realpathSync(given) : given
  const lock = onDisk ? lockDataDir(dataDir) : null
  let pglite: PGlite
  try {
    pglite = await PGlite.create(dataDir, {
      extensions: { postgis },
      ...(loadDataDir ? { loadDataDir } : {}),
    })
  } catch (err) {
    lock?.release()
    throw err
  }
  const asQueryable = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const aborted = abortWatch()
      const res = await q.query<T>(sql, params, { onNotice: aborted.onNotice })
      aborted.check(sql)
      return { rows: res.rows }
    },
    async exec(sql: string) {
      const aborted = abortWatch()
      await q.exec(sql, { onNotice: aborted.onNotice })
      aborted.check(sql)
    },
  })

  return {
    backend: 'pglite',
    connections: 1,
    ...asQueryable(pglite),
    // PGlite serialises queries itself; its transaction() holds the connection
    // for the whole callback, so other requests wait instead of interleaving.
    transaction: (fn) => pglite.transaction((tx) => fn(asQueryable(tx))),
    close: async () => {
      try {
        await pglite.close()
      } finally {
        lock?.release()
      }
    },
    dumpDataDir: async () => (await pglite.dumpDataDir('none')) as Blob,
  }
}


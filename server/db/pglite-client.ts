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

/**
 * A statement runs on the server's own thread, and the next one queued behind
 * it (PGlite's own queue is a promise chain) would start in the same turn of
 * the event loop: a queue of slow requests kept signals, timers and
 * /health/live waiting until all had run (a SIGTERM seen 51 s late). So the
 * statements and transactions of the database wait in a queue of ours, and
 * each starts on a later turn of the loop than the one before it ended.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

function serial() {
  let last: Promise<unknown> = Promise.resolve()
  return <T>(run: () => Promise<T>): Promise<T> => {
    const next = last.then(turn).then(run)
    last = next.catch(() => {})
    return next
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

  const queue = serial()
  const top = asQueryable(pglite)
  return {
    backend: 'pglite',
    connections: 1,
    query: (sql, params) => queue(() => top.query(sql, params)),
    exec: (sql) => queue(() => top.exec(sql)),
    // A transaction holds the connection for the whole callback, so other requests wait instead of
    // interleaving; its own statements run directly (the callback must not use db itself, as before).
    transaction: (fn) => queue(() => pglite.transaction((tx) => fn(asQueryable(tx)))),
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


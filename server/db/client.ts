/**
 * One small database interface, two backends. Domain code only sees `Db` and
 * `Queryable`; whether the SQL runs on a PostgreSQL server (through `pg`) or on
 * the embedded PGlite + PostGIS is decided once, in `openDb`.
 */
export interface QueryResult<T> {
  rows: T[]
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export interface Db extends Queryable {
  /** Which backend runs the SQL; for logs and /health only, never for branching domain logic. */
  readonly backend: 'postgres' | 'pglite'
  /** How many queries can run at the same moment: the pool size (1 on PGlite, which runs one at a time). */
  readonly connections: number
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DbOptions {
  /** postgres://… connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string
  /** Data directory of the embedded database; `memory://` keeps it in memory. */
  dataDir?: string
  /** A tarball made by `dumpDataDir` to start the embedded database from (tests). */
  loadDataDir?: Blob
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    const { openPgDb } = await import('./pg-client.ts')
    return openPgDb(options.databaseUrl)
  }
  const { openPgliteDb } = await import('./pglite-client.ts')
  return openPgliteDb(options.dataDir ?? 'memory://', options.loadDataDir)
}

/**
 * openDb for the server and the command-line scripts: an embedded data
 * directory held by another process ends this one with that message alone
 * (see data-dir-lock.ts), rather than a stack trace.
 */
export async function openDbOrExit(options: DbOptions): Promise<Db> {
  try {
    return await openDb(options)
  } catch (err) {
    if ((err as Error).name !== 'DataDirInUse') throw err
    console.error((err as Error).message)
    process.exit(1)
  }
}

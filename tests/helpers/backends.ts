/**
 * Every database test runs against both backends the server supports, so SQL
 * that only works on one of them (PGlite is PostgreSQL 18 in WebAssembly with
 * its own PostGIS build; production may be a PostgreSQL 15 server) fails here
 * rather than in deployment. The templates come from tests/global-setup.ts.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, beforeAll, describe, inject } from 'vitest'
import { openDb, type Db } from '../../server/db/client.ts'
import { TEMPLATE_DB } from '../global-setup.ts'

export const BACKENDS = ['pglite', 'postgres'] as const
export type Backend = (typeof BACKENDS)[number]

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.end()
  }
}

/**
 * A migrated database of its own, so test files (which run in parallel
 * workers) never see each other's rows. close() discards it.
 */
export async function freshDb(backend: Backend): Promise<Db> {
  if (backend === 'pglite') {
    // In memory: the tarball is the whole starting state and close() frees
    // everything, so there is nothing to clean up on disk.
    return openDb({ loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })
  }

  const name = `t_${randomBytes(6).toString('hex')}`
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE ${TEMPLATE_DB}`))
  const url = new URL(inject('pgAdminUrl'))
  url.pathname = `/${name}`
  let db: Db
  try {
    db = await openDb({ databaseUrl: url.toString() })
  } catch (err) {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}"`))
    throw err
  }
  return {
    backend: db.backend,
    connections: db.connections,
    query: db.query.bind(db),
    exec: db.exec.bind(db),
    transaction: db.transaction.bind(db),
    async close() {
      await db.close()
      // FORCE: a test that leaked a connection must not make teardown fail;
      // the whole cluster is discarded at the end of the run anyway.
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}

export interface BackendContext {
  backend: Backend
  /** The suite's database; only valid inside tests and hooks (it is opened in beforeAll). */
  db: () => Db
}

/**
 * `describe` once per backend (titles "name [pglite]" and "name [postgres]"),
 * each with one fresh database shared by the tests of that block: opening one
 * per test would cost more than most tests themselves.
 */
export function describeBackends(name: string, fn: (ctx: BackendContext) => void): void {
  describe.each(BACKENDS)(`${name} [%s]`, (backend) => {
    let db: Db | undefined
    beforeAll(async () => {
      db = await freshDb(backend)
    })
    afterAll(async () => {
      await db?.close()
      db = undefined
    })
    fn({
      backend,
      db: () => {
        if (!db) throw new Error('db() called outside a test: the database is opened in beforeAll')
        return db
      },
    })
  })
}

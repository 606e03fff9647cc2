/**
 * Runs once per `vitest run`, before any worker starts. Migrating from scratch
 * is slow on both backends (PGlite's first CREATE EXTENSION postgis alone takes
 * ~10 s), so it is done here once per backend and each test file then starts
 * from a copy: a database cloned with CREATE DATABASE … TEMPLATE on the real
 * server, a data-directory tarball for PGlite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDb, type Db } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import type { PgliteDb } from '../server/db/pglite-client.ts'
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/postgres-server.ts'

export const TEMPLATE_DB = 'zhiwang_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the throwaway server (its `postgres` database), for CREATE/DROP DATABASE. */
    pgAdminUrl: string
    /** Path of an uncompressed PGlite data-directory tarball with all migrations applied. */
    pgliteTemplate: string
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

async function describeVersions(db: Db): Promise<string> {
  const { rows } = await db.query<{ version: string; postgis: string }>(
    'SELECT version() AS version, postgis_lib_version() AS postgis',
  )
  const pgVersion = /PostgreSQL (\S+)/.exec(rows[0]?.version ?? '')?.[1] ?? '?'
  return `PostgreSQL ${pgVersion} + PostGIS ${rows[0]?.postgis ?? '?'}`
}

async function preparePostgresTemplate(server: ThrowawayPostgres, since: number): Promise<void> {
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  } finally {
    await admin.end()
  }

  const url = new URL(server.url)
  url.pathname = `/${TEMPLATE_DB}`
  const db = await openDb({ databaseUrl: url.toString() })
  try {
    await migrate(db)
    console.log(`[db] postgres: ${await describeVersions(db)} at ${url.host} (ready in ${seconds(since)})`)
  } finally {
    // CREATE DATABASE … TEMPLATE fails while anyone is connected to the
    // template, so this pool must be gone before the first test file starts.
    await db.close()
  }
}

async function preparePgliteTemplate(file: string): Promise<void> {
  const since = Date.now()
  const db = (await openDb({})) as PgliteDb
  try {
    await migrate(db)
    const versions = await describeVersions(db)
    const tarball = await db.dumpDataDir()
    writeFileSync(file, new Uint8Array(await tarball.arrayBuffer()))
    console.log(`[db] pglite: ${versions} embedded (template ${(tarball.size / 2 ** 20).toFixed(0)} MiB, ready in ${seconds(since)})`)
  } finally {
    await db.close()
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now()
  const tmp = mkdtempSync(join(tmpdir(), 'zhiwang-pglite-'))
  const templateFile = join(tmp, 'template.tar')
  let server: ThrowawayPostgres | undefined

  const teardown = async () => {
    try {
      await server?.stop()
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }

  // The two backends share nothing, so their (slow) preparation overlaps.
  // allSettled, not all: on failure, teardown must wait until the server has
  // finished starting, or it would miss it and leave the cluster running.
  const results = await Promise.allSettled([
    (async () => {
      const since = Date.now()
      server = await startThrowawayPostgres()
      await preparePostgresTemplate(server, since)
    })(),
    preparePgliteTemplate(templateFile),
  ])
  const failure = results.find((r) => r.status === 'rejected')
  if (failure) {
    await teardown()
    throw failure.reason
  }

  console.log(`[db] templates ready in ${seconds(started)}`)
  project.provide('pgAdminUrl', server!.url)
  project.provide('pgliteTemplate', templateFile)
  return teardown
}

/**
 * Stops and starts again a throwaway cluster (tests/helpers/postgres-server.ts)
 * under whatever is connected to it, on the same port and data directory: the
 * data directory comes from `SHOW data_directory`, the server options from
 * the `postmaster.opts` file PostgreSQL writes at every start.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const PG_CTL = '/usr/lib/postgresql/15/bin/pg_ctl'
const run = promisify(execFile)
const isRoot = process.getuid?.() === 0

export interface PostgresControl {
  /** `fast`: sessions are terminated (57P01) and the server shuts down cleanly; `immediate`: it dies, crash recovery at the next start. */
  stop(mode: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
}

async function pgCtl(args: string[], cwd: string): Promise<void> {
  const [bin, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', PG_CTL, ...args]] : [PG_CTL, args]
  try {
    await run(bin, argv, { cwd })
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string }
    throw new Error(`pg_ctl ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`)
  }
}

/** `superuserUrl`: a superuser connection to the cluster (SHOW data_directory needs one). */
export async function controlPostgres(superuserUrl: string): Promise<PostgresControl> {
  const client = new pg.Client({ connectionString: superuserUrl })
  await client.connect()
  const dataDir = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory
  await client.end()
  // e.g. /usr/lib/postgresql/15/bin/postgres "-D" "/tmp/zhiwang-pg-x/data" "-p" "40123" "-k" "/tmp/zhiwang-pg-x" "-c" "fsync=off"
  const args = [...readFileSync(join(dataDir, 'postmaster.opts'), 'utf8').matchAll(/"([^"]*)"/g)].map((m) => m[1]!)
  const d = args.indexOf('-D')
  if (d >= 0) args.splice(d, 2)
  const options = args.map((a) => `"${a}"`).join(' ')
  const cwd = dirname(dataDir)
  const log = join(cwd, 'postgres.log')
  return {
    stop: (mode) => pgCtl(['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60'], cwd),
    start: () => pgCtl(['start', '-D', dataDir, '-l', log, '-w', '-t', '120', '-o', options], cwd),
  }
}

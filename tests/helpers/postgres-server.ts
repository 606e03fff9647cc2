/**
 * A throwaway PostgreSQL 15 + PostGIS 3 cluster for the test run: its own data
 * directory, its own port, no fsync, gone when the run ends. Tests must pass on
 * a real server as well as on the embedded PGlite, and a private cluster keeps
 * them independent of whatever database the machine may (or may not) have.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

const PG_BIN = '/usr/lib/postgresql/15/bin'
const POSTGIS_CONTROL = '/usr/share/postgresql/15/extension/postgis.control'
const APT_PACKAGE = 'postgresql-15-postgis-3'

export interface ThrowawayPostgres {
  /** Superuser connection string to the `postgres` database. */
  url: string
  stop(): Promise<void>
}

const isRoot = process.getuid?.() === 0

/**
 * PostgreSQL refuses to run as root, so as root every server command runs as
 * the `postgres` account the Debian package creates; otherwise as ourselves.
 */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

function ensureInstalled(): void {
  if (existsSync(`${PG_BIN}/postgres`) && existsSync(POSTGIS_CONTROL)) return
  if (!isRoot) {
    throw new Error(
      `PostgreSQL 15 with PostGIS 3 is needed for the database tests but is not installed ` +
        `(${PG_BIN}/postgres or ${POSTGIS_CONTROL} missing). Install it with: ` +
        `sudo apt-get install -y ${APT_PACKAGE}`,
    )
  }
  console.log(`[db] installing ${APT_PACKAGE} (first run on this machine)…`)
  // Synchronous and with inherited output: it is a one-off, and apt's progress
  // is the only explanation for a setup that suddenly takes a minute.
  execFileSync(
    'sh',
    ['-c', `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${APT_PACKAGE}`],
    { stdio: 'inherit' },
  )
  if (!existsSync(`${PG_BIN}/postgres`) || !existsSync(POSTGIS_CONTROL)) {
    throw new Error(`apt-get install ${APT_PACKAGE} finished but ${PG_BIN}/postgres or ${POSTGIS_CONTROL} is still missing`)
  }
}

/** Asks the kernel for a free port; the tiny race until postgres binds it is handled by retrying. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log written)'
  }
}

async function run(cmd: string, args: string[], cwd: string, logFile: string): Promise<void> {
  const [bin, argv] = asServerUser(cmd, args)
  try {
    // cwd inside our own directory: the postgres user may not be allowed into
    // the caller's working directory, and initdb/pg_ctl complain about that.
    await execFileAsync(bin, argv, { cwd, maxBuffer: 16 * 1024 * 1024 })
  } catch (err) {
    const e = err as Error & { code?: number | string; stdout?: string; stderr?: string }
    const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim() || e.message
    throw new Error(
      `${[bin, ...argv].join(' ')} failed (exit ${e.code ?? '?'}):\n${output}\n` +
        `--- tail of ${logFile} ---\n${tail(logFile)}`,
    )
  }
}

// Clusters still running in this process, stopped synchronously if the process
// goes away before their stop() was called (crash, Ctrl-C, killed CI job).
const live = new Map<string, () => void>()
let exitHooksInstalled = false

function installExitHooks(): void {
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  const cleanupAll = () => {
    for (const cleanup of live.values()) cleanup()
    live.clear()
  }
  // 'exit' handlers may only do synchronous work, hence spawnSync/rmSync below.
  process.on('exit', cleanupAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupAll()
      process.off(signal, onSignal)
      // Listening to a signal cancels Node's default "die"; if nobody else
      // handles it, re-raise it so the process still ends the way it was told to.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}

/**
 * `settings` are extra server settings (`-c name=value`): benchmarks size the
 * cluster like a production server for their data (shared_buffers, WAL).
 */
export async function startThrowawayPostgres(settings: Record<string, string> = {}): Promise<ThrowawayPostgres> {
  ensureInstalled()

  // mkdtemp makes the directory 0700 owned by us; giving it to the postgres user
  // (as root) lets the server use it, and /tmp itself is traversable by anyone.
  const dir = mkdtempSync(join(tmpdir(), 'zhiwang-pg-'))
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'postgres.log')

  const removeDir = () => rmSync(dir, { recursive: true, force: true })
  const emergencyStop = () => {
    const [bin, argv] = asServerUser(`${PG_BIN}/pg_ctl`, ['stop', '-D', dataDir, '-m', 'immediate', '-w'])
    if (existsSync(join(dataDir, 'postmaster.pid'))) spawnSync(bin, argv, { cwd: dir, stdio: 'ignore' })
    removeDir()
  }
  installExitHooks()
  live.set(dir, emergencyStop)

  try {
    await run(
      `${PG_BIN}/initdb`,
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
      dir,
      logFile,
    )

    // A few attempts because the port we picked may be taken by the time the
    // server binds it (other test runs, other clusters starting in parallel).
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      const serverOptions = [
        `-p ${port}`,
        `-k ${dir}`, // socket next to the data, not in /var/run/postgresql (may not exist)
        '-c listen_addresses=127.0.0.1',
        // Durability is pointless for a cluster deleted after the run; these
        // make CREATE DATABASE per test file and the migrations much faster.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
      ].join(' ')
      try {
        await run(`${PG_BIN}/pg_ctl`, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', serverOptions], dir, logFile)
      } catch (err) {
        lastError = err
        if (tail(logFile).includes('Address already in use')) continue
        throw err
      }

      let stopped = false
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        async stop() {
          if (stopped) return
          stopped = true
          try {
            await run(`${PG_BIN}/pg_ctl`, ['stop', '-D', dataDir, '-m', 'fast', '-w'], dir, logFile)
          } finally {
            live.delete(dir)
            removeDir()
          }
        },
      }
    }
    throw lastError
  } catch (err) {
    live.delete(dir)
    emergencyStop()
    throw err
  }
}

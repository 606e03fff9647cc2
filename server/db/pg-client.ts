import pg from 'pg'
import { AppError } from '../errors.ts'
import type { Db, Queryable, QueryResult } from './client.ts'

// Both backends hand back int8 as a JS number (PGlite does so by default);
// the counts and ids we store stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v))

/**
 * How long a request waits for a connection (a new one, or a turn in the
 * pool) before it is answered 503: an unreachable server must not hold
 * requests until the kernel gives up on the TCP handshake (minutes).
 */
const CONNECT_TIMEOUT_MS = 10_000
/** Connections to the server at most. */
const POOL_SIZE = 10

/** What a 503 for a database that went away tells the client to wait. */
const RETRY_AFTER_S = 5

export async function openPgDb(connectionString: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true })
  // An idle client losing its server (restart) must not crash the process.
  pool.on('error', () => {})
  const probe = await pool.connect()
  probe.release()

  const query = async <T>(client: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) => {
    try {
      const res = await client.query(sql, params as unknown[])
      return { rows: res.rows as T[] } satisfies QueryResult<T>
    } catch (err) {
      throw unavailable(err)
    }
  }

  return {
    backend: 'postgres',
    connections: POOL_SIZE,
    query: (sql, params) => query(pool, sql, params),
    exec: async (sql) => void (await query(pool, sql)),
    async transaction(fn) {
      const client = await pool.connect().catch((err) => {
        throw unavailable(err)
      })
      // The pool listens for errors on idle clients only. A checked-out client
      // whose server goes away (restart, 57P01, network) between two statements
      // emits 'error' with no listener, which ends the process; kept here, the
      // next statement fails instead and the broken client leaves the pool.
      let lost: Error | undefined
      const onError = (err: Error) => void (lost ??= err)
      client.on('error', onError)
      try {
        await query(client, 'BEGIN')
        const tx: Queryable = {
          query: (sql, params) => query(client, sql, params),
          exec: async (sql) => void (await query(client, sql)),
        }
        const result = await fn(tx)
        await query(client, 'COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => void (lost ??= rollbackErr))
        throw err
      } finally {
        client.off('error', onError)
        client.release(lost)
      }
    },
    close: () => pool.end(),
  }
}

/** SQLSTATEs of a server that cannot be reached or is going away: class 08, admin/crash shutdown, starting up or shutting down, no free connection. */
const UNAVAILABLE_STATES = /^(08...|57P01|57P02|57P03|53300)$/
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/** What pg and pg-pool say, without a code, when a connection breaks or never comes. */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect)/

/**
 * A database that cannot be reached becomes 503 service-unavailable with a
 * Retry-After (server/plugins/problems.ts sends the header), not a 500: the
 * request may well succeed once the server is back. Every other error passes
 * through untouched, its SQLSTATE intact for the callers that look at it.
 */
function unavailable(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  const message = typeof e?.message === 'string' ? e.message : String(err)
  if (!UNAVAILABLE_STATES.test(code) && !UNAVAILABLE_ERRNOS.has(code) && !UNAVAILABLE_MESSAGES.test(message)) return err
  const appError = new AppError('service-unavailable', `The database is not reachable (${code || message}); retry in ${RETRY_AFTER_S} s`, { retryAfterSeconds: RETRY_AFTER_S })
  return Object.assign(appError, { cause: err }) // the driver's error stays in the log
}

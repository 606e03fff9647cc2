import { createServer, type ServerOptions } from 'node:http'
import Fastify, { type FastifyServerOptions } from 'fastify'
import administratorRoutes from './administrators/routes.ts'
import auditRoutes from './audit/routes.ts'
import { hashSecret } from './auth/api-keys.ts'
import auth from './auth/auth-plugin.ts'
import keyRoutes from './auth/routes.ts'
import coverageRoutes from './coverage/routes.ts'
import incidentRoutes from './incidents/routes.ts'
import patrolRoutes from './patrols/routes.ts'
import analyticsH3Routes from './analytics/h3-routes.ts'
import analyticsSeriesRoutes from './analytics/series-routes.ts'
import supervisionRoutes from './analytics/supervision-routes.ts'
import workloadRoutes from './analytics/workload-routes.ts'
import type { Db } from './db/client.ts'
import healthRoutes from './health/routes.ts'
import consoleRoute, { type ConsoleRouteOptions } from './health/console-route.ts'
import jsonBody from './plugins/json-body.ts'
import problems, { frameworkErrors } from './plugins/problems.ts'
import { installValidators } from './plugins/validators.ts'
import openapi from './docs/openapi-plugin.ts'
import backPressure, { type BackPressureOptions } from './plugins/back-pressure.ts'
import cors from './plugins/cors.ts'
import lifecycle from './plugins/lifecycle.ts'
import rateLimit, { type RateLimitOptions } from './plugins/rate-limit.ts'
import securityHeaders from './plugins/security-headers.ts'
import unitRoutes from './units/routes.ts'
import lookupRoutes from './lookup/routes.ts'
import open311Routes from './open311/routes.ts'
import { LookupService } from './lookup/lookup-service.ts'
import { AppError, PROBLEMS, type ProblemCode } from './errors.ts'
import { fastLookup, type FastHandler } from './lookup/fast-lookup.ts'
import tileRoutes from './tiles/routes.ts'
import ogcRoutes from './ogc/routes.ts'
import planRoutes from './planning/routes.ts'

export interface AppOptions {
  db: Db
  importBodyLimit?: number
  /** How long a presented API key's lookup is remembered (default 30 s). */
  keyCacheTtlMs?: number
  logger?: FastifyServerOptions['logger']
  /** Read the incident cube into memory as soon as the server is ready, not on the first analytics request. */
  warmAnalytics?: boolean
  /** The console's demo key and basemap (see server/health/console-route.ts). */
  console?: ConsoleRouteOptions
  /** Largest body of routes without their own limit (default 1 MiB). */
  bodyLimit?: number
  /** Limits on keyless callers (server/plugins/rate-limit.ts); absent: none, as tests and benchmarks want. main.ts sets them from the config. */
  rateLimit?: RateLimitOptions
  /** 503 while the event loop lags (server/plugins/back-pressure.ts); absent: never. */
  backPressure?: BackPressureOptions
  /** Origins allowed to call the API from a browser (CORS); absent or empty: none. */
  corsOrigins?: readonly string[]
  /** Fastify's `trustProxy`: whose X-Forwarded-For to believe for the client address (rate limits, logs). */
  trustProxy?: boolean | string
  /** Close sockets idle this long, and requests not fully received in this long (ms; 0 or absent: no limit). */
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    lookup: LookupService
    /** Single lookups answered before Fastify (server/lookup/fast-lookup.ts); null until the app is built. */
    fastLookup: FastHandler | null
  }
}

/** Builds the API around an open database; `listen()` is the caller's business (tests use `inject`). */
export async function buildApp(options: AppOptions) {
  // The plainest single lookups are answered before Fastify sees them (server/lookup/fast-lookup.ts);
  // set once the app is built. The server is otherwise the one Fastify would make itself.
  let fast: FastHandler | null = null
  // Fastify's own request ids (req-1, req-2, … in base 36), counted once for both paths.
  let lastRequestId = 0
  const requestId = () => `req-${(lastRequestId = (lastRequestId + 1) & 0x7fffffff).toString(36)}`
  const app = Fastify({
    genReqId: requestId,
    serverFactory: (handler, fastifyOptions) => {
      const opts = fastifyOptions as unknown as { http?: ServerOptions; keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number }
      // Node checks request timeouts every connectionsCheckingInterval (30 s by default): a 10 s limit fired
      // after up to 40 s. Checked at a quarter of the limit, a slow request is cut within 25 % of it.
      const checking = opts.requestTimeout > 0 ? Math.max(250, Math.min(30_000, Math.floor(opts.requestTimeout / 4))) : 30_000
      const server = createServer({ ...opts.http, connectionsCheckingInterval: checking }, (req, res) => {
        if (fast !== null) {
          try {
            if (fast(req, res)) return
          } catch (err) {
            app.log.error({ err }, 'fast lookup failed')
            if (res.headersSent) return void res.destroy()
          }
        }
        handler(req, res)
      })
      server.keepAliveTimeout = opts.keepAliveTimeout
      server.requestTimeout = opts.requestTimeout
      server.setTimeout(opts.connectionTimeout)
      if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket
      return server
    },
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    connectionTimeout: options.connectionTimeoutMs ?? 0,
    requestTimeout: options.requestTimeoutMs ?? 0,
    // While closing, requests still arriving on open connections are served (with
    // Connection: close) rather than refused with Fastify's own non-problem 503.
    return503OnClosing: false,
    frameworkErrors,
    // Path parameters up to 1,000 characters reach the route's schema, which names the parameter
    // and its limit (an employee number of 150 characters is a 400 about employeeNo, not the router's 414).
    routerOptions: { maxParamLength: 1000 },
    // A request Node's HTTP parser cannot read (raw bytes outside ASCII in the URL, say) gets a problem too.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return socket.destroy(err)
      const code = (err as NodeJS.ErrnoException).code ?? ''
      const problem: ProblemCode = code === 'HPE_HEADER_OVERFLOW' ? 'header-fields-too-large' : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request-timeout' : 'bad-request'
      const { status, title } = PROBLEMS[problem]
      const detail = problem === 'request-timeout' ? 'The request did not arrive whole within ZHIWANG_REQUEST_TIMEOUT_MS' : `The request could not be read (${code || err.message})`
      const body = JSON.stringify({ type: `/problems/${problem}`, title, status, detail })
      socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    },
  })
  installValidators(app)
  // Bodies are read as sent: a compressed one would be parsed as if it were plain (RFC 9110 §15.5.16: 415).
  app.addHook('onRequest', async (request) => {
    const coding = request.headers['content-encoding']
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity' && coding.trim() !== '') {
      throw new AppError('unsupported-media-type', `Content-Encoding ${JSON.stringify(coding)} is not read here; send the body uncompressed`)
    }
  })
  // onRequest hooks run in this order: shed load first, then CORS preflights (which carry
  // no key), then the key check; rate limits follow as route hooks (after the principal is known).
  if (options.backPressure) await app.register(backPressure, options.backPressure)
  await app.register(cors, { origins: options.corsOrigins ?? [] })
  await app.register(securityHeaders, { basemapStyle: options.console?.basemapStyle })
  await app.register(lifecycle)
  // A native route without query parameters of its own takes none: `?limit=3` there is a 400 naming
  // limit (validators.ts), as on every route with some, not an answer that silently ignores it.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/')) return
    const schema = (route.schema ??= {})
    schema.querystring ??= { type: 'object', properties: {}, additionalProperties: false }
  })
  // Before any route, so that its onRoute hook sees (and checks the roles of) every route.
  const limits = options.rateLimit
  // Failed keys count against the keyless limit of their address (they never reach the rate limiter: 401 comes first).
  const badKeys = limits && limits.max > 0 ? { max: limits.max, windowMs: limits.windowMs ?? 60_000, allowList: limits.allowList } : undefined
  await app.register(auth, { db: options.db, keyCacheTtlMs: options.keyCacheTtlMs, badKeys })
  if (options.rateLimit) await app.register(rateLimit, options.rateLimit)
  // Before any route too: the API description is made from every route's schema.
  await app.register(openapi)
  await app.register(problems)
  await app.register(jsonBody)
  await app.register(healthRoutes, { db: options.db })
  await app.register(consoleRoute, options.console ?? {})
  const lookup = new LookupService(options.db, (msg, level = 'info') => app.log[level](msg))
  app.decorate('lookup', lookup)
  app.addHook('onClose', async () => lookup.stop())
  await app.register(unitRoutes, {
    db: options.db,
    importBodyLimit: options.importBodyLimit ?? 64 * 1024 * 1024,
    // A new generation: the import answers once lookups answer from it (as a publish does), so a
    // caller's next lookup sees what it imported; storing the index's cells goes on in the background.
    // A failed build is logged, not the import's failure: the generation is stored, and the poll retries.
    onPublished: () => lookup.changed().catch((err) => app.log.error({ err }, 'lookup index rebuild failed')),
  })
  await app.register(lookupRoutes, { db: options.db, lookup })
  await app.register(administratorRoutes, { db: options.db, lookup })
  await app.register(coverageRoutes, { db: options.db })
  await app.register(keyRoutes, { db: options.db })
  await app.register(auditRoutes, { db: options.db })
  await app.register(incidentRoutes, { db: options.db, lookup })
  await app.register(open311Routes, { prefix: '/open311/v2', db: options.db, lookup })
  await app.register(patrolRoutes, { db: options.db, lookup })
  await app.register(workloadRoutes, { db: options.db, lookup })
  await app.register(supervisionRoutes, { db: options.db, lookup })
  await app.register(analyticsH3Routes, { db: options.db, lookup, warm: options.warmAnalytics ?? false })
  await app.register(analyticsSeriesRoutes, { db: options.db })
  await app.register(tileRoutes, { db: options.db })
  await app.register(planRoutes, { db: options.db, lookup })
  await app.register(ogcRoutes, { db: options.db })
  app.decorate('fastLookup', null)
  app.fastLookup = fast = fastLookup({
    lookup,
    accessLog: () => (app.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? false,
    log: app.log,
    requestId,
    knownKey: (secret) => app.keyCache.peek(hashSecret(secret)),
    draining: () => app.lifecycle.draining,
    underPressure: options.backPressure ? () => app.isUnderPressure() : () => false,
    rateLimit: options.rateLimit,
    trustProxy: options.trustProxy ?? false,
    corsConfigured: (options.corsOrigins ?? []).length > 0,
  })
  return app
}

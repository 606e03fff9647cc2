/**
 * Rate limits on keyless requests: each client address (an IPv6 client by
 * its /64) gets `max` requests per window across the public routes, then 429
 * problem+json with `Retry-After`. Callers presenting a valid key are counted
 * per key against `keyedMax`, or not at all when it is 0: a key is already
 * accountable, and imports, bulk intake and analytics are theirs.
 *
 * The counter runs after the auth plugin's onRequest hook (route-level hooks
 * follow global ones), so a request's principal is known; a keyless request
 * to a keyed route never gets here (401 first), and neither does a bad key.
 * Health checks, problem descriptions, the API description and the console's
 * own files are not counted: a page load must not cost a visitor their quota.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors.ts'

export interface RateLimitOptions {
  /** Keyless requests per address and window (0: keyless requests are not limited). */
  max: number
  /** Window length in ms (default one minute). */
  windowMs?: number
  /** Requests per key and window for keyed callers; 0 or absent: keyed callers are not limited. */
  keyedMax?: number
  /** Client addresses never limited (e.g. loopback for local tools and benchmarks). */
  allowList?: readonly string[]
}

/** Routes never counted: liveness and readiness probes, problem types, the docs, the console page and its files. */
export const RATE_LIMIT_EXEMPT = /^\/(health|problems\/|docs|assets\/|console\/|$)/

async function limits(app: FastifyInstance, opts: RateLimitOptions) {
  const windowMs = opts.windowMs ?? 60_000
  const keyedMax = opts.keyedMax ?? 0
  const allowed = new Set((opts.allowList ?? []).map((ip) => normalizeIP(ip)))
  const keyed = (request: FastifyRequest) => request.principal.keyId !== null

  // Before the limiter's own onRoute hook: routes marked here get no counter at all,
  // so they pay nothing per request.
  app.addHook('onRoute', (route: RouteOptions) => {
    const publicRoute = route.config?.roles?.includes('public') ?? false
    if (RATE_LIMIT_EXEMPT.test(route.url) || (!publicRoute && keyedMax === 0) || (opts.max === 0 && keyedMax === 0)) {
      route.config = { ...route.config, rateLimit: false }
    } else if (route.config?.apiKeyParam) {
      // The key may be in the body (Open311): count once it is read, so that keyed callers count as keyed.
      route.config = { ...route.config, rateLimit: { hook: 'preValidation' } }
    }
  })

  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: windowMs,
    keyGenerator: (request) => (keyed(request) ? `key:${request.principal.keyId}` : normalizeIP(request.ip)),
    max: (request) => (keyed(request) ? keyedMax : opts.max),
    allowList: (request, key) => (keyed(request) ? keyedMax === 0 : opts.max === 0 || allowed.has(key)),
    errorResponseBuilder: (request, context) => {
      const who = keyed(request) ? `the key ${JSON.stringify(request.principal.name)}` : 'this address without an API key'
      return new AppError('too-many-requests', `${context.max} requests per ${seconds(windowMs)} are allowed for ${who}; retry in ${context.after}${keyed(request) ? '' : ', or send an API key'}`, {
        limit: context.max,
        windowSeconds: windowMs / 1000,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      })
    },
  })
}

const seconds = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`)

export default fp(limits, { name: 'rate-limit', dependencies: ['auth'] })

/**
 * Who may call what. Every request gets a `principal` (the key's role and
 * scope, or `public`); every route names the roles it admits in
 * `config: { roles }`, and a route that names none is refused when it is
 * registered, so no endpoint can be opened by forgetting. `/health*` and
 * `/problems/*` are public without saying so.
 *
 * Answers: no key where one is needed → 401 with `WWW-Authenticate: Bearer`;
 * an unknown, revoked or malformed key → 401 (on public routes too: a bad key
 * is a client bug, not a request to be anonymous); a role not admitted → 403.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { normalizeIP } from '@fastify/rate-limit'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { findKey, hashSecret } from './api-keys.ts'
import { KeyCache } from './key-cache.ts'
import { keyFromRequest, type KeySources } from './key-from-request.ts'
import { ANONYMOUS, type Principal } from './principal.ts'
import { EVERYONE } from './roles.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The roles that may call the route (`EVERYONE` for public reads). Required:
     * a route without it is refused. Typed loosely so plain string arrays fit;
     * an unknown role name is refused when the route is registered.
     */
    roles?: readonly string[]
    /**
     * Also take the key from `api_key` in the query string or body (Open311
     * GeoReport v2). The check then runs after the body is parsed, so keep
     * such routes' body limits small.
     */
    apiKeyParam?: boolean
  }
  interface FastifyRequest {
    principal: Principal
  }
  interface FastifyInstance {
    keyCache: KeyCache
    /** Every route with the roles it admits, in registration order. */
    routeRoles: readonly RouteRoles[]
  }
}

export interface RouteRoles {
  method: string
  url: string
  roles: readonly string[]
}

export interface AuthOptions {
  db: Db
  /** How long a presented key's lookup is remembered; 0 disables the cache. */
  keyCacheTtlMs?: number
  /**
   * Keys that fail (unknown, revoked) per client address and window: past
   * `max`, the address's requests with a key are refused with 429 before any
   * lookup until the window ends. Absent or max 0: not limited.
   */
  badKeys?: { max: number; windowMs: number; allowList?: readonly string[] }
}

const IMPLICITLY_PUBLIC = /^\/(health|problems\/)/
const REALM = 'Bearer realm="zhiwang"'

async function auth(app: FastifyInstance, opts: AuthOptions) {
  const cache = new KeyCache(opts.keyCacheTtlMs ?? 30_000)
  const failures = badKeyCounter(opts.badKeys)
  const routes: RouteRoles[] = []
  app.decorate('keyCache', cache)
  app.decorate('routeRoles', routes)
  app.decorateRequest('principal', null as unknown as Principal)
  app.addHook('onClose', async () => cache.clear())

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat()
    let roles = route.config?.roles
    if (roles === undefined && IMPLICITLY_PUBLIC.test(route.url)) {
      roles = EVERYONE
      route.config = { ...route.config, roles }
    }
    const where = `${methods.join(',')} ${route.url}`
    if (!Array.isArray(roles) || roles.length === 0) {
      throw new Error(`Route ${where} declares no roles: add config: { roles: [...] } (EVERYONE for a public read)`)
    }
    const unknown = roles.find((r) => !(EVERYONE as readonly string[]).includes(r))
    if (unknown !== undefined) throw new Error(`Route ${where} declares an unknown role: ${JSON.stringify(unknown)}`)
    for (const method of methods) routes.push({ method, url: route.url, roles })
    // Routes that take api_key from the query or body check it once the body is parsed;
    // only they carry this hook, so no other request pays for it.
    if (route.config?.apiKeyParam) route.preValidation = [...[route.preValidation ?? []].flat(), checkKeyParam]
  })

  // Callback style, not async: the common case (a public route, no key presented) is
  // decided synchronously, without a promise per request on the hot lookup path.
  app.addHook('onRequest', (request, reply, done) => {
    request.principal = ANONYMOUS
    const config = request.routeOptions.config
    if (config.apiKeyParam) return done() // checked in preValidation, once the body is parsed
    if (config.roles?.includes('public') && request.headers.authorization === undefined && request.headers['x-api-key'] === undefined) return done()
    admit(request, reply, {}).then(() => done(), done)
  })

  async function checkKeyParam(request: FastifyRequest, reply: FastifyReply) {
    await admit(request, reply, { query: true, body: true })
  }

  async function admit(request: FastifyRequest, reply: FastifyReply, sources: KeySources) {
    const roles = request.routeOptions.config.roles
    if (roles === undefined) {
      if (request.is404) return // the not-found handler answers; nothing to protect
      throw new Error(`Route ${request.method} ${request.routeOptions.url} has no roles`) // onRoute makes this unreachable
    }
    let secret: string | null
    try {
      secret = keyFromRequest(request, sources)
    } catch (err) {
      if (err instanceof AppError) reply.header('www-authenticate', `${REALM}, error="invalid_request"`)
      throw err
    }
    if (secret !== null) {
      // Guessing keys, or a client stuck on a revoked one: past the limit, no lookup at all
      // (a key this server already knows valid still passes: a shared address is not locked out).
      const known = cache.peek(hashSecret(secret))
      if (!known || known.revokedAt) failures.refuse(request, reply)
      try {
        request.principal = await principalFor(secret, reply)
      } catch (err) {
        if (err instanceof AppError && err.code === 'unauthorized') failures.count(request)
        throw err
      }
    }
    const principal = request.principal
    if (roles.includes(principal.role)) return

    const route = `${request.method} ${request.routeOptions.url}`
    if (principal.role === 'public') {
      reply.header('www-authenticate', REALM)
      throw new AppError('unauthorized', `${route} needs an API key with role ${anyOf(roles)}; send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"`, { requiredRoles: roles })
    }
    throw new AppError('forbidden', `${route} needs role ${anyOf(roles)}; the key ${JSON.stringify(principal.name)} has role ${principal.role}`, {
      requiredRoles: roles,
      role: principal.role,
    })
  }

  async function principalFor(secret: string, reply: FastifyReply): Promise<Principal> {
    const record = await cache.get(hashSecret(secret), () => findKey(opts.db, secret))
    const invalid = (detail: string) => {
      reply.header('www-authenticate', `${REALM}, error="invalid_token"`)
      return new AppError('unauthorized', detail)
    }
    if (!record) throw invalid(`The API key ${shown(secret)} is not valid: no such key was issued`)
    const { principal } = record
    if (record.revokedAt) throw invalid(`The API key ${shown(secret)} (${JSON.stringify(principal.name)}) was revoked at ${record.revokedAt.toISOString()}`)
    if (record.administratorActive === false) {
      throw new AppError('forbidden', `The API key ${JSON.stringify(principal.name)} belongs to administrator ${principal.administratorId}, who is no longer active`)
    }
    return principal
  }
}

/** Failed keys per client address (an IPv6 client by its /64) in fixed windows. */
function badKeyCounter(limit: AuthOptions['badKeys']) {
  const windows = new Map<string, { n: number; resetAt: number }>()
  const allowed = new Set((limit?.allowList ?? []).map((ip) => normalizeIP(ip)))
  const active = limit !== undefined && limit.max > 0
  const entry = (request: FastifyRequest) => {
    const ip = normalizeIP(request.ip)
    if (allowed.has(ip)) return null
    const now = Date.now()
    let w = windows.get(ip)
    if (!w || w.resetAt <= now) {
      if (windows.size >= 100_000) for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k)
      windows.set(ip, (w = { n: 0, resetAt: now + limit!.windowMs }))
    }
    return w
  }
  return {
    refuse(request: FastifyRequest, reply: FastifyReply) {
      if (!active) return
      const w = entry(request)
      if (!w || w.n < limit!.max) return
      const after = Math.max(1, Math.ceil((w.resetAt - Date.now()) / 1000))
      reply.header('retry-after', String(after))
      throw new AppError('too-many-requests', `${w.n} requests from this address presented a key that is not valid; keys are not checked for it for another ${after} s`, {
        limit: limit!.max,
        windowSeconds: Math.round(limit!.windowMs / 1000),
      })
    },
    count(request: FastifyRequest) {
      if (!active) return
      const w = entry(request)
      if (w) w.n++
    },
  }
}

/** Enough of a presented key to recognise it in a message, never the whole secret. */
const shown = (secret: string) => JSON.stringify(`${secret.slice(0, Math.min(8, Math.floor(secret.length / 4)))}…`)

function anyOf(roles: readonly string[]): string {
  return roles.length === 1 ? roles[0]! : `${roles.slice(0, -1).join(', ')} or ${roles.at(-1)}`
}

export default fp(auth, { name: 'auth' })

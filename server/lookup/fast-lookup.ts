/**
 * The plainest single lookup, `GET /api/v1/lookup?lon=…&lat=…` from a caller
 * that no per-request policy applies to, answered straight from Node's HTTP
 * server, before Fastify's routing, hooks and validation. It is the request
 * other systems send all day; Fastify's per-request machinery cost more CPU
 * than the lookup itself (bench:lookup, single GET).
 *
 * The short path answers with exactly what the Fastify route would send (the
 * same body bytes and headers, tests/lookup/fast-lookup.test.ts compares them)
 * and takes a request only when nothing else could change that answer:
 * - GET, path exactly /api/v1/lookup, a query of exactly `lon` and `lat`, each
 *   a plain decimal (no sign other than '-', no exponent, no escapes) in range;
 *   any other parameter (at, crs, nearest, fields), any malformed value → Fastify;
 * - no key presented, or a key (Authorization: Bearer, X-API-Key) that a
 *   request through Fastify has already found valid and that is still
 *   remembered (the key cache): not revoked, its administrator active. An
 *   unknown, expired or odd key goes to Fastify, which checks it (and caches
 *   it for the next request). The answer does not depend on who asks;
 * - not rate limited: limits off, or the peer address on the allow-list, and
 *   no proxy trusted (the client address would come from X-Forwarded-For); a
 *   keyed caller when keys have no limit of their own;
 * - no Origin header when CORS is configured (Vary: Origin is still added);
 * - not draining (Connection: close), not shedding load (503);
 * - with the access log on (LOG_LEVEL info or below), no proxy trusted (the
 *   logged address would come from X-Forwarded-For): the short path then logs
 *   Fastify's two lines itself, 'incoming request' and 'request completed',
 *   with a request id from the same counter as Fastify's;
 * - the current index is ready, and the point is in a grid or the generation
 *   is known to have no gaps (otherwise the community and town covering a
 *   point outside every grid come from PostGIS, asked once per generation).
 * Everything else goes to Fastify unchanged.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { normalizeIP } from '@fastify/rate-limit'
import type { KeyRecord } from '../auth/api-keys.ts'
import { API_CSP } from '../plugins/security-headers.ts'
import { singleHead, singleRest } from './answers.ts'
import type { LookupService } from './lookup-service.ts'

export interface FastLookupOptions {
  lookup: LookupService
  /** Whether Fastify would log this request (its access log runs at info). */
  accessLog: () => boolean
  /** Where Fastify logs, and its request ids: a logged request is logged as Fastify would. */
  log?: { info(obj: object, msg: string): void }
  requestId?: () => string
  draining: () => boolean
  /** True while the back-pressure plugin refuses requests. */
  underPressure: () => boolean
  /** Keyless callers' limit; absent or max 0: none. keyedMax > 0: keyed callers have a limit of their own. */
  rateLimit?: { max: number; allowList?: readonly string[]; keyedMax?: number }
  /** A presented key's record when a lookup of it has answered and is still cached (KeyCache.peek). */
  knownKey?: (secret: string) => KeyRecord | undefined
  trustProxy: boolean | string
  corsConfigured: boolean
}

/** True when it answered the request; `served` counts those answers. */
export type FastHandler = ((req: IncomingMessage, res: ServerResponse) => boolean) & { served: number }

const PATH = '/api/v1/lookup?'
/** As the auth plugin reads Authorization (auth/key-from-request.ts). */
const BEARER = /^\s*Bearer\s+(\S+)\s*$/i
/** A plain decimal as clients write coordinates: what Number() reads exactly as Ajv's coercion would. */
const PLAIN_DECIMAL = /^-?\d{1,3}(\.\d{1,20})?$/

export function fastLookup(opts: FastLookupOptions): FastHandler {
  const limited = opts.rateLimit !== undefined && opts.rateLimit.max > 0
  const allowed = new Set((opts.rateLimit?.allowList ?? []).map((ip) => normalizeIP(ip)))
  // Whether a connection's peer is exempt from the keyless limit: decided once per socket.
  const exempt = new WeakMap<Socket, boolean>()
  const peerExempt = (socket: Socket) => {
    let yes = exempt.get(socket)
    if (yes === undefined) exempt.set(socket, (yes = socket.remoteAddress !== undefined && allowed.has(normalizeIP(socket.remoteAddress))))
    return yes
  }
  if (opts.trustProxy !== false && limited) return Object.assign(() => false, { served: 0 })

  const keysLimited = limited && (opts.rateLimit?.keyedMax ?? 0) > 0
  /** A key presented as the auth plugin reads it, known valid; anything else is Fastify's to answer. */
  const validKey = (h: IncomingHttpHeaders): boolean => {
    if (opts.knownKey === undefined || keysLimited) return false
    let secret: string | undefined
    if (h.authorization !== undefined) secret = BEARER.exec(h.authorization)?.[1]
    else if (typeof h['x-api-key'] === 'string') secret = h['x-api-key'].trim()
    if (secret === undefined || secret === '') return false
    const record = opts.knownKey(secret)
    return record !== undefined && record.revokedAt === null && record.administratorActive !== false
  }

  const headers = (length: number): Record<string, string | number> => ({
    'content-type': 'application/json; charset=utf-8',
    ...(opts.corsConfigured ? { vary: 'Origin' } : {}),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': API_CSP,
    'referrer-policy': 'no-referrer',
    'content-length': length,
  })

  const handler: FastHandler = Object.assign((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PATH)) return false
    const h = req.headers
    if (opts.corsConfigured && h.origin !== undefined) return false
    const keyed = h.authorization !== undefined || h['x-api-key'] !== undefined
    if (keyed && !validKey(h)) return false
    const amp = url.indexOf('&', PATH.length)
    if (amp < 0 || url.indexOf('&', amp + 1) >= 0) return false
    const first = url.slice(PATH.length, amp)
    const second = url.slice(amp + 1)
    const [lonPart, latPart] = first.startsWith('lon=') ? [first, second] : [second, first]
    if (!lonPart.startsWith('lon=') || !latPart.startsWith('lat=')) return false
    const lonText = lonPart.slice(4)
    const latText = latPart.slice(4)
    if (!PLAIN_DECIMAL.test(lonText) || !PLAIN_DECIMAL.test(latText)) return false
    const lon = Number(lonText)
    const lat = Number(latText)
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return false
    if (limited && !keyed && !peerExempt(req.socket)) return false
    if (opts.draining() || opts.underPressure()) return false
    const logging = opts.accessLog()
    if (logging && (opts.log === undefined || opts.requestId === undefined || opts.trustProxy !== false)) return false
    const ix = opts.lookup.ready
    if (ix === null) return false
    const g = ix.index.lookup(lon, lat)
    if (g < 0 && ix.gaps.uncovered !== false) return false // the community and town covering it come from PostGIS: Fastify's route
    // The point is ASCII and the rest was measured once: no pass over the text to count its UTF-8 bytes.
    const head = singleHead(lon, lat)
    const rest = singleRest(ix, g, ix.index.onBoundary)
    if (!logging) {
      res.writeHead(200, headers(head.length + rest.bytes))
      res.end(head + rest.text)
      handler.served++
      return true
    }
    // The lines Fastify logs (lib/log-controller.js), through the same serializers.
    const started = performance.now()
    const reqId = opts.requestId!()
    opts.log!.info({ reqId, req: { method: 'GET', url, ip: req.socket.remoteAddress, host: h.host, headers: h, socket: req.socket } }, 'incoming request')
    res.writeHead(200, headers(head.length + rest.bytes))
    res.end(head + rest.text)
    handler.served++
    opts.log!.info({ reqId, res: { statusCode: 200 }, responseTime: performance.now() - started }, 'request completed')
    return true
  }, { served: 0 })
  return handler
}

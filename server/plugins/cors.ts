/**
 * CORS for an allow-list of origins (ZHIWANG_CORS_ORIGINS): a browser page
 * from one of them may call the API, with its key in a header; any other
 * origin gets no CORS headers, so its browser keeps the answer from it. No
 * credentials mode: keys travel in headers, never in cookies.
 *
 * Preflights are answered in onRequest, before the auth plugin (a preflight
 * carries no key) and whether or not a route exists for OPTIONS.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface CorsOptions {
  /** Exact origins (`https://ops.example.gov.cn`); empty: no cross-origin access. */
  origins: readonly string[]
}

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'
const ALLOW_HEADERS = 'Authorization, X-API-Key, Content-Type, If-None-Match, If-Match'
/** Answer headers a page may read besides the CORS-safelisted ones. */
const EXPOSE_HEADERS = 'ETag, Location, Retry-After, X-Generation, Zhiwang-Params, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset'
const PREFLIGHT_MAX_AGE_S = '600'

/** The origin as browsers send it; throws on anything else, naming the value. */
export function checkOrigin(value: string): string {
  let origin: string | null = null
  try {
    origin = new URL(value).origin
  } catch {
    // reported below
  }
  if (origin === null || origin === 'null' || origin !== value.replace(/\/$/, '')) {
    throw new Error(`Unexpected CORS origin value: ${JSON.stringify(value)}; expected scheme://host[:port], e.g. https://ops.example.org`)
  }
  return origin
}

async function cors(app: FastifyInstance, opts: CorsOptions) {
  const allowed = new Set(opts.origins.map(checkOrigin))
  if (allowed.size === 0) return

  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin
    if (origin === undefined || !allowed.has(origin)) return done()
    reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSE_HEADERS)
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return done()
    reply
      .code(204)
      .header('access-control-allow-methods', ALLOW_METHODS)
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
      .send()
  })

  // The answer depends on Origin: say so to caches, whatever Vary a route set.
  app.addHook('onSend', (_request, reply, payload, done) => {
    const vary = reply.getHeader('vary')
    const list = vary === undefined ? [] : String(vary).split(',').map((s) => s.trim())
    if (!list.some((v) => v.toLowerCase() === 'origin' || v === '*')) reply.header('vary', [...list, 'Origin'].filter(Boolean).join(', '))
    done(null, payload)
  })
}

export default fp(cors, { name: 'cors' })

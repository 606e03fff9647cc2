/**
 * Security headers on every answer. API answers (JSON, tiles, CSV, problems)
 * get a CSP that allows nothing, so a response rendered as a page by mistake
 * can run nothing and be framed by nobody. The console's page and scripts get
 * a policy MapLibre can live with: its worker is a same-origin module (which
 * the worker's own response's CSP then governs, hence scripts too), images
 * and tiles are decoded through blob: URLs, WebGL needs nothing, and the
 * panels set styles. A route may set its own policy (the docs page does).
 *
 * With a basemap style configured, the style's tiles, sprites and glyphs come
 * from hosts only the style knows, so the console may then reach any https:
 * host for data and images; without one it reaches nothing but this server.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface SecurityHeadersOptions {
  /** The console's basemap style URL, if any (see server/health/console-route.ts). */
  basemapStyle?: string | null
}

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

export function consoleCsp(basemapStyle: string | null): string {
  const outside = basemapStyle && URL.canParse(basemapStyle) ? ` ${new URL(basemapStyle).origin} https:` : ''
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    `connect-src 'self'${outside}`,
    `img-src 'self' data: blob:${outside}`,
    "style-src 'self' 'unsafe-inline'",
    `font-src 'self' data:${outside}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Pages and the scripts they run (a worker takes the CSP of its own script's answer). */
const CONSOLE_TYPES = /^(text\/html|text\/javascript|application\/javascript)/

async function securityHeaders(app: FastifyInstance, opts: SecurityHeadersOptions) {
  const forConsole = consoleCsp(opts.basemapStyle ?? null)
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff').header('x-frame-options', 'DENY')
    const page = CONSOLE_TYPES.test(String(reply.getHeader('content-type') ?? ''))
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', page ? forConsole : API_CSP)
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', page ? 'strict-origin-when-cross-origin' : 'no-referrer')
    if (page) reply.header('cross-origin-opener-policy', 'same-origin')
    done(null, payload)
  })
}

export default fp(securityHeaders, { name: 'security-headers' })

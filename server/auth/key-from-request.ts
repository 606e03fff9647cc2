import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.ts'

export interface KeySources {
  /** Also accept `?api_key=` (Open311 GeoReport v2). Keys in URLs end up in access logs: only where a standard demands it. */
  query?: boolean
  /** Also accept `api_key` in a parsed body (Open311 POST service requests). */
  body?: boolean
}

/**
 * The API key a request presents, or null when it presents none:
 * `Authorization: Bearer <key>` or `X-API-Key: <key>` and, when asked for,
 * `api_key` in the query string or the body. An Authorization header with
 * another scheme is an error rather than no key, so that a client sending
 * Basic credentials learns why it is refused.
 */
export function keyFromRequest(request: FastifyRequest, sources: KeySources = {}): string | null {
  const authorization = request.headers.authorization
  if (authorization !== undefined) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (!m) throw new AppError('unauthorized', 'Unexpected Authorization header: send "Authorization: Bearer <key>" or "X-API-Key: <key>"')
    return m[1]!
  }
  const header = request.headers['x-api-key']
  const fromHeader = Array.isArray(header) ? header[0] : header
  if (fromHeader !== undefined && fromHeader.trim() !== '') return fromHeader.trim()
  if (sources.query) {
    const v = (request.query as Record<string, unknown> | undefined)?.api_key
    if (typeof v === 'string' && v !== '') return v
  }
  if (sources.body) {
    const body = request.body
    const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).api_key : undefined
    if (typeof v === 'string' && v !== '') return v
  }
  return null
}

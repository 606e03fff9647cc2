/**
 * GeoReport v2 errors: 404 for a missing resource, 403 for a missing or bad
 * api_key, 429/503 when the client should retry later, 413 for a body over the
 * limit (HTTP's own answer, as on every other route), 400 for anything else, each answered as a list of
 * `{code, description}` so that several problems can be reported at once.
 * Errors from elsewhere (the auth plugin's 401/403, a body parser's 413/415,
 * a schema) are translated here, at the edge of the Open311 routes.
 */
import type { FastifyError } from 'fastify'
import { AppError } from '../errors.ts'

export type GeoReportStatus = 400 | 403 | 404 | 405 | 413 | 429 | 500 | 503

export class GeoReportError extends Error {
  constructor(
    readonly status: GeoReportStatus,
    readonly descriptions: readonly string[],
  ) {
    super(descriptions.join('; '))
    this.name = 'GeoReportError'
  }

  /** The spec's error list; `code` repeats the HTTP status, as the spec's examples do. */
  toList(): { code: number; description: string }[] {
    return this.descriptions.map((description) => ({ code: this.status, description }))
  }
}

export function toGeoReportError(err: FastifyError | Error): GeoReportError {
  if (err instanceof GeoReportError) return err
  if (err instanceof AppError) {
    // Too many requests and temporary unavailability keep their status: clients retry those (Retry-After).
    if (err.code === 'too-many-requests') return new GeoReportError(429, [err.message])
    if (err.code === 'service-unavailable') return new GeoReportError(503, [err.message])
    if (err.code === 'unauthorized' || err.code === 'forbidden') return new GeoReportError(403, [err.message])
    if (err.code === 'not-found') return new GeoReportError(404, [err.message])
    if (err.code === 'payload-too-large') return new GeoReportError(413, [err.message])
    if (err.status < 500) return new GeoReportError(400, [err.message])
  }
  const fastifyError = err as FastifyError
  if (fastifyError.validation) {
    return new GeoReportError(400, fastifyError.validation.map((v) => `${fastifyError.validationContext ?? 'request'}${v.instancePath} ${v.message ?? 'is invalid'}`))
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 404) return new GeoReportError(404, [err.message])
  if (status === 413 || status === 429 || status === 503) return new GeoReportError(status, [err.message])
  if (status >= 400 && status < 500) {
    const hint = fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? '; send application/x-www-form-urlencoded' : ''
    return new GeoReportError(400, [`${err.message}${hint}`])
  }
  return new GeoReportError(500, ['The server failed to answer this request; the failure was logged'])
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, PROBLEMS, type ProblemCode } from '../errors.ts'
import { setNotFoundOrNotAllowed } from './method-not-allowed.ts'
import { MOMENT_PATTERN, PARENT_PATTERN } from '../analytics/period-scope.ts'
import { NAME_PATTERN, NAME_RULE } from './display-name.ts'

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

/** Filters spelt one way on some routes and the other way on others: the incident list's singular, the analytics' plural. */
const OTHER_SPELLING: Record<string, string> = { category: 'categories', categories: 'category', channel: 'channels', channels: 'channel' }

/** ", this route names it X" when the refused parameter is another route's spelling of one this route takes. */
function spelledHere(request: FastifyRequest, context: string | undefined, name: string): string {
  const other = OTHER_SPELLING[name]
  const schema = context === 'querystring' ? (request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined) : undefined
  return other && schema?.properties?.[other] ? `; this route names it ${JSON.stringify(other)}` : ''
}

/** Shapes of values the schemas check by pattern, in words: a caller should not have to read a regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  [MOMENT_PATTERN]: 'must be a date (2025-01-01) or a date-time with offset (2025-01-01T08:00:00+08:00)',
  [PARENT_PATTERN]: 'must be the code of the city (6 digits), a town (9) or a community (12)',
  [NAME_PATTERN]: NAME_RULE,
}

/** Ajv's message, with the allowed values named and known patterns in words. */
function plainMessage(v: { keyword: string; message?: string; params?: Record<string, unknown> }, consts: unknown[] = []): string {
  const p = v.params ?? {}
  const oneOf = (values: unknown[]) => (values.length === 1 ? `must be ${JSON.stringify(values[0])}` : `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`)
  if (v.keyword === 'enum' && Array.isArray(p.allowedValues)) return oneOf(p.allowedValues)
  // A union of constants (TypeBox's Union of Literals) fails once per constant: name them all.
  if (v.keyword === 'const' && 'allowedValue' in p) return oneOf(consts.length > 0 ? consts : [p.allowedValue])
  if (v.keyword === 'pattern' && typeof p.pattern === 'string' && PATTERN_WORDS[p.pattern]) return PATTERN_WORDS[p.pattern]!
  return v.message ?? 'is invalid'
}

/** Maps any error thrown by a route, a schema or the body parser to problem+json. */
function toAppError(err: FastifyError, request: FastifyRequest): AppError {
  if (err instanceof AppError) return err
  if (err.validation) {
    const consts = new Map<string, unknown[]>()
    for (const v of err.validation) if (v.keyword === 'const') consts.set(v.instancePath, [...(consts.get(v.instancePath) ?? []), v.params?.allowedValue])
    const errors = err.validation.map((v) => ({
      where: `${err.validationContext ?? 'request'}${v.instancePath || ''}`,
      message: v.keyword === 'additionalProperties' ? `must not have additional properties: ${JSON.stringify(v.params?.additionalProperty)} is not taken here${spelledHere(request, err.validationContext, String(v.params?.additionalProperty))}` : plainMessage(v, consts.get(v.instancePath)),
      ...(v.params && Object.keys(v.params).length ? { params: v.params } : {}),
    }))
    const first = errors[0]!
    return new AppError('invalid-parameter', `${first.where} ${first.message}`, { errors })
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(request)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('malformed-json', 'The body is empty; a JSON document was expected')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('bad-request', err.message)
  }
  // PostgreSQL's data exceptions (SQLSTATE class 22: a date out of its range, a number too large for its
  // column…) come from values a request sent that the checks before it let through: the request is wrong.
  if (typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code)) {
    return new AppError('invalid-parameter', `A value is outside what the database can hold: ${err.message}`)
  }
  // Deadlock or serialization failure: another writer touched the same rows at the same moment and
  // PostgreSQL rolled this transaction back whole. Nothing was stored; the same request can be sent again.
  if (err.code === '40P01' || err.code === '40001') {
    return new AppError('conflict', 'Another change to the same records ran at the same moment; this request was rolled back whole and nothing of it was stored. Send it again', { retry: true })
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON') {
    return new AppError('malformed-json', `The body is not valid JSON: ${err.message}`)
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    const code = (Object.keys(PROBLEMS) as ProblemCode[]).find((c) => PROBLEMS[c].status === status) ?? 'bad-request'
    return new AppError(code, err.message)
  }
  return new AppError('internal', 'The server failed to answer this request; the failure was logged')
}

/** Routes that read any size as a stream of rows (NDJSON or CSV) at the same URL. */
const STREAMING = new Set(['/api/v1/lookup/batch', '/api/v1/incidents/bulk'])

/** A 413 that states the route's limit and the way out. */
function payloadTooLarge(request: FastifyRequest): AppError {
  const url = request.routeOptions.url ?? request.url.split('?')[0]!
  const limit = request.routeOptions.bodyLimit
  const way = STREAMING.has(url) ? 'send it as NDJSON or CSV to the same URL, which streams any size' : 'split it into smaller requests'
  return new AppError('payload-too-large', `The body is larger than the ${limit ? `${limit.toLocaleString('en')}-byte ` : ''}limit of ${request.method} ${url}; ${way}`, limit ? { limit } : {})
}

/** A 415 that names the type sent and, from the API description, the types the route reads. */
function unsupportedMediaType(request: FastifyRequest): AppError {
  const sent = request.headers['content-type'] ?? '(none)'
  const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`
  let accepted: string[] = []
  try {
    type Paths = Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>
    const server = request.server as unknown as { swagger?: () => { paths?: Paths } }
    const path = (request.routeOptions.url ?? '').replace(/:(\w+)/g, '{$1}')
    accepted = Object.keys(server.swagger?.().paths?.[path]?.[request.method.toLowerCase()]?.requestBody?.content ?? {})
  } catch {
    // No API description (a test app without it): the answer just names what was sent.
  }
  return new AppError('unsupported-media-type', `${route} does not read a body of type ${JSON.stringify(sent)}${accepted.length ? `; send ${accepted.join(', ')}` : ''}`, { contentType: sent, ...(accepted.length ? { accepted } : {}) })
}

/** Problem documents for what Fastify answers before any route or hook runs (a URL it cannot decode). */
export const frameworkErrors = (err: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
  sendProblem(reply, request, new AppError('bad-request', `${err.message}: the URL must be valid percent-encoded UTF-8`))

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  return reply.code(error.status).type(PROBLEM_TYPE).send(error.toProblem(request.url))
}

async function problems(app: FastifyInstance) {
  // Built at the first 404, when every route is registered.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appError = toAppError(err, request)
    if (appError.status >= 500) request.log.error({ err }, 'request failed')
    // A 503 that knows when to come back (the database went away: server/db/pg-client.ts) says so.
    const retryAfter = appError.extensions.retryAfterSeconds
    if (typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter))
    return sendProblem(reply, request, appError)
  })

  setNotFoundOrNotAllowed(app, (request, reply, path, allowed) =>
    sendProblem(reply, request, allowed.length > 0
      ? new AppError('method-not-allowed', `${path} takes ${allowed.join(', ')}, not ${request.method}`, { allow: allowed })
      : new AppError('not-found', `No route ${request.method} ${path}`)))

  // Each problem type URI resolves to a short description of it.
  app.get<{ Params: { code: string } }>('/problems/:code', async (request) => {
    const code = request.params.code as ProblemCode
    if (!(code in PROBLEMS)) throw new AppError('not-found', `No problem type ${JSON.stringify(code)}`)
    return { type: `/problems/${code}`, ...PROBLEMS[code] }
  })
}

export default fp(problems, { name: 'problems' })

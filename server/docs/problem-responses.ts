/**
 * The error answers of the API description: one shared response per status,
 * each an RFC 9457 problem document whose example comes from the server's
 * own catalogue (server/errors.ts), and which of them an operation can give.
 */
import { PROBLEMS, type ProblemCode } from '../errors.ts'
import { RATE_LIMIT_EXEMPT } from '../plugins/rate-limit.ts'

const PROBLEM_TYPE = 'application/problem+json'

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `type` is /problems/<code>, which the server describes',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  additionalProperties: true,
}

const SHARED: Record<string, { code: ProblemCode; description: string; detail: string; headers?: Record<string, object> }> = {
  BadRequest: { code: 'invalid-parameter', description: 'A parameter or the body is invalid; `errors` names each one', detail: 'querystring/lat must be <= 90' },
  Unauthorized: { code: 'unauthorized', description: 'No key where one is needed, or an unknown or revoked key (also on public routes)', detail: 'The API key "3kQ9…" is not valid: no such key was issued' },
  Forbidden: { code: 'forbidden', description: 'The key\'s role is not admitted here', detail: 'GET /api/v1/audit needs role admin; the key "ops" has role analyst' },
  NotFound: { code: 'not-found', description: 'No such resource', detail: 'No unit with id "441900003001099"' },
  PayloadTooLarge: { code: 'payload-too-large', description: 'The body is over the route\'s limit', detail: 'The body is larger than the 1,048,576-byte limit of POST /api/v1/plans; split it into smaller requests' },
  UnsupportedMediaType: { code: 'unsupported-media-type', description: 'The body\'s media type is not one the route reads', detail: 'Unsupported Media Type: text/plain' },
  TooManyRequests: {
    code: 'too-many-requests',
    description: 'Too many requests without a key from this address; wait `Retry-After` seconds or send a key',
    detail: '1200 requests per 1 min are allowed for this address without an API key; retry in 42 seconds, or send an API key',
    headers: { 'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } } },
  },
  ServiceUnavailable: {
    code: 'service-unavailable',
    description: 'Overloaded (retry after `Retry-After` seconds) or shutting down',
    detail: 'The server is overloaded (event loop 1250 ms behind, limit 1000 ms); retry in 5 s',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  },
}

export const PROBLEM_RESPONSES = {
  schemas: { Problem: problemSchema },
  responses: Object.fromEntries(
    Object.entries(SHARED).map(([name, p]) => [
      name,
      {
        description: p.description,
        ...(p.headers ? { headers: p.headers } : {}),
        content: {
          [PROBLEM_TYPE]: {
            schema: { $ref: '#/components/schemas/Problem' },
            example: { type: `/problems/${p.code}`, title: PROBLEMS[p.code].title, status: PROBLEMS[p.code].status, detail: p.detail },
          },
        },
      },
    ]),
  ),
}

const ref = (name: keyof typeof SHARED) => ({ $ref: `#/components/responses/${name}` })

interface OperationShape {
  parameters?: { in: string }[]
  requestBody?: unknown
  'x-roles'?: readonly string[]
}

/** The problem answers an operation can give, by status. Open311 answers errors in its own format. */
export function problemRefs(path: string, op: OperationShape): Record<string, object> {
  if (path.startsWith('/open311/')) {
    return { default: { description: 'GeoReport v2 error list: [{"code": 400, "description": "…"}] (JSON or XML as the format asks)' } }
  }
  const isPublic = op['x-roles']?.includes('public') ?? false
  const out: Record<string, object> = {}
  if ((op.parameters?.length ?? 0) > 0 || op.requestBody) out['400'] = ref('BadRequest')
  out['401'] = ref('Unauthorized')
  if (!isPublic) out['403'] = ref('Forbidden')
  if (op.parameters?.some((p) => p.in === 'path')) out['404'] = ref('NotFound')
  if (op.requestBody) {
    out['413'] = ref('PayloadTooLarge')
    out['415'] = ref('UnsupportedMediaType')
  }
  if (isPublic && !RATE_LIMIT_EXEMPT.test(path)) out['429'] = ref('TooManyRequests')
  out['503'] = ref('ServiceUnavailable')
  return out
}

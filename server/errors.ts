/**
 * One catalogue of errors. Every error the API returns is an RFC 9457
 * `application/problem+json` document whose `type` is `/problems/<code>`; the
 * server serves a short description of each code there.
 */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  'malformed-json': { status: 400, title: 'Malformed JSON body' },
  'invalid-parameter': { status: 400, title: 'Invalid request parameters' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  forbidden: { status: 403, title: 'Not allowed for this role' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'precondition-required': { status: 428, title: 'Precondition required' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'import-rejected': { status: 422, title: 'Import rejected: nothing was stored' },
  'invalid-geojson': { status: 422, title: 'Invalid GeoJSON' },
  'invalid-track': { status: 422, title: 'Invalid patrol track' },
  'plan-rejected': { status: 422, title: 'Plan not publishable: nothing was published' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof PROBLEMS

export interface ProblemDocument {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  [extension: string]: unknown
}

export class AppError extends Error {
  readonly code: ProblemCode
  readonly status: number
  /** Extra members of the problem document (`errors`, `location`, …). */
  readonly extensions: Record<string, unknown>

  constructor(code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail)
    this.name = 'AppError'
    this.code = code
    this.status = PROBLEMS[code].status
    this.extensions = extensions
  }

  toProblem(instance?: string): ProblemDocument {
    // Extension members come first: none may stand in for a member RFC 9457 defines (a plan's "status" did).
    return {
      ...this.extensions,
      type: `/problems/${this.code}`,
      title: PROBLEMS[this.code].title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
    }
  }
}

export const notFound = (what: string, id: string) => new AppError('not-found', `No ${what} with id ${JSON.stringify(id)}`)

/**
 * Open311 GeoReport v2 at /open311/v2: services are incident categories,
 * service requests are incidents. Answers and errors follow the spec (XML or
 * JSON by extension, `[{code, description}]` errors with 400/403/404), not
 * the problem+json of the rest of the API.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { intakeIncidents, type IntakeResult } from '../incidents/intake.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { setNotFoundOrNotAllowed } from '../plugins/method-not-allowed.ts'
import { registerFormBody } from './form-body.ts'
import { GeoReportError, toGeoReportError } from './georeport-errors.ts'
import * as q from './queries.ts'
import { MAX_REQUESTS, readRequestFilter } from './request-filters.ts'
import { requestRecord, type RequestRow } from './request-records.ts'
import { formatOfUrl, isFormat, render, type Format } from './representation.ts'
import { attributeDefinitions, definitionRecord, serviceNotice, serviceRecord, type CategoryRow } from './service-definitions.ts'
import { readServiceRequest } from './service-request-input.ts'
import { formatW3c } from './w3c-datetime.ts'

/** The one jurisdiction served here; answers carry its UTC offset (China Standard Time, no daylight saving). */
export const JURISDICTION = { id: 'dongguan', utcOffsetMinutes: 480 } as const

/**
 * Categories of these classes are neither offered nor listed: Open311 reads
 * are anonymous, and their incidents are about people (persons under watch,
 * disputes, residents' registrations). Staff see them at /api/v1/incidents.
 */
export const CONFIDENTIAL_CLASSES: readonly string[] = ['public_security', 'population_housing']

/** Room for a 4000-character description percent-encoded as UTF-8, and the rest. */
const BODY_LIMIT = 64 * 1024

export interface Open311Options {
  db: Db
  lookup: LookupService
}

type WithFormat<P = object> = { Params: P & { format: string }; Querystring: Record<string, unknown> }

export default async function open311Routes(app: FastifyInstance, opts: Open311Options) {
  const { db, lookup } = opts
  const hidden = [...CONFIDENTIAL_CLASSES]
  const offset = JURISDICTION.utcOffsetMinutes
  registerFormBody(app, BODY_LIMIT)

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = toGeoReportError(err)
    if (error.status >= 500) request.log.error({ err }, 'request failed')
    return sendErrors(reply, formatOfUrl(request.url), error)
  })
  // A resource that exists, asked with a method it does not take (DELETE /requests/1.json): 405 with Allow, as HTTP says.
  setNotFoundOrNotAllowed(app, (request, reply, path, allowed) =>
    sendErrors(reply, formatOfUrl(request.url), allowed.length > 0
      ? new GeoReportError(405, [`${path} takes ${allowed.join(', ')}, not ${request.method}`])
      : new GeoReportError(404, [`No Open311 resource at ${request.method} ${path}`])))

  // Service discovery (the GeoReport companion spec): where the endpoint is, in which formats, and
  // whom to ask for a key. The changeset is when this server started serving it.
  const since = formatW3c(new Date(), 0)
  app.get<WithFormat>('/discovery.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    return render(reply, format, 'discovery', {
      changeset: since,
      contact: 'The city grid management centre (网格管理中心), which runs this Zhiwang server.',
      key_service: 'Keys to submit service requests (api_key) are issued by the administrators of this Zhiwang server (POST /api/v1/keys): any live key is taken; a citizen app is usually given one of role system.',
      endpoints: [{
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: `${request.protocol}://${request.host}${request.url.slice(0, request.url.indexOf('/discovery'))}`,
        changeset: since,
        type: 'production',
        formats: ['text/xml', 'application/json'],
      }],
    })
  })

  app.get<WithFormat>('/services.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    const { rows } = await db.query<CategoryRow>(q.SERVICES, [hidden])
    return render(reply, format, 'services', rows.map(serviceRecord))
  })

  app.get<WithFormat<{ code: string }>>('/services/:code.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    const service = await findService(request.params.code)
    if (!service) throw new GeoReportError(404, [`No service with service_code ${JSON.stringify(request.params.code)}`])
    return render(reply, format, 'service_definition', definitionRecord(service))
  })

  // The auth plugin reads api_key from the body or query string and refuses a bad one (→ 403 here); none at all is refused below.
  app.post<WithFormat>(
    '/requests.:format',
    { config: { roles: EVERYONE, apiKeyParam: true }, bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const body = request.body !== null && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {}
      const format = begin(request, body.jurisdiction_id ?? request.query.jurisdiction_id)
      if (request.principal.keyId === null) throw new GeoReportError(403, ['api_key is required to submit a service request'])
      const code = typeof body.service_code === 'string' ? body.service_code : null
      const category = code ? await findService(code) : null
      const service = category ? { code: category.code, attributes: attributeDefinitions(category.attributes) } : null
      const read = readServiceRequest(body, service, offset)
      if (!read.ok) throw new GeoReportError(400, read.errors)
      const [result] = await intakeIncidents(db, lookup, [read.input], request.principal.name)
      return render(reply, format, 'service_requests', [
        { service_request_id: result!.id, token: result!.token, service_notice: intakeNotice(category!, result!), account_id: read.accountId },
      ])
    },
  )

  app.get<WithFormat<{ token: string }>>('/tokens/:token.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    const row = (await db.query<{ id: number; token: string }>(q.REQUEST_BY_TOKEN, [request.params.token])).rows[0]
    if (!row) throw new GeoReportError(404, [`No service request with token ${JSON.stringify(request.params.token)}`])
    return render(reply, format, 'service_requests', [{ service_request_id: row.id, token: row.token }])
  })

  app.get<WithFormat>('/requests.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    const read = readRequestFilter(request.query, new Date(), offset)
    if (!read.ok) throw new GeoReportError(400, read.errors)
    const f = read.filter
    const { rows } = await db.query<RequestRow>(q.LIST_REQUESTS, [f.ids, f.codes, f.start, f.end, f.statuses, hidden, MAX_REQUESTS])
    return render(reply, format, 'service_requests', rows.map((r) => requestRecord(r, offset)))
  })

  app.get<WithFormat<{ id: string }>>('/requests/:id.:format', { config: { roles: EVERYONE } }, async (request, reply) => {
    const format = begin(request)
    const { id } = request.params
    const row = /^[1-9][0-9]{0,15}$/.test(id) ? (await db.query<RequestRow>(q.GET_REQUEST, [Number(id), hidden])).rows[0] : undefined
    if (!row) throw new GeoReportError(404, [`No service request with service_request_id ${JSON.stringify(id)}`])
    return render(reply, format, 'service_requests', [requestRecord(row, offset)])
  })

  /** The answer's format, once the URL's extension and the jurisdiction are known to be served here. */
  function begin(request: FastifyRequest<WithFormat>, jurisdiction: unknown = request.query.jurisdiction_id): Format {
    const { format } = request.params
    if (!isFormat(format)) throw new GeoReportError(404, [`No format ${JSON.stringify(format)}: ask for .xml or .json`])
    if (jurisdiction !== undefined && jurisdiction !== '' && jurisdiction !== JURISDICTION.id) {
      throw new GeoReportError(404, [`No jurisdiction_id ${JSON.stringify(jurisdiction)}: this endpoint serves ${JSON.stringify(JURISDICTION.id)}`])
    }
    return format
  }

  async function findService(code: string): Promise<CategoryRow | null> {
    return (await db.query<CategoryRow>(q.SERVICE, [code, hidden])).rows[0] ?? null
  }
}

function sendErrors(reply: FastifyReply, format: Format, error: GeoReportError) {
  return reply.code(error.status).send(render(reply, format, 'errors', error.toList()))
}

/** What the submitter learns at once: who handles it and anything unusual about where it landed. */
function intakeNotice(category: CategoryRow, result: IntakeResult): string {
  const notes = [serviceNotice(category)]
  if (result.unrouted) notes.push('The point is outside every grid; the town grid centre will route it by hand.')
  if (result.duplicateOf !== null) notes.push(`It is probably the same as request ${result.duplicateOf}, which is already open.`)
  return notes.join(' ')
}

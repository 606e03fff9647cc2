/**
 * POST /api/v1/lookup/batch: up to 1,000,000 points a request, answered in
 * input order. Bodies: JSON `{"points": [[lon, lat], …]}` (read by a
 * numbers-only scanner, points-json.ts, falling back to the generic parser),
 * Float64 pairs as `application/octet-stream` (batch-binary.ts), or NDJSON /
 * CSV streams of any size (stream-routes.ts). JSON answers come as rows or, with
 * `layout=columns`, one array per field (batch-formats.ts).
 *
 * A plugin of its own, so that its body parsers apply to this route only.
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { EVERYONE } from '../auth/roles.ts'
import { AppError } from '../errors.ts'
import { JSON_TYPES, parseJsonBody, utf8Text } from '../plugins/json-body.ts'
import { BATCH_FIELDS, type BatchField } from './answers.ts'
import type { PointIndex } from './build-index.ts'
import { BINARY_TYPE, NO_GRID, NOT_A_POINT, readBinaryPoints } from './batch-binary.ts'
import { batchBinary, batchJson, type PointError } from './batch-formats.ts'
import { gcj02ToWgs84 } from './gcj02.ts'
import { At, Crs, fieldList } from './lookup-schemas.ts'
import type { LookupService } from './lookup-service.ts'
import { nextTurn, SLICE } from '../next-turn.ts'
import { scanPointsJsonInSlices } from './points-json.ts'
import { isStreamRequest, registerLookupStreams } from './stream-routes.ts'

export const MAX_BATCH_POINTS = 1_000_000
const MAX_ERRORS = 1000

const BatchQuery = Type.Object({
  at: Type.Optional(At),
  crs: Crs,
  fields: Type.Optional(fieldList(BATCH_FIELDS)),
  layout: Type.Unsafe<'rows' | 'columns'>({
    type: 'string', enum: ['rows', 'columns'], default: 'rows',
    description: 'JSON answers: `rows` (an object per point) or `columns` (an array per field, in input order)',
  }),
})

export interface BatchRouteOptions {
  lookup: LookupService
  /** The lookup routes' converter, which the streams share. */
  toWgs84: (lon: number, lat: number, crs: string) => Float64Array
}

export default async function batchRoute(app: FastifyInstance, opts: BatchRouteOptions) {
  app.removeContentTypeParser(JSON_TYPES)
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, async (_request: unknown, body: Buffer) => {
    const coords = await scanPointsJsonInSlices(body)
    return coords ? { points: coords } : parseJsonBody(utf8Text(body))
  })
  app.addContentTypeParser(BINARY_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  const answerStream = registerLookupStreams(app, opts.lookup, opts.toWgs84)

  app.post<{ Querystring: Static<typeof BatchQuery>; Body: unknown }>(
    '/api/v1/lookup/batch',
    { bodyLimit: 64 * 1024 * 1024, schema: { querystring: BatchQuery }, config: { roles: EVERYONE }, preHandler: answerStream },
    async (request, reply) => {
      if (isStreamRequest(request)) return reply // answered by the streaming pre-handler
      const binary = Buffer.isBuffer(request.body)
      if (binary) {
        // The binary answer is always each point's grid and boundary flag, one Int32 a point: what it cannot give is refused, not ignored.
        const missing = (request.query.fields?.split(',') ?? []).filter((f) => f !== 'grid' && f !== 'onBoundary')
        if (missing.length > 0 || request.query.layout === 'columns') {
          const what = missing.length > 0 ? `fields=${missing.join(',')}` : 'layout=columns'
          throw new AppError('invalid-parameter', `The binary answer holds each point's grid and boundary flag only; ${what} needs a JSON body`, { parameter: missing.length > 0 ? 'fields' : 'layout' })
        }
      }
      const { coords, original } = binary ? binaryPoints(request.body as Buffer) : jsonPoints(request.body)
      const ix = await opts.lookup.indexFor(request.query.at)
      const answers = new Int32Array(coords.length / 2)
      const invalid = await lookupAll(ix.index, coords, request.query.crs === 'gcj02', answers)
      const errors = invalid > 0 ? pointErrors(answers, coords, original) : []
      if (invalid > 0 && invalid === answers.length) throw new AppError('bad-request', `No valid point; first: ${errors[0]!.message}`, { errors })
      if (binary) {
        reply.type(BINARY_TYPE).header('x-generation', String(ix.generation.id))
        return batchBinary(ix, answers, invalid)
      }
      const fields = (request.query.fields?.split(',') ?? BATCH_FIELDS) as BatchField[]
      reply.type('application/json; charset=utf-8')
      return await batchJson(ix, answers, fields, request.query.layout, errors)
    },
  )
}

interface Points {
  /** Interleaved lon/lat; NaN where an entry is not a pair of numbers. */
  coords: Float64Array
  /** The parsed JSON entries, when there were some, for error messages. */
  original?: unknown[]
}

function binaryPoints(body: Buffer): Points {
  const coords = readBinaryPoints(body)
  if (!coords) throw new AppError('bad-request', `The body is ${body.length} bytes, not a whole number of points (16 bytes each: lon, lat as Float64 little-endian)`)
  checkCount(coords.length / 2)
  return { coords }
}

function jsonPoints(body: unknown): Points {
  const points = (body as { points?: unknown } | null)?.points
  if (points instanceof Float64Array) return (checkCount(points.length / 2), { coords: points }) // read by the scanner
  if (!Array.isArray(points)) throw new AppError('bad-request', 'The body must be {"points": [[lon, lat], …]}')
  // Options in the body would be silently ignored (an "at" there would answer from the wrong generation): say where they go.
  const extra = Object.keys(body as object).filter((k) => k !== 'points')
  if (extra.length > 0) {
    throw new AppError('invalid-parameter', `The body holds only "points"; ${extra.map((k) => JSON.stringify(k)).join(', ')} ${extra.length === 1 ? 'is' : 'are'} not read there: at, crs, fields and layout go in the query string (?at=2020-01-01T00:00:00Z)`, {
      errors: extra.map((k) => ({ where: `body/${k}`, message: 'unexpected property; options go in the query string' })),
    })
  }
  checkCount(points.length)
  const coords = new Float64Array(2 * points.length)
  for (let k = 0; k < points.length; k++) {
    const pt = points[k]
    const ok = Array.isArray(pt) && typeof pt[0] === 'number' && typeof pt[1] === 'number'
    coords[2 * k] = ok ? pt[0] : NaN
    coords[2 * k + 1] = ok ? pt[1] : NaN
  }
  return { coords, original: points }
}

function checkCount(n: number) {
  if (n > MAX_BATCH_POINTS) {
    throw new AppError('payload-too-large', `${n} points is over the batch limit of ${MAX_BATCH_POINTS}; send NDJSON or CSV to the same URL to stream any number`)
  }
}

/**
 * Answers every point (2·grid + onBoundary, −1 no grid, −2 not a point), a
 * slice at a time (next-turn.ts); resolves to how many were not points.
 */
async function lookupAll(index: PointIndex, coords: Float64Array, gcj02: boolean, answers: Int32Array): Promise<number> {
  const n = answers.length
  const valid = (k: number) => {
    const lon = coords[2 * k]!
    const lat = coords[2 * k + 1]!
    return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
  }
  let invalid = 0
  for (let k = 0; k < n; k++) if (!valid(k)) invalid++
  // The index reads WGS84 points: a copy when some must be converted, or set aside (answered below).
  let points = coords
  if (gcj02 || invalid > 0) {
    points = new Float64Array(coords)
    const wgs = new Float64Array(2)
    for (let k = 0; k < n; k++) {
      if (!valid(k)) (points[2 * k] = 0), (points[2 * k + 1] = 0)
      else if (gcj02) gcj02ToWgs84(coords[2 * k]!, coords[2 * k + 1]!, wgs), (points[2 * k] = wgs[0]!), (points[2 * k + 1] = wgs[1]!)
    }
  }
  const boundary = new Uint8Array(n)
  for (let from = 0; from < n; from += SLICE) {
    if (from > 0) await nextTurn()
    const to = Math.min(n, from + SLICE)
    index.lookupMany(points.subarray(2 * from, 2 * to), answers.subarray(from, to), boundary.subarray(from, to))
  }
  for (let k = 0; k < n; k++) {
    const g = answers[k]!
    answers[k] = invalid > 0 && !valid(k) ? NOT_A_POINT : g < 0 ? NO_GRID : 2 * g + boundary[k]!
  }
  return invalid
}

/** The first MAX_ERRORS points that are not points, each named by its index and value. */
function pointErrors(answers: Int32Array, coords: Float64Array, original?: unknown[]): PointError[] {
  const errors: PointError[] = []
  for (let k = 0; k < answers.length && errors.length < MAX_ERRORS; k++) {
    if (answers[k] !== NOT_A_POINT) continue
    const shown = JSON.stringify(original ? original[k] : [coords[2 * k], coords[2 * k + 1]])
    errors.push({ index: k, message: `points[${k}] is not a [lon, lat] pair in WGS84 range: ${shown}` })
  }
  return errors
}

/**
 * Streaming lookup: NDJSON or CSV in, the same format out, any size, in
 * constant memory (a Transform with back-pressure both ways), row numbers kept
 * and bad rows answered with an error in their place.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { Transform, type TransformCallback } from 'node:stream'
import type { Readable } from 'node:stream'
import { batchSnippets, BATCH_FIELDS, type BatchField } from './answers.ts'
import type { IndexedGeneration } from './indexed-generation.ts'
import type { LookupService } from './lookup-service.ts'
import { AppError } from '../errors.ts'
import { csvCell, OVERSIZE, RecordSplitter, splitCsv, UNCLOSED, UNCLOSED_MESSAGE, type StreamRecord } from '../plugins/csv-line.ts'
import { decimalOrNaN } from '../plugins/validators.ts'
import { MAX_JSON_DEPTH, nestedTooDeep } from '../plugins/json-body.ts'

export const STREAM_TYPES = ['application/x-ndjson', 'application/jsonl', 'text/csv'] as const

type ToWgs84 = (lon: number, lat: number, crs: string) => Float64Array

export function isStreamRequest(request: FastifyRequest): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  return (STREAM_TYPES as readonly string[]).includes(type)
}

/**
 * Registers the stream parsers (the body stays a stream: no body limit applies,
 * the handler reads it row by row) and returns the batch route's pre-handler,
 * which answers stream requests and lets the others through.
 */
export function registerLookupStreams(app: FastifyInstance, lookup: LookupService, toWgs84: ToWgs84): preHandlerAsyncHookHandler {
  app.addContentTypeParser([...STREAM_TYPES], (_request, payload, done) => done(null, payload))

  return async function answerStream(request, reply) {
    if (!isStreamRequest(request)) return
    const query = request.query as { at?: string; crs: string; fields?: string }
    const ix = await lookup.indexFor(query.at)
    const csv = request.headers['content-type']!.toLowerCase().startsWith('text/csv')
    const fields = (query.fields?.split(',') ?? BATCH_FIELDS) as BatchField[]
    const rows = new RowTransform(ix, fields, csv, (lon, lat) => toWgs84(lon, lat, query.crs))
    reply.type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8').header('x-generation', String(ix.generation.id))
    // Not pipeline(): on an error it destroys the request too, and with it the socket the answer (a 400 problem,
    // say, for a CSV header without lon/lat) still has to go out on. The rest of the body is drained instead.
    const body = request.body as Readable
    body.on('error', (err) => rows.destroy(err))
    rows.on('error', () => {
      body.unpipe(rows)
      body.resume()
    })
    body.pipe(rows)
    return reply.send(rows)
  }
}

/** One row at most, in characters (a point and whatever columns come with it). */
const MAX_ROW = 64 * 1024

class RowTransform extends Transform {
  private readonly records: RecordSplitter
  private row = 0
  private header: string[] | null = null
  private lonCol = -1
  private latCol = -1
  private readonly snippets: ReturnType<typeof batchSnippets>

  constructor(
    private readonly ix: IndexedGeneration,
    private readonly fields: BatchField[],
    private readonly csv: boolean,
    private readonly toWgs84: (lon: number, lat: number) => Float64Array,
  ) {
    super({ readableHighWaterMark: 1 << 16 })
    this.snippets = batchSnippets(ix, fields)
    this.records = new RecordSplitter(csv, MAX_ROW)
  }

  // Anything thrown here fails this request's stream (an error answer while nothing was sent yet), never the process.
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.answerRecords(() => this.records.push(chunk), done)
  }

  override _flush(done: TransformCallback) {
    this.answerRecords(() => this.records.end(), done)
  }

  private answerRecords(records: () => StreamRecord[], done: TransformCallback) {
    try {
      const out: string[] = []
      for (const record of records()) this.record(record, out)
      done(null, out.join(''))
    } catch (err) {
      done(err as Error)
    }
  }

  private record(line: StreamRecord, out: string[]) {
    if (typeof line === 'string' && line.trim() === '') return
    if (this.csv && this.header === null) return this.readHeader(line, out)
    const n = ++this.row
    if (line === OVERSIZE) out.push(this.errorRow(n, `the row is over ${MAX_ROW / 1024} KiB`))
    else if (line === UNCLOSED) out.push(this.errorRow(n, UNCLOSED_MESSAGE))
    else if (this.csv) this.csvRow(n, line, out)
    else this.ndjsonRow(n, line, out)
  }

  private errorRow(n: number, error: string): string {
    if (!this.csv) return `{"row":${n},"error":${JSON.stringify(error)}}\n`
    return [String(n), ...this.header!.map(() => ''), ...this.fields.map(() => ''), error].map(csvCell).join(',') + '\n'
  }

  /** The header is checked before anything is answered, so a file without lon and lat columns gets a 400 problem. */
  private readHeader(line: StreamRecord, out: string[]) {
    if (line === OVERSIZE) throw new AppError('bad-request', `The CSV header is over ${MAX_ROW / 1024} KiB`)
    if (line === UNCLOSED) throw new AppError('bad-request', `The CSV header: ${UNCLOSED_MESSAGE}`)
    const header = splitCsv(line)
    const names = header.map((h) => h.trim().toLowerCase())
    this.lonCol = names.findIndex((h) => ['lon', 'lng', 'longitude', 'x'].includes(h))
    this.latCol = names.findIndex((h) => ['lat', 'latitude', 'y'].includes(h))
    if (this.lonCol < 0 || this.latCol < 0) {
      throw new AppError('bad-request', `The CSV header needs a lon column (lon, lng, longitude or x) and a lat column (lat, latitude or y); it has ${header.map((h) => JSON.stringify(h)).join(', ')}`)
    }
    this.header = header
    const extra = this.fields.map((f) => (f === 'onBoundary' ? 'on_boundary' : f))
    out.push(['row', ...header, ...extra, 'error'].map(csvCell).join(',') + '\n')
  }

  private answer(lon: unknown, lat: unknown, shown?: string): { members: string[]; error: string | null } {
    if (typeof lon !== 'number' || typeof lat !== 'number' || !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
      return { members: [], error: `lon/lat must be numbers in WGS84 range, got ${shown ?? `${JSON.stringify(lon)}, ${JSON.stringify(lat)}`}` }
    }
    const p = this.toWgs84(lon, lat)
    const g = this.ix.index.lookup(p[0]!, p[1]!)
    const members = this.fields.map((f) => {
      if (f === 'onBoundary') return String(this.ix.index.onBoundary)
      const u = g < 0 ? null : f === 'grid' ? this.ix.grids[g] : f === 'community' ? this.ix.communities[g] : this.ix.towns[g]
      return u ? u.code : ''
    })
    return { members, error: null }
  }

  private csvRow(n: number, line: string, out: string[]) {
    const cells = splitCsv(line)
    const num = (v: string | undefined) => (v === undefined ? NaN : decimalOrNaN(v))
    const { members, error } = this.answer(num(cells[this.lonCol]), num(cells[this.latCol]), `${JSON.stringify(cells[this.lonCol] ?? '')}, ${JSON.stringify(cells[this.latCol] ?? '')}`)
    const padded = this.header!.map((_, k) => cells[k] ?? '')
    const answer = error ? this.fields.map(() => '') : members
    out.push([String(n), ...padded, ...answer, error ?? ''].map(csvCell).join(',') + '\n')
  }

  private ndjsonRow(n: number, line: string, out: string[]) {
    if (nestedTooDeep(line) >= 0) return void out.push(this.errorRow(n, `the row nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`))
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      out.push(`{"row":${n},"error":${JSON.stringify(`not JSON: ${(err as Error).message}`)}}\n`)
      return
    }
    if (typeof value !== 'object' || value === null) {
      out.push(this.errorRow(n, `a row must be an object {"lon": …, "lat": …} or an array [lon, lat], got ${line.slice(0, 40)}`))
      return
    }
    const obj = value as Record<string, unknown>
    const [lon, lat] = Array.isArray(value) ? value : [obj.lon ?? obj.lng ?? obj.longitude, obj.lat ?? obj.latitude]
    // The row as sent: JSON.parse has turned 1e999 into Infinity and a missing lon into undefined.
    const { error } = this.answer(lon, lat, line.length > 80 ? `${line.slice(0, 80)}…` : line)
    const id = !Array.isArray(value) && 'id' in obj ? `,"id":${JSON.stringify(obj.id)}` : ''
    if (error) {
      out.push(`{"row":${n}${id},"error":${JSON.stringify(error)}}\n`)
      return
    }
    const p = this.toWgs84(lon as number, lat as number)
    const g = this.ix.index.lookup(p[0]!, p[1]!)
    const members = g >= 0 ? this.snippets.byGrid[g]! : this.snippets.none
    const boundary = this.snippets.withBoundary ? `${members ? ',' : ''}"onBoundary":${this.ix.index.onBoundary}` : ''
    out.push(`{"row":${n}${id},"lon":${lon},"lat":${lat}${members ? ',' + members : ''}${boundary}}\n`)
  }
}

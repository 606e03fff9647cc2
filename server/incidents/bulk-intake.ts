/**
 * Bulk intake: an NDJSON or CSV stream of any size, in constant memory. Rows
 * are checked one by one and stored in batches of 1,000, one transaction each;
 * while the next batch is read, up to `parallel` batches are being stored at
 * once on their own connections (one PostgreSQL backend is one core), their
 * ids allocated in file order beforehand. The answer streams back one line per
 * row, in row order, once its batch has committed — its id, or its row number
 * and reason — so a client knows exactly what was acknowledged. Good rows are
 * kept when others are bad; a retry of the same file stores nothing twice
 * (external ids). Reports near a row of a batch stored at the same moment are
 * still linked as probable duplicates (see intakeIncidents).
 */
import type { FastifyInstance } from 'fastify'
import { availableParallelism } from 'node:os'
import { Readable } from 'node:stream'
import type { Db } from '../db/client.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { csvCell, OVERSIZE, splitCsv, streamRecords, UNCLOSED_MESSAGE } from '../plugins/csv-line.ts'
import { parseJsonBody, unstorable } from '../plugins/json-body.ts'
import { problemsText, readIncident, type Channel, type IncidentInput } from './incident-input.ts'
import type { BatchRow } from './batch-duplicates.ts'
import { allocateIncidentIds, batchRows, intakeIncidents, type ConcurrentBatches, type IntakeResult } from './intake.ts'
import { actorOf, channelRefusal } from './routes.ts'
import { AppError } from '../errors.ts'

const BATCH = 1000
/** One row at most, in characters: as much as POST /api/v1/incidents takes for one report. */
const MAX_ROW = 256 * 1024
/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01'
/** Tries of a batch that deadlocked. */
const DEADLOCK_ATTEMPTS = 10
const TYPES = ['application/x-ndjson', 'application/jsonl', 'text/csv']

/**
 * Batches of one request stored at the same moment: one per core, at most 4
 * and at most half the connections (other requests need theirs); 1 on PGlite.
 * ZHIWANG_BULK_PARALLEL overrides it.
 */
export function bulkParallelism(db: Db, env = process.env): number {
  const set = Number(env.ZHIWANG_BULK_PARALLEL)
  const wanted = Number.isInteger(set) && set > 0 ? set : Math.min(availableParallelism(), 4)
  return Math.max(1, Math.min(wanted, Math.floor(db.connections / 2)))
}

export function registerBulkIntake(app: FastifyInstance, db: Db, lookup: LookupService, categoryCodes: () => Promise<Set<string>>, roles: string[]) {
  app.addContentTypeParser(TYPES, (_request, payload, done) => done(null, payload))
  const parallel = bulkParallelism(db)

  app.post('/api/v1/incidents/bulk', { config: { roles } }, async (request, reply) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    // Thrown, so the problem document is the same as every other route's (instance included).
    if (!TYPES.includes(type)) throw new AppError('unsupported-media-type', `Send ${TYPES.join(' or ')}; got ${type || 'nothing'}`)
    const csv = type === 'text/csv'
    const categories = await categoryCodes()
    const actor = actorOf(request)
    reply.type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    return reply.send(Readable.from(answer(request.body as Readable, csv, categories, actor, (channel) => channelRefusal(request, channel))))
  })

  async function* answer(body: Readable, csv: boolean, categories: Set<string>, actor: string | null, refusal: (channel: Channel) => string | null): AsyncGenerator<string> {
    let header: string[] | null = null
    let row = 0
    // Rows wait in order, good and bad, so the answer lists them in row order.
    let batch: { row: number; input?: IncidentInput; error?: string }[] = []
    const totals = { rows: 0, stored: 0, retried: 0, unrouted: 0, errors: 0 }
    const ok = (r: number, res: IntakeResult) => {
      if (res.refused) return bad(r, res.refused)
      totals.stored += res.created ? 1 : 0
      totals.retried += res.created ? 0 : 1
      totals.unrouted += res.unrouted ? 1 : 0
      return csv
        ? [r, res.id, res.created, res.grid ?? '', res.unrouted, res.duplicateOf ?? '', ''].map(String).map(csvCell).join(',') + '\n'
        : JSON.stringify({ row: r, id: res.id, created: res.created, grid: res.grid, unrouted: res.unrouted, duplicateOf: res.duplicateOf, token: res.token }) + '\n'
    }
    const bad = (r: number, error: string) => {
      totals.errors++
      return csv ? [String(r), '', '', '', '', '', error].map(csvCell).join(',') + '\n' : JSON.stringify({ row: r, error }) + '\n'
    }
    /**
     * Batches insert in the order of the unique key (channel, external_id), so
     * two of them holding the same keys wait rather than deadlock; should
     * PostgreSQL still abort one as deadlocked (rows linked as duplicates of
     * each other's, say), it rolled back whole and is stored again after a
     * short random pause, finding what the other stored as retries.
     */
    const storeBatch = async (inputs: IncidentInput[], ids: number[], concurrent: ConcurrentBatches | undefined) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await intakeIncidents(db, lookup, inputs, actor, { ids, concurrent })
        } catch (err) {
          if ((err as { code?: string }).code !== DEADLOCK || attempt >= DEADLOCK_ATTEMPTS) throw err
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt))
        }
      }
    }
    // Batches in flight, oldest first: each is answered once it has committed.
    const inFlight: { answer: Promise<string>; rows: BatchRow[]; settled: boolean; done: Promise<unknown> }[] = []
    const store = async (rows: typeof batch) => {
      const good = rows.filter((b) => b.input)
      const inputs = good.map((b) => b.input!)
      const ids = await allocateIncidentIds(db, inputs.length) // here, in file order
      const earlier = inFlight.filter((f) => !f.settled)
      const concurrent = earlier.length === 0 ? undefined : {
        rows: earlier.flatMap((f) => f.rows),
        settled: () => earlier.every((f) => f.settled),
        done: Promise.allSettled(earlier.map((f) => f.done)),
      }
      const own = { rows: parallel > 1 ? batchRows(inputs) : [], settled: false, done: null as unknown as Promise<unknown>, answer: null as unknown as Promise<string> }
      const results = storeBatch(inputs, ids, concurrent)
      own.done = results.finally(() => (own.settled = true))
      own.done.catch(() => {}) // awaited through `answer`; meanwhile a failure must not count as unhandled
      own.answer = results.then((res) => {
        const byRow = new Map(good.map((b, k) => [b.row, res[k]!]))
        return rows.map((b) => (b.input ? ok(b.row, byRow.get(b.row)!) : bad(b.row, b.error!))).join('')
      })
      own.answer.catch(() => {})
      inFlight.push(own)
    }
    if (csv) yield 'row,id,created,grid,unrouted,duplicate_of,error\n'
    for await (const line of streamRecords(body, csv, MAX_ROW)) {
      if (typeof line === 'string' && line.trim() === '') continue
      if (csv && header === null) {
        header = typeof line === 'string' ? splitCsv(line).map((h) => h.trim()) : []
        continue
      }
      row++
      totals.rows++
      if (typeof line !== 'string') {
        batch.push({ row, error: line === OVERSIZE ? `The row is over ${MAX_ROW / 1024} KiB, the most one report may take` : `The row: ${UNCLOSED_MESSAGE}` })
        continue
      }
      let raw: unknown
      if (csv) {
        const cells = splitCsv(line)
        raw = Object.fromEntries(header!.map((h, k) => [h, cells[k] ?? '']).filter(([, v]) => v !== ''))
      } else {
        try {
          raw = parseJsonBody(line)
        } catch (err) {
          // A row is one line: its column says where it breaks.
          batch.push({ row, error: (err as Error).message.replace(/^The body is/, 'The row is').replace(/ at line 1, column (\d+) \(position \d+\)/, ' at column $1') })
          continue
        }
      }
      const unfit = csv ? unstorable(raw, '') : null // (parseJsonBody checked JSON rows)
      if (unfit !== null) {
        batch.push({ row, error: `${unfit.slice(1)} holds a NUL character, which text cannot store` })
        continue
      }
      const read = readIncident(raw, categories, { text: csv })
      const refused = read.ok ? refusal(read.value.channel) : null
      batch.push(read.ok && refused === null ? { row, input: read.value } : { row, error: refused ?? (read.ok ? '' : problemsText(read.problems)) })
      if (batch.length >= BATCH) {
        if (inFlight.length >= parallel) yield await inFlight.shift()!.answer
        await store(batch)
        batch = []
      }
    }
    if (batch.length > 0) await store(batch)
    while (inFlight.length > 0) yield await inFlight.shift()!.answer
    if (!csv) yield JSON.stringify({ summary: totals }) + '\n'
  }
}

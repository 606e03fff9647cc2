/**
 * Bulk intake: an NDJSON or CSV stream of any size, in constant memory. Rows
 * are checked one by one and stored in batches (one transaction each, while
 * the next batch is read); the answer streams back one line per row — its id,
 * or its row number and reason — so a client knows exactly what was
 * acknowledged. Good rows are kept when others are bad; a retry of the same
 * file stores nothing twice (external ids).
 */
import type { FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import type { Db } from '../db/client.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { csvCell, splitCsv, streamLines } from '../plugins/csv-line.ts'
import { readIncident, type IncidentInput } from './incident-input.ts'
import { intakeIncidents, type IntakeResult } from './intake.ts'
import { actorOf } from './routes.ts'

const BATCH = 1000
const TYPES = ['application/x-ndjson', 'application/jsonl', 'text/csv']

export function registerBulkIntake(app: FastifyInstance, db: Db, lookup: LookupService, categoryCodes: () => Promise<Set<string>>, roles: string[]) {
  app.addContentTypeParser(TYPES, (_request, payload, done) => done(null, payload))

  app.post('/api/v1/incidents/bulk', { config: { roles } }, async (request, reply) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!TYPES.includes(type)) {
      reply.code(415).type('application/problem+json; charset=utf-8')
      return { type: '/problems/unsupported-media-type', title: 'Unsupported media type', status: 415, detail: `Send ${TYPES.join(' or ')}; got ${type || 'nothing'}` }
    }
    const csv = type === 'text/csv'
    const categories = await categoryCodes()
    const actor = actorOf(request)
    reply.type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    return reply.send(Readable.from(answer(request.body as Readable, csv, categories, actor)))
  })

  async function* answer(body: Readable, csv: boolean, categories: Set<string>, actor: string | null): AsyncGenerator<string> {
    let header: string[] | null = null
    let row = 0
    // Rows wait in order, good and bad, so the answer lists them in row order.
    let batch: { row: number; input?: IncidentInput; error?: string }[] = []
    const totals = { rows: 0, stored: 0, retried: 0, unrouted: 0, errors: 0 }
    const ok = (r: number, res: IntakeResult) => {
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
    // A full batch is stored while the next one is read and checked: the
    // database and the parsing overlap, the batches still commit one after
    // the other, and a batch's answer lines go out only once it is committed.
    const store = async (rows: typeof batch) => {
      const good = rows.filter((b) => b.input)
      const results = await intakeIncidents(db, lookup, good.map((b) => b.input!), actor)
      const byRow = new Map(good.map((b, k) => [b.row, results[k]!]))
      return rows.map((b) => (b.input ? ok(b.row, byRow.get(b.row)!) : bad(b.row, b.error!))).join('')
    }
    let storing: Promise<string> | null = null
    if (csv) yield 'row,id,created,grid,unrouted,duplicate_of,error\n'
    for await (const line of streamLines(body)) {
      if (line.trim() === '') continue
      if (csv && header === null) {
        header = splitCsv(line).map((h) => h.trim())
        continue
      }
      row++
      totals.rows++
      let raw: unknown
      if (csv) {
        const cells = splitCsv(line)
        raw = Object.fromEntries(header!.map((h, k) => [h, cells[k] ?? '']).filter(([, v]) => v !== ''))
      } else {
        try {
          raw = JSON.parse(line)
        } catch (err) {
          batch.push({ row, error: `not JSON: ${(err as Error).message}` })
          continue
        }
      }
      const read = readIncident(raw, categories)
      batch.push(read.ok ? { row, input: read.value } : { row, error: read.problems.map((p) => `${p.field} ${p.message}`).join('; ') })
      if (batch.length >= BATCH) {
        if (storing) yield await storing
        storing = store(batch)
        storing.catch(() => {}) // awaited above or below; meanwhile a failure must not count as unhandled
        batch = []
      }
    }
    if (storing) yield await storing
    if (batch.length > 0) yield await store(batch)
    if (!csv) yield JSON.stringify({ summary: totals }) + '\n'
  }
}

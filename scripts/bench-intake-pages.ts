/**
 * The list side of the intake benchmark: first pages of GET /api/v1/incidents
 * (a busy town's open incidents, a community, a grid, overdue ones) timed over
 * HTTP, the route's statements under EXPLAIN ANALYZE, and a bench-only UPDATE
 * that moves most incidents on through the workflow.
 */
import type { Db } from '../server/db/client.ts'
import { COUNT_CAP } from '../server/incidents/incident-list.ts'
import * as q from '../server/incidents/queries.ts'

export const OPEN = 'reported,accepted,dispatched'

export const BUSIEST = (column: string) => `SELECT ${column} AS code FROM incident WHERE ${column} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`

/**
 * A plausible mix instead of every incident waiting: by id, 60 % closed, 10 %
 * dispatched (deadline from the category's SLA, so the older ones are overdue),
 * 10 % accepted, the rest still reported.
 */
export const WORKFLOW_MIX = `
UPDATE incident i SET
  status = CASE WHEN i.id % 10 < 6 THEN 'closed' WHEN i.id % 10 = 6 THEN 'dispatched' ELSE 'accepted' END,
  department = CASE WHEN i.id % 10 <= 6 THEN c.department END,
  dispatched_at = CASE WHEN i.id % 10 <= 6 THEN i.reported_at + interval '2 hours' END,
  deadline_at = CASE WHEN i.id % 10 <= 6 THEN i.reported_at + interval '2 hours' + make_interval(hours => c.sla_hours) END,
  closed_at = CASE WHEN i.id % 10 < 6 THEN i.reported_at + make_interval(hours => c.sla_hours) END,
  updated_at = now()
FROM incident_category c WHERE c.code = i.category_code AND i.id % 10 < 8`

export interface Page { label: string; query: string; filter: unknown[] }
export interface Timing { matched: string; calls: number; p50: number; p95: number }

/** The pages timed; `filter` is the route's twelve SQL parameters for the same query. */
export function pagesOf(town: string, community: string, grid: string): Page[] {
  const open = OPEN.split(',')
  const f = (over: Record<number, unknown>) => Array.from({ length: 12 }, (_, k) => over[k] ?? (k === 9 ? false : null))
  return [
    { label: `town ${town}, open`, query: `town=${town}&status=${OPEN}`, filter: f({ 2: [town], 3: open }) },
    { label: `community ${community}, open`, query: `community=${community}&status=${OPEN}`, filter: f({ 1: [community], 3: open }) },
    { label: `grid ${grid}, open`, query: `grid=${grid}&status=${OPEN}`, filter: f({ 0: [grid], 3: open }) },
    { label: `town ${town}, overdue`, query: `town=${town}&overdue=true`, filter: f({ 2: [town], 9: true }) },
    { label: 'city, overdue', query: 'overdue=true', filter: f({ 9: true }) },
  ]
}

type GetJson = <T>(url: string) => Promise<T>

/**
 * `calls` sequential GETs of each page after 5 warm-ups, from sending the
 * request to the parsed body; a slow page (a scan of every incident) gets one
 * warm-up and at least 5 calls but no more than ~10 s of them.
 */
export async function timePages(url: string, getJson: GetJson, pages: Page[], calls: number): Promise<Timing[]> {
  const out: Timing[] = []
  for (const page of pages) {
    const once = async () => {
      const started = performance.now()
      const body = await getJson<{ numberMatched: number; numberMatchedIsEstimate?: boolean }>(`${url}/api/v1/incidents?${page.query}&limit=50`)
      return { ms: performance.now() - started, matched: `${body.numberMatchedIsEstimate ? '~' : ''}${body.numberMatched.toLocaleString('en-US')}` }
    }
    if ((await once()).ms < 500) for (let k = 0; k < 4; k++) await once()
    const runs = []
    const until = performance.now() + 10_000
    while (runs.length < calls && (runs.length < 5 || performance.now() < until)) runs.push(await once())
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b)
    out.push({ matched: runs[0]!.matched, calls: runs.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) })
  }
  return out
}

export interface Explained { label: string; page: Plan; count: Plan }
interface Plan { plan: string[]; indexes: string[]; ms: number }

/** The route's statements for a page's first 50, under EXPLAIN ANALYZE (run warm). */
export async function explainPage(db: Db, page: Page): Promise<Explained> {
  const explain = async (sql: string, params: unknown[]): Promise<Plan> => {
    await db.query(sql, params)
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows.map((r) => r['QUERY PLAN'])
    const indexes = [...new Set(plan.flatMap((l) => /(?:Index Only Scan|Index Scan|Index Scan Backward) using (\S+)|Bitmap Index Scan on (\S+)/.exec(l)?.slice(1).filter(Boolean) ?? []))]
    return { plan, indexes, ms: Number(/Execution Time: ([\d.]+)/.exec(plan.join('\n'))?.[1] ?? NaN) }
  }
  return { label: page.label, page: await explain(q.LIST_INCIDENTS['-reported_at']!, [...page.filter, 51, 0]), count: await explain(q.COUNT_INCIDENTS, [...page.filter, COUNT_CAP + 1]) }
}

export function printPages(pages: Page[], allOpen: Timing[], mixed: Timing[], calls: number, explained: [string, Explained[]][]) {
  const head = ['matched', 'p50', 'p95'].map((h, k) => h.padStart([9, 7, 10][k]!)).join(' ')
  console.log(`\n${''.padEnd(34)} ${'all open'.padEnd(28)}   mixed`)
  console.log(`${'first page (limit 50)'.padEnd(34)} ${head}   ${head}`)
  const cells = (t: Timing) => `${t.matched.padStart(9)} ${fmt(t.p50).padStart(7)} ${(fmt(t.p95) + (t.calls < calls ? `(${t.calls})` : '')).padStart(10)}`
  for (const [k, p] of pages.entries()) console.log(`${p.label.padEnd(34)} ${cells(allOpen[k]!)}   ${cells(mixed[k]!)}`)
  console.log(`(ms over HTTP, ${calls} calls after 5 warm-ups, or (n) calls of a slow page; ~: an estimate, the count stops at ${COUNT_CAP.toLocaleString('en-US')}; ` +
    `"mixed": 60 % closed, 10 % dispatched, 10 % accepted, 20 % reported)`)
  for (const [phase, list] of explained) {
    for (const e of list) {
      console.log(`\nSQL, ${e.label} (${phase}): page ${fmt(e.page.ms)} ms using ${e.page.indexes.join(', ') || 'no index'}; ` +
        `count ${fmt(e.count.ms)} ms using ${e.count.indexes.join(', ') || 'no index'} (EXPLAIN ANALYZE execution times)`)
      for (const line of e.page.plan.filter((l) => !/^\s*(Buffers|Cache Key|Cache Mode|Hits|Heap Blocks|Recheck Cond|Planning:|Full-sort Groups):?/.test(l))) {
        console.log(`  ${line.length > 150 ? `${line.slice(0, 147)}…` : line}`)
      }
    }
  }
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2))
const quantile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

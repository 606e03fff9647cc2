/**
 * One page of incidents and how many match. Counting every match of a busy
 * town costs more than the page itself, so the count is exact up to
 * COUNT_CAP and beyond it the planner's estimate, flagged
 * `numberMatchedIsEstimate` — never below what is known to exist, so a client
 * paging until it holds `numberMatched` items never stops early — except on
 * the last page, which knows the total, and a page past the end, which counts
 * it. Whether a next page exists is known
 * exactly either way: the page asks for one row more.
 */
import type { Queryable } from '../db/client.ts'
import type { IncidentRow } from './incident-views.ts'
import * as q from './queries.ts'

export const COUNT_CAP = 10_000

/** The twelve filter parameters of queries.ts, in order. */
export type ListFilter = readonly unknown[]

export interface IncidentPage {
  rows: IncidentRow[]
  numberMatched: number
  numberMatchedIsEstimate: boolean
  hasNext: boolean
}

export async function listIncidents(db: Queryable, filter: ListFilter, sort: string, limit: number, offset: number): Promise<IncidentPage> {
  // All three at once (the estimate only plans, it costs about a millisecond): one wait instead of two.
  const [count, page, estimated] = await Promise.all([
    db.query<{ n: number }>(q.COUNT_INCIDENTS, [...filter, COUNT_CAP + 1]),
    db.query<IncidentRow>(q.LIST_INCIDENTS[sort]!, [...filter, limit + 1, offset]),
    estimate(db, filter),
  ])
  const hasNext = page.rows.length > limit
  const rows = hasNext ? page.rows.slice(0, limit) : page.rows
  const counted = count.rows[0]!.n
  if (counted <= COUNT_CAP) return { rows, numberMatched: counted, numberMatchedIsEstimate: false, hasNext }
  // The last page knows the total.
  if (!hasNext && rows.length > 0) return { rows, numberMatched: offset + rows.length, numberMatchedIsEstimate: false, hasNext }
  // Past the end, nothing bounds the total from below but the cap: count it all (a client paging off the end is rare).
  if (rows.length === 0) {
    const all = (await db.query<{ n: number }>(q.COUNT_INCIDENTS, [...filter, null])).rows[0]!.n
    return { rows, numberMatched: all, numberMatchedIsEstimate: false, hasNext }
  }
  const known = Math.max(COUNT_CAP + 1, offset + rows.length + (hasNext ? 1 : 0))
  return { rows, numberMatched: Math.max(known, estimated), numberMatchedIsEstimate: true, hasNext }
}

async function estimate(db: Queryable, filter: ListFilter): Promise<number> {
  const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(q.ESTIMATE_INCIDENTS, [...filter])
  const plan = rows[0]?.['QUERY PLAN']
  // pg parses the json column; PGlite may hand it over as text.
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as [{ Plan: { 'Plan Rows': number } }] | undefined
  return Math.round(parsed?.[0]?.Plan['Plan Rows'] ?? 0)
}

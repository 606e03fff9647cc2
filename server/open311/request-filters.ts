/**
 * The filters of GET /requests, read from the query string the way the spec
 * states them: `service_request_id` (comma list) overrides everything else;
 * otherwise `service_code` (comma list), `status` (open, closed), and a
 * window of `start_date`…`end_date` of at most 90 days, the last 90 days by
 * default. Repeated parameters count as one comma list.
 */
import { open311Status, STATUSES, type Status } from '../incidents/workflow.ts'
import { parseW3c } from './w3c-datetime.ts'

export const MAX_WINDOW_DAYS = 90
export const MAX_REQUESTS = 1000
const DAY = 86_400_000

export interface RequestFilter {
  ids: number[] | null
  codes: string[] | null
  start: Date | null
  end: Date | null
  /** The detailed workflow states the asked Open311 states stand for. */
  statuses: Status[] | null
}

export function readRequestFilter(query: Record<string, unknown>, now: Date, utcOffsetMinutes: number):
  | { ok: true; filter: RequestFilter }
  | { ok: false; errors: string[] } {
  const errors: string[] = []
  const list = (name: string): string[] | null => {
    const v = query[name]
    if (v === undefined) return null
    const items = [v].flat().join(',').split(',').map((s) => String(s).trim()).filter((s) => s !== '')
    return items.length > 0 ? items : null
  }

  const ids = list('service_request_id')
  if (ids) {
    const bad = ids.filter((id) => !/^[1-9][0-9]{0,15}$/.test(id))
    if (bad.length > 0) errors.push(`service_request_id must list request ids; ${bad.map((b) => JSON.stringify(b)).join(', ')} is not one`)
    if (ids.length > MAX_REQUESTS) errors.push(`service_request_id lists ${ids.length} ids; at most ${MAX_REQUESTS}`)
    return errors.length > 0 ? { ok: false, errors } : { ok: true, filter: { ids: ids.map(Number), codes: null, start: null, end: null, statuses: null } }
  }

  const codes = list('service_code')

  let statuses: Status[] | null = null
  const asked = list('status')
  if (asked) {
    const bad = asked.filter((s) => s !== 'open' && s !== 'closed')
    if (bad.length > 0) errors.push(`status must be open, closed or both (comma-separated); got ${bad.map((b) => JSON.stringify(b)).join(', ')}`)
    else statuses = STATUSES.filter((s) => asked.includes(open311Status(s)))
  }

  const date = (name: string): Date | null | undefined => {
    const v = query[name]
    if (v === undefined || v === '') return null
    const at = typeof v === 'string' ? parseW3c(v, utcOffsetMinutes) : null
    if (!at) errors.push(`${name} must be a W3C date-time such as 2024-05-01T09:30:00+08:00; got ${JSON.stringify(v)}`)
    return at ?? undefined
  }
  let start = date('start_date')
  let end = date('end_date')
  if (start !== undefined && end !== undefined) {
    if (start && end) {
      if (end < start) errors.push('end_date is before start_date')
      else if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * DAY) {
        errors.push(`start_date to end_date spans ${((end.getTime() - start.getTime()) / DAY).toFixed(1)} days; at most ${MAX_WINDOW_DAYS}`)
      }
    } else if (start) end = new Date(start.getTime() + MAX_WINDOW_DAYS * DAY)
    else if (end) start = new Date(end.getTime() - MAX_WINDOW_DAYS * DAY)
    // Neither: the last 90 days, open-ended so that a request made this instant is included.
    else start = new Date(now.getTime() - MAX_WINDOW_DAYS * DAY)
  }

  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, filter: { ids: null, codes, start: start ?? null, end: end ?? null, statuses } }
}

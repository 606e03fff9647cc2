/**
 * The `datetime` parameter of OGC API – Features: an RFC 3339 date-time, or
 * a closed interval `start/end` whose open end is `..` (or empty). Values are
 * handed to PostgreSQL as the text they came in, so no precision is lost to
 * JavaScript's milliseconds.
 */
import { AppError } from '../errors.ts'

/** `start` and `end` are inclusive; null is an open end. An instant has start = end. */
export interface DatetimeFilter {
  start: string | null
  end: string | null
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/

export function parseDatetime(value: string): DatetimeFilter {
  const parts = value.split('/')
  if (parts.length === 1) {
    const at = instant(value)
    if (at === null) throw invalid(value)
    return { start: at, end: at }
  }
  if (parts.length !== 2) throw invalid(value)
  const [start, end] = parts.map((p) => (p === '..' || p === '' ? null : (instant(p) ?? undefined)))
  if (start === undefined || end === undefined) throw invalid(value)
  if (start !== null && end !== null && Date.parse(start) > Date.parse(end)) {
    throw new AppError('invalid-parameter', `Unexpected datetime value: ${value}; the interval ends before it starts`)
  }
  return { start, end }
}

/** The date-time normalised to upper-case T and Z, or null when it is not a valid RFC 3339 date-time. */
function instant(text: string): string | null {
  const m = DATE_TIME.exec(text)
  if (!m) return null
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const offsetHour = Number(m[8] ?? 0)
  const offsetMinute = Number(m[9] ?? 0)
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59
  return valid ? text.toUpperCase() : null
}

function invalid(value: string) {
  return new AppError(
    'invalid-parameter',
    `Unexpected datetime value: ${value}; expected an RFC 3339 date-time (2024-05-01T08:00:00Z) or an interval start/end with .. for an open end`,
  )
}

/**
 * W3C / ISO 8601 date-times as GeoReport v2 writes and reads them. Answers
 * carry the jurisdiction's own offset (Dongguan: +08:00, no daylight saving)
 * so that a person reading them sees local time; input without an offset is
 * taken as local time there too.
 */

/** `2024-05-01T09:30:00+08:00` (whole seconds). */
export function formatW3c(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

// A space stands for '+': clients often leave the offset unencoded in a query string.
const W3C = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+\- ]\d{2}:?\d{2})?$/

/** The moment `text` names, or null when it is not a W3C date or date-time (or names no real day). */
export function parseW3c(text: string, defaultOffsetMinutes: number): Date | null {
  const m = W3C.exec(text.trim())
  if (!m) return null
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m
  // Years before 1000 are not records' (and Date.UTC would read 0000–0099 as 1900–1999).
  if (Number(y) < 1000) return null
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const
  const utc = Date.UTC(...fields, Math.floor(Number(`0${frac}`) * 1000))
  const check = new Date(utc)
  if (check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2] || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) return null
  let offset = defaultOffsetMinutes
  if (zone === 'Z') offset = 0
  else if (zone !== undefined) {
    const digits = zone.slice(1).replace(':', '')
    offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)))
  }
  return new Date(utc - offset * 60_000)
}

const pad = (n: number) => String(n).padStart(2, '0')

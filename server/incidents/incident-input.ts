/**
 * Checks one incident report as sent (JSON object, NDJSON line or CSV row) and
 * normalises it. Never throws: problems come back as a list naming the field.
 */
import { decimalOrNaN } from '../plugins/validators.ts'

export const CHANNELS = ['patrol', 'citizen', 'hotline', 'sensor', 'system'] as const
export type Channel = (typeof CHANNELS)[number]
export const MAX_DESCRIPTION = 4000

export interface IncidentInput {
  category: string
  lon: number
  lat: number
  crs: 'wgs84' | 'gcj02'
  reportedAt: Date | null
  channel: Channel
  externalId: string | null
  description: string | null
  media: string[]
  reporter: Record<string, string> | null
  attributes: Record<string, unknown>
}

/** The fields a report may name, with the other spellings clients send. */
const REPORT_FIELDS = new Set(['category', 'category_code', 'service_code', 'lon', 'lng', 'long', 'lat', 'crs', 'channel', 'reported_at', 'reportedAt',
  'external_id', 'externalId', 'description', 'media_urls', 'media_url', 'media', 'reporter', 'attributes'])

export interface FieldProblem {
  field: string
  message: string
}

/**
 * `text`: the report came as text fields (a CSV row, an Open311 form), so
 * numbers arrive as decimal strings. From JSON a coordinate must be a JSON
 * number: "113.95" in quotes is a client's bug, said so rather than guessed.
 */
export function readIncident(raw: unknown, categories: ReadonlySet<string>, defaults: { channel?: Channel; crs?: 'wgs84' | 'gcj02'; text?: boolean } = {}):
  | { ok: true; value: IncidentInput }
  | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = []
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ field: '', message: 'an incident must be a JSON object' }] }
  const r = raw as Record<string, unknown>
  const bad = (field: string, message: string) => problems.push({ field, message })
  // A JSON report names only fields it has (a misspelt "descripton" would be lost without a word);
  // CSV rows may carry other columns of the system that exported them.
  if (!defaults.text) for (const key of Object.keys(r)) if (!REPORT_FIELDS.has(key)) bad(key, `is not a field of a report; the fields are ${[...REPORT_FIELDS].join(', ')}`)

  // A field a CSV has no column for (or a report leaves out) is missing, not "unknown null".
  const missing = `is missing${defaults.text ? ' (no column of that name)' : ''}`
  const category = r.category ?? r.category_code ?? r.service_code
  if (category === undefined) bad('category', missing)
  else if (typeof category !== 'string' || !categories.has(category)) bad('category', `unknown category ${JSON.stringify(category)}`)

  const number = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && defaults.text ? decimalOrNaN(v) : NaN)
  const lon = number(r.lon ?? r.lng ?? r.long)
  const lat = number(r.lat)
  // A number out of range is told so; "a JSON number (not a string)" only when it is not a number at all.
  const kind = (v: number, raw: unknown) => (Number.isFinite(v) || typeof raw === 'number' ? 'within' : defaults.text ? 'a number in' : 'a JSON number (not a string) in')
  // A number too large for a double (1e999) reads as Infinity, which JSON.stringify would show as null.
  const shown = (raw: unknown) => (typeof raw === 'number' && !Number.isFinite(raw) ? `${raw} (the number sent is too large to be a coordinate)` : JSON.stringify(raw))
  const rawLon = r.lon ?? r.lng ?? r.long
  if (rawLon === undefined) bad('lon', missing)
  else if (!Number.isFinite(lon) || lon < -180 || lon > 180) bad('lon', `must be ${kind(lon, rawLon)} −180…180, got ${shown(rawLon)}`)
  if (r.lat === undefined) bad('lat', missing)
  else if (!Number.isFinite(lat) || lat < -90 || lat > 90) bad('lat', `must be ${kind(lat, r.lat)} −90…90, got ${shown(r.lat)}`)

  const crs = r.crs ?? defaults.crs ?? 'wgs84'
  if (crs !== 'wgs84' && crs !== 'gcj02') bad('crs', `must be wgs84 or gcj02, got ${JSON.stringify(crs)}`)

  const channel = r.channel ?? defaults.channel
  if (!(CHANNELS as readonly unknown[]).includes(channel)) bad('channel', `must be one of ${CHANNELS.join(', ')}, got ${JSON.stringify(channel ?? null)}`)

  let reportedAt: Date | null = null
  const when = r.reported_at ?? r.reportedAt
  if (when !== undefined && when !== null && when !== '') {
    const text = typeof when === 'string' ? withCityOffset(when) : ''
    reportedAt = typeof when === 'string' ? new Date(text) : new Date(NaN)
    if (Number.isNaN(reportedAt.getTime()) || typeof when !== 'string' || !realDate(text)) bad('reported_at', `must be an ISO 8601 date-time, got ${JSON.stringify(when)}`)
    else if (reportedAt.getTime() > Date.now() + 5 * 60_000) bad('reported_at', 'is in the future')
  }

  const externalId = r.external_id ?? r.externalId ?? null
  if (externalId !== null && (typeof externalId !== 'string' || externalId === '' || externalId.length > 200)) bad('external_id', 'must be a non-empty string of at most 200 characters')

  const description = r.description ?? null
  if (description !== null && typeof description !== 'string') bad('description', 'must be a string')
  else if (typeof description === 'string' && description.length > MAX_DESCRIPTION && [...description].length > MAX_DESCRIPTION) {
    bad('description', `is ${[...description].length} characters; at most ${MAX_DESCRIPTION}`) // characters as people (and PostgreSQL) count them, not UTF-16 units
  }

  const mediaRaw = r.media_urls ?? r.media_url ?? r.media ?? []
  const media = typeof mediaRaw === 'string' ? (mediaRaw === '' ? [] : [mediaRaw]) : mediaRaw
  if (!Array.isArray(media) || media.length > 20 || !media.every((m) => typeof m === 'string' && /^https?:\/\/\S+$/.test(m) && m.length <= 2000)) {
    bad('media_urls', 'must be up to 20 http(s) URLs')
  }

  const reporter = r.reporter ?? null
  if (reporter !== null && (typeof reporter !== 'object' || Array.isArray(reporter) || !Object.values(reporter).every((v) => typeof v === 'string' && v.length <= 200))) {
    bad('reporter', 'must be an object of short strings (name, phone, email…)')
  }
  const attributes = r.attributes ?? {}
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) bad('attributes', 'must be an object')

  if (problems.length > 0) return { ok: false, problems }
  return {
    ok: true,
    value: {
      category: category as string,
      lon,
      lat,
      crs: crs as 'wgs84' | 'gcj02',
      reportedAt,
      channel: channel as Channel,
      externalId: externalId as string | null,
      description: description as string | null,
      media: media as string[],
      reporter: reporter as Record<string, string> | null,
      attributes: attributes as Record<string, unknown>,
    },
  }
}

/** Whether an ISO date-time names a real calendar day and time (Date would turn 2024-02-30 into 1 March). */
function realDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text)
  if (!m) return false
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number]
  const day = new Date(Date.UTC(y, mo - 1, d))
  return y >= 1000 && day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h <= 23 && mi <= 59
}

/**
 * A time without an offset, as hotline and sensor exports write them
 * (2025-01-01 10:00:00, or a bare date), is the city's local time: UTC+8, the
 * same clock the analytics' days run on. Read as UTC it would land 8 h off.
 */
function withCityOffset(when: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?$/.exec(when.trim())
  return m ? `${m[1]}T${m[2] ?? '00:00'}+08:00` : when
}

/** The problems of a report in one line: "lat must be within −90…90, got 95; category is missing". */
export const problemsText = (problems: readonly FieldProblem[]) => problems.map((p) => (p.field ? `${p.field} ${p.message}` : p.message)).join('; ')

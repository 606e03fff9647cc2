/**
 * A patrol track as sent: a GeoJSON LineString (Feature or bare geometry) with
 * one timestamp per position (`properties.times`: ISO 8601 or epoch seconds; or
 * a third coordinate in epoch seconds), or GPX 1.1 (`<trkpt lat lon><time>`). Returns the positions
 * with their times, or the problems found.
 */
import { distanceM } from '../planning/cell-graph.ts'
import { xmlProblem } from './xml-well-formed.ts'

export interface TrackPoint {
  lon: number
  lat: number
  t: number
  /** The first position of a GPX track segment after another: the way from the previous one was not recorded, so not walked. */
  gap?: true
}

export type TrackResult = { ok: true; points: TrackPoint[] } | { ok: false; problems: string[] }

const MAX_POINTS = 100_000
/** Faster than this between two positions is not a patrol (on foot, by bike or by car) but a broken or made-up track. */
const MAX_SPEED_KMH = 150
/** Patrol records start this century. */
const EARLIEST = Date.UTC(2000, 0, 1)
/** One track covers one shift; longer ones are sent in parts. */
const MAX_SPAN_H = 24

export function readGeoJsonTrack(body: unknown): TrackResult {
  const feature = body as { type?: string; geometry?: unknown; properties?: Record<string, unknown> }
  const geometry = (feature?.type === 'Feature' ? feature.geometry : body) as { type?: string; coordinates?: unknown } | null
  if (!geometry || geometry.type !== 'LineString' || !Array.isArray(geometry.coordinates)) {
    return { ok: false, problems: ['expected a GeoJSON LineString (or a Feature holding one)'] }
  }
  const coords = geometry.coordinates as unknown[]
  const times = feature?.type === 'Feature' ? feature.properties?.times : undefined
  if (times !== undefined && (!Array.isArray(times) || times.length !== coords.length)) {
    return { ok: false, problems: [`properties.times must list one ISO time per position (${coords.length})`] }
  }
  const points: TrackPoint[] = []
  const problems: string[] = []
  coords.forEach((c, i) => {
    const [lon, lat, third] = Array.isArray(c) ? (c as unknown[]) : []
    const given = times ? (times as unknown[])[i] : third
    // A time is an ISO 8601 string, or epoch seconds (a number), in properties.times or as the third coordinate.
    const t = typeof given === 'number' ? given * 1000 : times && typeof given === 'string' ? Date.parse(given) : NaN
    if (!Array.isArray(c) || typeof lon !== 'number' || typeof lat !== 'number') {
      problems.push(`coordinates[${i}] must be a [lon, lat] pair of JSON numbers, got ${JSON.stringify(c)?.slice(0, 60)}`)
    } else if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
      problems.push(`coordinates[${i}] [${lon}, ${lat}] is outside WGS84 range (lon −180…180, lat −90…90)`)
    } else if (given === undefined || given === null) problems.push(`position ${i} has no time (properties.times or a third coordinate in epoch seconds)`)
    else if (!Number.isFinite(t)) problems.push(`position ${i}: time ${JSON.stringify(given).slice(0, 40)} is not ISO 8601 (2025-01-01T08:00:00+08:00) or epoch seconds`)
    // Without an offset the moment is ambiguous (the device's local time? UTC?); GPX fixes UTC, GeoJSON does not.
    else if (typeof given === 'string' && !/(Z|[+-]\d\d:?\d\d)$/i.test(given.trim())) problems.push(`position ${i}: time ${JSON.stringify(given).slice(0, 40)} has no offset; add Z or one like +08:00`)
    else if (typeof given === 'number' && given > 1e11) problems.push(`position ${i}: time ${given} looks like epoch milliseconds; times are epoch seconds`)
    else points.push({ lon, lat, t })
  })
  return check(points, problems)
}

export function readGpxTrack(xml: string): TrackResult {
  const malformed = xmlProblem(xml)
  if (malformed) return { ok: false, problems: [malformed] }
  const points: TrackPoint[] = []
  const problems: string[] = []
  const trkpt = /<trkpt\b([^>]*)>([\s\S]*?)<\/trkpt>/g
  let i = 0
  // Track segments (<trkseg>, also those of further <trk>s) are recorded separately: a GPS that lost its
  // fix starts a new one, and the way between two segments was not recorded.
  for (const [k, segment] of xml.split(/<trkseg\b/).entries()) {
    let first = k > 0
    let m: RegExpExecArray | null
    while ((m = trkpt.exec(segment))) {
      const lat = Number(/\blat\s*=\s*["']([^"']+)["']/.exec(m[1]!)?.[1])
      const lon = Number(/\blon\s*=\s*["']([^"']+)["']/.exec(m[1]!)?.[1])
      const t = Date.parse(/<time>\s*([^<]+?)\s*<\/time>/.exec(m[2]!)?.[1] ?? '')
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) problems.push(`trkpt ${i} has no valid lat/lon`)
      else if (!Number.isFinite(t)) problems.push(`trkpt ${i} has no valid <time>`)
      else points.push(first && points.length > 0 ? { lon, lat, t, gap: true } : { lon, lat, t })
      first = false
      i++
    }
  }
  if (i === 0) problems.push('no <trkpt> elements: expected GPX 1.1 with a track')
  return check(points, problems)
}

function check(points: TrackPoint[], problems: string[]): TrackResult {
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 20) }
  if (points.length < 2) return { ok: false, problems: ['a track needs at least 2 positions'] }
  if (points.length > MAX_POINTS) return { ok: false, problems: [`a track may have at most ${MAX_POINTS} positions`] }
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.t < points[i - 1]!.t) return { ok: false, problems: [`times go backwards at position ${i}`] }
  }
  if (points[points.length - 1]!.t > Date.now() + 5 * 60_000) return { ok: false, problems: ['the track ends in the future'] }
  if (points[0]!.t < EARLIEST) return { ok: false, problems: [`the track starts in ${new Date(points[0]!.t).getUTCFullYear()}; times before the year 2000 are not a patrol's`] }
  const hours = (points[points.length - 1]!.t - points[0]!.t) / 3_600_000
  if (hours > MAX_SPAN_H) return { ok: false, problems: [`the track spans ${hours.toFixed(1)} h; one track covers at most ${MAX_SPAN_H} h (send longer patrols in parts)`] }
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    // The track is drawn in lon/lat: a step over the antimeridian would be drawn the long way round the Earth.
    if (Math.abs(b.lon - a.lon) > 180) return { ok: false, problems: [`position ${i} crosses the antimeridian (180° E/W) from the previous one; such tracks are not taken`] }
    if (b.gap) continue // not travelled: no speed to check
    const km = distanceM(a.lon, a.lat, b.lon, b.lat) / 1000
    // Times have a resolution of a second: a step within the same second counts as one.
    const kmh = km / (Math.max(b.t - a.t, 1000) / 3_600_000)
    if (kmh > MAX_SPEED_KMH) {
      return { ok: false, problems: [`position ${i} is ${km.toFixed(2)} km from the previous one after ${((b.t - a.t) / 1000).toFixed(0)} s (${Math.round(kmh)} km/h); a patrol moves at most ${MAX_SPEED_KMH} km/h`] }
    }
  }
  return { ok: true, points }
}

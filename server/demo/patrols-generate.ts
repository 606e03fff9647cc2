/**
 * Demo patrol tracks: a sample of the active grid administrators walk their
 * own grids on foot, on most working days and fewer weekend days, for 30 to
 * 120 minutes at 3–5 km/h with short stops. Like real patrols they mostly
 * follow a habitual beat — one route per administrator and grid, walked in
 * part, forwards or backwards, a few metres off each time — and now and then
 * go somewhere new. Each administrator has their own diligence (how often
 * they go out, how long their beat is), so coverage differs from grid to grid
 * as it would in a real city. Beats and detours are smooth random walks that
 * stay inside the grid: a step whose end or midpoint leaves the grid is turned
 * back in.
 *
 * Deterministic: the same seed, administrators and end give the same tracks.
 */
import type { TrackPoint } from '../patrols/track-input.ts'
import { createRng } from './prng.ts'

export interface DemoPatrolOptions {
  seed?: number | string
  /** End of the patrol record (exclusive); tracks fill the `days` days before it. */
  end?: Date
  /** Days of patrols before `end` (default 30). */
  days?: number
  /** Share of the active administrators who upload tracks (default 0.03). */
  share?: number
}

export interface PatrolCity {
  /** Active administrators in a stable order, each with the index slots of their grids. */
  administrators: { id: number; grids: number[] }[]
  /** Bounding box of grid g: bbox[4g … 4g+3] = minLon, minLat, maxLon, maxLat. */
  bbox: Float64Array
  /** Index slot of the grid holding a point, or −1. */
  lookup(lon: number, lat: number): number
}

export interface DemoTrack {
  administratorId: number
  points: TrackPoint[]
}

const DAY_MS = 86_400_000
/** China's civil time, UTC+8 all year. */
const LOCAL_OFFSET_MS = 8 * 3_600_000
const M_PER_DEG_LAT = 110_574

/** Local midnight (UTC+8) at or before `t`. */
export function localMidnightBefore(t: Date): Date {
  return new Date(Math.floor((t.getTime() + LOCAL_OFFSET_MS) / DAY_MS) * DAY_MS - LOCAL_OFFSET_MS)
}

export function generateDemoPatrols(city: PatrolCity, options: DemoPatrolOptions = {}): DemoTrack[] {
  const rng = createRng(`${options.seed ?? 'dongguan'}:patrols`)
  const end = localMidnightBefore(options.end ?? new Date()).getTime()
  const days = options.days ?? 30
  const share = options.share ?? 0.03
  const tracks: DemoTrack[] = []
  for (const admin of city.administrators) {
    // Every administrator draws from their own generator, so the sample does not depend on who came before.
    const own = rng.fork(`admin:${admin.id}`)
    if (own.next() >= share || admin.grids.length === 0) continue
    const diligence = own.range(0.15, 0.9)
    const beats = new Map<number, Position[] | null>()
    const beatOf = (g: number) => {
      if (!beats.has(g)) beats.set(g, walk(city, g, own.range(20, 20 + 60 * diligence) * 60, own))
      return beats.get(g)!
    }
    for (let d = days; d >= 1; d--) {
      const dayStart = end - d * DAY_MS
      const weekday = new Date(dayStart + LOCAL_OFFSET_MS).getUTCDay()
      const weekend = weekday === 0 || weekday === 6
      if (own.next() >= diligence * (weekend ? 0.3 : 1)) continue
      const g = own.pick(admin.grids)
      const beat = beatOf(g)
      const detour = own.next() < 0.1
      const route = detour ? walk(city, g, own.range(15, 40) * 60, own) : beat && alongBeat(city, g, beat, own.range(30, 60 + 60 * diligence) * 60, own)
      if (!route || route.length < 2) continue
      const points = timed(route, dayStart + own.range(8.5, 15.5) * 3_600_000, own)
      tracks.push({ administratorId: admin.id, points })
    }
  }
  return tracks
}

type Position = [lon: number, lat: number]
type Rng = ReturnType<typeof createRng>

/** Walking speed 3–5 km/h, now and then a stop of 2–10 minutes to talk to someone or look at something; whole seconds. */
function timed(route: Position[], startMs: number, rng: Rng): TrackPoint[] {
  const speed = rng.range(3, 5) / 3.6
  let t = startMs
  return route.map(([lon, lat], k) => {
    if (k > 0) {
      const [lon0, lat0] = route[k - 1]!
      const metres = Math.hypot((lon - lon0) * 111_320 * Math.cos((lat * Math.PI) / 180), (lat - lat0) * M_PER_DEG_LAT)
      t += (metres / speed) * 1000 + (rng.next() < 0.08 ? rng.range(2, 10) * 60_000 : 0)
    }
    return { lon, lat, t: Math.round(t / 1000) * 1000 }
  })
}

/** About `seconds` of walking along a beat from a random place on it, forwards or backwards (turning at its ends), each position up to ~15 m off. */
function alongBeat(city: PatrolCity, g: number, beat: Position[], seconds: number, rng: Rng): Position[] {
  const steps = Math.max(2, Math.round(seconds / 110)) // a beat step is 60–160 m, ≈ 110 s at 4 km/h
  let k = rng.int(beat.length)
  let dir = rng.next() < 0.5 ? 1 : -1
  const out: Position[] = []
  for (let s = 0; s < steps; s++) {
    const [lon, lat] = beat[k]!
    const x = lon + (rng.normal() * 8) / (111_320 * Math.cos((lat * Math.PI) / 180))
    const y = lat + (rng.normal() * 8) / M_PER_DEG_LAT
    out.push(city.lookup(x, y) === g ? [x, y] : [lon, lat])
    if (beat.length === 1) break
    if (k + dir < 0 || k + dir >= beat.length) dir = -dir
    k += dir
  }
  return out
}

/** Positions of a walk of about `seconds` inside grid g, or null when no start point inside it was found (a sliver of a grid). */
function walk(city: PatrolCity, g: number, seconds: number, rng: Rng): Position[] | null {
  const [minLon, minLat, maxLon, maxLat] = [city.bbox[4 * g]!, city.bbox[4 * g + 1]!, city.bbox[4 * g + 2]!, city.bbox[4 * g + 3]!]
  let lon = NaN
  let lat = NaN
  for (let i = 0; i < 200 && Number.isNaN(lon); i++) {
    const x = rng.range(minLon, maxLon)
    const y = rng.range(minLat, maxLat)
    if (city.lookup(x, y) === g) [lon, lat] = [x, y]
  }
  if (Number.isNaN(lon)) return null
  const mPerDegLon = 111_320 * Math.cos((lat * Math.PI) / 180)
  let heading = rng.range(0, 2 * Math.PI)
  const out: Position[] = [[lon, lat]]
  // At 4 km/h, 1.11 m a second.
  for (let metres = 0; metres < seconds * 1.11; ) {
    const step = rng.range(60, 160)
    let moved = false
    for (let attempt = 0; attempt < 12 && !moved; attempt++) {
      const h = attempt === 0 ? heading + 0.5 * rng.normal() : rng.range(0, 2 * Math.PI)
      const x = lon + (step * Math.sin(h)) / mPerDegLon
      const y = lat + (step * Math.cos(h)) / M_PER_DEG_LAT
      if (city.lookup(x, y) !== g || city.lookup((lon + x) / 2, (lat + y) / 2) !== g) continue
      ;[lon, lat, heading, moved] = [x, y, h, true]
    }
    if (!moved) break
    metres += step
    out.push([lon, lat])
  }
  return out
}

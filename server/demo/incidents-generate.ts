/**
 * Two years of synthetic incidents for the demo city, in memory, as columns:
 * reports drawn day by day per category (weekly, seasonal and holiday rhythm,
 * typhoons, slow growth), placed in grids weighted by what drives each
 * category and by each grid's lasting "hotness", plus the named clusters and
 * some duplicate reports; then sorted by time (ids follow) and given their
 * workflow histories. The same seed and city give the same columns, byte for
 * byte. Every point is routed with the in-memory grid index, as intake would.
 */
import { createRng, type Rng } from './prng.ts'
import { DAY_S, DEMO_INCIDENT_DAYS, DEMO_INCIDENTS_END, demoCalendar, localMidnight, type Typhoon } from './incidents-calendar.ts'
import { clusterRate, DEMO_INCIDENT_CLUSTERS, type IncidentCluster } from './incidents-clusters.ts'
import { historyWriter, type IncidentColumns } from './incidents-histories.ts'
import { CATEGORY_PROFILES, CHANNEL_NAMES, DEFAULT_PROFILE, HOURS, type GridFacts } from './incidents-profiles.ts'
import { cumulative, gridPlacer, pickIndex, pointInDisc, poisson } from './incidents-sampling.ts'

export interface DemoIncidentOptions {
  seed?: number | string
  /** End of the history, the demo's "now" (ISO date-time at a local midnight). */
  end?: string
  days?: number
  /** Mean background reports a day over the window (clusters and duplicates come on top). */
  perDay?: number
  clusters?: readonly IncidentCluster[]
}

export interface DemoIncidentCategory {
  code: string
  slaHours: number
  department: string
}

/** What the generator needs to know of the city: its grids (in index order) and the point → grid index. */
export interface IncidentCity {
  grids: readonly GridFacts[]
  /** 4 numbers per grid: minLon, minLat, maxLon, maxLat. */
  bbox: Float64Array
  /** Active administrators' employee numbers, per grid. */
  administrators: readonly (readonly string[])[]
  categories: readonly DemoIncidentCategory[]
  /** Index of the grid covering the point, or −1. */
  lookup(lon: number, lat: number): number
}

export interface DemoIncidents extends IncidentColumns {
  window: { start: string; end: string }
  typhoons: Typhoon[]
}

const DUPLICATE_SHARE = 0.025
const CITIZEN = CHANNEL_NAMES.indexOf('citizen')
const HOTLINE = CHANNEL_NAMES.indexOf('hotline')

export function generateDemoIncidents(city: IncidentCity, options: DemoIncidentOptions = {}): DemoIncidents {
  const rng = createRng(`incidents:${options.seed ?? 2016}`)
  const endMs = Date.parse(options.end ?? DEMO_INCIDENTS_END)
  if (Number.isNaN(endMs)) throw new Error(`Unexpected end value: ${options.end}`)
  const days = options.days ?? DEMO_INCIDENT_DAYS
  const perDay = options.perDay ?? 420
  const calendar = demoCalendar(endMs, days, rng.fork('calendar'))
  const categories = city.categories
  const profiles = categories.map((c) => CATEGORY_PROFILES[c.code] ?? DEFAULT_PROFILE)
  const totalShare = profiles.reduce((s, p) => s + p.share, 0)

  // Each category's daily factor, normalised so that its share of the window holds.
  const factor = profiles.map((p) => calendar.days.map((d) => p.week[d.weekday]! * p.season(d) * d.holiday * d.trend))
  const meanFactor = factor.map((f) => f.reduce((a, b) => a + b, 0) / f.length)

  const placer = gridPlacer(city, profiles.map((p) => p.driver), rng.fork('grids'))
  const channelCdf = profiles.map((p) => cumulative(p.channels))
  const hourCdf = CHANNEL_NAMES.map((ch) => cumulative(HOURS[ch]))
  const descriptions: string[] = []
  const descriptionBase = profiles.map((p) => {
    const first = descriptions.length
    descriptions.push(...p.descriptions)
    return first
  })

  const r = { category: [] as number[], channel: [] as number[], at: [] as number[], lon: [] as number[], lat: [] as number[], grid: [] as number[], description: [] as number[], original: [] as number[] }
  const add = (c: number, channel: number, at: number, g: number, lon: number, lat: number, original: number, draw: Rng) => {
    r.category.push(c)
    r.channel.push(channel)
    r.at.push(Math.round(at))
    r.lon.push(lon)
    r.lat.push(lat)
    r.grid.push(g)
    r.description.push(descriptionBase[c]! + draw.int(profiles[c]!.descriptions.length))
    r.original.push(original)
  }
  /** A new report of category c on the day starting at dayStart, at an hour its channel reports. */
  const report = (c: number, dayStart: number, g: number, lon: number, lat: number, draw: Rng) => {
    const channel = pickIndex(channelCdf[c]!, draw.next())
    const hour = pickIndex(hourCdf[channel]!, draw.next())
    add(c, channel, dayStart + hour * 3600 + Math.floor(draw.next() * 3600), g, lon, lat, -1, draw)
  }
  const point = new Float64Array(2)
  const draws = rng.fork('reports')

  // Background: every category, every day.
  for (const day of calendar.days) {
    for (let c = 0; c < categories.length; c++) {
      const expected = (perDay * profiles[c]!.share) / totalShare * factor[c]![day.index]! / meanFactor[c]!
      for (let n = poisson(expected, draws); n > 0; n--) {
        const g = placer.pick(c, draws.next())
        placer.pointIn(g, draws, point)
        report(c, day.start, g, point[0]!, point[1]!, draws)
      }
    }
  }

  // The named clusters, on top. Their dates are written for the default end; a
  // history ending on another day moves them by as many whole days.
  const clusterShift = Math.round((endMs - Date.parse(DEMO_INCIDENTS_END)) / 1000 / DAY_S) * DAY_S
  const clusterDraws = rng.fork('clusters')
  for (const cluster of options.clusters ?? DEMO_INCIDENT_CLUSTERS) {
    const c = categories.findIndex((x) => x.code === cluster.category)
    if (c < 0) continue
    const week = profiles[c]!.week
    const weekMean = week.reduce((a, b) => a + b, 0) / week.length
    const [start, end] = [localMidnight(cluster.start) + clusterShift, localMidnight(cluster.end) + clusterShift]
    for (const day of calendar.days) {
      const rate = clusterRate(cluster, start, end, day.start)
      for (let n = rate > 0 ? poisson((rate * week[day.weekday]!) / weekMean, clusterDraws) : 0; n > 0; n--) {
        const g = pointInDisc(cluster, city, clusterDraws, point)
        if (g >= 0) report(c, day.start, g, point[0]!, point[1]!, clusterDraws)
      }
    }
  }

  // Duplicates: someone else reports the same thing a little later, a few metres away.
  const dupDraws = rng.fork('duplicates')
  const windowEnd = endMs / 1000
  for (let i = 0, n = r.at.length; i < n; i++) {
    if (dupDraws.next() >= DUPLICATE_SHARE) continue
    const at = r.at[i]! + Math.min(72 * 3600, 300 + 3 * 3600 * Math.exp(1.2 * dupDraws.normal()))
    const lon = r.lon[i]! + (dupDraws.normal() * 15) / 102_500
    const lat = r.lat[i]! + (dupDraws.normal() * 15) / 110_574
    const channel = dupDraws.next() < 0.5 ? CITIZEN : HOTLINE
    if (at < windowEnd) add(r.category[i]!, channel, at, city.lookup(lon, lat), lon, lat, i, dupDraws)
  }

  // Ids follow the time of report.
  const order = Uint32Array.from(r.at.keys()).sort((a, b) => r.at[a]! - r.at[b]! || a - b)
  const rank = new Uint32Array(order.length)
  order.forEach((i, k) => (rank[i] = k))
  const writer = historyWriter(city, descriptions, order.length, windowEnd, rng.fork('histories'))
  for (const i of order) {
    const original = r.original[i]!
    writer.add({
      category: r.category[i]!,
      channel: r.channel[i]!,
      at: r.at[i]!,
      lon: r.lon[i]!,
      lat: r.lat[i]!,
      grid: r.grid[i]!,
      description: r.description[i]!,
      duplicateOf: original >= 0 ? rank[original]! + 1 : 0,
    })
  }
  return {
    ...writer.finish(),
    window: { start: new Date((windowEnd - days * DAY_S) * 1000).toISOString(), end: new Date(endMs).toISOString() },
    typhoons: calendar.typhoons,
  }
}

/**
 * The demo incidents, checked from the database they were loaded into: volume
 * and window, category mix, weekly and seasonal rhythm, routing against
 * PostGIS, the named clusters, workflow histories, overdue work, determinism
 * and idempotent seeding.
 */
import { createHash } from 'node:crypto'
import { latLngToCell } from 'h3-js'
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { DEMO_INCIDENT_DAYS, DEMO_INCIDENTS_END } from '../../server/demo/incidents-calendar.ts'
import { demoEndFrom } from '../../server/config.ts'
import { DEMO_INCIDENT_CLUSTERS } from '../../server/demo/incidents-clusters.ts'
import { generateDemoIncidents, type DemoIncidents, type IncidentCity } from '../../server/demo/incidents-generate.ts'
import { CATEGORY_PROFILES } from '../../server/demo/incidents-profiles.ts'
import { DEFAULT_EVENT_DAYS, incidentCity, seedDemoIncidentsIfEmpty, type IncidentSeedReport } from '../../server/demo/incidents-seed.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed-demo.ts'
import { nextStatus, type Action, type Status } from '../../server/incidents/workflow.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'

const DAY = 86_400
const END = Date.parse(DEMO_INCIDENTS_END) / 1000
const START = END - DEMO_INCIDENT_DAYS * DAY
/** Local (UTC+8) day number of a timestamptz column, independent of the session's time zone. */
const localDay = (column: string) => `floor((extract(epoch FROM ${column}) + 28800) / 86400)::int`
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
/** Local day number (days since 1970-01-01 in UTC+8) of a moment in Unix seconds. */
const dayOf = (t: number) => Math.floor((t + 28800) / DAY)
/** Local (UTC+8) calendar day of a moment in ms. */
const localDate = (ms: number) => new Date(ms + 28_800_000).toISOString().slice(0, 10)

async function rows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows
}
async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T> {
  const list = await rows<T>(db, sql, params)
  if (list.length !== 1) throw new Error(`expected one row, got ${list.length}: ${sql.slice(0, 120)}`)
  return list[0]!
}

/**
 * What the seed writes, to prove that a second call writes nothing: counts,
 * last ids and the transactions that wrote the rows (xmin), which any delete
 * and re-insert or update would change.
 */
async function fingerprint(db: Db) {
  return one<Record<string, string | number>>(db, `
    SELECT (SELECT count(*)::int FROM incident) AS incidents, (SELECT max(id)::int FROM incident) AS max_incident,
           (SELECT string_agg(DISTINCT xmin::text, ',') FROM incident) AS incident_writers,
           (SELECT max(updated_at)::text FROM incident) AS last_update,
           (SELECT count(*)::int FROM incident_event) AS events, (SELECT max(id)::int FROM incident_event) AS max_event,
           (SELECT string_agg(DISTINCT xmin::text, ',') FROM incident_event) AS event_writers,
           (SELECT count(*)::int FROM unit) AS units, (SELECT count(*)::int FROM administrator) AS administrators`)
}

/** Every column of a generation, as one hash. */
function digest(d: DemoIncidents): string {
  const h = createHash('sha256')
  for (const [key, value] of Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (key === 'events') continue
    h.update(key).update(ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : JSON.stringify(value))
  }
  for (const [key, value] of Object.entries(d.events).sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(key).update(ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : JSON.stringify(value))
  }
  return h.digest('hex')
}

describeBackends('Demo incidents', ({ backend, db }) => {
  let report: IncidentSeedReport
  let city: IncidentCity
  let regenerated: DemoIncidents

  beforeAll(async () => {
    let started = Date.now()
    await seedDemoIfEmpty(db(), undefined, { incidents: false })
    const cityMs = Date.now() - started
    started = Date.now()
    report = (await seedDemoIncidentsIfEmpty(db()))!
    console.log(
      `[incidents] ${backend}: city ${seconds(cityMs)}; ${report.incidents} incidents, ${report.events} events in ${seconds(Date.now() - started)} ` +
        `(generated ${seconds(report.generateMs)}, stored ${seconds(report.loadMs)}: ${JSON.stringify(report.phases)})`,
    )
    const generation = (await rows<{ id: number }>(db(), `SELECT current_generation() AS id`))[0]!.id
    city = (await incidentCity(db(), generation)).city
    regenerated = generateDemoIncidents(city)
  })

  it('loads at least 300,000 incidents over the two years before the demo\'s now, ids in time order', async () => {
    expect(report.incidents).toBeGreaterThanOrEqual(300_000)
    const r = await one<Record<string, number>>(db(), `
      SELECT count(*)::int AS n, min(id)::int AS min_id, max(id)::int AS max_id,
             min(extract(epoch FROM reported_at))::float8 AS first, max(extract(epoch FROM reported_at))::float8 AS last,
             count(DISTINCT generation_id)::int AS generations,
             count(*) FILTER (WHERE generation_id IS DISTINCT FROM current_generation())::int AS other_generation,
             count(*) FILTER (WHERE grid_code IS NULL)::int AS unrouted
      FROM incident`)
    expect(r).toMatchObject({ n: report.incidents, min_id: 1, max_id: report.incidents, generations: 1, other_generation: 0 })
    expect(r.first).toBeGreaterThanOrEqual(START)
    expect(r.first).toBeLessThan(START + DAY)
    expect(r.last).toBeLessThan(END)
    expect(r.last).toBeGreaterThan(END - DAY)
    expect(r.unrouted).toBeLessThan(0.001 * r.n!)
    const { backwards } = await one<{ backwards: number }>(db(), `
      SELECT count(*) FILTER (WHERE back)::int AS backwards
      FROM (SELECT reported_at < lag(reported_at) OVER (ORDER BY id) AS back FROM incident) x`)
    expect(backwards).toBe(0)
    // Intake continues after the demo's ids.
    const { next } = await one<{ next: number }>(db(), `SELECT nextval(pg_get_serial_sequence('incident', 'id'))::int AS next`)
    expect(next).toBe(report.incidents + 1)
  })

  it("gives the demo's inactive administrators a past: served their grids until a day 30–699 days before the demo's now", async () => {
    const r = await one<Record<string, number>>(db(), `
      SELECT (SELECT count(*)::int FROM administrator a WHERE NOT a.active AND EXISTS (SELECT 1 FROM administrator_grid g WHERE g.administrator_id = a.id)) AS inactive,
             count(DISTINCT a.id)::int AS with_past,
             count(*) FILTER (WHERE aa.valid_to IS NULL OR aa.valid_from IS NOT NULL)::int AS open_or_dated,
             min(extract(epoch FROM $1::timestamptz - aa.valid_to) / 86400)::float8 AS min_days,
             max(extract(epoch FROM $1::timestamptz - aa.valid_to) / 86400)::float8 AS max_days
      FROM administrator a JOIN administrator_assignment aa ON aa.administrator_id = a.id
      WHERE NOT a.active`, [DEMO_INCIDENTS_END])
    expect(r.inactive).toBeGreaterThan(100)
    expect(r).toMatchObject({ with_past: r.inactive, open_or_dated: 0 })
    expect(r.min_days).toBeGreaterThanOrEqual(30)
    expect(r.max_days).toBeLessThan(700)
  })

  it('uses every active category, in the planned mix', async () => {
    const counts = await rows<{ code: string; n: number }>(db(), `
      SELECT c.code, count(i.id)::int AS n FROM incident_category c LEFT JOIN incident i ON i.category_code = c.code
      WHERE c.active GROUP BY c.code ORDER BY n DESC`)
    const total = counts.reduce((s, c) => s + c.n, 0)
    const shares = Object.fromEntries(Object.entries(CATEGORY_PROFILES).map(([code, p]) => [code, p.share]))
    const planned = Object.values(shares).reduce((a, b) => a + b, 0)
    console.log(`[incidents] ${backend}: mix ${counts.map((c) => `${c.code} ${((100 * c.n) / total).toFixed(1)}%`).join(', ')}`)
    expect(counts.filter((c) => c.n === 0)).toEqual([])
    expect(counts[0]!.code).toBe('ENV-01')
    for (const c of counts) expect(c.n / total / (shares[c.code]! / planned), c.code).toBeGreaterThan(0.75)
    for (const c of counts) expect(c.n / total / (shares[c.code]! / planned), c.code).toBeLessThan(1.3)
    const channels = Object.fromEntries((await rows<{ channel: string; n: number }>(db(), `SELECT channel, count(*)::int AS n FROM incident GROUP BY channel`)).map((c) => [c.channel, c.n / total]))
    expect(Object.keys(channels).sort()).toEqual(['citizen', 'hotline', 'patrol', 'sensor', 'system'])
    expect(channels.patrol).toBeGreaterThan(0.45)
  })

  it('has a weekly rhythm, seasons, festivals and office hours', async () => {
    const counts = await rows<{ day: number; category: string; n: number }>(db(), `
      SELECT ${localDay('reported_at')} AS day, category_code AS category, count(*)::int AS n FROM incident GROUP BY 1, 2`)
    const byDay = new Map<string, number>()
    for (const c of counts) {
      byDay.set(`${c.day}`, (byDay.get(`${c.day}`) ?? 0) + c.n)
      byDay.set(`${c.day}:${c.category}`, c.n)
    }
    const allDays = Array.from({ length: DEMO_INCIDENT_DAYS }, (_, k) => dayOf(START) + k)
    /** Mean reports a day (of one category, or all) over the days of the window that pass `which`. */
    const mean = (which: (day: number) => boolean, category?: string) => {
      const days = allDays.filter(which)
      return days.reduce((s, d) => s + (byDay.get(category ? `${d}:${category}` : `${d}`) ?? 0), 0) / days.length
    }
    const weekday = (day: number) => (day + 3) % 7
    const month = (day: number) => new Date(day * DAY * 1000).getUTCMonth() + 1
    const festival = dayOf(Date.parse('2026-02-17T00:00:00+08:00') / 1000)
    const r = {
      weekdays: mean((d) => weekday(d) < 5),
      weekends: mean((d) => weekday(d) >= 5),
      floodsJunSep: mean((d) => month(d) >= 6 && month(d) <= 9, 'SAFE-03'),
      floodsDecFeb: mean((d) => month(d) === 12 || month(d) <= 2, 'SAFE-03'),
      // The Spring Festival of 2026 (17 February): the week after it is quiet, the weeks before it see wage disputes.
      festivalWeek: mean((d) => d >= festival && d < festival + 7),
      monthLater: mean((d) => d >= festival + 21 && d < festival + 51),
      wagesBeforeFestival: mean((d) => d >= festival - 42 && d < festival, 'LAB-01'),
      wagesSummer: mean((d) => d > festival && month(d) >= 5 && month(d) <= 9, 'LAB-01'),
      returneesAfterFestival: mean((d) => d >= festival + 7 && d < festival + 35, 'HOUS-02'),
      returneesSummer: mean((d) => d > festival && month(d) >= 5 && month(d) <= 9, 'HOUS-02'),
    }
    console.log(`[incidents] ${backend}: reports a day ${JSON.stringify(r, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`)
    expect(r.weekdays).toBeGreaterThan(1.2 * r.weekends)
    expect(r.floodsJunSep).toBeGreaterThan(5 * r.floodsDecFeb)
    expect(r.festivalWeek).toBeLessThan(0.6 * r.monthLater)
    expect(r.wagesBeforeFestival).toBeGreaterThan(1.5 * r.wagesSummer)
    expect(r.returneesAfterFestival).toBeGreaterThan(1.5 * r.returneesSummer)

    // Typhoon days bring flood hazards and fallen trees.
    const landfalls = regenerated.typhoons.map((t) => dayOf(Date.parse(`${t.landfall}T00:00:00+08:00`) / 1000))
    expect(landfalls.length).toBeGreaterThanOrEqual(3)
    const treesOnLandfall = mean((d) => landfalls.includes(d), 'FAC-03')
    const treesJulSep = mean((d) => month(d) >= 7 && month(d) <= 9, 'FAC-03')
    expect(treesOnLandfall).toBeGreaterThan(3 * treesJulSep)

    // Patrols keep office hours; sensors report around the clock.
    const hours = await rows<{ channel: string; office: number; n: number }>(db(), `
      SELECT channel, count(*) FILTER (WHERE ((extract(epoch FROM reported_at)::bigint + 28800) % 86400) / 3600 BETWEEN 7 AND 18)::int AS office, count(*)::int AS n
      FROM incident GROUP BY channel`)
    const share = Object.fromEntries(hours.map((h) => [h.channel, h.office / h.n]))
    expect(share.patrol).toBeGreaterThan(0.95)
    expect(share.sensor).toBeLessThan(0.6)
  })

  it('routes every incident of a sample to the grid PostGIS finds covering it', async () => {
    const sample = await rows<{ id: number; grid_code: string | null; community_code: string | null; town_code: string | null; covering: string[] | null }>(db(), `
      SELECT i.id, i.grid_code, i.community_code, i.town_code,
             (SELECT array_agg(u.code ORDER BY u.code) FROM unit u
              WHERE u.generation_id = i.generation_id AND u.level = 'grid' AND ST_Covers(u.geom, i.geom)) AS covering
      FROM incident i WHERE i.id % 97 = 0 OR i.grid_code IS NULL`)
    expect(sample.length).toBeGreaterThan(3000)
    const wrong = sample.filter((s) => s.grid_code !== (s.covering?.[0] ?? null))
    expect(wrong).toEqual([])
    const badParents = sample.filter((s) => s.grid_code && (s.community_code !== s.grid_code.slice(0, 12) || s.town_code !== s.grid_code.slice(0, 9)))
    expect(badParents).toEqual([])
  })

  it('hides the named clusters: denser than around them, growing or fading as declared', async () => {
    const found: string[] = []
    for (const c of DEMO_INCIDENT_CLUSTERS) {
      const start = Date.parse(`${c.start}T00:00:00+08:00`) / 1000
      const end = Date.parse(`${c.end}T00:00:00+08:00`) / 1000
      const quarter = (end - start) / 4
      const r = await one<Record<string, number>>(db(), `
        WITH near AS (
          SELECT extract(epoch FROM reported_at) AS t, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) AS d
          FROM incident
          WHERE category_code = $1 AND geom && ST_Expand(ST_SetSRID(ST_MakePoint($2, $3), 4326), $4 * 3 / 100000.0)
        )
        SELECT count(*) FILTER (WHERE d <= $4 AND t >= $5 AND t < $6)::int AS inside,
               count(*) FILTER (WHERE d > $4 AND d <= 3 * $4 AND t >= $5 AND t < $6)::int AS around,
               count(*) FILTER (WHERE d <= $4 AND t >= $5 AND t < $5 + $7)::int AS first_quarter,
               count(*) FILTER (WHERE d <= $4 AND t >= $6 - $7 AND t < $6)::int AS last_quarter
        FROM near`,
        [c.category, c.centre[0], c.centre[1], c.radiusM, start, end, quarter],
      )
      found.push(`${c.name} ${JSON.stringify(r)}`)
      // The ring around the disc is 8 times its area.
      expect(r.inside, c.name).toBeGreaterThan(5 * (r.around! / 8))
      if (c.trend === 'growing') expect(r.last_quarter, c.name).toBeGreaterThan(2 * r.first_quarter!)
      if (c.trend === 'fading') expect(r.last_quarter, c.name).toBeLessThan(0.5 * r.first_quarter!)
      if (c.trend === 'steady') {
        expect(r.last_quarter, c.name).toBeGreaterThan(0.6 * r.first_quarter!)
        expect(r.last_quarter, c.name).toBeLessThan(1.6 * r.first_quarter!)
      }
    }
    console.log(`[incidents] ${backend}: clusters\n  ${found.join('\n  ')}`)
  })

  it('finds every named cluster as a 99 % hot spot, the growing ones emerging and the fading ones diminishing', async () => {
    const app = await buildApp({ db: db() })
    try {
      const headers = await keyHeaders(db(), { name: 'demo-analyst', role: 'analyst' })
      const seen: { c: (typeof DEMO_INCIDENT_CLUSTERS)[number]; bin?: number; pattern?: string; line: string }[] = []
      for (const c of DEMO_INCIDENT_CLUSTERS) {
        const gi = (await app.inject({ url: `/api/v1/analytics/hotspots?res=9&k=1&categories=${c.category}&from=${c.start}&to=${c.end}&fdr=true&format=json`, headers })).json()
        const cell = gi.rows?.find((r: { id: string }) => r.id === latLngToCell(c.centre[1], c.centre[0], 9))
        const entry: (typeof seen)[number] = { c, bin: cell?.bin, line: `${c.name} (${c.trend}): Gi* z ${cell?.z} bin ${cell?.bin}` }
        if (c.trend !== 'steady') {
          // A fading problem is watched while it fades: the window ends at three quarters of its life, before it has
          // died out (after that it is, correctly, a historical hot spot). A growing one is watched to the end.
          const end = c.trend === 'fading' ? localDate(Date.parse(`${c.start}T00:00:00+08:00`) + 0.75 * (Date.parse(`${c.end}T00:00:00+08:00`) - Date.parse(`${c.start}T00:00:00+08:00`))) : c.end
          const em = (await app.inject({ url: `/api/v1/analytics/emerging?res=8&step=week&categories=${c.category}&from=${c.start}&to=${end}&format=json`, headers })).json()
          const row = em.rows?.find((r: { cell: string }) => r.cell === latLngToCell(c.centre[1], c.centre[0], 8))
          entry.pattern = row?.pattern
          entry.line += `; emerging to ${end}: ${row?.pattern} (trend z ${row?.trendZ})`
        }
        seen.push(entry)
      }
      console.log(`[analytics] ${backend}: demo clusters\n  ${seen.map((e) => e.line).join('\n  ')}`)
      for (const { c, bin, pattern } of seen) {
        expect(bin, c.name).toBe(3)
        if (c.trend === 'growing') expect(['intensifying_hot', 'new_hot'], c.name).toContain(pattern)
        if (c.trend === 'fading') expect(pattern, c.name).toBe('diminishing_hot')
      }
    } finally {
      await app.close()
    }
  })

  it('keeps statuses and timestamps consistent, with realistic durations', async () => {
    const r = await one<Record<string, number>>(db(), `
      SELECT count(*) FILTER (WHERE status = 'closed' AND NOT (closed_at >= handled_at AND handled_at >= dispatched_at AND dispatched_at >= reported_at))::int AS bad_closed,
             count(*) FILTER (WHERE status IN ('dispatched', 'handled', 'verified', 'closed') AND (dispatched_at IS NULL OR i.department IS NULL))::int AS undispatched,
             count(*) FILTER (WHERE status IN ('handled', 'verified', 'closed') AND NOT handled_at >= dispatched_at)::int AS bad_handled,
             count(*) FILTER (WHERE status IN ('reported', 'accepted') AND (dispatched_at IS NOT NULL OR handled_at IS NOT NULL))::int AS early,
             count(*) FILTER (WHERE status <> 'closed' AND closed_at IS NOT NULL)::int AS stray_close,
             count(*) FILTER (WHERE dispatched_at IS NOT NULL AND deadline_at <> dispatched_at + make_interval(hours => c.sla_hours))::int AS bad_deadline,
             count(*) FILTER (WHERE updated_at < reported_at OR updated_at < COALESCE(closed_at, handled_at, dispatched_at, reported_at))::int AS bad_updated,
             count(*) FILTER (WHERE satisfaction IS NOT NULL AND status <> 'closed')::int AS stray_rating,
             count(*) FILTER (WHERE updated_at >= $1::timestamptz)::int AS after_end,
             count(*) FILTER (WHERE status = 'closed')::float8 / count(*) AS closed,
             count(*) FILTER (WHERE status = 'rejected')::float8 / count(*) AS rejected,
             count(DISTINCT status)::int AS statuses,
             count(*) FILTER (WHERE handled_at > deadline_at)::float8 / count(*) FILTER (WHERE handled_at IS NOT NULL) AS late,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM handled_at - dispatched_at) / 3600 / c.sla_hours) AS median_share_of_deadline
      FROM incident i JOIN incident_category c ON c.code = i.category_code`,
      [new Date(END * 1000)],
    )
    console.log(`[incidents] ${backend}: workflow ${JSON.stringify(r)}`)
    expect(r).toMatchObject({ bad_closed: 0, undispatched: 0, bad_handled: 0, early: 0, stray_close: 0, bad_deadline: 0, bad_updated: 0, stray_rating: 0, after_end: 0 })
    expect(r.closed).toBeGreaterThan(0.85)
    expect(r.rejected).toBeGreaterThan(0.02)
    expect(r.rejected).toBeLessThan(0.1)
    expect(r.statuses).toBeGreaterThanOrEqual(6)
    expect(r.late).toBeGreaterThan(0.02)
    expect(r.late).toBeLessThan(0.15)
    expect(r.median_share_of_deadline).toBeGreaterThan(0.2)
    expect(r.median_share_of_deadline).toBeLessThan(0.8)

    // Duplicates point at an earlier, nearby incident of the same category, still open when
    // they came in, and were merged (or wait for it at the demo's end, as intake links them).
    const d = await one<Record<string, number>>(db(), `
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE d.status = 'reported')::int AS waiting,
             count(*) FILTER (WHERE d.status NOT IN ('rejected', 'reported') OR o.id >= d.id OR o.category_code <> d.category_code
                              OR NOT ST_DWithin(o.geom::geography, d.geom::geography, 150)
                              OR o.closed_at <= d.reported_at)::int AS bad,
             (SELECT count(*)::int FROM incident_event e JOIN incident x ON x.id = e.incident_id
              WHERE e.action = 'merge' AND (e.detail->>'duplicateOf')::bigint IS DISTINCT FROM x.duplicate_of) AS bad_merges
      FROM incident d JOIN incident o ON o.id = d.duplicate_of`)
    expect(d.n).toBeGreaterThan(1000)
    expect(d).toMatchObject({ bad: 0, bad_merges: 0 })
    expect(d.waiting).toBeLessThan(20)
  })

  it('records the steps taken as events for the last year, each allowed by the workflow', async () => {
    const from = END - DEFAULT_EVENT_DAYS * DAY
    const r = await one<Record<string, number>>(db(), `
      SELECT (SELECT count(*)::int FROM incident_event) AS events,
             (SELECT count(DISTINCT incident_id)::int FROM incident_event) AS with_events,
             (SELECT count(*)::int FROM incident WHERE reported_at >= to_timestamp($1)) AS recent,
             (SELECT count(*)::int FROM incident_event e JOIN incident i ON i.id = e.incident_id WHERE i.reported_at < to_timestamp($1)) AS old_events`,
      [from],
    )
    expect(r.events).toBe(report.events)
    expect(r.with_events).toBe(r.recent)
    expect(r.old_events).toBe(0)

    const chain = await one<Record<string, number>>(db(), `
      WITH e AS (
        SELECT e.incident_id, e.action, e.from_status, e.to_status, e.at, e.note, e.from_at,
               lag(e.to_status) OVER w AS prev_to, lag(e.at) OVER w AS prev_at, row_number() OVER w AS k,
               row_number() OVER (PARTITION BY e.incident_id ORDER BY e.at DESC, e.id DESC) AS from_last
        FROM incident_event e WINDOW w AS (PARTITION BY e.incident_id ORDER BY e.at, e.id)
      )
      SELECT count(*) FILTER (WHERE e.k = 1 AND (e.action <> 'report' OR e.from_status IS NOT NULL OR e.at <> i.reported_at))::int AS bad_first,
             count(*) FILTER (WHERE e.k > 1 AND e.from_status IS DISTINCT FROM e.prev_to)::int AS broken,
             count(*) FILTER (WHERE e.at < e.prev_at)::int AS backwards,
             count(*) FILTER (WHERE e.from_last = 1 AND (e.to_status <> i.status OR e.at <> i.updated_at))::int AS bad_last,
             count(*) FILTER (WHERE e.action IN ('reject', 'merge', 'reopen') AND e.note IS NULL)::int AS without_note,
             -- each event carries the previous one's time (supervision's step durations)
             count(*) FILTER (WHERE e.from_at IS DISTINCT FROM e.prev_at)::int AS bad_from_at
      FROM e JOIN incident i ON i.id = e.incident_id`)
    expect(chain).toEqual({ bad_first: 0, broken: 0, backwards: 0, bad_last: 0, without_note: 0, bad_from_at: 0 })

    const moves = await rows<{ action: string; from_status: Status | null; to_status: Status; n: number }>(db(), `
      SELECT action, from_status, to_status, count(*)::int AS n FROM incident_event GROUP BY 1, 2, 3 ORDER BY n DESC`)
    const illegal = moves.filter((m) => (m.action === 'report' ? m.from_status !== null || m.to_status !== 'reported' : nextStatus(m.from_status!, m.action as Action) !== m.to_status))
    expect(illegal).toEqual([])
    expect(new Set(moves.map((m) => m.action))).toEqual(new Set(['report', 'accept', 'dispatch', 'handle', 'verify', 'close', 'reject', 'merge', 'reopen']))
  })

  it("has work still open at the demo's end and overdue now", async () => {
    // Only dispatched incidents (waiting for their department) can be overdue.
    const r = await one<Record<string, number>>(db(), `
      WITH levels AS (
        SELECT incident_supervision_level(status, dispatched_at, deadline_at, $1::timestamptz) AS at_end,
               incident_supervision_level(status, dispatched_at, deadline_at, now()) AS now
        FROM incident WHERE status = 'dispatched'
      )
      SELECT (SELECT count(*)::int FROM incident WHERE status NOT IN ('closed', 'rejected')) AS open,
             count(*) FILTER (WHERE at_end = 0)::int AS on_time_at_end,
             count(*) FILTER (WHERE at_end > 0)::int AS overdue_at_end,
             count(*) FILTER (WHERE at_end = 3)::int AS level3_at_end,
             count(*) FILTER (WHERE now > 0)::int AS overdue_now
      FROM levels`,
      [new Date(END * 1000)],
    )
    console.log(`[incidents] ${backend}: open work ${JSON.stringify(r)}`)
    expect(r.open).toBeGreaterThan(300)
    expect(r.on_time_at_end).toBeGreaterThan(50)
    expect(r.overdue_at_end).toBeGreaterThan(50)
    expect(r.level3_at_end).toBeGreaterThan(10)
    expect(r.overdue_now).toBeGreaterThanOrEqual(r.overdue_at_end!)
    // A supervisor's queue at the end holds recent neglect, not work forgotten for years: an
    // old dispatch nobody handled was escalated (and handled late) long before the end.
    const age = await one<Record<string, number>>(db(), `
      SELECT count(*)::int AS overdue, count(*) FILTER (WHERE dispatched_at >= $1::timestamptz - interval '120 days')::int AS recent,
             count(*) FILTER (WHERE dispatched_at < $1::timestamptz - interval '365 days')::int AS over_a_year
      FROM incident WHERE status = 'dispatched' AND deadline_at <= $1::timestamptz`,
      [new Date(END * 1000)],
    )
    expect(age.overdue).toBe(r.overdue_at_end)
    expect(age.recent).toBeGreaterThanOrEqual(0.8 * age.overdue!)
    expect(age.over_a_year).toBe(0)
  })

  it('stores exactly what the generator makes for the seed, and the generator is deterministic', async () => {
    expect(regenerated.count).toBe(report.incidents)
    const sample = await rows<Record<string, unknown>>(db(), `
      SELECT id, category_code, ST_X(geom) AS lon, ST_Y(geom) AS lat, extract(epoch FROM reported_at)::float8 AS reported, channel, grid_code,
             status, extract(epoch FROM closed_at)::float8 AS closed, duplicate_of, satisfaction, token
      FROM incident WHERE id % 101 = 1 ORDER BY id`)
    const expected = sample.map((s) => {
      const i = (s.id as number) - 1
      const r = regenerated
      return {
        id: i + 1, category_code: r.categories[r.category[i]!], lon: r.lon[i], lat: r.lat[i], reported: r.reportedAt[i], channel: r.channels[r.channel[i]!],
        grid_code: r.grid[i]! >= 0 ? r.gridCodes[r.grid[i]!] : null, status: r.statuses[r.status[i]! - 1], closed: Number.isNaN(r.closedAt[i]!) ? null : r.closedAt[i],
        duplicate_of: r.duplicateOf[i] || null, satisfaction: r.satisfaction[i] || null, token: r.token[i],
      }
    })
    expect(sample).toEqual(expected)

    // A small configuration: the same seed gives the same columns, another seed others.
    const small = { days: 45, perDay: 80, end: '2026-08-01T00:00:00+08:00' }
    const a = generateDemoIncidents(city, { ...small, seed: 11 })
    const b = generateDemoIncidents(city, { ...small, seed: 11 })
    const c = generateDemoIncidents(city, { ...small, seed: 12 })
    expect(a.count).toBeGreaterThan(3000)
    expect(digest(b)).toBe(digest(a))
    expect(digest(c)).not.toBe(digest(a))
    console.log(`[incidents] ${backend}: small configuration (${a.count} incidents) sha256 ${digest(a).slice(0, 16)}`)
  })

  it('moves the named clusters with the end of the history, so a demo made any day has them in its last two years', () => {
    const cluster = DEMO_INCIDENT_CLUSTERS.find((c) => c.name === 'tangxia-street-vending')!
    const busy = { ...cluster, perDay: [200, 200] as const }
    const shiftDays = 30
    const shiftedEnd = new Date(Date.parse(DEMO_INCIDENTS_END) + shiftDays * 86_400_000).toISOString()
    const reportDays = (end: string) => {
      const g = generateDemoIncidents(city, { seed: 5, days: 250, perDay: 5, end, clusters: [busy] })
      const k = g.categories.indexOf(cluster.category)
      const days = new Set<number>()
      for (let i = 0; i < g.count; i++) {
        if (g.category[i] !== k) continue
        const dx = (g.lon[i]! - cluster.centre[0]) * 111_320 * Math.cos((cluster.centre[1] * Math.PI) / 180)
        const dy = (g.lat[i]! - cluster.centre[1]) * 110_574
        if (Math.hypot(dx, dy) <= cluster.radiusM) days.add(Math.floor((g.reportedAt[i]! + 8 * 3600) / 86_400))
      }
      return [...days].sort((a, b) => a - b)
    }
    const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000
    const asDeclared = reportDays(DEMO_INCIDENTS_END)
    const shifted = reportDays(shiftedEnd)
    // ~200 reports a day inside: every day of the cluster has some, the odd background report aside,
    // and probable duplicates come up to 72 h after the report they repeat.
    const span = (days: number[]) => days.filter((d, i) => days[i + 1] === d + 1 || days[i - 1] === d - 1)
    for (const [days, shift] of [[asDeclared, 0], [shifted, shiftDays]] as const) {
      expect(span(days)[0]).toBe(day(cluster.start) + shift)
      expect(span(days).at(-1)).toBeGreaterThanOrEqual(day(cluster.end) - 1 + shift)
      expect(span(days).at(-1)).toBeLessThanOrEqual(day(cluster.end) + 2 + shift)
    }
  })

  it("ends the server's demo history at the local midnight of today, or of ZHIWANG_DEMO_END", () => {
    expect(demoEndFrom({}, new Date('2026-11-27T15:59:59Z'))).toBe('2026-11-27T00:00:00+08:00')
    expect(demoEndFrom({}, new Date('2026-11-27T16:00:00Z'))).toBe('2026-11-28T00:00:00+08:00') // midnight in the city
    expect(demoEndFrom({ ZHIWANG_DEMO_END: '2026-11-01' })).toBe(DEMO_INCIDENTS_END)
    for (const bad of ['2026-02-30', 'yesterday', '2026-11-01T00:00:00Z']) expect(() => demoEndFrom({ ZHIWANG_DEMO_END: bad })).toThrow(/ZHIWANG_DEMO_END/)
  })

  it('does nothing when seeded again', async () => {
    const before = await fingerprint(db())
    expect(await seedDemoIfEmpty(db(), undefined, { patrols: false })).toBe(false)
    expect(await seedDemoIncidentsIfEmpty(db())).toBeNull()
    expect(await fingerprint(db())).toEqual(before)
  })
})

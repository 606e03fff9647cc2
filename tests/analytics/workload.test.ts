import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { FROM, GRID, NAME_A, REPORTS, RESIDENTS, TO, WEIGHT, patrolledCells, seedWorkloadCity, type GridName } from './workload-fixture.ts'

type App = Awaited<ReturnType<typeof buildApp>>
type Row = Record<string, unknown>
const NAMES = Object.keys(GRID) as GridName[]
const PERIOD = `from=${FROM}&to=${TO}`

/** Load per grid worked out from the fixture: counted incidents reported in [FROM, TO) local time. */
function expectedLoads(): Record<GridName, { load: number; incidents: number }> {
  const from = Date.parse(`${FROM}T00:00:00+08:00`)
  const to = Date.parse(`${TO}T00:00:00+08:00`)
  const out = Object.fromEntries(NAMES.map((g) => [g, { load: 0, incidents: 0 }])) as Record<GridName, { load: number; incidents: number }>
  for (const r of REPORTS) {
    const t = Date.parse(r.at)
    if (!r.grid || r.status === 'rejected' || r.duplicateOf || t < from || t >= to) continue
    out[r.grid].load += WEIGHT[r.category]!
    out[r.grid].incidents++
  }
  return out
}

/** Gini as the mean absolute difference over all pairs / (2 × mean): not the sorted form the server uses. */
function giniByPairs(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  let sum = 0
  for (const a of xs) for (const b of xs) sum += Math.abs(a - b)
  return sum / (2 * xs.length ** 2 * mean)
}
function cvOf(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) / mean
}

/** RFC 4180 reader, written apart from the server's writer: every field as text, empty → null. */
function parseCsv(text: string): Row[] {
  const rows: string[][] = [[]]
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') rows.at(-1)!.push(cell), (cell = '')
    else if (c === '\r' && text[i + 1] === '\n') rows.at(-1)!.push(cell), (cell = ''), rows.push([]), i++
    else cell += c
  }
  rows.pop() // after the last CRLF
  const [header, ...body] = rows
  return body.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k] === '' ? null : r[k]])))
}
/** JSON values as the CSV should spell them. */
const asText = (rows: Row[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])))

describeBackends('Workload, balance and supervision analytics', ({ db }) => {
  let app: App
  let analyst: Record<string, string>
  const get = (url: string, headers = analyst) => app.inject({ url, headers })
  const json = async (url: string) => {
    const res = await get(url)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }

  beforeAll(async () => {
    await seedWorkloadCity(db())
    analyst = await keyHeaders(db(), { name: 'analytics-test', role: 'analyst' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('reports each grid’s weighted load, residents, administrators, patrol coverage and deviation', async () => {
    const body = await json(`/api/v1/analytics/workload?${PERIOD}&parent=441900`)
    expect(body.params).toEqual({ from: '2025-01-01T00:00:00+08:00', to: '2025-07-01T00:00:00+08:00', parent: '441900', at: null, generation: body.generation.id, attribution: 'routed', level: 'grid' })
    const want = expectedLoads()
    expect(Object.fromEntries(NAMES.map((g) => [g, want[g].load]))).toEqual({ A: 5.8, B: 2, C: 3, D: 0.8, E: 9, F: 0 })
    const mean = NAMES.reduce((s, g) => s + want[g].load, 0) / NAMES.length
    const admins: Record<GridName, number> = { A: 2, B: 1, C: 1, D: 0, E: 1, F: 0 }
    const { gridACells, visited } = patrolledCells()
    const areas = new Map((await db().query<{ code: string; area_m2: number }>(`SELECT code, area_m2 FROM unit WHERE level = 'grid'`)).rows.map((r) => [r.code, r.area_m2]))
    expect(body.items.map((i: Row) => i.code)).toEqual(NAMES.map((g) => GRID[g]))
    for (const [k, g] of NAMES.entries()) {
      const item = body.items[k]
      expect(item, g).toMatchObject({ incidents: want[g].incidents, population: RESIDENTS[g][0], households: RESIDENTS[g][1], administrators: admins[g], community: GRID[g].slice(0, 12), town: GRID[g].slice(0, 9) })
      expect(item.load, g).toBeCloseTo(want[g].load, 12)
      expect(item.loadPerAdministrator, g).toEqual(admins[g] ? expect.closeTo(want[g].load / admins[g], 12) : null)
      expect(item.loadPer1000Residents, g).toBeCloseTo((want[g].load / RESIDENTS[g][0]) * 1000, 12)
      expect(item.deviation, g).toBeCloseTo((want[g].load - mean) / mean, 12)
      expect(item.areaKm2, g).toBeCloseTo(areas.get(GRID[g])! / 1e6, 9)
      expect(item.areaKm2).toBeGreaterThan(1) // 0.01° × 0.01° near 22.9° N ≈ 1.14 km²
      expect(item.areaKm2).toBeLessThan(1.2)
    }
    expect(body.items[0]).toMatchObject({ name: NAME_A, patrolCells: gridACells, patrolVisited: visited.length, patrolCoverage: visited.length / gridACells })
    // C was patrolled, but before the period.
    expect(body.items[2]).toMatchObject({ patrolVisited: 0, patrolCoverage: 0 })
    expect(body.summary).toMatchObject({ grids: 6, incidents: 10 })
    expect(body.summary.load).toBeCloseTo(20.6, 12)
    expect(body.summary.meanLoad).toBeCloseTo(mean, 12)

    // Inside one community, the deviation is from that community's mean.
    const one = await json(`/api/v1/analytics/workload?${PERIOD}&parent=441900003001`)
    expect(one.items.map((i: Row) => i.code)).toEqual([GRID.A, GRID.B])
    expect(one.items[0].deviation).toBeCloseTo((5.8 - 3.9) / 3.9, 12)
  })

  it('measures balance per parent unit with Gini, CV, max/median and the ±25 % share, and lists extremes', async () => {
    const body = await json(`/api/v1/analytics/balance?${PERIOD}&limit=2`)
    expect(body.params).toMatchObject({ parent: '441900', measure: 'load', limit: 2 })
    const want = expectedLoads()
    const load = (gs: GridName[]) => gs.map((g) => want[g].load)
    const groups: Record<string, GridName[]> = {
      '441900': NAMES,
      '441900003': ['A', 'B', 'C', 'D'],
      '441900003001': ['A', 'B'],
      '441900003002': ['C', 'D'],
      '441900004': ['E', 'F'],
      '441900004001': ['E'],
      '441900004002': ['F'],
    }
    expect(body.units.map((u: Row) => u.code)).toEqual(Object.keys(groups).sort()) // tree order: each town followed by its communities
    for (const u of body.units) {
      const xs = load(groups[u.code]!)
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      const sorted = [...xs].sort((a, b) => a - b)
      const median = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
      expect(u.n, u.code).toBe(xs.length)
      expect(u.mean, u.code).toBeCloseTo(mean, 12)
      expect(u.median, u.code).toBeCloseTo(median, 12)
      expect(u.gini, u.code).toEqual(mean === 0 ? null : expect.closeTo(giniByPairs(xs), 12))
      expect(u.cv, u.code).toEqual(mean === 0 ? null : expect.closeTo(cvOf(xs), 12))
      expect(u.maxOverMedian, u.code).toEqual(median === 0 ? null : expect.closeTo(Math.max(...xs) / median, 12))
      expect(u.shareBeyondBand, u.code).toBe(xs.filter((x) => Math.abs(x - mean) > 0.25 * mean).length / xs.length)
    }
    expect(body.units[0].gini).toBeCloseTo(0.4935275081, 9) // by hand: Σ|xi − xj| = 122 over 2 · 36 · 20.6/6
    const mean = 20.6 / 6
    expect(body.mostOverloaded).toEqual([
      { code: GRID.E, name: '网格E', value: 9, deviation: expect.closeTo((9 - mean) / mean, 12) },
      { code: GRID.A, name: NAME_A, value: 5.8, deviation: expect.closeTo((5.8 - mean) / mean, 12) },
    ])
    expect(body.mostUnderloaded.map((r: Row) => r.code)).toEqual([GRID.F, GRID.D])

    // Per administrator: grids without one (D, F) have no value and are left out.
    const perAdmin = await json(`/api/v1/analytics/balance?${PERIOD}&measure=load_per_admin`)
    const xs = [5.8 / 2, 2, 3, 9]
    expect(perAdmin.units[0]).toMatchObject({ code: '441900', n: 4 })
    expect(perAdmin.units[0].gini).toBeCloseTo(giniByPairs(xs), 12)
    expect(perAdmin.units[0].cv).toBeCloseTo(cvOf(xs), 12)
    const households = await json(`/api/v1/analytics/balance?${PERIOD}&measure=households&parent=441900004`)
    expect(households.units.map((u: Row) => [u.code, u.n, u.mean])).toEqual([['441900004', 2, 650], ['441900004001', 1, 1000], ['441900004002', 1, 300]])
  })

  it('scores supervision per grid: on-time rate, step medians, overdue, reopens, satisfaction, rank', async () => {
    const body = await json(`/api/v1/analytics/supervision?${PERIOD}`)
    expect(body.params).toMatchObject({ by: 'grid', sort: 'onTimeRate', order: 'desc', limit: 100, parent: '441900' })
    expect(body.total).toBe(6)
    expect(body.items.map((i: Row) => [i.key, i.rank])).toEqual([[GRID.A, 1], [GRID.B, 2], [GRID.C, null], [GRID.D, null], [GRID.E, null], [GRID.F, null]])
    const [a, b, c] = body.items
    expect(a).toEqual({
      rank: 1, key: GRID.A, name: NAME_A, name_en: null, incidents: 3, closed: 1, due: 2, onTime: 1, onTimeRate: 0.5, overdue: 1, handled: 2, reopened: 1, reopenRate: 0.5, satisfaction: 5, ratings: 1,
      medianHours: { reportedToAccepted: 1, acceptedToDispatched: 2, dispatchedToHandled: 30, handledToVerified: 1.5, verifiedToClosed: 2.5 },
      patrolCoverage: expect.closeTo(patrolledCells().visited.length / patrolledCells().gridACells, 12),
    })
    expect(b).toMatchObject({ incidents: 2, closed: 1, due: 1, onTime: 0, onTimeRate: 0, overdue: 0, handled: 1, reopened: 0, reopenRate: 0, satisfaction: 2, ratings: 1 })
    expect(b.medianHours).toEqual({ reportedToAccepted: 1, acceptedToDispatched: 1, dispatchedToHandled: 28, handledToVerified: 1, verifiedToClosed: 2 })
    expect(c).toMatchObject({ incidents: 1, due: 0, onTimeRate: null, reopenRate: null, satisfaction: null, ratings: 0, medianHours: { reportedToAccepted: null } })

    const byOverdue = await json(`/api/v1/analytics/supervision?${PERIOD}&sort=incidents&order=asc&limit=3`)
    expect(byOverdue.items.map((i: Row) => [i.key, i.incidents, i.rank])).toEqual([[GRID.F, 0, 1], [GRID.C, 1, 2], [GRID.D, 1, 2]])
    expect(byOverdue.total).toBe(6)
  })

  it('scores towns, administrators and departments', async () => {
    const towns = await json(`/api/v1/analytics/supervision?${PERIOD}&by=town&sort=key&order=asc`)
    const { gridACells, visited } = patrolledCells()
    const cellsOf = async (codes: string[]) => {
      const res = await json(`/api/v1/analytics/workload?${PERIOD}`)
      return res.items.filter((i: Row) => codes.includes(i.code as string)).reduce((s: number, i: Row) => s + (i.patrolCells as number), 0)
    }
    expect(towns.items.map((t: Row) => t.key)).toEqual(['441900003', '441900004'])
    // Each town's English name as the unit has it (null when none), for the console's English tables.
    const town = (await app.inject(`/api/v1/units/${towns.items[0].key}`)).json()
    expect(towns.items[0].name_en).toBe(town.properties.name_en ?? null)
    expect(towns.items[0]).toMatchObject({ name: '东城街道', incidents: 7, closed: 2, due: 3, onTime: 1, overdue: 1, handled: 3, reopened: 1, satisfaction: 3.5, ratings: 2 })
    expect(towns.items[0].onTimeRate).toBeCloseTo(1 / 3, 12)
    expect(towns.items[0].medianHours).toMatchObject({ reportedToAccepted: 1, dispatchedToHandled: 28 })
    expect(towns.items[0].patrolCoverage).toBeCloseTo(visited.length / (await cellsOf([GRID.A, GRID.B, GRID.C, GRID.D])), 12)
    expect(towns.items[1]).toMatchObject({ incidents: 3, patrolCoverage: 0 })

    const admins = await json(`/api/v1/analytics/supervision?${PERIOD}&by=administrator&sort=incidents`)
    // P4 is inactive; P2 serves A and B; coverage counts only an administrator's own patrols.
    expect(admins.items.map((a: Row) => [a.key, a.name, a.incidents, a.rank])).toEqual([['P2', '员P2', 5, 1], ['P1', '员P1', 3, 2], ['P5', '员P5', 3, 2], ['P3', '员P3', 1, 4]])
    expect(admins.items[0]).toMatchObject({ closed: 2, due: 3, onTime: 1, patrolCoverage: 0 })
    expect(admins.items[1].patrolCoverage).toBeCloseTo(visited.length / gridACells, 12)
    expect(admins.items[3].patrolCoverage).toBe(0) // P3 patrolled before the period

    const departments = await json(`/api/v1/analytics/supervision?${PERIOD}&by=department&sort=key&order=asc`)
    const dept = Object.fromEntries(departments.items.map((d: Row) => [d.key, d]))
    const catalogue = (await db().query<{ n: number }>(`SELECT count(DISTINCT department)::int AS n FROM incident_category`)).rows[0]!.n
    expect(departments.total).toBe(catalogue)
    expect(dept.justice_bureau).toMatchObject({ incidents: 1, onTimeRate: 1, patrolCoverage: null })
    expect(dept.urban_management_bureau).toMatchObject({ incidents: 1, due: 1, onTimeRate: 0, overdue: 1, reopenRate: 1 })
    expect(dept.fire_rescue).toMatchObject({ incidents: 1, onTimeRate: 0, satisfaction: 2 })
    expect(dept.water_affairs).toMatchObject({ incidents: 0, onTimeRate: null })
  })

  it('scores an administrator only for the grids and times served, also one who has left', async () => {
    // P9 served A until noon of 2 March (A1 and A2 reported, not A3), then E for 2 May only (E2), and left.
    const { id } = (await db().query<{ id: number }>(`INSERT INTO administrator (employee_no, name, active) VALUES ('P9', '员P9', false) RETURNING id`)).rows[0]!
    await db().query(`INSERT INTO administrator_assignment (administrator_id, grid_code, valid_from, valid_to) VALUES
      ($1, $2, NULL, '2025-03-02T12:00:00+08:00'), ($1, $3, '2025-05-02T00:00:00+08:00', '2025-05-03T00:00:00+08:00')`, [id, GRID.A, GRID.E])
    try {
      const admins = await json(`/api/v1/analytics/supervision?${PERIOD}&by=administrator&sort=key&order=asc`)
      const byKey = Object.fromEntries(admins.items.map((a: Row) => [a.key, a]))
      expect(Object.keys(byKey)).toEqual(['P1', 'P2', 'P3', 'P5', 'P9'])
      const served = REPORTS.filter((r) => ['A1', 'A2', 'E2'].includes(r.name))
      expect(byKey.P9).toMatchObject({ name: '员P9', active: false, incidents: served.length, closed: 1, handled: 2, reopened: 1, patrolCoverage: 0 })
      expect(byKey.P9.medianHours).toMatchObject({ reportedToAccepted: 1.5, acceptedToDispatched: 2 })
      // The others keep their scores: P5 still has E2, P1 still all of A.
      expect([byKey.P1.incidents, byKey.P5.incidents, byKey.P1.active]).toEqual([3, 3, true])
      // A period outside P9's service leaves P9 out; CSV says who is active.
      const later = await json(`/api/v1/analytics/supervision?from=2025-06-01&to=${TO}&by=administrator&sort=key&order=asc`)
      expect(later.items.map((a: Row) => a.key)).toEqual(['P1', 'P2', 'P3', 'P5'])
      const csv = parseCsv((await get(`/api/v1/analytics/supervision?${PERIOD}&by=administrator&sort=key&order=asc&format=csv`)).body)
      expect(csv.map((r) => [r.key, r.incidents, r.active])).toEqual([['P1', '3', 'true'], ['P2', '5', 'true'], ['P3', '1', 'true'], ['P5', '3', 'true'], ['P9', '3', 'false']])
    } finally {
      await db().query(`DELETE FROM administrator WHERE id = $1`, [id])
    }
  })

  it('answers CSV with the same numbers as JSON, by format=csv or Accept: text/csv', async () => {
    const fromJson = (await json(`/api/v1/analytics/workload?${PERIOD}`)).items
    const res = await get(`/api/v1/analytics/workload?${PERIOD}&format=csv`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(new URLSearchParams(res.headers['zhiwang-params'] as string).get('parent')).toBe('441900')
    expect(parseCsv(res.body)).toEqual(asText(fromJson))

    const sup = await app.inject({ url: `/api/v1/analytics/supervision?${PERIOD}&by=grid`, headers: { ...analyst, accept: 'text/csv' } })
    expect(sup.headers['content-type']).toMatch(/^text\/csv/)
    const rows = parseCsv(sup.body)
    const items = (await json(`/api/v1/analytics/supervision?${PERIOD}&by=grid`)).items
    const pick = (r: Row, steps: Row) => ({ key: r.key, rank: r.rank, onTimeRate: r.onTimeRate, reopenRate: r.reopenRate, dispatchedToHandled: steps.dispatchedToHandled, patrolCoverage: r.patrolCoverage })
    expect(rows.map((r) => pick(r, { dispatchedToHandled: r['medianHours.dispatchedToHandled'] }))).toEqual(asText(items.map((i: Row & { medianHours: Row }) => pick(i, i.medianHours))))
    expect(rows[0]!.name).toBe(NAME_A)
    // format=json wins over Accept.
    expect((await app.inject({ url: `/api/v1/analytics/supervision?${PERIOD}&format=json`, headers: { ...analyst, accept: 'text/csv' } })).json().items).toHaveLength(6)

    const balance = await get(`/api/v1/analytics/balance?${PERIOD}&format=csv&bom=true`)
    expect(balance.body.startsWith('\uFEFFcode,level,name,n,mean,median,gini,cv,maxOverMedian,shareBeyondBand\r\n')).toBe(true)
    const units = (await json(`/api/v1/analytics/balance?${PERIOD}`)).units
    expect(parseCsv(balance.body.slice(1))).toEqual(asText(units))
  })

  it('gives empty, well-formed answers when nothing matches', async () => {
    const quiet = 'from=2020-01-01&to=2020-02-01'
    const w = await json(`/api/v1/analytics/workload?${quiet}`)
    expect(w.summary).toEqual({ grids: 6, incidents: 0, load: 0, meanLoad: 0, unattributed: 0 })
    expect(w.items.every((i: Row) => i.load === 0 && i.deviation === null && i.patrolCoverage === 0)).toBe(true)
    const b = await json(`/api/v1/analytics/balance?${quiet}`)
    expect(b.units[0]).toEqual({ code: '441900', level: 'city', name: '东莞市', n: 6, mean: 0, median: 0, gini: null, cv: null, maxOverMedian: null, shareBeyondBand: 0 })
    expect(b.mostOverloaded.every((r: Row) => r.value === 0 && r.deviation === null)).toBe(true)
    const s = await json(`/api/v1/analytics/supervision?${quiet}`)
    expect(s.items.every((i: Row) => i.incidents === 0 && i.rank === null)).toBe(true)
    const none = await json(`/api/v1/analytics/supervision?${PERIOD}&by=administrator&parent=441900004002`)
    expect(none).toMatchObject({ total: 0, items: [] })
    const csv = await get(`/api/v1/analytics/supervision?${PERIOD}&by=administrator&parent=441900004002&format=csv`)
    expect(parseCsv(csv.body)).toEqual([])
    expect(csv.body.split('\r\n')[0]).toMatch(/^rank,key,name,incidents/)
  })

  it('refuses bad parameters with 400 naming them, and unknown parents with 404', async () => {
    const cases: [string, RegExp][] = [
      [`/api/v1/analytics/workload?from=2025-02-30`, /from/],
      [`/api/v1/analytics/workload?from=yesterday`, /from/],
      [`/api/v1/analytics/workload?from=2025-03-01&to=2025-03-01`, /from .*before to/],
      [`/api/v1/analytics/workload?to=2025-03-01T00:00:00`, /to/], // a date-time needs its offset
      [`/api/v1/analytics/workload?level=street`, /level/],
      [`/api/v1/analytics/workload?parent=4419`, /parent/],
      [`/api/v1/analytics/balance?measure=wealth`, /measure/],
      [`/api/v1/analytics/balance?limit=0`, /limit/],
      [`/api/v1/analytics/supervision?by=street`, /by/],
      [`/api/v1/analytics/supervision?limit=10001`, /limit/],
      [`/api/v1/analytics/supervision?sort=id;DROP`, /sort/],
      [`/api/v1/analytics/supervision?order=up`, /order/],
      [`/api/v1/analytics/supervision?by=town&parent=441900003001`, /by/],
      [`/api/v1/analytics/supervision?at=2025-13-01`, /at/],
    ]
    for (const [url, param] of cases) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.headers['content-type'], url).toMatch(/application\/problem\+json/)
      expect(res.json().detail, url).toMatch(param)
    }
    for (const url of ['/api/v1/analytics/workload?parent=441900009', '/api/v1/analytics/balance?parent=441900003009', '/api/v1/analytics/supervision?at=2019-06-01']) {
      expect((await get(url)).statusCode, url).toBe(404)
    }
  })

  it('admits admin, supervisor, planner and analyst keys only', async () => {
    const url = `/api/v1/analytics/workload?${PERIOD}`
    expect((await get(url, {})).statusCode).toBe(401)
    expect((await get(url, { authorization: 'Bearer zw_not-a-key' })).statusCode).toBe(401)
    const gridAdmin = await keyHeaders(db(), { name: 'p1-key', role: 'grid_admin', administratorEmployeeNo: 'P1' })
    const department = await keyHeaders(db(), { name: 'fire-key', role: 'department', department: 'fire_rescue' })
    for (const path of ['workload', 'balance', 'supervision']) {
      expect((await get(`/api/v1/analytics/${path}`, gridAdmin)).statusCode, path).toBe(403)
      expect((await get(`/api/v1/analytics/${path}`, department)).statusCode, path).toBe(403)
    }
    for (const role of ['admin', 'supervisor', 'planner']) {
      expect((await get(url, await keyHeaders(db(), { name: `k-${role}`, role }))).statusCode, role).toBe(200)
    }
  })

  it('agrees with incidents moved through the real workflow', async () => {
    const supervisor = await keyHeaders(db(), { name: 'workflow', role: 'supervisor' })
    const headers = { ...supervisor, 'content-type': 'application/json' }
    // Into grid F (113.72–113.73 × 22.90–22.91), reported now: inside the default period (the last 365 days).
    const made = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload: { category: 'SAFE-02', lon: 113.725, lat: 22.905, channel: 'hotline', description: '化学品' } })
    expect(made.statusCode, made.body).toBe(201)
    const id = made.json().id
    for (const action of ['accept', 'dispatch']) {
      const res = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers, payload: { action } })
      expect(res.statusCode, res.body).toBe(200)
    }
    const w = await json(`/api/v1/analytics/workload?parent=441900004002`)
    expect(w.items).toEqual([expect.objectContaining({ code: GRID.F, incidents: 1, load: 3 })])
    const s = await json(`/api/v1/analytics/supervision?parent=441900004002`)
    expect(s.items[0]).toMatchObject({ key: GRID.F, incidents: 1, closed: 0, due: 0, overdue: 0 })
    expect(s.items[0].medianHours.reportedToAccepted).toBeGreaterThanOrEqual(0)
    expect(s.items[0].medianHours.acceptedToDispatched).toBeGreaterThanOrEqual(0)
    expect(s.items[0].medianHours.dispatchedToHandled).toBeNull()
  })
})

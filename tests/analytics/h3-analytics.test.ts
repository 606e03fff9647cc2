/**
 * The incident cube and the H3 / hot-spot / emerging endpoints, on a 10 × 10
 * square city with incidents sent through bulk intake: a planted cluster, a
 * growing and a fading one over 20 weeks, and uniform background. Expected
 * counts come from the test's own coordinates and h3-js, not from the server.
 */
import { cellToParent, latLngToCell } from 'h3-js'
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
const DAY = 86_400_000
const WEEK = 7 * DAY
const CATEGORIES = ['ENV-01', 'ENV-03', 'CONS-02', 'FAC-01', 'FIRE-01', 'SAFE-01', 'FOOD-01', 'OTH-01', 'LAB-01', 'MKT-01']
const WEIGHT: Record<string, number> = { 'ENV-01': 0.8, 'ENV-03': 1, 'CONS-02': 0.8, 'FAC-01': 1, 'FIRE-01': 1.5, 'SAFE-01': 2, 'FOOD-01': 2, 'OTH-01': 1, 'LAB-01': 2.5, 'MKT-01': 1 }
const HOT = { lon: 113.725, lat: 22.925 } // planted 150–290 days ago, before the two below
const GROWING = { lon: 113.775, lat: 22.975 }
const FADING = { lon: 113.725, lat: 22.975 }
const STEPS = 20

function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Sent {
  lon: number
  lat: number
  at: number
  category: string
  id?: number
  duplicate?: boolean
}

/** Local (UTC+8) calendar day of an instant. */
const localDay = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 10)
const tomorrow = () => localDay(Date.now() + DAY)
/** Start (UTC ms) of week step w of the window ending at tomorrow's local midnight. */
const stepStart = (w: number) => Date.parse(`${tomorrow()}T00:00:00+08:00`) - (STEPS - w) * WEEK

function makeIncidents(): Sent[] {
  const rnd = prng(42)
  const out: Sent[] = []
  const now = Date.now() - 3600_000
  const near = (p: { lon: number; lat: number }, metres: number) => {
    const r = metres * Math.sqrt(rnd())
    const a = 2 * Math.PI * rnd()
    return { lon: p.lon + (r * Math.cos(a)) / 102_500, lat: p.lat + (r * Math.sin(a)) / 110_700 }
  }
  const cat = () => CATEGORIES[Math.floor(rnd() * CATEGORIES.length)]!
  for (let k = 0; k < 1500; k++) out.push({ lon: 113.7 + rnd() * 0.1, lat: 22.9 + rnd() * 0.1, at: now - rnd() * 300 * DAY, category: cat() })
  for (let k = 0; k < 260; k++) out.push({ ...near(HOT, 120), at: now - (150 + rnd() * 140) * DAY, category: cat() })
  for (let w = 0; w < STEPS; w++) {
    const start = stepStart(w)
    const span = Math.min(WEEK, now - start) - 2 * 3600_000
    for (let k = 0; k < 30 + 3 * w; k++) out.push({ ...near(GROWING, 200), at: start + 3600_000 + rnd() * span, category: cat() })
    for (let k = 0; k < 90 - 3 * w; k++) out.push({ ...near(FADING, 200), at: start + 3600_000 + rnd() * span, category: cat() })
  }
  return out
}

describeBackends('Analytics on H3 cells and grids', ({ db }) => {
  let app: App
  let analyst: Record<string, string>
  let sent: Sent[]
  const get = (url: string) => app.inject({ url, headers: analyst })
  const kept = () => sent.filter((s) => !s.duplicate)

  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 10, ny: 10 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    analyst = await keyHeaders(db(), { name: 'analyst', role: 'analyst' })
    const supervisor = await keyHeaders(db(), { name: 'sup', role: 'supervisor' })
    app = await buildApp({ db: db() })
    sent = makeIncidents()
    const body = sent.map((s, k) => JSON.stringify({ category: s.category, lon: s.lon, lat: s.lat, reported_at: new Date(s.at).toISOString(), channel: 'system', external_id: `a-${k}` })).join('\n')
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...supervisor }, payload: body })
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.pop().summary).toMatchObject({ rows: sent.length, errors: 0 })
    for (const l of lines) {
      sent[l.row - 1]!.id = l.id
      sent[l.row - 1]!.duplicate = l.duplicateOf !== null
    }
    return () => app.close()
  }, 600_000)

  it('keeps the cube equal to the raw incidents through intake, workflow, merges and deletes', async () => {
    const sup = await keyHeaders(db(), { name: 'sup2', role: 'supervisor' })
    const ids = kept().slice(0, 30).map((s) => s.id!)
    for (const id of ids.slice(0, 20)) expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers: sup, payload: { action: 'accept' } })).statusCode).toBe(200)
    const merged = await app.inject({ method: 'POST', url: `/api/v1/incidents/${ids[25]}/transitions`, headers: sup, payload: { action: 'merge', duplicateOf: ids[26], note: 'same' } })
    expect(merged.statusCode).toBe(200)
    const cube = `SELECT day, cell, category_code, channel, status, n FROM incident_cell_day WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5`
    const raw = `SELECT incident_day(reported_at) AS day, h3_10 AS cell, category_code, channel, status, count(*)::int AS n FROM incident
                 WHERE h3_10 IS NOT NULL AND duplicate_of IS NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`
    expect((await db().query(cube)).rows).toEqual((await db().query(raw)).rows)
    const statuses = (await db().query<{ status: string; n: string }>(`SELECT status, sum(n)::int AS n FROM incident_cell_day GROUP BY 1 ORDER BY 1`)).rows
    expect(statuses).toEqual([{ status: 'accepted', n: 20 }, { status: 'reported', n: kept().length - 21 }])
    await db().exec(`DELETE FROM incident_event WHERE incident_id = ${ids[29]}; DELETE FROM incident WHERE id = ${ids[29]}`)
    expect((await db().query(cube)).rows).toEqual((await db().query(raw)).rows)
    // Back to the state the other tests expect.
    await db().exec(`UPDATE incident SET status = 'reported', duplicate_of = NULL WHERE status <> 'reported' OR id = ${ids[25]}`)
    sent = sent.filter((s) => s.id !== ids[29])
  })

  it('computes H3 parents in SQL exactly as h3-js does', async () => {
    const cells = sent.slice(0, 50).map((s) => latLngToCell(s.lat, s.lon, 10))
    for (const res of [6, 7, 8, 9, 10]) {
      const { rows } = await db().query<{ p: string }>(`SELECT to_hex(h3_parent(h3_from_hex(c), $2)) AS p FROM unnest($1::text[]) WITH ORDINALITY AS t(c, o) ORDER BY o`, [cells, res])
      expect(rows.map((r) => r.p)).toEqual(cells.map((c) => cellToParent(c, res)))
    }
  })

  it('aggregates counts and effort-weighted load per cell at every resolution, with filters', async () => {
    for (const res of [6, 8, 9, 10]) {
      const body = (await get(`/api/v1/analytics/h3?res=${res}&from=2000-01-01&format=json`)).json()
      const expected = new Map<string, number>()
      // A coarser cell holds its H3 children (cellToParent), which is not always the cell the point falls in at that resolution.
      for (const s of kept()) {
        const cell = cellToParent(latLngToCell(s.lat, s.lon, 10), res)
        expected.set(cell, (expected.get(cell) ?? 0) + 1)
      }
      expect(Object.fromEntries(body.cells.map((c: { cell: string; count: number }) => [c.cell, c.count]))).toEqual(Object.fromEntries(expected))
      expect(body.params).toMatchObject({ res, from: '2000-01-01', measure: 'count' })
    }
    const fire = (await get(`/api/v1/analytics/h3?res=8&from=2000-01-01&categories=FIRE-01,LAB-01&measure=load&format=json`)).json()
    const load = new Map<string, number>()
    for (const s of kept().filter((x) => x.category === 'FIRE-01' || x.category === 'LAB-01')) {
      const c = cellToParent(latLngToCell(s.lat, s.lon, 10), 8)
      load.set(c, (load.get(c) ?? 0) + WEIGHT[s.category]!)
    }
    expect(fire.cells).toHaveLength(load.size)
    for (const c of fire.cells) expect(c.value).toBeCloseTo(load.get(c.cell)!, 6)
    // The last 30 local days only.
    const from = localDay(Date.now() - 29 * DAY)
    const recent = (await get(`/api/v1/analytics/h3?res=7&from=${from}&format=json`)).json()
    expect(recent.total).toBe(kept().filter((s) => localDay(s.at) >= from).length)
  })

  it('answers GeoJSON cells, CSV with the same numbers, rates per 1,000 residents and a parent scope', async () => {
    const geo = (await get(`/api/v1/analytics/h3?res=8&from=2000-01-01`)).json()
    expect(geo.type).toBe('FeatureCollection')
    expect(geo.features[0].geometry.type).toBe('Polygon')
    const csv = await get(`/api/v1/analytics/h3?res=8&from=2000-01-01&format=csv`)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csv.body.trim().split(/\r?\n/)
    expect(lines[0]).toBe('cell,grid,count,load,value')
    expect(lines.slice(1).reduce((s, l) => s + Number(l.split(',')[2]), 0)).toBe(kept().length)
    // Every grid has 1,000 residents shared by its cells: the rate is count × 1000 / residents of the cell.
    const rate = (await get(`/api/v1/analytics/h3?res=9&from=2000-01-01&per1000=true&parent=441900003001&format=json`)).json()
    expect(rate.cells.length).toBeGreaterThan(0)
    for (const c of rate.cells) expect(c.value).toBeGreaterThan(c.count)
    // A cell reaching past the parent's edge counts the parent's incidents and residents inside it: a rate, never 0 or none.
    const edge = (await get(`/api/v1/analytics/h3?res=9&from=2000-01-01&per1000=true&parent=441900003001001&format=json`)).json()
    const counted = edge.cells.filter((c: { count: number }) => c.count > 0)
    expect(counted.length).toBeGreaterThan(0)
    expect(counted.filter((c: { value: number | null }) => !(c.value! > 0))).toEqual([])
    const one = (await get(`/api/v1/analytics/h3?res=9&from=2000-01-01&parent=441900003001001&format=json`)).json()
    expect(one.cells.length).toBeGreaterThan(0)
    expect(one.cells.every((c: { grid: string | null }) => c.grid === '441900003001001')).toBe(true)
    // Hot spots of a parent run on the same values: its own incidents, every one of them in its area, at every resolution.
    // (A grid's cells reach into its neighbours: their incidents are not the grid's.)
    for (const [res, unit] of [[7, '441900003001'], [8, '441900003001'], [9, '441900003001'], [9, '441900003001045'], [8, '441900003001045']] as const) {
      const [cellsOf, spots] = await Promise.all([
        get(`/api/v1/analytics/h3?res=${res}&from=2000-01-01&parent=${unit}&format=json`).then((r) => r.json() as { total: number; cells: { cell: string; count: number }[] }),
        get(`/api/v1/analytics/hotspots?res=${res}&from=2000-01-01&parent=${unit}&format=json`).then((r) => r.json() as { rows: { id: string; count: number }[] }),
      ])
      expect(cellsOf.total, `${unit} res ${res}`).toBeGreaterThan(0)
      expect(spots.rows.reduce((sum, r) => sum + r.count, 0), `res ${res}`).toBe(cellsOf.total)
      const counts = new Map(spots.rows.map((r) => [r.id, r.count]))
      for (const c of cellsOf.cells) expect(counts.get(c.cell), `res ${res} cell ${c.cell}`).toBe(c.count)
    }
    // A parent's incidents add up to the same total at every resolution, and a cell to the sum of its children.
    const scoped = (res: number) => get(`/api/v1/analytics/h3?res=${res}&from=2000-01-01&parent=441900003001&format=json`).then((r) => r.json() as { total: number; cells: { cell: string; count: number }[] })
    const [r7, r8, r9, r10] = await Promise.all([7, 8, 9, 10].map(scoped))
    expect(r7!.total).toBeGreaterThan(0)
    expect([r8!.total, r9!.total, r10!.total]).toEqual([r7!.total, r7!.total, r7!.total])
    const children = new Map<string, number>()
    for (const c of r9!.cells) children.set(cellToParent(c.cell, 8), (children.get(cellToParent(c.cell, 8)) ?? 0) + c.count)
    expect(new Map(r8!.cells.map((c) => [c.cell, c.count]))).toEqual(children)
  })

  it('finds the planted cluster as a 99 % hot spot with Gi* on H3 cells and on grids, and as HH with local Moran', async () => {
    const from = localDay(Date.now() - 295 * DAY)
    const to = localDay(Date.now() - 145 * DAY)
    const hot = latLngToCell(HOT.lat, HOT.lon, 9)
    const gi = (await get(`/api/v1/analytics/hotspots?res=9&k=1&from=${from}&to=${to}&format=json`)).json()
    const byCell = new Map(gi.rows.map((r: { id: string }) => [r.id, r]))
    expect(byCell.get(hot)).toMatchObject({ bin: 3 })
    expect((byCell.get(hot) as { z: number }).z).toBeGreaterThan(2.58)
    expect(gi.params).toMatchObject({ unit: 'h3', method: 'gi', res: 9, k: 1, fdr: false })
    expect(gi.warnings).toBeUndefined()
    // Every incident of the period is in a cell of the study area or counted as outside it (a cell at the city's edge
    // whose centre no grid covers).
    const inPeriod = (await get(`/api/v1/analytics/h3?res=9&from=${from}&to=${to}&format=json`)).json()
    const all = inPeriod.cells.reduce((n: number, c: { count: number }) => n + c.count, 0)
    expect(gi.rows.reduce((n: number, r: { count: number }) => n + r.count, 0) + gi.summary.outsideStudyArea).toBe(all)
    expect(gi.summary.outsideStudyArea).toBe(inPeriod.cells.filter((c: { cell: string }) => !byCell.has(c.cell)).reduce((n: number, c: { count: number }) => n + c.count, 0))
    const fdr = (await get(`/api/v1/analytics/hotspots?res=9&k=1&from=${from}&to=${to}&fdr=true&format=json`)).json()
    const significant = (rows: { bin: number }[]) => rows.filter((r) => r.bin !== 0).length
    expect(significant(fdr.rows)).toBeLessThanOrEqual(significant(gi.rows))
    expect(new Map(fdr.rows.map((r: { id: string; bin: number }) => [r.id, r.bin])).get(hot)).toBe(3)
    const band = (await get(`/api/v1/analytics/hotspots?res=9&distance=600&from=${from}&to=${to}&format=json`)).json()
    expect(band.params).toMatchObject({ distance: 600 })
    expect(new Map(band.rows.map((r: { id: string; bin: number }) => [r.id, r.bin])).get(hot)).toBe(3)

    const grids = (await get(`/api/v1/analytics/hotspots?unit=grid&from=${from}&to=${to}`)).json()
    const hotGrid = grids.features.find((f: { properties: { id: string } }) => f.properties.id === '441900003001073')
    expect(hotGrid.properties.bin).toBe(3)
    expect(hotGrid.geometry.type).toBe('MultiPolygon')

    const moran = (await get(`/api/v1/analytics/hotspots?method=moran&res=9&k=1&from=${from}&to=${to}&seed=7&format=json`)).json()
    const m = moran.rows.find((r: { id: string }) => r.id === hot)
    expect(m.quadrant).toBe('HH')
    expect(m.p).toBeLessThan(0.05)
    const again = (await get(`/api/v1/analytics/hotspots?method=moran&res=9&k=1&from=${from}&to=${to}&seed=7&format=json`)).json()
    expect(again.rows).toEqual(moran.rows)
  })

  it('classifies the growing cluster as intensifying and the fading one as diminishing', async () => {
    const from = localDay(stepStart(0))
    const body = (await get(`/api/v1/analytics/emerging?res=8&step=week&from=${from}&format=json`)).json()
    expect(body.params).toMatchObject({ steps: STEPS, res: 8, step: 'week', k: 1, timeWindow: 1 })
    const byCell = new Map(body.rows.map((r: { cell: string; pattern: string }) => [r.cell, r.pattern]))
    expect(byCell.get(latLngToCell(GROWING.lat, GROWING.lon, 8))).toBe('intensifying_hot')
    expect(byCell.get(latLngToCell(FADING.lat, FADING.lon, 8))).toBe('diminishing_hot')
    const quiet = body.rows.filter((r: { total: number }) => r.total === 0)
    expect(quiet.every((r: { pattern: string }) => !r.pattern.endsWith('_hot'))).toBe(true)
  })

  it('cuts a monthly window to the whole months inside from…to and counts only their incidents', async () => {
    // from and to in the middle of months: the window starts at the next first of a month and ends at to's month's first.
    const from = localDay(stepStart(0) + 3 * 86_400_000).replace(/-01$/, '-02')
    const to = localDay(Date.now()).replace(/-01$/, '-02')
    const [fy, fm] = from.split('-').map(Number) as [number, number]
    const first = fm === 12 ? `${fy + 1}-01-01` : `${fy}-${String(fm + 1).padStart(2, '0')}-01`
    const last = `${to.slice(0, 7)}-01`
    const steps = (Number(last.slice(0, 4)) - fy) * 12 + Number(last.slice(5, 7)) - fm - 1
    const answer = await get(`/api/v1/analytics/emerging?res=8&step=month&from=${from}&to=${to}&format=json`)
    // The 20 weeks of data hold 2 or 3 whole months, by the day the test runs; a trend needs 3.
    if (steps < 3) return void expect(answer.json().detail).toContain(`holds ${steps} whole months`)
    const body = answer.json()
    expect(body.params).toMatchObject({ from: first, to: last, steps, step: 'month' })
    const inWindow = kept().filter((s) => localDay(s.at) >= first && localDay(s.at) < last).length
    const counted = body.rows.reduce((sum: number, r: { total: number }) => sum + r.total, 0)
    expect(counted).toBeLessThanOrEqual(inWindow)
    expect(counted).toBeGreaterThan(0.9 * inWindow)
    // Incidents of the partial months at either end exist, and are left out.
    expect(kept().filter((s) => localDay(s.at) >= from && localDay(s.at) < to).length).toBeGreaterThan(inWindow)
  })

  it('answers incidents over time by category, every step present, from the cube', async () => {
    const from = localDay(stepStart(0))
    const body = (await get(`/api/v1/analytics/series?step=week&by=category&from=${from}`)).json()
    expect(body.steps).toHaveLength(STEPS)
    expect(body.steps[0]).toBe(from)
    const inWindow = kept().filter((s) => localDay(s.at) >= from)
    for (const c of CATEGORIES) {
      const expected = new Array(STEPS).fill(0)
      for (const s of inWindow.filter((x) => x.category === c)) expected[Math.floor((Date.parse(`${localDay(s.at)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / WEEK)]++
      const series = body.series.find((x: { key: string }) => x.key === c)
      expect(series?.values ?? new Array(STEPS).fill(0), c).toEqual(expected)
    }
    const months = (await get(`/api/v1/analytics/series?step=month&by=channel&from=2025-12-15&to=2026-03-01`)).json()
    expect(months.steps).toEqual(['2025-12-01', '2026-01-01', '2026-02-01'])
    expect((await get(`/api/v1/analytics/series?step=hour`)).statusCode).toBe(400)
    // Citywide only: a part of the city is refused with why, and the API description does not offer it.
    const parent = await get('/api/v1/analytics/series?parent=441900003')
    expect(parent.statusCode).toBe(400)
    expect(parent.json().detail).toContain('covers the whole city: parent does not apply')
    const described = (await app.inject('/docs/openapi.json')).json().paths['/api/v1/analytics/series'].get.parameters.map((p: { name: string }) => p.name)
    expect(described).toContain('categories')
    for (const name of ['parent', 'per1000', 'at']) expect(described).not.toContain(name)
  })

  it('sees new intake and workflow steps at once (the in-memory cube follows the table)', async () => {
    const total = async (status = '') => (await get(`/api/v1/analytics/h3?res=7&from=2000-01-01&format=json${status}`)).json().total
    const before = await total()
    const accepted = await total('&status=accepted')
    const sup = await keyHeaders(db(), { name: 'sup3', role: 'supervisor' })
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'MKT-01', lon: 113.791, lat: 22.991, channel: 'citizen' } })
    expect(res.statusCode).toBe(201)
    expect(await total()).toBe(before + 1)
    expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${res.json().id}/transitions`, headers: sup, payload: { action: 'accept' } })).statusCode).toBe(200)
    expect(await total('&status=accepted')).toBe(accepted + 1)
    expect(await total()).toBe(before + 1)
    await db().exec(`DELETE FROM incident_event WHERE incident_id = ${res.json().id}; DELETE FROM incident WHERE id = ${res.json().id}`)
    expect(await total()).toBe(before)
  })

  it('answers an empty, well-formed result for a filter matching nothing', async () => {
    const none = (await get(`/api/v1/analytics/h3?res=9&from=2001-01-01&to=2001-02-01&format=json`)).json()
    expect(none).toMatchObject({ total: 0, cells: [] })
    const gi = await get(`/api/v1/analytics/hotspots?res=8&k=1&from=2001-01-01&to=2001-02-01&format=json`)
    expect(gi.statusCode).toBe(200)
    expect(gi.json().rows.every((r: { bin: number; z: number }) => r.bin === 0 && r.z === 0)).toBe(true)
    // Nothing to analyse: said, next to the numbers.
    expect(gi.json().warnings).toEqual([expect.stringContaining('no incident in the study area')])
  })

  it('refuses bad parameters with problem documents naming them', async () => {
    for (const [url, word] of [
      ['/api/v1/analytics/h3?res=11', 'res'],
      ['/api/v1/analytics/h3?res=5', 'res'],
      ['/api/v1/analytics/h3?from=2024-05-01&to=2024-05-01', 'from'],
      ['/api/v1/analytics/h3?from=2024-02-30', 'from'],
      ['/api/v1/analytics/h3?channels=fax', 'channels'],
      ['/api/v1/analytics/hotspots?k=0', 'k'],
      ['/api/v1/analytics/hotspots?k=1000', 'k'],
      ['/api/v1/analytics/hotspots?k=2&distance=500', 'distance'],
      ['/api/v1/analytics/hotspots?unit=grid&k=2', 'unit'],
      ['/api/v1/analytics/hotspots?res=10&k=1&distance=-5', 'distance'],
      ['/api/v1/analytics/emerging?from=2024-05-01&to=2024-05-10', 'from'],
      // A parameter a route does not take is named, never silently ignored (the list's singular spelling, say).
      ['/api/v1/analytics/h3?category=ENV-01', 'category'],
      ['/api/v1/analytics/hotspots?grid=441900003001001', 'grid'],
      ['/api/v1/analytics/emerging?window=3', 'window'],
      ['/api/v1/analytics/series?channel=citizen', 'channel'],
      // A category the catalogue does not hold is a typo, not "nothing happened".
      ['/api/v1/analytics/h3?categories=ENV-01,NOPE-99', 'NOPE-99'],
      ['/api/v1/analytics/hotspots?categories=NOPE-99', 'NOPE-99'],
      // A parameter of the other method would be ignored: it is refused, naming the method it belongs to.
      ['/api/v1/analytics/hotspots?method=gi&permutations=999', 'method=moran only'],
      ['/api/v1/analytics/hotspots?seed=3', 'method=moran only'],
      ['/api/v1/analytics/hotspots?method=moran&fdr=true', 'method=gi only'],
      ['/api/v1/analytics/emerging?categories=NOPE-99', 'NOPE-99'],
      ['/api/v1/analytics/series?categories=NOPE-99', 'NOPE-99'],
    ] as const) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/)
      expect(res.body, url).toContain(word)
    }
    // Work the server should not take on in one request is refused before it starts, saying what to change.
    for (const [url, word] of [
      ['/api/v1/analytics/hotspots?res=10&distance=50000&format=csv', 'distance'],
      ['/api/v1/analytics/hotspots?res=10&method=moran&permutations=9999', 'permutations'],
    ] as const) {
      const started = performance.now()
      const res = await get(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.json(), url).toMatchObject({ parameter: word })
      expect(res.json().detail, url).toMatch(/over the limit/)
      expect(performance.now() - started, url).toBeLessThan(20_000)
    }
    // The incident list's singular spelling of a filter: the answer names this route's.
    expect((await get('/api/v1/analytics/h3?category=ENV-01')).json().detail).toContain('this route names it "categories"')
    // `at` takes a date (its midnight in the city) as lookups and workload do, not only a date-time.
    for (const url of [`/api/v1/analytics/h3?at=${localDay(Date.now())}&format=json`, `/api/v1/analytics/hotspots?res=8&at=${localDay(Date.now())}&format=json`]) {
      const res = await get(url)
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200)
    }
    const unknown = await get('/api/v1/analytics/hotspots?parent=441900999')
    expect(unknown.statusCode).toBe(404)
    expect((await app.inject({ url: '/api/v1/analytics/h3' })).statusCode).toBe(401)
  })
})

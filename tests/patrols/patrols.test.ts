import { latLngToCell, polygonToCells } from 'h3-js'
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
// squareCity({nx: 2, ny: 2}): grid 1 = 113.70–113.71 × 22.91–22.92 (north-west), grid 2 north-east, 3 and 4 south.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString()
const DAY = 86_400_000

describeBackends('Patrols', ({ db }) => {
  let app: App
  let key: Record<string, string>
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 2, ny: 2 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().exec(`INSERT INTO administrator (employee_no, name) VALUES ('P1', '巡查员')`)
    key = await keyHeaders(db(), { name: 'patrol-test', role: 'admin' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const upload = (body: string, type = 'application/json', employeeNo = 'P1') =>
    app.inject({ method: 'POST', url: `/api/v1/patrols?employeeNo=${employeeNo}`, headers: { 'content-type': type, ...key }, payload: body })

  it('takes a GeoJSON track and reports the share of each grid it visited in 7 and 30 days', async () => {
    // West to east along lat 22.915 through grid 1 only, an hour ago.
    const track = { type: 'Feature', properties: { times: [iso(3600_000), iso(3000_000)] }, geometry: { type: 'LineString', coordinates: [[113.7005, 22.915], [113.7095, 22.915]] } }
    const res = await upload(JSON.stringify(track))
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ positions: 2, employeeNo: 'P1' })
    expect(res.json().lengthM).toBeGreaterThan(900)
    // The stored track is where Location says, as the upload gave it.
    expect(res.headers.location).toBe(`/api/v1/patrols/${res.json().id}`)
    const stored = await app.inject({ url: res.headers.location as string, headers: key })
    expect(stored.statusCode).toBe(200)
    expect(stored.headers['content-type']).toContain('application/geo+json')
    expect(stored.json()).toMatchObject({ type: 'Feature', id: res.json().id, geometry: { type: 'LineString', coordinates: track.geometry.coordinates },
      properties: { employeeNo: 'P1', startedAt: track.properties.times[0], endedAt: track.properties.times[1], lengthM: res.json().lengthM, cells: res.json().cells } })
    // Sent again (a retry after a lost answer): stored once, the same id back.
    const again = await upload(JSON.stringify(track))
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ id: res.json().id, duplicate: true })
    expect((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM patrol_track`)).rows[0]!.n).toBe(1)
    const { items } = (await app.inject({ url: `/api/v1/patrols/coverage?community=441900003001`, headers: key })).json()
    const byGrid = Object.fromEntries(items.map((i: { grid: string }) => [i.grid, i]))
    // Independently: resolution-10 cells with centres in grid 1, and those the line passes through.
    const grid1 = polygonToCells([[[113.7, 22.91], [113.71, 22.91], [113.71, 22.92], [113.7, 22.92], [113.7, 22.91]]], 10, true)
    const onLine = new Set(Array.from({ length: 1000 }, (_, k) => latLngToCell(22.915, 113.7005 + (k / 999) * 0.009, 10)))
    const expected = grid1.filter((c) => onLine.has(c)).length
    expect(byGrid[G(1)]).toMatchObject({ cells: grid1.length, visited7: expected, visited30: expected })
    expect(byGrid[G(1)].share7).toBeCloseTo(expected / grid1.length, 3)
    expect(byGrid[G(3)]).toMatchObject({ visited7: 0, visited30: 0, share30: 0 })
  })

  it('counts an older track in the 30-day figure only, and reads GPX', async () => {
    const gpx = `<?xml version="1.0"?><gpx version="1.1" creator="test"><trk><trkseg>
      <trkpt lat="22.905" lon="113.7005"><time>${iso(20 * DAY)}</time></trkpt>
      <trkpt lat="22.905" lon="113.7095"><time>${iso(20 * DAY - 600_000)}</time></trkpt>
    </trkseg></trk></gpx>`
    expect((await upload(gpx, 'application/gpx+xml')).statusCode).toBe(201)
    const { items } = (await app.inject({ url: `/api/v1/patrols/coverage?grid=${G(3)}`, headers: key })).json()
    expect(items).toHaveLength(1)
    expect(items[0].visited7).toBe(0)
    expect(items[0].visited30).toBeGreaterThan(5)
  })

  it('counts the track segments of a GPX file without the way between them, which was not recorded', async () => {
    // Two walks of ~100 m, 1.5 km and 40 minutes apart (a lost GPS fix): ~205 m walked, not ~1.7 km.
    const seg = (lon0: number, t0: number) => `<trkseg>${[0, 1, 2].map((k) => `<trkpt lat="22.985" lon="${lon0 + k * 0.0005}"><time>${iso(t0 - k * 60_000)}</time></trkpt>`).join('')}</trkseg>`
    const gpx = `<?xml version="1.0"?><gpx version="1.1" creator="test"><trk>${seg(113.8005, 2 * DAY)}${seg(113.8155, 2 * DAY - 2_400_000)}</trk></gpx>`
    const res = await upload(gpx, 'application/gpx+xml')
    expect(res.statusCode).toBe(201)
    expect(res.json().positions).toBe(6)
    expect(res.json().lengthM).toBeGreaterThan(195)
    expect(res.json().lengthM).toBeLessThan(215)
  })

  it('refuses bad tracks and unknown administrators', async () => {
    const line = (coords: unknown, times: unknown) => JSON.stringify({ type: 'Feature', properties: { times }, geometry: { type: 'LineString', coordinates: coords } })
    const backwards = await upload(line([[113.7, 22.91], [113.701, 22.91]], [iso(1000), iso(5000)]))
    expect(backwards.statusCode).toBe(422)
    expect(backwards.json().detail).toMatch(/backwards/)
    expect((await upload(line([[113.7, 22.91], [200, 22.91]], [iso(5000), iso(1000)]))).statusCode).toBe(422)
    // A type problem and a range problem are told apart.
    const text = await upload(line([[113.7, 22.91], ['113.71', '22.91'] as unknown as [number, number]], [iso(5000), iso(1000)]))
    expect(text.json().detail).toMatch(/coordinates\[1\] must be a \[lon, lat\] pair of JSON numbers/)
    expect((await upload(line([[113.7, 22.91], [200, 22.91]], [iso(5000), iso(1000)]))).json().detail).toMatch(/coordinates\[1\] \[200, 22.91\] is outside WGS84 range/)
    expect((await upload(line([[113.7, 22.91]], [iso(5000)]))).statusCode).toBe(422)
    expect((await upload(JSON.stringify({ type: 'Point', coordinates: [1, 2] }))).statusCode).toBe(422)
    expect((await upload('<gpx></gpx>', 'application/gpx+xml')).statusCode).toBe(422)
    // A GPX file cut off in transfer is refused, not stored as a shorter patrol.
    const full = `<?xml version="1.0"?><gpx version="1.1" creator="test"><trk><trkseg>\n${[0, 1, 2, 3].map((k) => `<trkpt lat="22.905" lon="${113.7005 + k * 0.001}"><time>${iso(3 * DAY - k * 60_000)}</time></trkpt>`).join('\n')}\n</trkseg></trk></gpx>`
    const cut = await upload(full.slice(0, full.indexOf('<trkpt', full.indexOf('</trkpt>') + 8) + 20), 'application/gpx+xml')
    expect(cut.statusCode).toBe(422)
    expect(cut.headers['content-type']).toContain('application/problem+json')
    expect(cut.json()).toMatchObject({ type: '/problems/invalid-track' })
    expect(cut.json().detail).toMatch(/cut off/)
    expect((await upload(full.replace('</trkseg>', '</trk>'), 'application/gpx+xml')).json().detail).toMatch(/line 6: <\/trk> closes <trkseg>/)
    const times = (t: unknown) => JSON.stringify({ type: 'Feature', properties: { times: [t, t] }, geometry: { type: 'LineString', coordinates: [[113.7, 22.91], [113.701, 22.91]] } })
    expect((await upload(times('yesterday'))).json().detail).toMatch(/"yesterday" is not ISO 8601/)
    expect((await upload(times('2025-01-01T08:00:00'))).json().detail).toMatch(/has no offset/)
    expect((await upload(times(Date.now()))).json().detail).toMatch(/epoch milliseconds/)
    expect((await upload(line([[113.7, 22.91], [113.701, 22.91]], [iso(5000), iso(1000)]), 'application/json', 'NOBODY')).json().detail).toMatch(/employee number "NOBODY"/)
    expect((await upload(line([[113.7, 22.91], [113.701, 22.91]], [iso(5000), iso(1000)]), 'application/json', 'NOBODY')).statusCode).toBe(404)
    expect((await app.inject({ url: '/api/v1/patrols/coverage', headers: key })).statusCode).toBe(400)
  })

  it("refuses tracks no patrol could make, and a grid administrator's upload for someone else", async () => {
    const line = (coords: unknown, times: unknown) => JSON.stringify({ type: 'Feature', properties: { times }, geometry: { type: 'LineString', coordinates: coords } })
    // From the city to 10° E in 100 s, and 1 km in one second.
    const flight = await upload(line([[113.7, 22.91], [10, 22.91]], [iso(200_000), iso(100_000)]))
    expect(flight.statusCode).toBe(422)
    expect(flight.json().detail).toMatch(/km\/h\); a patrol moves at most 150 km\/h/)
    expect((await upload(line([[113.7, 22.91], [113.71, 22.91]], [iso(100_000), iso(99_000)]))).statusCode).toBe(422)
    const long = await upload(line([[113.7, 22.91], [113.701, 22.91]], [iso(3 * DAY), iso(1000)]))
    expect(long.statusCode).toBe(422)
    expect(long.json().detail).toMatch(/at most 24 h/)
    // Two points 22 m apart across the antimeridian would be drawn round the whole Earth.
    const t = Math.round(Date.now() / 1000)
    const dateline = await upload(JSON.stringify({ type: 'LineString', coordinates: [[179.9999, 0.001, t - 3600], [-179.9999, 0.001, t - 3540]] }))
    expect(dateline.statusCode).toBe(422)
    expect(dateline.json().detail).toMatch(/antimeridian/)
    // Times as epoch seconds in properties.times, as the README says.
    expect((await upload(line([[113.7005, 22.9155], [113.7015, 22.9155]], [t - 900, t - 600]))).statusCode).toBe(201)
    expect((await upload(line([[113.7, 22.91], [113.701, 22.91]], ['0050-01-01T00:00:00Z', '0050-01-01T00:01:00Z']))).statusCode).toBe(422)
    // A brisk walk is fine: 1 km in 10 minutes.
    expect((await upload(line([[113.7005, 22.9055], [113.7102, 22.9055]], [iso(700_000), iso(100_000)]))).statusCode).toBe(201)

    await db().exec(`INSERT INTO administrator (employee_no, name) VALUES ('P2', '巡查员乙')`)
    const own = await keyHeaders(db(), { name: 'patrol-p2', role: 'grid_admin', administratorEmployeeNo: 'P2' })
    const walk = line([[113.7005, 22.915], [113.701, 22.915]], [iso(600_000), iso(500_000)])
    const send = (employeeNo: string) => app.inject({ method: 'POST', url: `/api/v1/patrols?employeeNo=${employeeNo}`, headers: { 'content-type': 'application/json', ...own }, payload: walk })
    const other = await send('P1')
    expect(other.statusCode).toBe(403)
    expect(other.json().detail).toMatch(/own administrator only/)
    expect((await send('P2')).statusCode).toBe(201)
  })

  it('lists tracks as GeoJSON, newest first, by administrator, grid crossed and period; a grid administrator sees their own', async () => {
    type Track = { id: number; geometry: { type: string; coordinates: number[][] }; properties: { employeeNo: string; startedAt: string; endedAt: string; lengthM: number; cells: number } }
    const list = async (query: string, headers = key) => {
      const res = await app.inject({ url: `/api/v1/patrols${query}`, headers })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toContain('application/geo+json')
      return res.json().features as Track[]
    }
    const all = await list('')
    const stored = await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM patrol_track`)
    expect(all).toHaveLength(stored.rows[0]!.n)
    expect(all.map((t) => t.properties.startedAt)).toEqual(all.map((t) => t.properties.startedAt).sort().reverse())
    const first = all.find((t) => t.properties.employeeNo === 'P1' && t.geometry.coordinates.length === 2 && t.geometry.coordinates[0]![1] === 22.915)!
    expect(first.geometry.type).toBe('LineString')
    expect(first.properties.lengthM).toBeGreaterThan(900)
    expect(first.properties.cells).toBeGreaterThan(5)
    // Grid 3 (south-west) is crossed only by the GPX track along lat 22.905 and the brisk walk along 22.9055.
    const south = await list(`?grid=${G(3)}`)
    expect(south.length).toBeGreaterThanOrEqual(2)
    expect(south.every((t) => t.geometry.coordinates.some(([, lat]) => lat! < 22.91))).toBe(true)
    expect((await list(`?grid=${G(4)}&limit=1`)).length).toBeLessThanOrEqual(1)
    // The GPX track was 20 days ago: outside the last week.
    const week = await list(`?from=${new Date(Date.now() - 7 * DAY).toISOString()}`)
    expect(week.some((t) => t.properties.startedAt < new Date(Date.now() - 7 * DAY).toISOString())).toBe(false)
    expect(week.length).toBeLessThan(all.length)
    expect((await list('?employeeNo=P2')).map((t) => t.properties.employeeNo)).toEqual(['P2'])
    const p2 = await keyHeaders(db(), { name: 'patrol-p2-reader', role: 'grid_admin', administratorEmployeeNo: 'P2' })
    expect((await list('', p2)).map((t) => t.properties.employeeNo)).toEqual(['P2'])
    expect(await list('?employeeNo=P1', p2)).toEqual([])
    expect((await app.inject({ url: `/api/v1/patrols/${first.id}`, headers: p2 })).statusCode).toBe(403)
    const missing = await app.inject({ url: '/api/v1/patrols/987654', headers: key })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toContain('application/problem+json')
    // Coverage too: a grid administrator sees their own grids only.
    const coverage = (query: string, headers = key) => app.inject({ url: `/api/v1/patrols/coverage?${query}`, headers })
    expect((await coverage('community=441900003001', p2)).statusCode).toBe(403)
    await db().exec(`INSERT INTO administrator_grid (administrator_id, grid_code) SELECT id, '${G(2)}' FROM administrator WHERE employee_no = 'P2'`)
    const p2again = await keyHeaders(db(), { name: 'patrol-p2-again', role: 'grid_admin', administratorEmployeeNo: 'P2' })
    expect((await coverage('community=441900003001', p2again)).json().items.map((i: { grid: string }) => i.grid)).toEqual([G(2)])
    expect((await coverage(`grid=${G(1)}`, p2again)).statusCode).toBe(403)
    expect((await coverage(`grid=${G(1)}&town=441900003`)).statusCode).toBe(400)
    expect((await coverage(`grid=${G(1)}&foo=1`)).json().detail).toMatch(/foo/)
    expect((await app.inject({ url: '/api/v1/patrols?limit=0', headers: key })).statusCode).toBe(400)
    expect((await app.inject({ url: '/api/v1/patrols?from=yesterday', headers: key })).statusCode).toBe(400)
  })
})

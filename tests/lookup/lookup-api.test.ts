import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { wgs84ToGcj02 } from '../../server/lookup/gcj02.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

// squareCity({nx: 4, ny: 4}): grids of 0.01° from lon 113.7, lat 22.9; grid 1 is the
// north-west square (113.70–113.71, 22.93–22.94), numbered west→east, north→south.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`

describeBackends('Lookup API', ({ db }) => {
  let app: App
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().exec(`
      INSERT INTO administrator (employee_no, name, phone, active) VALUES ('A1', '李伟', '13807690001', true), ('A2', '王芳', '13807690002', false);
      INSERT INTO administrator_grid SELECT id, '441900003001006' FROM administrator;`)
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const get = async (url: string) => {
    const res = await app.inject(url)
    return { status: res.statusCode, type: res.headers['content-type'], body: res.json() }
  }

  it("lists administrators for citizens without the phone of one who no longer serves", async () => {
    const list = async (headers: Record<string, string> = {}) =>
      (await app.inject({ url: '/api/v1/administrators?q=A', headers })).json().items as { employeeNo: string; phone: string | null; active: boolean }[]
    const anonymous = await list()
    expect(anonymous.find((a) => a.employeeNo === 'A1')).toMatchObject({ active: true, phone: '13807690001' })
    expect(anonymous.find((a) => a.employeeNo === 'A2')).toMatchObject({ active: false, phone: null })
    const staff = await list(await keyHeaders(db(), { name: 'admins-reader', role: 'supervisor' }))
    expect(staff.find((a) => a.employeeNo === 'A2')!.phone).toBe('13807690002')
  })

  it('answers grid, community, town and the active administrators of a point', async () => {
    const { status, body } = await get('/api/v1/lookup?lon=113.715&lat=22.925')
    expect(status).toBe(200)
    expect(body.grid.code).toBe(G(6))
    expect(body.community.code).toBe('441900003001')
    expect(body.town).toMatchObject({ code: '441900003', name: '东城街道' })
    expect(body.onBoundary).toBe(false)
    expect(body.administrators).toEqual([{ name: '李伟', phone: '13807690001', employeeNo: 'A1' }])
  })

  it('answers the same text from the prepared answers as from the answer object', async () => {
    const all = 'point,generation,grid,community,town,onBoundary,administrators'
    for (const q of ['lon=113.715&lat=22.925', 'lon=113.71&lat=22.935', 'lon=113.75&lat=22.915', 'lon=113.7150000000001&lat=22.925&crs=gcj02']) {
      const fast = await app.inject(`/api/v1/lookup?${q}`)
      const object = await app.inject(`/api/v1/lookup?${q}&fields=${all}`)
      expect(fast.headers['content-type'], q).toBe('application/json; charset=utf-8')
      expect(fast.body, q).toBe(object.body)
    }
  })

  it('gives a shared edge or vertex to the lowest code, flagged onBoundary', async () => {
    const edge = (await get('/api/v1/lookup?lon=113.71&lat=22.935')).body
    expect(edge).toMatchObject({ grid: { code: G(1) }, onBoundary: true })
    const corner = (await get('/api/v1/lookup?lon=113.71&lat=22.93')).body
    expect(corner).toMatchObject({ grid: { code: G(1) }, onBoundary: true })
    const mapit = (await get('/api/v1/point/4326/113.71,22.93')).body
    expect(mapit.units.map((u: { code: string }) => u.code)).toEqual(['441900', '441900003', '441900003001', G(1), G(2), G(5), G(6)])
    // Numbers as JSON writes them, an exponent too, as the query form reads them.
    const written = (await get('/api/v1/point/4326/11371e-2,2293E-2')).body
    expect(written.point).toEqual([113.71, 22.93])
    expect(written.units).toEqual(mapit.units)
  })

  it('answers null outside every grid, with the nearest grid and its distance on request', async () => {
    const far = (await get('/api/v1/lookup?lon=113.75&lat=22.915&nearest=true&fields=grid,nearest')).body
    expect(far.grid).toBeNull()
    expect(far.nearest.code).toBe(G(12))
    // 0.01° of longitude east of the city's edge at 22.915° N, as PostGIS measures it on the spheroid (to the 0.1 m answered).
    const { rows } = await db().query<{ m: number }>(`SELECT ST_Distance('SRID=4326;POINT(113.75 22.915)'::geography, 'SRID=4326;POINT(113.74 22.915)'::geography) AS m`)
    expect(Math.abs(far.nearest.distanceM - rows[0]!.m)).toBeLessThan(0.15)
    expect(Object.keys(far).sort()).toEqual(['grid', 'nearest'])
  })

  it('accepts GCJ-02 input from Chinese map apps', async () => {
    const out = new Float64Array(2)
    wgs84ToGcj02(113.735, 22.905, out)
    expect((await get(`/api/v1/lookup?lon=113.735&lat=22.905&fields=grid`)).body.grid.code).toBe(G(16))
    // Read as WGS84 the shifted coordinates land in another grid; declared as GCJ-02 they land right.
    expect((await get(`/api/v1/lookup?lon=${out[0]}&lat=${out[1]}&fields=grid`)).body.grid?.code).not.toBe(G(16))
    expect((await get(`/api/v1/lookup?lon=${out[0]}&lat=${out[1]}&crs=gcj02&fields=grid`)).body.grid.code).toBe(G(16))
  })

  it('answers batches in order, naming bad points, and refuses more than 1,000,000 points', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/lookup/batch',
      payload: { points: [[113.715, 22.925], [0, 0], 'x', [113.71, 22.935], [113.735, 22.905]] },
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.results).toEqual([
      { grid: G(6), community: '441900003001', town: '441900003', onBoundary: false },
      { grid: null, community: null, town: null, onBoundary: false },
      null,
      { grid: G(1), community: '441900003001', town: '441900003', onBoundary: true },
      { grid: G(16), community: '441900003001', town: '441900003', onBoundary: false },
    ])
    expect(body.errors).toEqual([expect.objectContaining({ index: 2 })])
    // An option in the body is refused rather than ignored: "at" there would answer from today's grids.
    const misplaced = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', payload: { points: [[113.715, 22.925]], at: '2020-01-01T00:00:00Z' } })
    expect(misplaced.statusCode).toBe(400)
    expect(misplaced.json().detail).toMatch(/"at" is not read there: .* query string/)
    const big = `{"points":[${Array(1_000_001).fill('[113.7,22.9]').join(',')}]}`
    const tooMany = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', headers: { 'content-type': 'application/json' }, payload: big })
    expect(tooMany.statusCode).toBe(413)
    expect(tooMany.headers['content-type']).toMatch(/problem\+json/)
    expect(tooMany.json().detail).toMatch(/NDJSON or CSV/)
  })

  it('streams NDJSON and CSV row by row, keeping row numbers and answering bad rows in place', async () => {
    const ndjson = await app.inject({
      method: 'POST',
      url: '/api/v1/lookup/batch?fields=grid',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"id":"a","lon":113.715,"lat":22.925}\n[113.735,22.905]\nnot json\n\n{"lon":"x","lat":1}\n[1e999,2]\n',
    })
    expect(ndjson.statusCode).toBe(200)
    const lines = ndjson.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toEqual([
      { row: 1, id: 'a', lon: 113.715, lat: 22.925, grid: G(6) },
      { row: 2, lon: 113.735, lat: 22.905, grid: G(16) },
      { row: 3, error: expect.stringMatching(/not JSON/) },
      { row: 4, error: 'lon/lat must be numbers in WGS84 range, got {"lon":"x","lat":1}' },
      // The row as sent, not as JSON.parse read it (Infinity).
      { row: 5, error: 'lon/lat must be numbers in WGS84 range, got [1e999,2]' },
    ])
    const csv = await app.inject({
      method: 'POST',
      url: '/api/v1/lookup/batch?fields=grid,onBoundary',
      headers: { 'content-type': 'text/csv' },
      payload: 'name,lat,lon\r\n"Shop, 1",22.925,113.715\r\nbad,abc,113.7\r\nedge,22.935,113.71\r\n',
    })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.body.trim().split('\n')).toEqual([
      'row,name,lat,lon,grid,on_boundary,error',
      `1,"Shop, 1",22.925,113.715,${G(6)},false,`,
      '2,bad,abc,113.7,,,"lon/lat must be numbers in WGS84 range, got ""113.7"", ""abc"""',
      `3,edge,22.935,113.71,${G(1)},true,`,
    ])
  })

  it('answers from the generation valid at a past date after boundaries change', async () => {
    const before = (await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation')).body
    await importUnits(db(), squareCity({ nx: 2, ny: 2, size: 0.02 }), { validFrom: new Date('2024-01-01T00:00:00Z') })
    await app.lookup.refresh()
    const now = (await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation')).body
    expect(now.generation.id).toBe(before.generation.id + 1)
    expect(now.grid.code).toBe(G(1))
    const past = (await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation&at=2021-06-01T00:00:00Z')).body
    expect(past.grid).toEqual(before.grid)
    expect(past.generation).toEqual({ ...before.generation, validTo: '2024-01-01T00:00:00.000Z' })
    expect((await get('/api/v1/lookup?lon=113.715&lat=22.925&at=2019-01-01T00:00:00Z')).status).toBe(404)
    // An ISO date is that day's midnight in the city (UTC+8): 2024-01-01 is 2023-12-31T16:00Z, still the old generation.
    expect((await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation&at=2021-06-01')).body.generation).toEqual(past.generation)
    expect((await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation&at=2024-01-01')).body.generation.id).toBe(before.generation.id)
    expect((await get('/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation&at=2024-01-02')).body.generation.id).toBe(now.generation.id)
    for (const at of ['2021-02-30', '2021-06-01T00:00:00', 'yesterday']) {
      const bad = await get(`/api/v1/lookup?lon=113.715&lat=22.925&at=${at}`)
      expect(bad.status, at).toBe(400)
    }
  })

  it('stores the index cells of each generation as H3 ids', async () => {
    const { rows } = await db().query<{ n: number; grids: number; min_res: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT grid_code)::int AS grids, min(res)::int AS min_res FROM unit_h3_cell WHERE generation_id = current_generation()`,
    )
    expect(rows[0]!.n).toBeGreaterThan(0)
    expect(rows[0]!.grids).toBe(4)
    expect(rows[0]!.min_res).toBe(9)
  })

  it('refuses bad coordinates, unknown crs and bad fields with problem+json', async () => {
    for (const url of [
      '/api/v1/lookup?lat=22.9',
      '/api/v1/lookup?lon=abc&lat=22.9',
      '/api/v1/lookup?lon=NaN&lat=22.9',
      '/api/v1/lookup?lon=181&lat=22.9',
      '/api/v1/lookup?lon=113.7&lat=-91',
      '/api/v1/lookup?lon=113.7&lat=22.9&crs=bd09',
      '/api/v1/lookup?lon=113.7&lat=22.9&fields=grid,secret',
      '/api/v1/point/4326/200,1',
      '/api/v1/point/4326/abc',
    ]) {
      const res = await get(url)
      expect(res.status, url).toBe(400)
      expect(res.type, url).toMatch(/^application\/problem\+json/)
    }
    // The values a parameter takes are named, and a date is described in words rather than as a regular expression.
    expect((await get('/api/v1/lookup?lon=113.7&lat=22.9&crs=bd09')).body.detail).toBe('querystring/crs must be one of "wgs84", "gcj02"')
    expect((await get('/api/v1/lookup?lon=113.7&lat=22.9&at=yesterday')).body.detail).toBe('querystring/at must be a date (2025-01-01) or a date-time with offset (2025-01-01T08:00:00+08:00)')
    expect((await get('/api/v1/units/441900/coverage?format=xml')).body.detail).toBe('querystring/format must be one of "json", "geojson"')
  })
})

import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { createApiKey } from '../../server/auth/api-keys.ts'
import { registryChecksum } from '../helpers/db-checksum.ts'
import { describeBackends } from '../helpers/backends.ts'
import { feature, gridIndex, rectangle, squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

/** Imports need an admin or planner key; made in beforeAll as the CLI makes keys. */
let adminKey = ''

function post(app: App, body: unknown, query = '') {
  return app.inject({
    method: 'POST',
    url: `/api/v1/units/import${query}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describeBackends('Unit import', ({ db }) => {
  let app: App
  beforeAll(async () => {
    adminKey = (await createApiKey(db(), { name: 'import-tests', role: 'admin' }, 'tests')).secret
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('is not ready for traffic before boundaries are imported', async () => {
    // Runs first: the database holds no generation yet, so every lookup would be a 404.
    const empty = await app.inject('/health')
    expect(empty.statusCode).toBe(503)
    expect(empty.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(empty.json().detail).toMatch(/No boundary generation/)
    expect((await app.inject('/health/live')).statusCode).toBe(200)
    expect((await app.inject('/api/v1/lookup?lon=113.705&lat=22.905')).statusCode).toBe(404)
    // Ready once a generation is stored: tests/units/read-api.test.ts.
  })

  it('rejects one bow-tie among 100 good grids, naming its index, code and self-intersection point, storing nothing', async () => {
    const before = await registryChecksum(db())
    const city = squareCity()
    const i = gridIndex(57)
    const target = city.features[i]!
    const [[x0, y0], [x1], [, y1]] = (target.geometry.coordinates as [number, number][][])[0] as [[number, number], [number, number], [number, number]]
    // A bow-tie inside its own square: its edges cross at the square's centre.
    target.geometry.coordinates = [[[x0, y0], [x1, y1!], [x1!, y0], [x0, y1!], [x0, y0]]]

    const res = await post(app, city)
    expect(res.statusCode).toBe(422)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const problem = res.json()
    expect(problem.errors).toHaveLength(1)
    const [err] = problem.errors
    expect(err).toMatchObject({ index: i, code: target.properties.code, check: 'validity', reason: 'Self-intersection' })
    expect(err.location[0]).toBeCloseTo((x0 + x1!) / 2, 9)
    expect(err.location[1]).toBeCloseTo((y0 + y1!) / 2, 9)
    expect(problem.detail).toContain(`feature ${i}`)
    expect(await registryChecksum(db())).toBe(before)
  })

  it('repairs the bow-tie with fix=true and reports what changed', async () => {
    const city = squareCity({ nx: 3, ny: 3 })
    const i = gridIndex(5)
    const g = city.features[i]!
    const [[x0, y0], [x1], [, y1]] = (g.geometry.coordinates as [number, number][][])[0] as [[number, number], [number, number], [number, number]]
    g.geometry.coordinates = [[[x0, y0], [x1, y1!], [x1!, y0], [x0, y1!], [x0, y0]]]
    const res = await post(app, city, '?fix=true&dryRun=true')
    expect(res.statusCode).toBe(200)
    const report = res.json()
    expect(report).toMatchObject({ dryRun: true, valid: true, errors: [] })
    expect(report.fixed).toEqual([expect.objectContaining({ index: i, code: g.properties.code, check: 'validity' })])
    expect(report.fixed[0].message).toMatch(/2 part/)
  })

  it('reports every structural problem at once, each with feature index and code', async () => {
    const before = await registryChecksum(db())
    const city = squareCity({ nx: 4, ny: 4 })
    const f = city.features
    f[gridIndex(1)]!.geometry.coordinates = [[[113.7, 22.9], [200, 22.9], [113.71, 22.91], [113.7, 22.9]]] // lon out of range
    f[gridIndex(2)]!.geometry.coordinates = [[[113.7, 22.9], [113.71, 22.9], [113.71, 22.91], [113.7, 22.95]]] // not closed
    f[gridIndex(3)]!.geometry.coordinates = [[[113.7, 22.9], [113.71, 22.9], [113.7, 22.9]]] // too few positions
    f[gridIndex(4)]!.properties.code = '4419000030010' // 13 digits
    f[gridIndex(5)]!.properties.code = f[gridIndex(6)]!.properties.code // duplicate
    f[gridIndex(7)]!.properties.code = '441900003999001' // parent community 441900003999 missing
    f[gridIndex(8)]!.properties.population = -5
    f[gridIndex(9)]!.properties.name = ''
    f[gridIndex(10)]!.geometry = { type: 'Point', coordinates: [113.7, 22.9] } as never
    const res = await post(app, city)
    expect(res.statusCode).toBe(422)
    const { errors } = res.json()
    const byIndex = (n: number) => errors.filter((e: { index: number }) => e.index === gridIndex(n)).map((e: { check: string }) => e.check)
    expect(byIndex(1)).toEqual(['coordinates'])
    expect(byIndex(2)).toEqual(['ring'])
    expect(byIndex(3)).toEqual(['ring'])
    expect(byIndex(4)).toEqual(['code'])
    expect(byIndex(6)).toEqual(['duplicate-code'])
    expect(byIndex(7)).toEqual(['parent'])
    expect(byIndex(8)).toEqual(['attributes'])
    expect(byIndex(9)).toEqual(['name'])
    expect(byIndex(10)).toEqual(['geometry-type'])
    const outOfRange = errors.find((e: { index: number }) => e.index === gridIndex(1))
    expect(outOfRange.message).toContain('200')
    expect(outOfRange.path).toBe('coordinates[0][1]')
    expect(errors.find((e: { index: number }) => e.index === gridIndex(7)).code).toBe('441900003999001')
    expect(await registryChecksum(db())).toBe(before)
  })

  it('rejects non-finite coordinates (1e999 parses as Infinity)', async () => {
    const before = await registryChecksum(db())
    const city = JSON.stringify(squareCity({ nx: 2, ny: 2 })).replace('[113.71,22.9]', '[113.71,1e999]')
    expect(city).toContain('1e999')
    const res = await post(app, city)
    expect(await registryChecksum(db())).toBe(before)
    expect(res.statusCode).toBe(422)
    expect(res.json().errors[0]).toMatchObject({ check: 'coordinates' })
    expect(res.json().errors[0].message).toContain('Infinity')
  })

  it('names overlapping siblings and their overlap area', async () => {
    const city = squareCity({ nx: 2, ny: 1, size: 0.01 })
    // Grid 2 reaches 0.002° into grid 1: overlap is 0.002° × 0.01°.
    const g2 = city.features[gridIndex(2)]!
    g2.geometry.coordinates = [rectangle(113.708, 22.9, 113.72, 22.91)]
    const res = await post(app, city)
    expect(res.statusCode).toBe(422)
    const errors = res.json().errors
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ index: gridIndex(1), otherIndex: gridIndex(2), check: 'sibling-overlap', otherCode: g2.properties.code })
    // 0.002° of longitude × 0.01° of latitude at 22.905° N, on the ellipsoid (≈ 205 m × 1107 m).
    const expected = 0.002 * 111_320 * Math.cos((22.905 * Math.PI) / 180) * 0.01 * 110_760
    expect(errors[0].overlapM2 / expected).toBeGreaterThan(0.99)
    expect(errors[0].overlapM2 / expected).toBeLessThan(1.01)
    expect(errors[0].location[0]).toBeGreaterThan(113.708)
    expect(errors[0].location[0]).toBeLessThan(113.71)
  })

  it('rejects a child reaching outside its parent, or clips it with clip=true', async () => {
    const city = squareCity({ nx: 2, ny: 2 })
    const g = city.features[gridIndex(2)]!
    g.geometry.coordinates = [rectangle(113.71, 22.91, 113.725, 22.92)] // 0.005° east of the community
    const rejected = await post(app, city)
    expect(rejected.statusCode).toBe(422)
    expect(rejected.json().errors).toEqual([expect.objectContaining({ index: gridIndex(2), check: 'outside-parent', parentCode: '441900003001' })])

    const clipped = await post(app, city, '?clip=true&dryRun=true')
    expect(clipped.statusCode).toBe(200)
    expect(clipped.json().valid).toBe(true)
    expect(clipped.json().clipped).toEqual([expect.objectContaining({ index: gridIndex(2), code: g.properties.code })])
  })

  it('stores a clean import as the current generation and answers "as of" earlier dates from the previous one', async () => {
    const first = await post(app, squareCity({ nx: 2, ny: 2 }), '?validFrom=2020-01-01T00:00:00Z&label=first')
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({ valid: true, counts: { city: 1, town: 1, community: 1, grid: 4 } })
    // Not a real day, or a time without offset: refused, naming validFrom; nothing stored.
    for (const bad of ['2022-02-30', '2022-06-01T00:00:00']) {
      const refused = await post(app, squareCity({ nx: 3, ny: 3 }), `?validFrom=${bad}&label=second`)
      expect(refused.statusCode).toBe(400)
      expect(refused.json().detail).toMatch(/validFrom/)
    }
    // A bare date is that day's midnight in the city (UTC+8).
    const second = await post(app, squareCity({ nx: 3, ny: 3 }), '?validFrom=2022-06-01&label=second')
    expect(second.statusCode).toBe(201)
    expect(second.json().generation.validFrom).toBe('2022-05-31T16:00:00.000Z')

    const gens = (await app.inject('/api/v1/generations')).json().items
    expect(gens.map((g: { label: string }) => g.label).slice(0, 2)).toEqual(['second', 'first'])
    expect(gens[1].validTo).toBe('2022-05-31T16:00:00.000Z')
    expect(gens[0].current).toBe(true)

    const now = (await app.inject('/api/v1/units?level=grid')).json()
    const past = (await app.inject('/api/v1/units?level=grid&at=2021-01-01T00:00:00Z')).json()
    expect(now.numberMatched).toBe(9)
    expect(past.numberMatched).toBe(4)
    expect((await app.inject('/api/v1/units?at=2019-01-01T00:00:00Z')).statusCode).toBe(404)

    // Stored area is geodesic: the 9 grids add up to the community.
    const community = (await app.inject('/api/v1/units/441900003001')).json()
    const sum = now.features.reduce((s: number, f: { properties: { area_m2: number } }) => s + f.properties.area_m2, 0)
    expect(sum / community.properties.area_m2).toBeCloseTo(1, 6)

    const early = await post(app, squareCity({ nx: 2, ny: 2 }), '?validFrom=2021-01-01T00:00:00Z')
    expect(early.statusCode).toBe(409)
    // The dry run of the same says so, rather than valid: true for what the real run refuses.
    const earlyDry = await post(app, squareCity({ nx: 2, ny: 2 }), '?validFrom=2021-01-01T00:00:00Z&dryRun=true')
    expect(earlyDry.statusCode).toBe(200)
    expect(earlyDry.json()).toMatchObject({ valid: false, errors: [{ index: null, check: 'valid-from', message: expect.stringContaining('must be later than the current generation') }] })
    expect((await post(app, squareCity({ nx: 2, ny: 2 }), '?dryRun=true')).json()).toMatchObject({ valid: true, errors: [] })
    // Nor a start in the future: the newest generation answers from the moment it is stored.
    const generations = async () => (await app.inject('/api/v1/generations')).json()
    const stored = await generations()
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString()
    const ahead = await post(app, squareCity({ nx: 2, ny: 2 }), `?validFrom=${future}`)
    expect(ahead.statusCode).toBe(400) // a bad parameter whatever is stored, not a conflict
    expect(ahead.json()).toMatchObject({ parameter: 'validFrom', detail: expect.stringMatching(/is in the future/) })
    expect(await generations()).toEqual(stored)
    expect((await post(app, squareCity({ nx: 2, ny: 2 }), `?validFrom=${future}&dryRun=true`)).json()).toMatchObject({ valid: false, errors: [{ check: 'valid-from', message: expect.stringContaining('is in the future') }] })
  })

  it('merges a partial import into the current generation', async () => {
    const before = (await app.inject('/api/v1/units?limit=10000')).json()
    // Redraw two neighbouring grids of the current 3×3 city: move their shared edge.
    const [a, b] = ['441900003001001', '441900003001002'].map((code) => before.features.find((f: { id: string }) => f.id === code))
    const [ax0, ay0, ax1, ay1] = bounds(a.geometry.coordinates[0][0])
    const [, , bx1] = bounds(b.geometry.coordinates[0][0])
    const mid = ax1 + 0.004
    const body = {
      type: 'FeatureCollection',
      features: [
        feature('grid', a.id, '新网格1', [rectangle(ax0, ay0, mid, ay1)]),
        feature('grid', b.id, '新网格2', [rectangle(mid, ay0, bx1, ay1)]),
      ],
    }
    const res = await post(app, body, '?mode=merge')
    expect(res.statusCode).toBe(201)
    expect(res.json().counts).toEqual(before.numberMatched === 12 ? { city: 1, town: 1, community: 1, grid: 9 } : res.json().counts)
    const after = (await app.inject('/api/v1/units?limit=10000')).json()
    expect(after.numberMatched).toBe(before.numberMatched)
    expect(after.generation.id).toBe(before.generation.id + 1)
    const a2 = after.features.find((f: { id: string }) => f.id === a.id)
    expect(a2.properties.name).toBe('新网格1')
    expect(a2.properties.area_m2).toBeGreaterThan(a.properties.area_m2 * 1.3)
    const untouched = after.features.find((f: { id: string }) => f.id === '441900003001009')
    expect(untouched.geometry).toEqual(before.features.find((f: { id: string }) => f.id === '441900003001009').geometry)
    // Stored, but the answer says what the redrawn grids lost: their residents' figures (none were given).
    expect(res.json().warnings).toEqual([expect.stringMatching(new RegExp(`^2 unit\\(s\\) had figures the import does not give, now unknown: ${a.id} \\(population`))])
  })

  it('warns when a merge leaves part of a community to no grid (stored all the same), saying where and how much', async () => {
    const units = (await app.inject('/api/v1/units?level=grid&limit=10000')).json()
    const grid = units.features.find((f: { id: string }) => f.id === '441900003001005')
    const [x0, y0, x1, y1] = bounds(grid.geometry.coordinates[0][0])
    const half = { type: 'FeatureCollection', features: [feature('grid', grid.id, grid.properties.name, [rectangle(x0, y0, (x0 + x1) / 2, y1)], { population: 500 })] }
    const dry = await post(app, half, '?mode=merge&dryRun=true')
    expect(dry.statusCode).toBe(200)
    expect(dry.json().valid).toBe(true)
    const [warning] = dry.json().warnings as string[]
    expect(warning).toMatch(/^community 441900003001: [\d,]+ m² \([\d.]+ %\) is covered by none of its children/)
    const gap = Number(warning!.match(/: ([\d,]+) m²/)![1]!.replace(/,/g, ''))
    expect(Math.abs(gap - grid.properties.area_m2 / 2) / (grid.properties.area_m2 / 2)).toBeLessThan(0.01)
    // The whole grid again: no warning.
    const whole = { type: 'FeatureCollection', features: [feature('grid', grid.id, grid.properties.name, grid.geometry.coordinates[0], { population: 500 })] }
    expect((await post(app, whole, '?mode=merge&dryRun=true')).json().warnings).toBeUndefined()
  })

  it('rejects a merge whose redrawn grid overlaps a carried-over sibling', async () => {
    const before = await registryChecksum(db())
    const body = {
      type: 'FeatureCollection',
      features: [feature('grid', '441900003001005', '扩张网格', [rectangle(113.7, 22.9, 113.725, 22.925)])],
    }
    const res = await post(app, body, '?mode=merge')
    expect(res.statusCode).toBe(422)
    const overlaps = res.json().errors.filter((e: { check: string }) => e.check === 'sibling-overlap')
    expect(overlaps.length).toBeGreaterThan(1)
    expect(overlaps.every((e: { index: number; code: string }) => e.index === 0 && e.code === '441900003001005')).toBe(true)
    expect(await registryChecksum(db())).toBe(before)
  })

  it('answers malformed JSON, wrong media types and non-collections with problem documents', async () => {
    const before = await registryChecksum(db())
    const broken = await post(app, '{"type": "FeatureCollection", "features": [}')
    expect(broken.statusCode).toBe(400)
    expect(broken.json()).toMatchObject({ type: '/problems/malformed-json', status: 400 })
    expect(broken.json().detail).toMatch(/position|column/i)

    const text = await app.inject({ method: 'POST', url: '/api/v1/units/import', headers: { 'content-type': 'text/plain', authorization: `Bearer ${adminKey}` }, payload: 'hello' })
    expect(text.statusCode).toBe(415)
    expect(text.headers['content-type']).toMatch(/problem\+json/)
    // It names what was sent and what the route reads (from the API description).
    expect(text.json().detail).toMatch(/^POST \/api\/v1\/units\/import does not read a body of type "text\/plain"; send .*application\/(geo\+)?json/)

    const notCollection = await post(app, { type: 'Feature', properties: {}, geometry: null })
    expect(notCollection.statusCode).toBe(422)
    expect(notCollection.json().errors[0]).toMatchObject({ index: null, check: 'structure' })
    // A dry run answers what is wrong as its report, the collection itself included; a real import is refused.
    const dryNot = await post(app, { type: 'Feature', properties: {}, geometry: null }, '?dryRun=true')
    expect(dryNot.statusCode).toBe(200)
    expect(dryNot.json()).toMatchObject({ dryRun: true, valid: false, generation: null, errors: [{ index: null, check: 'structure' }] })
    const emptyCollection = { type: 'FeatureCollection', features: [] }
    const dryEmpty = await post(app, emptyCollection, '?dryRun=true')
    expect(dryEmpty.statusCode).toBe(200)
    expect(dryEmpty.json()).toMatchObject({ valid: false, counts: { grid: 0 }, errors: [{ index: null, check: 'empty', message: 'The FeatureCollection holds no features' }] })
    expect((await post(app, emptyCollection)).statusCode).toBe(422)

    const badOption = await post(app, squareCity({ nx: 1, ny: 1 }), '?mode=replace-all')
    expect(badOption.statusCode).toBe(400)
    expect(badOption.json().detail).toContain('mode')
    expect(await registryChecksum(db())).toBe(before)
  })

  it('exports units that re-import as they are, corners on a slanted edge included', async () => {
    // One community under a 22 km slanted edge A→B, cut into three grids at 4/7 and 5/7 of it:
    // those corners have no short decimal form; rounded to 7 decimals they leave the edge
    // outwards, and the grids came back as reaching 16–41 m² outside their community.
    const A: [number, number] = [113.7, 22.9]
    const B: [number, number] = [113.9, 23.0]
    const at = (k: number): [number, number] => [A[0] + ((B[0] - A[0]) * k) / 7, A[1] + ((B[1] - A[1]) * k) / 7]
    const [X, Y] = [at(4), at(5)]
    const whole = [A, [113.7, 22.8], [113.9, 22.8], B, A]
    const city = {
      type: 'FeatureCollection',
      features: [
        feature('city', '441900', '东莞市', [whole]),
        feature('town', '441900003', '东城街道', [whole]),
        feature('community', '441900003001', '斜边社区', [whole]),
        feature('grid', '441900003001001', '西', [[A, [113.7, 22.8], [X[0], 22.8], X, A]]),
        feature('grid', '441900003001002', '中', [[X, [X[0], 22.8], [Y[0], 22.8], Y, X]]),
        feature('grid', '441900003001003', '东', [[Y, [Y[0], 22.8], [113.9, 22.8], B, Y]]),
      ],
    }
    expect((await post(app, city)).statusCode).toBe(201)
    const exported = (await app.inject('/api/v1/units?limit=10000')).json()
    expect(exported.numberMatched).toBe(6)
    const again = await post(app, exported, '?dryRun=true')
    expect(again.statusCode, JSON.stringify(again.json().errors)).toBe(200)
    expect(again.json()).toMatchObject({ valid: true, errors: [] })
    // The corner comes back as it was stored; one unit alone and the OGC feature too.
    const middle = (await app.inject('/api/v1/units/441900003001002')).json()
    expect(middle.geometry.coordinates[0][0]).toContainEqual(X)
    const ogc = (await app.inject('/ogc/collections/grids/items/441900003001002')).json()
    expect(ogc.geometry).toEqual(middle.geometry)
  })

  it('answers from the new generation as soon as the import has answered', async () => {
    const inside = '/api/v1/lookup?lon=113.715&lat=22.925&fields=grid,generation'
    expect((await post(app, squareCity({ nx: 2, ny: 2 }))).statusCode).toBe(201)
    const first = (await app.inject(inside)).json()
    const res = await post(app, squareCity({ nx: 4, ny: 4 }))
    expect(res.statusCode).toBe(201)
    // The lookup right after it, without waiting for the rebuild: the generation just stored.
    const next = (await app.inject(inside)).json()
    expect(next.generation.id).toBe(res.json().generation.id)
    expect(next.generation.id).toBeGreaterThan(first.generation.id)
  })

  it('exports coordinates near the prime meridian and the equator to the last bit', async () => {
    // Corners at k/7 of a slanted edge across (0, 0): doubles such as -0.1008000007428596 need
    // 16–17 decimals, more than ST_AsGeoJSON's 15; every exported number must be the stored double.
    const A: [number, number] = [-0.1, -0.05]
    const B: [number, number] = [0.1, 0.05]
    const at = (k: number): [number, number] => [A[0] + ((B[0] - A[0]) * k) / 7, A[1] + ((B[1] - A[1]) * k) / 7]
    const [X, Y] = [at(4), at(5)]
    const whole = [A, [-0.1, -0.15], [0.1, -0.15], B, A]
    const city = {
      type: 'FeatureCollection',
      features: [
        feature('city', '990900', 'Null Island', [whole]),
        feature('town', '990900001', 'Gulf', [whole]),
        feature('community', '990900001001', 'Slant', [whole]),
        feature('grid', '990900001001001', 'West', [[A, [-0.1, -0.15], [X[0], -0.15], X, A]]),
        feature('grid', '990900001001002', 'Middle', [[X, [X[0], -0.15], [Y[0], -0.15], Y, X]]),
        feature('grid', '990900001001003', 'East', [[Y, [Y[0], -0.15], [0.1, -0.15], B, Y]]),
      ],
    }
    expect((await post(app, city)).statusCode).toBe(201)
    const stored = new Map<string, number[][]>()
    for (const r of (await db().query<{ code: string; x: number; y: number }>(
      `SELECT u.code, ST_X(d.geom) AS x, ST_Y(d.geom) AS y FROM unit u JOIN generation g ON g.id = u.generation_id AND g.valid_to IS NULL,
              ST_DumpPoints(u.geom) d ORDER BY u.code, d.path`)).rows) {
      stored.set(r.code, [...(stored.get(r.code) ?? []), [Number(r.x), Number(r.y)]])
    }
    expect(stored.get('990900001001002')).toContainEqual(X)
    const flat = (g: { coordinates: number[][][][] }) => g.coordinates.flat(2)
    const exported = (await app.inject('/api/v1/units?limit=10000')).json()
    expect(exported.features).toHaveLength(6)
    for (const f of exported.features) expect(flat(f.geometry), f.properties.code).toEqual(stored.get(f.properties.code))
    const one = (await app.inject('/api/v1/units/990900001001002')).json()
    expect(flat(one.geometry)).toEqual(stored.get('990900001001002'))
    const ogc = (await app.inject('/ogc/collections/grids/items/990900001001002')).json()
    expect(flat(ogc.geometry)).toEqual(stored.get('990900001001002'))
    // Re-imported, the export is the same geometry: PostGIS finds every unit point for point equal.
    const again = await post(app, exported, '?dryRun=true')
    expect(again.json()).toMatchObject({ valid: true, errors: [] })
  })
})

function bounds(ring: [number, number][]) {
  const xs = ring.map((p) => p[0])
  const ys = ring.map((p) => p[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as const
}

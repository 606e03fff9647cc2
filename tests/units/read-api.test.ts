import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

describeBackends('Unit read API', ({ db }) => {
  let app: App
  beforeAll(async () => {
    // 12 × 10 grids of 0.01°, numbered north→south, west→east.
    const city = squareCity({ nx: 12, ny: 10 })
    city.features[1]!.properties.name_en = 'Dongcheng'
    city.features[2]!.properties.name = '鸿福社区'
    // The city's south edge zig-zags by ±0.5 m through 200 extra vertices (outside its children).
    const south = Array.from({ length: 200 }, (_, i) => [113.7 + ((i + 1) * 0.12) / 201, 22.9 - (i % 2 ? 0.000005 : 0.000002)])
    city.features[0]!.geometry.coordinates = [[[113.7, 22.9], ...south, [113.82, 22.9], [113.82, 23.0], [113.7, 23.0], [113.7, 22.9]]]
    await importUnits(db(), city, { validFrom: new Date('2021-01-01T00:00:00Z') })
    await db().exec(`
      INSERT INTO administrator (employee_no, name, phone, active) VALUES
        ('DG00300001', '李伟', '13807690001', true), ('DG00300002', '王芳', '13807690002', false),
        ('DG00300003', '张敏', '13807690003', true);
      INSERT INTO administrator_grid (administrator_id, grid_code)
        SELECT id, '441900003001001' FROM administrator WHERE employee_no IN ('DG00300001', 'DG00300002')
        UNION ALL SELECT id, '441900003001002' FROM administrator WHERE employee_no IN ('DG00300001', 'DG00300003');`)
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  const get = async (url: string) => {
    const res = await app.inject(url)
    return { status: res.statusCode, type: res.headers['content-type'], body: res.json() }
  }

  it('lists units of a level as GeoJSON, paged with a next link that walks the whole set', async () => {
    const seen: string[] = []
    let url: string | undefined = '/api/v1/units?level=grid&limit=50'
    while (url) {
      const { status, body } = await get(url)
      expect(status).toBe(200)
      expect(body.type).toBe('FeatureCollection')
      expect(body.numberMatched).toBe(120)
      expect(body.numberReturned).toBe(body.features.length)
      seen.push(...body.features.map((f: { id: string }) => f.id))
      url = body.links.find((l: { rel: string }) => l.rel === 'next')?.href
    }
    expect(seen).toHaveLength(120)
    expect(new Set(seen).size).toBe(120)
    expect(seen).toEqual([...seen].sort())
  })

  it('filters by parent, bbox and name or code', async () => {
    expect((await get('/api/v1/units?parent=441900003')).body.features.map((f: { id: string }) => f.id)).toEqual(['441900003001'])
    // A bbox strictly inside grid 1 (north-west corner square: lon 113.70–113.71, lat 22.99–23.00).
    const inside = await get('/api/v1/units?level=grid&bbox=113.702,22.992,113.708,22.998')
    expect(inside.body.features.map((f: { id: string }) => f.id)).toEqual(['441900003001001'])
    // Across the corner of 4 grids.
    const corner = await get('/api/v1/units?level=grid&bbox=113.705,22.985,113.715,22.995')
    expect(corner.body.numberMatched).toBe(4)
    expect((await get('/api/v1/units?q=鸿福')).body.features.map((f: { id: string }) => f.id)).toEqual(['441900003001'])
    expect((await get('/api/v1/units?q=dongcheng')).body.features.map((f: { id: string }) => f.id)).toEqual(['441900003'])
    expect((await get('/api/v1/units?q=44190000300101')).body.numberMatched).toBe(10)
    // LIKE wildcards in q match literally.
    expect((await get('/api/v1/units?q=%25')).body.numberMatched).toBe(0)
  })

  it('simplifies geometry on request with a tolerance in metres', async () => {
    const count = (g: { coordinates: number[][][][] }) => g.coordinates.flat(2).length
    const exact = await get('/api/v1/units/441900')
    expect(count(exact.body.geometry)).toBe(205)
    const fine = await get('/api/v1/units?level=city&simplify=0.1')
    expect(count(fine.body.features[0].geometry)).toBeGreaterThan(100)
    const coarse = await get('/api/v1/units?level=city&simplify=50')
    expect(coarse.body.features[0].geometry.type).toBe('MultiPolygon')
    expect(count(coarse.body.features[0].geometry)).toBe(5)
  })

  it('returns one unit with its ancestors, children and administrators', async () => {
    const { status, body } = await get('/api/v1/units/441900003001002')
    expect(status).toBe(200)
    expect(body).toMatchObject({ type: 'Feature', id: '441900003001002', geometry: { type: 'MultiPolygon' } })
    expect(body.properties.ancestors.map((a: { code: string }) => a.code)).toEqual(['441900', '441900003', '441900003001'])
    expect(body.properties.ancestors[2].name).toBe('鸿福社区')
    expect(body.properties.children).toEqual([])
    expect(body.properties.administrators.map((a: { employeeNo: string }) => a.employeeNo)).toEqual(['DG00300001', 'DG00300003'])
    // The grid's centroid is its square's centre: grid 2 is lon 113.71–113.72, lat 22.99–23.00.
    expect(body.properties.centroid[0]).toBeCloseTo(113.715, 6)
    expect(body.properties.centroid[1]).toBeCloseTo(22.995, 6)
    const community = await get('/api/v1/units/441900003001')
    expect(community.body.properties.children).toHaveLength(120)
  })

  it('answers unknown codes with 404 and malformed parameters with 400, as problem+json', async () => {
    const missing = await get('/api/v1/units/441900003001999')
    expect(missing.status).toBe(404)
    expect(missing.type).toMatch(/^application\/problem\+json/)
    expect(missing.body.detail).toContain('441900003001999')
    expect(missing.body.detail).toMatch(/in generation \d+ .*current/)
    // Asked as of a date: the message says which generation it looked in.
    const then = await get('/api/v1/units/441900003001999?at=2030-01-01')
    expect(then.status).toBe(404)
    expect(then.body.detail).toMatch(/in generation \d+ .*valid at 2030-01-01/)
    for (const url of ['/api/v1/units/44190X', '/api/v1/units?limit=0', '/api/v1/units?level=village', '/api/v1/units?bbox=1,2,3', '/api/v1/units?bbox=114,23,113,22', '/api/v1/units?at=yesterday']) {
      const res = await get(url)
      expect(res.status, url).toBe(400)
      expect(res.type, url).toMatch(/^application\/problem\+json/)
      expect(res.body.detail, url).toBeTruthy()
    }
    expect((await get('/api/v1/nothing-here')).status).toBe(404)
  })

  it('lists administrators with the grids they serve, filtered by grid, activity and name', async () => {
    const all = await get('/api/v1/administrators')
    expect(all.body.numberMatched).toBe(3)
    expect(all.body.items[0]).toEqual({ id: expect.any(Number), employeeNo: 'DG00300001', name: '李伟', phone: '13807690001', active: true, grids: ['441900003001001', '441900003001002'] })
    expect((await get('/api/v1/administrators?grid=441900003001001')).body.items.map((a: { name: string }) => a.name)).toEqual(['李伟', '王芳'])
    expect((await get('/api/v1/administrators?grid=441900003&active=true')).body.numberMatched).toBe(2)
    expect((await get('/api/v1/administrators?q=王')).body.items.map((a: { employeeNo: string }) => a.employeeNo)).toEqual(['DG00300002'])
    const page = await get('/api/v1/administrators?limit=2')
    expect(page.body.links.find((l: { rel: string }) => l.rel === 'next').href).toContain('offset=2')
  })

  it('reports readiness with the current generation', async () => {
    const { status, body } = await get('/health')
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'ok', generation: { units: 123 } })
  })
})

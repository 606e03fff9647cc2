import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { checkCoverage } from '../../server/coverage/coverage.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed-demo.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { feature, gridIndex, rectangle, squareCity, type Ring } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

/**
 * Area in m² of the WGS84 ellipsoid between two meridians and two parallels,
 * from the authalic formula (independent of PostGIS):
 * A = a²·Δλ/2 · [q(φ₂) − q(φ₁)], q(φ) = (1−e²)·(sinφ/(1−e²sin²φ) + atanh(e·sinφ)/e).
 */
function quadrangleM2(lon0: number, lat0: number, lon1: number, lat1: number): number {
  const a = 6_378_137
  const f = 1 / 298.257223563
  const e2 = f * (2 - f)
  const e = Math.sqrt(e2)
  const rad = Math.PI / 180
  const q = (lat: number) => {
    const s = Math.sin(lat * rad)
    return (1 - e2) * (s / (1 - e2 * s * s) + Math.atanh(e * s) / e)
  }
  return ((a * a * (lon1 - lon0) * rad) / 2) * (q(lat1) - q(lat0))
}

const COMMUNITY = '441900003001'
const code = (n: number) => `${COMMUNITY}${String(n).padStart(3, '0')}`
// 4 × 4 grids of 0.01° from (113.7, 22.9). Grid 6 (second row from the north,
// second column) loses its easternmost 0.002°; grid 11 (third row, third
// column) reaches 0.003° into grid 12, its eastern neighbour.
const GAP = [113.718, 22.92, 113.72, 22.93] as const
const OVERLAP = [113.73, 22.91, 113.733, 22.92] as const

function brokenCity() {
  const city = squareCity({ nx: 4, ny: 4 })
  city.features[gridIndex(6)]!.geometry.coordinates = [rectangle(113.71, 22.92, GAP[0], 22.93)]
  city.features[gridIndex(11)]!.geometry.coordinates = [rectangle(113.72, 22.91, OVERLAP[2], 22.92)]
  return city
}

/**
 * A community whose north-west edge runs 22 km from A to B, cut in two at a
 * point X of that edge written with 7 decimals, as GeoJSON exports do: X lies
 * 3·10⁻⁸° off the line, so the grids leave a real sliver of about 57 m².
 */
const A: [number, number] = [113.7, 22.9]
const B: [number, number] = [113.9, 23.0]
const X = [A[0] + (B[0] - A[0]) / 3, A[1] + (B[1] - A[1]) / 3].map((v) => Math.round(v * 1e7) / 1e7) as [number, number]
const SLANTED_FROM = '2000-01-01T00:00:00.000Z'

function slantedCity() {
  const whole: Ring = [A, [113.7, 22.8], [113.9, 22.8], B, A]
  return {
    type: 'FeatureCollection',
    features: [
      feature('city', '441900', '东莞市', [whole]),
      feature('town', '441900003', '东城街道', [whole]),
      feature('community', COMMUNITY, '斜边社区', [whole]),
      feature('grid', code(1), '西', [[A, [113.7, 22.8], [X[0], 22.8], X, A]]),
      feature('grid', code(2), '东', [[X, [X[0], 22.8], [113.9, 22.8], B, X]]),
    ],
  }
}

/** m² per square degree at a latitude, on the WGS84 ellipsoid (meridian and prime-vertical radii). */
function m2PerDeg2(lat: number): number {
  const a = 6_378_137
  const e2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)
  const s2 = Math.sin((lat * Math.PI) / 180) ** 2
  const n = a / Math.sqrt(1 - e2 * s2)
  const m = (a * (1 - e2)) / (1 - e2 * s2) ** 1.5
  return ((n * Math.cos((lat * Math.PI) / 180) * Math.PI) / 180) * ((m * Math.PI) / 180)
}

const within1pc = (actual: number, expected: number) => {
  expect(actual / expected).toBeGreaterThan(0.99)
  expect(actual / expected).toBeLessThan(1.01)
}

describeBackends('Coverage check of a broken fixture', ({ db }) => {
  let app: App
  beforeAll(async () => {
    const slanted = await importUnits(db(), slantedCity(), { validFrom: new Date(SLANTED_FROM), label: 'slanted' })
    expect(slanted.valid).toBe(true)
    // A huge tolerance lets the overlap through the import's own sibling check.
    const report = await importUnits(db(), brokenCity(), { toleranceM2: 1e12, label: 'broken' })
    expect(report.valid).toBe(true)
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('reports exactly the gap and the overlap, with their areas on the ellipsoid, codes and places', async () => {
    const res = await app.inject(`/api/v1/units/${COMMUNITY}/coverage`)
    expect(res.statusCode).toBe(200)
    const report = res.json()
    const communityM2 = quadrangleM2(113.7, 22.9, 113.74, 22.94)
    expect(report).toMatchObject({
      parent: { code: COMMUNITY, level: 'community', name: '测试社区' },
      generation: { label: 'broken', validTo: null },
      at: null,
      minAreaM2: 1,
      format: 'json',
      children: 16,
      clean: false,
      ignored: { gaps: 0, overlaps: 0 },
    })
    within1pc(report.parent.areaM2, communityM2)

    expect(report.gaps).toHaveLength(1)
    const [gap] = report.gaps
    const gapM2 = quadrangleM2(...GAP)
    within1pc(gap.areaM2, gapM2)
    within1pc(gap.share, gapM2 / communityM2)
    expect(gap.geometry.type).toBe('Polygon')
    expect(bounds(gap.geometry.coordinates[0])).toEqual(GAP.map((v) => expect.closeTo(v, 9)))
    expectInside(gap.location, GAP)

    expect(report.overlaps).toHaveLength(1)
    const [overlap] = report.overlaps
    expect(overlap.codes).toEqual([code(11), code(12)])
    const overlapM2 = quadrangleM2(...OVERLAP)
    within1pc(overlap.areaM2, overlapM2)
    within1pc(overlap.share, overlapM2 / communityM2)
    expect(bounds(overlap.geometry.coordinates[0])).toEqual(OVERLAP.map((v) => expect.closeTo(v, 9)))
    expectInside(overlap.location, OVERLAP)
    console.log(`[coverage] fixture gap ${gap.areaM2.toFixed(1)} m² (expected ${gapM2.toFixed(1)}), overlap ${overlap.areaM2.toFixed(1)} m² (expected ${overlapM2.toFixed(1)})`)
  })

  it("tells a citizen in the gap their community and town, and the nearest grid, although no grid covers them", async () => {
    const lon = (GAP[0] + GAP[2]) / 2
    const lat = (GAP[1] + GAP[3]) / 2
    const mine = (await app.inject(`/api/v1/my-grid?lon=${lon}&lat=${lat}`)).json()
    const units = (await app.inject(`/api/v1/point/4326/${lon},${lat}`)).json().units
    expect(units.map((u: { level: string }) => u.level)).toEqual(['city', 'town', 'community'])
    expect(mine.grid).toBeNull()
    expect(mine.community).toMatchObject({ code: COMMUNITY, name: units[2].name })
    expect(mine.town).toMatchObject({ code: units[1].code, name: units[1].name })
    expect(mine.administrators).toEqual([])
    expect(mine.nearest.code.startsWith(COMMUNITY)).toBe(true)
    expect(mine.nearest.distanceM).toBeGreaterThan(0)
    // The single lookup (also as of now, and with fields) names them too.
    const looked = (await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}&nearest=true`)).json()
    expect([looked.grid, looked.community?.code, looked.town?.code]).toEqual([null, COMMUNITY, units[1].code])
    expect(looked.nearest.code).toBe(mine.nearest.code)
    const picked = (await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}&fields=grid,town`)).json()
    expect(picked).toEqual({ grid: null, town: mine.town })
    const asOf = (await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}&at=${encodeURIComponent(new Date().toISOString())}`)).json()
    expect(asOf.community?.code).toBe(COMMUNITY)
    // Over HTTP too, where the plainest lookups are answered before Fastify.
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    await app.lookup.start()
    expect(await app.lookup.ready?.uncovered(db())).toBe(true)
    const viaHttp = await (await fetch(`${url}/api/v1/lookup?lon=${lon}&lat=${lat}`)).json()
    expect(viaHttp.community?.code).toBe(COMMUNITY)
    // Outside the city altogether: nothing covers the point.
    const far = (await app.inject('/api/v1/my-grid?lon=100&lat=30')).json()
    expect([far.grid, far.community, far.town]).toEqual([null, null, null])
  })

  it('leaves out what is smaller than minAreaM2, counting it, and echoes the parameters', async () => {
    // The gap is ~227,000 m², the overlap ~341,000 m².
    const at = '2100-01-01T00:00:00.000Z'
    const report = await checkCoverage(db(), COMMUNITY, { minAreaM2: 300_000, at })
    expect(report).toMatchObject({ at, minAreaM2: 300_000, gaps: [], ignored: { gaps: 1, overlaps: 0 }, clean: false })
    expect(report.overlaps.map((o) => o.codes)).toEqual([[code(11), code(12)]])

    const res = await app.inject(`/api/v1/units/${COMMUNITY}/coverage?minAreaM2=1e6`)
    expect(res.json()).toMatchObject({ minAreaM2: 1e6, gaps: [], overlaps: [], ignored: { gaps: 1, overlaps: 1 }, clean: true })
  })

  it('answers a FeatureCollection for the map with format=geojson', async () => {
    const res = await app.inject(`/api/v1/units/${COMMUNITY}/coverage?format=geojson`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    const fc = res.json()
    expect(fc).toMatchObject({ type: 'FeatureCollection', format: 'geojson', minAreaM2: 1, clean: false, parent: { code: COMMUNITY }, children: 16 })
    expect(fc.features.map((f: { properties: { kind: string } }) => f.properties.kind)).toEqual(['gap', 'overlap'])
    const [gap, overlap] = fc.features
    expect(gap).toMatchObject({ type: 'Feature', geometry: { type: 'Polygon' }, properties: { kind: 'gap' } })
    within1pc(gap.properties.areaM2, quadrangleM2(...GAP))
    expect(overlap.properties).toMatchObject({ kind: 'overlap', codes: [code(11), code(12)] })
    expect(overlap.properties.location).toHaveLength(2)
  })

  it('measures a thin sliver along a long slanted edge by its real area (at an earlier generation)', async () => {
    const res = await app.inject(`/api/v1/units/${COMMUNITY}/coverage?at=2005-06-01T00:00:00Z`)
    expect(res.statusCode).toBe(200)
    const report = res.json()
    expect(report).toMatchObject({ generation: { label: 'slanted', validFrom: SLANTED_FROM }, at: '2005-06-01T00:00:00.000Z', children: 2, overlaps: [] })
    // The triangle A–X–B in the plane, scaled at its mean latitude. Plain
    // ::geography, which bends each edge into a great-circle arc, makes ~50,000 m² of it.
    const cross = (X[0] - A[0]) * (B[1] - A[1]) - (X[1] - A[1]) * (B[0] - A[0])
    const expected = (Math.abs(cross) / 2) * m2PerDeg2((A[1] + X[1] + B[1]) / 3)
    expect(expected).toBeGreaterThan(40)
    expect(expected).toBeLessThan(80)
    expect(report.gaps).toHaveLength(1)
    within1pc(report.gaps[0].areaM2, expected)
    console.log(`[coverage] slanted sliver ${report.gaps[0].areaM2.toFixed(2)} m² (expected ${expected.toFixed(2)})`)
  })

  it('finds the town and the city, each covered by its single child, clean', async () => {
    for (const parent of ['441900', '441900003']) {
      const report = (await app.inject(`/api/v1/units/${parent}/coverage`)).json()
      expect(report).toMatchObject({ parent: { code: parent }, children: 1, gaps: [], overlaps: [], clean: true })
    }
  })

  it('answers problem documents for an unknown code, a grid, a moment before the first generation and bad parameters', async () => {
    const problem = async (url: string, status: number, detail: RegExp) => {
      const res = await app.inject(url)
      expect(res.statusCode).toBe(status)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ status, instance: url })
      expect(res.json().detail).toMatch(detail)
    }
    await problem('/api/v1/units/441900003999/coverage', 404, /441900003999/)
    await problem(`/api/v1/units/${code(6)}/coverage`, 400, /is a grid.*no children.*441900003001/)
    await problem(`/api/v1/units/${COMMUNITY}/coverage?at=1990-01-01T00:00:00Z`, 404, /No boundary generation was valid at 1990-01-01/)
    await problem('/api/v1/units/4419/coverage', 400, /code/)
    await problem(`/api/v1/units/${COMMUNITY}/coverage?minAreaM2=-1`, 400, /minAreaM2/)
    await problem(`/api/v1/units/${COMMUNITY}/coverage?format=kml`, 400, /format/)
  })
})

describeBackends('Coverage of the demo city', ({ backend, db }) => {
  let app: App
  beforeAll(async () => {
    await seedDemoIfEmpty(db(), undefined, { incidents: false })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('is clean for the city, a town and a community', async () => {
    const { rows } = await db().query<{ town: string; community: string }>(
      // The community with the most grids, and its town.
      `SELECT left(parent_code, 9) AS town, parent_code AS community
       FROM unit WHERE level = 'grid' AND generation_id = current_generation()
       GROUP BY parent_code ORDER BY count(*) DESC, parent_code LIMIT 1`,
    )
    const { town, community } = rows[0]!
    for (const [parent, level] of [['441900', 'city'], [town, 'town'], [community, 'community']] as const) {
      const started = performance.now()
      const res = await app.inject(`/api/v1/units/${parent}/coverage`)
      const ms = performance.now() - started
      expect(res.statusCode).toBe(200)
      const report = res.json()
      console.log(
        `[coverage] ${backend}: ${level} ${parent} (${report.children} children) checked in ${ms.toFixed(0)} ms; ` +
          `slivers under 1 m²: ${report.ignored.gaps} gaps, ${report.ignored.overlaps} overlaps`,
      )
      expect(report).toMatchObject({ parent: { code: parent, level }, gaps: [], overlaps: [], clean: true })
      expect(report.children).toBeGreaterThan(1)
    }
  })
})

function bounds(ring: [number, number][]) {
  const xs = ring.map((p) => p[0])
  const ys = ring.map((p) => p[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

function expectInside([lon, lat]: [number, number], [x0, y0, x1, y1]: readonly number[]) {
  expect(lon).toBeGreaterThan(x0!)
  expect(lon).toBeLessThan(x1!)
  expect(lat).toBeGreaterThan(y0!)
  expect(lat).toBeLessThan(y1!)
}

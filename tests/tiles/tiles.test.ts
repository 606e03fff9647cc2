import { VectorTile, type VectorTileLayer } from '@mapbox/vector-tile'
import { cellToParent, latLngToCell } from 'h3-js'
import { PbfReader } from 'pbf'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { encodeMvt, POLYGON } from '../../server/tiles/mvt-encode.ts'
import { TileCache } from '../../server/tiles/tile-cache.ts'
import { PolygonCommands } from '../../server/tiles/tile-geometry.ts'
import { tileProjection } from '../../server/tiles/tile-math.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
type Props = Record<string, string | number | boolean>

// 4 × 4 grids of 0.01° from 113.60, 22.93, numbered north→south, west→east: the
// whole city lies in one tile of zoom 10 and one of zoom 12.
const CITY = { nx: 4, ny: 4, lon0: 113.6, lat0: 22.93 }
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`
const square = (n: number) => {
  const col = (n - 1) % 4
  const row = 3 - Math.floor((n - 1) / 4)
  return [113.6 + col * 0.01, 22.93 + row * 0.01, 113.6 + (col + 1) * 0.01, 22.93 + (row + 1) * 0.01] as const
}
/** Effort weights of the seeded catalogue (migration 007), written out independently. */
const WEIGHT: Record<string, number> = { 'SEC-02': 2.0, 'ENV-01': 0.8, 'CONS-01': 3.0, 'FIRE-03': 1.0, 'SAFE-02': 3.0 }

interface Report {
  grid: number
  category: string
  daysAgo: number
  status?: string
  duplicate?: boolean
  /** Offset inside the grid square, as fractions of its side. */
  at?: [number, number]
  channel?: string
}
const REPORTS: Report[] = [
  { grid: 1, category: 'SEC-02', daysAgo: 10 },
  { grid: 1, category: 'ENV-01', daysAgo: 100, at: [0.2, 0.7], channel: 'hotline' },
  { grid: 1, category: 'CONS-01', daysAgo: 400 },
  { grid: 1, category: 'FIRE-03', daysAgo: 5, status: 'rejected', at: [0.8, 0.2] },
  { grid: 1, category: 'SAFE-02', daysAgo: 3, duplicate: true, at: [0.3, 0.3] },
  { grid: 2, category: 'ENV-01', daysAgo: 20, at: [0.1, 0.9] },
  { grid: 6, category: 'SAFE-02', daysAgo: 30, at: [0.6, 0.4] },
  { grid: 6, category: 'SEC-02', daysAgo: 200, at: [0.9, 0.9], channel: 'patrol' },
]
const pointOf = (r: Report) => {
  const [w, s] = square(r.grid)
  const [fx, fy] = r.at ?? [0.5, 0.5]
  return [w + fx * 0.01, s + fy * 0.01] as const
}

/** XYZ tile of a point, from the Web Mercator formulas (independent of the server's tile math). */
function tileOf(lon: number, lat: number, z: number) {
  const n = 2 ** z
  const phi = (lat * Math.PI) / 180
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2) * n) }
}
const CITY_TILE = tileOf(113.62, 22.95, 10)

function decode(body: Buffer, layer: string): VectorTileLayer {
  const tile = new VectorTile(new PbfReader(new Uint8Array(body)))
  expect(Object.keys(tile.layers)).toEqual([layer])
  return tile.layers[layer]!
}
function features(layer: VectorTileLayer) {
  return Array.from({ length: layer.length }, (_, i) => layer.feature(i))
}

describeBackends('Vector tiles', ({ db }) => {
  let app: App
  let analyst: Record<string, string>
  let gridAdmin: Record<string, string>
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers })
  const tileUrl = (layer: string, t: { z: number; x: number; y: number }, query = '') => `/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt${query}`

  beforeAll(async () => {
    await importUnits(db(), squareCity(CITY), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().exec(`
      INSERT INTO administrator (employee_no, name, active) VALUES ('A1', '一号', true), ('A2', '二号', true), ('A3', '三号', false), ('A4', '四号', true);
      INSERT INTO administrator_grid (administrator_id, grid_code)
      SELECT a.id, g FROM administrator a, LATERAL (VALUES ('A1', '${G(1)}'), ('A2', '${G(1)}'), ('A3', '${G(2)}'), ('A4', '${G(2)}'), ('A4', '${G(6)}')) v(e, g) WHERE a.employee_no = v.e`)
    for (const [k, r] of REPORTS.entries()) {
      const [lon, lat] = pointOf(r)
      await db().query(
        `INSERT INTO incident (category_code, geom, reported_at, channel, grid_code, community_code, town_code, status, duplicate_of, token, h3_10)
         VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), now() - make_interval(days => $4), $5, $6, '441900003001', '441900003', $7,
                 CASE WHEN $8 THEN (SELECT min(id) FROM incident) END, $9, h3_from_hex($10))`,
        [r.category, lon, lat, r.daysAgo, r.channel ?? 'citizen', G(r.grid), r.status ?? 'reported', r.duplicate ?? false, `tile-test-${k}`, latLngToCell(lat, lon, 10)],
      )
    }
    analyst = await keyHeaders(db(), { name: 'tiles-analyst', role: 'analyst' })
    gridAdmin = await keyHeaders(db(), { name: 'tiles-ga', role: 'grid_admin', administratorEmployeeNo: 'A4' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('draws the current grids with their codes, names and workload', async () => {
    const res = await get(tileUrl('grids', CITY_TILE))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
    expect(res.headers['cache-control']).toBe('public, no-cache')
    const layer = decode(res.rawPayload, 'grids')
    const byCode = new Map(features(layer).map((f) => [f.properties.code as string, f]))
    expect([...byCode.keys()].sort()).toEqual(Array.from({ length: 16 }, (_, i) => G(i + 1)))

    // Load worked out here: countable (not rejected, not a duplicate) in the last 365 days, by effort weight.
    const load = new Map<number, number>()
    for (const r of REPORTS) if (r.status !== 'rejected' && !r.duplicate && r.daysAgo < 365) load.set(r.grid, (load.get(r.grid) ?? 0) + WEIGHT[r.category]!)
    const mean = [...load.values()].reduce((a, b) => a + b, 0) / 16
    const admins: Record<number, number> = { 1: 2, 2: 1, 6: 1 }
    for (let n = 1; n <= 16; n++) {
      const f = byCode.get(G(n))!
      const p = f.properties as Props
      expect(p).toMatchObject({ name: `测试社区第${n}网格`, parent: '441900003001', population: 1000, administrators: admins[n] ?? 0 })
      expect(p.name_en).toBeUndefined() // null attributes are left out
      expect(p.households).toBeUndefined()
      expect(p.load).toBeCloseTo(load.get(n) ?? 0, 9)
      expect(p.deviation).toBeCloseTo(((load.get(n) ?? 0) - mean) / mean, 3)
      if (admins[n]) expect(p.load_per_admin).toBeCloseTo((load.get(n) ?? 0) / admins[n]!, 3)
      else expect(p.load_per_admin).toBeUndefined()
      expect(p.area_km2 as number).toBeGreaterThan(1.12) // 0.01° × 0.01° at 22.95° N ≈ 1.134 km²
      expect(p.area_km2 as number).toBeLessThan(1.15)
      expect(f.id).toBe(Number(G(n)))

      // The outline decoded back to lon/lat is the grid's square, to a pixel at zoom 10 (~0.0001°).
      const geo = f.toGeoJSON(CITY_TILE.x, CITY_TILE.y, CITY_TILE.z)
      expect(geo.geometry.type).toBe('Polygon')
      const ring = (geo.geometry as { coordinates: number[][][] }).coordinates[0]!
      const [w, s, e, nn] = square(n)
      const xs = ring.map((c) => c[0]!)
      const ys = ring.map((c) => c[1]!)
      for (const [got, want] of [[Math.min(...xs), w], [Math.min(...ys), s], [Math.max(...xs), e], [Math.max(...ys), nn]] as const) expect(Math.abs(got - want)).toBeLessThan(1.5e-4)
    }
  })

  it('serves towns and communities with code, name and parent', async () => {
    const towns = features(decode((await get(tileUrl('towns', CITY_TILE))).rawPayload, 'towns'))
    expect(towns.map((f) => f.properties)).toEqual([{ code: '441900003', name: '东城街道', parent: '441900' }])
    const communities = features(decode((await get(tileUrl('communities', CITY_TILE))).rawPayload, 'communities'))
    expect(communities.map((f) => f.properties.code)).toEqual(['441900003001'])
  })

  it('answers 204 for an empty tile and below a layer’s minzoom', async () => {
    for (const url of [tileUrl('grids', { z: 10, x: 0, y: 0 }), tileUrl('grids', { z: 8, x: CITY_TILE.x >> 2, y: CITY_TILE.y >> 2 })]) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(204)
      expect(res.body).toBe('')
    }
  })

  it('refuses unknown layers (404) and tiles that do not exist (400), as problem+json', async () => {
    const notFound = await get('/tiles/parcels/10/835/445.mvt')
    expect(notFound.statusCode).toBe(404)
    expect(notFound.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(notFound.json().detail).toMatch(/"parcels".*towns, communities, grids, incidents, h3/)
    expect((await get('/tiles/parcels.json')).statusCode).toBe(404)
    for (const url of ['/tiles/grids/23/0/0.mvt', '/tiles/grids/10/1024/0.mvt', '/tiles/grids/10/0/1024.mvt', '/tiles/grids/-1/0/0.mvt', '/tiles/grids/10/a/0.mvt', '/tiles/grids/1.5/0/0.mvt']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/)
    }
  })

  it('tags tiles with an ETag and answers If-None-Match with 304', async () => {
    const first = await get(tileUrl('towns', CITY_TILE))
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[\w-]+"$/)
    const again = await get(tileUrl('towns', CITY_TILE), { 'if-none-match': etag })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers.etag).toBe(etag)
    expect((await get(tileUrl('towns', CITY_TILE), { 'if-none-match': '"other"' })).statusCode).toBe(200)
  })

  it('describes each layer in TileJSON 3.0.0', async () => {
    const res = await get('/tiles/grids.json')
    expect(res.statusCode).toBe(200)
    const tj = res.json()
    expect(tj).toMatchObject({ tilejson: '3.0.0', minzoom: 9, maxzoom: 16, vector_layers: [{ id: 'grids', fields: { code: 'String', load: 'Number', deviation: 'Number' } }] })
    expect(tj.tiles).toEqual([expect.stringMatching(/^http:\/\/localhost(:80)?\/tiles\/grids\/\{z\}\/\{x\}\/\{y\}\.mvt$/)])
    tj.bounds.forEach((v: number, i: number) => expect(v).toBeCloseTo([113.6, 22.93, 113.64, 22.97][i]!, 6))
    const incidents = (await get('/tiles/incidents.json?categories=SEC-02', analyst)).json()
    expect(incidents.tiles[0]).toMatch(/\/tiles\/incidents\/\{z\}\/\{x\}\/\{y\}\.mvt\?categories=SEC-02$/)
    expect((await get('/tiles/incidents.json')).statusCode).toBe(401)
  })

  it('needs a key for incident points, and filters and confines them', async () => {
    const z12 = tileOf(...pointOf(REPORTS[0]!), 12)
    const inTile = REPORTS.filter((r) => JSON.stringify(tileOf(...pointOf(r), 12)) === JSON.stringify(z12))
    expect(inTile).toEqual(REPORTS)

    const anonymous = await get(tileUrl('incidents', z12))
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/)

    const res = await get(tileUrl('incidents', z12, '?from=2000-01-01'), analyst)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('private, no-cache')
    const all = features(decode(res.rawPayload, 'incidents'))
    expect(all).toHaveLength(inTile.length)
    const now = Date.now() / 1000
    for (const f of all) {
      const r = inTile.find((x) => x.category === f.properties.category && Math.abs(now - x.daysAgo * 86400 - (f.properties.reported_at as number)) < 600)!
      expect(r, JSON.stringify(f.properties)).toBeDefined()
      expect(f.properties).toMatchObject({ status: r.status ?? 'reported', channel: r.channel ?? 'citizen', supervision_level: 0 })
      expect(f.id).toBe(f.properties.id)
      const [lon, lat] = (f.toGeoJSON(z12.x, z12.y, z12.z).geometry as { coordinates: number[] }).coordinates
      const [wantLon, wantLat] = pointOf(r)
      expect(Math.abs(lon! - wantLon)).toBeLessThan(1e-4)
      expect(Math.abs(lat! - wantLat)).toBeLessThan(1e-4)
    }

    // The default window is the last 365 days; categories filter.
    expect(features(decode((await get(tileUrl('incidents', z12), analyst)).rawPayload, 'incidents'))).toHaveLength(inTile.filter((r) => r.daysAgo < 365).length)
    const sec = features(decode((await get(tileUrl('incidents', z12, '?categories=SEC-02&from=2000-01-01'), analyst)).rawPayload, 'incidents'))
    expect(sec.map((f) => f.properties.category)).toEqual(inTile.filter((r) => r.category === 'SEC-02').map(() => 'SEC-02'))
    expect((await get(tileUrl('incidents', z12, '?categories=sec-02'), analyst)).statusCode).toBe(400)
    expect((await get(tileUrl('incidents', z12, '?categories=OTH-01'), analyst)).statusCode).toBe(204)
    expect((await get(tileUrl('incidents', { z: 11, x: z12.x >> 1, y: z12.y >> 1 }), analyst)).statusCode).toBe(204) // below minzoom 12

    // A grid administrator sees their own grids' incidents only (A4: grids 2 and 6).
    const own = features(decode((await get(tileUrl('incidents', z12, '?from=2000-01-01'), gridAdmin)).rawPayload, 'incidents'))
    expect(own.length).toBe(inTile.filter((r) => r.grid === 2 || r.grid === 6).length)
  })

  it('counts incidents per H3 cell exactly as the cube does', async () => {
    const res = await get(tileUrl('h3', CITY_TILE), analyst) // zoom 10 → resolution 8
    expect(res.statusCode, res.body).toBe(200)
    const cells = features(decode(res.rawPayload, 'h3'))
    const got = Object.fromEntries(cells.map((f) => [f.properties.cell, f.properties.count]))
    // Expected from the reports themselves: the cube counts every status but no duplicate, last 365 days by default.
    const want: Record<string, number> = {}
    for (const r of REPORTS) {
      if (r.duplicate || r.daysAgo >= 365) continue
      const [lon, lat] = pointOf(r)
      const cell = cellToParent(latLngToCell(lat, lon, 10), 8)
      want[cell] = (want[cell] ?? 0) + 1
    }
    expect(got).toEqual(want)
    const cube = await db().query<{ cell: string; n: number }>(
      `SELECT to_hex(h3_parent(cell, 8)) AS cell, sum(n)::int AS n FROM incident_cell_day WHERE day > current_date - 364 GROUP BY 1`,
    )
    expect(got).toEqual(Object.fromEntries(cube.rows.map((r) => [r.cell, r.n])))
    for (const f of cells) expect(f.properties.res).toBe(8)

    const fire = features(decode((await get(tileUrl('h3', CITY_TILE, '?categories=FIRE-03'), analyst)).rawPayload, 'h3'))
    expect(fire.map((f) => [f.properties.count, f.properties.load])).toEqual([[1, 1]])
    const own = features(decode((await get(tileUrl('h3', CITY_TILE), gridAdmin)).rawPayload, 'h3'))
    expect(own.reduce((n, f) => n + (f.properties.count as number), 0)).toBe(REPORTS.filter((r) => (r.grid === 2 || r.grid === 6) && r.daysAgo < 365).length)
    expect((await get(tileUrl('h3', CITY_TILE))).statusCode).toBe(401)
  })

  // Last: it replaces the generation.
  it('builds the town and community tiles of the whole city at zooms 9 and 10 ahead of the first visit (warm), then serves them from memory', async () => {
    app.tiles.invalidate()
    const built = await app.tiles.warm()
    expect(built).toBeGreaterThanOrEqual(4) // towns and communities of the city's zoom-9 and zoom-10 tile(s)
    const hits = app.tiles.cache.hits
    for (const layer of ['towns', 'communities']) {
      const res = await get(tileUrl(layer, CITY_TILE))
      expect(res.statusCode).toBe(200)
    }
    expect(app.tiles.cache.hits - hits).toBe(2)
    // Grid tiles carry the workload and are built when first asked for.
    expect((await get(tileUrl('grids', CITY_TILE))).statusCode).toBe(200)
    expect(app.tiles.cache.hits - hits).toBe(2)
  })

  it('changes the tile when a new generation is published (cache invalidated)', async () => {
    const before = await get(tileUrl('grids', CITY_TILE))
    expect((await get(tileUrl('grids', CITY_TILE), { 'if-none-match': before.headers.etag as string })).statusCode).toBe(304)
    const city = squareCity(CITY)
    city.features[3]!.properties.name = '新网格一'
    await importUnits(db(), city, { validFrom: new Date() })
    await new Promise((resolve) => setTimeout(resolve, 1100)) // the generation id is re-read at most once a second
    const after = await get(tileUrl('grids', CITY_TILE), { 'if-none-match': before.headers.etag as string })
    expect(after.statusCode).toBe(200)
    expect(after.headers.etag).not.toBe(before.headers.etag)
    const names = features(decode(after.rawPayload, 'grids')).map((f) => f.properties.name)
    expect(names).toContain('新网格一')
    expect(names).not.toContain('测试社区第1网格')
  })
})

describe('Tile pieces', () => {
  it('winds outer rings and holes the MVT way, whatever the input order, and drops what collapses', () => {
    const t = tileOf(113.6, 22.93, 12)
    const p = new PolygonCommands(tileProjection(t))
    const ring = (coords: number[][], outer: boolean) => {
      p.beginRing()
      for (const [x, y] of coords) p.lonLat(x!, y!)
      p.endRing(outer)
    }
    const [w, s, e, n] = [113.61, 22.94, 113.63, 22.96]
    ring([[w, s], [w, n], [e, n], [e, s], [w, s]], true) // clockwise in lon/lat
    ring([[113.615, 22.945], [113.625, 22.945], [113.625, 22.955], [113.615, 22.955], [113.615, 22.945]], false) // counter-clockwise
    ring([[113.62, 22.95], [113.620001, 22.95], [113.62, 22.950001], [113.62, 22.95]], true) // under a pixel: dropped
    ring([[113.62, 22.95], [113.63, 22.95], [113.63, 22.96], [113.62, 22.95]], false) // hole of the dropped ring: dropped too
    const bytes = encodeMvt([{ name: 'x', features: [{ type: POLYGON, geometry: p.finish(), properties: { a: 1.5, b: 'b', c: null } }] }])
    const f = new VectorTile(new PbfReader(bytes)).layers.x!.feature(0)
    expect(f.properties).toEqual({ a: 1.5, b: 'b' })
    // MVT 2.1 §4.3.4.3: an exterior ring has positive area by the surveyor's formula in tile coordinates (y down), a hole negative.
    const area = (r: { x: number; y: number }[]) => r.reduce((sum, a, i) => sum + a.x * r[(i + 1) % r.length]!.y - r[(i + 1) % r.length]!.x * a.y, 0)
    expect(f.loadGeometry().map((r) => Math.sign(area(r)))).toEqual([1, -1])
    const geo = f.toGeoJSON(t.x, t.y, t.z).geometry as { type: string; coordinates: number[][][] }
    expect(geo.type).toBe('Polygon')
    expect(geo.coordinates).toHaveLength(2)
    const near = (a: number[][], b: number[][]) => a.every(([x, y]) => b.some(([u, v]) => Math.abs(x! - u!) < 1e-4 && Math.abs(y! - v!) < 1e-4))
    expect(near(geo.coordinates[0]!, [[w, s], [w, n], [e, n], [e, s]])).toBe(true)
    expect(near(geo.coordinates[1]!, [[113.615, 22.945], [113.625, 22.955], [113.615, 22.955], [113.625, 22.945]])).toBe(true)
  })

  it('keeps the most recently used tiles within its byte budget, each for its own time', () => {
    let now = 0
    const cache = new TileCache(3000, () => now)
    const tile = (n: number) => ({ bytes: new Uint8Array(n), etag: `"${n}"` })
    cache.set('a', tile(1000), Infinity)
    cache.set('b', tile(1000), 50)
    expect(cache.get('a')?.etag).toBe('"1000"') // a is now the most recent
    cache.set('c', tile(1000), Infinity) // over budget: b, the least recently used, goes
    expect(cache.get('b')).toBeNull()
    expect(cache.get('a')).not.toBeNull()
    expect(cache.bytes).toBeLessThanOrEqual(3000)
    cache.set('d', { bytes: null, etag: null }, 10)
    expect(cache.get('d')).toMatchObject({ bytes: null, etag: null })
    now = 10
    expect(cache.get('d')).toBeNull() // expired
    cache.set('huge', tile(5000), Infinity) // larger than the whole budget: not kept
    expect(cache.get('huge')).toBeNull()
    cache.clear()
    expect([cache.size, cache.bytes]).toEqual([0, 0])
  })
})

/**
 * The Dongguan demo city, checked from the outside: PostGIS on the database the
 * demo was loaded into is the judge of the geometry (partition, nesting, holes),
 * and the rules (codes, numbering, attributes, administrators) are re-derived
 * here independently of the generator's own code.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { beforeAll, expect, it } from 'vitest'
import type { Db } from '../../server/db/client.ts'
import { generateDongguan, type DemoCity } from '../../server/demo/dongguan.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed-demo.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'

const DATA = new URL('../../data/', import.meta.url)
const OUTLINE_GEOJSON = JSON.stringify(
  (JSON.parse(readFileSync(new URL('dongguan-outline.geojson', DATA), 'utf8')) as { features: { geometry: unknown }[] })
    .features[0]!.geometry,
)
/** The outline as PostGIS reads it; `$1` is OUTLINE_GEOJSON. */
const OUTLINE = `ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)`
/** Units of the current generation. */
const CURRENT = `generation_id = current_generation()`

interface TownRow {
  code: string
  name_zh: string
  name_en: string
  kind: string
  lon: number
  lat: number
}

/** The town list, read with a parser of its own (the file has no quoted fields). */
function readTowns(): TownRow[] {
  const [header, ...lines] = readFileSync(new URL('dongguan-towns.csv', DATA), 'utf8').trim().split(/\r?\n/)
  expect(header).toBe('code,name_zh,name_en,kind,lon,lat')
  return lines.map((line) => {
    const f = line.split(',')
    expect(f).toHaveLength(6)
    return { code: f[0]!, name_zh: f[1]!, name_en: f[2]!, kind: f[3]!, lon: Number(f[4]), lat: Number(f[5]) }
  })
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Ranks 1..n, ties sharing their average rank. */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1
    i = j + 1
  }
  return out
}

function spearman(a: number[], b: number[]): number {
  const ra = ranks(a)
  const rb = ranks(b)
  const mean = (ra.length + 1) / 2
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean)
    da += (ra[i]! - mean) ** 2
    db += (rb[i]! - mean) ** 2
  }
  return num / Math.sqrt(da * db)
}

/**
 * The numbering rule of unit-codes.ts, written again from its description:
 * children are cut into round(√n) rows of equal height between the northmost
 * and southmost centre, rows are read north to south and each row west to
 * east. Returns the indexes of `centres` in numbering order.
 */
function expectedNumbering(centres: { lon: number; lat: number }[]): number[] {
  const rows = Math.max(1, Math.round(Math.sqrt(centres.length)))
  const north = Math.max(...centres.map((c) => c.lat))
  const south = Math.min(...centres.map((c) => c.lat))
  const height = (north - south) / rows
  const rowOf = (lat: number) => (height > 0 ? Math.min(rows - 1, Math.floor((north - lat) / height)) : 0)
  return centres
    .map((c, i) => ({ i, row: rowOf(c.lat), lon: c.lon }))
    .sort((a, b) => a.row - b.row || a.lon - b.lon)
    .map((c) => c.i)
}

async function rows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows
}

/** Everything the demo seed writes, to prove that a second call writes nothing. */
async function fingerprint(db: Db) {
  return (await rows<Record<string, number | string>>(db, `
    SELECT (SELECT count(*)::int FROM generation) AS generations,
           (SELECT string_agg(id || ':' || valid_from::text || ':' || created_at::text, ',') FROM generation) AS generation_rows,
           (SELECT count(*)::int FROM unit) AS units,
           (SELECT sum(ST_NPoints(geom))::float8 FROM unit) AS unit_points,
           (SELECT sum(population)::float8 FROM unit) AS unit_population,
           (SELECT count(*)::int FROM administrator) AS administrators,
           (SELECT max(id)::int FROM administrator) AS max_administrator_id,
           (SELECT count(*)::int FROM administrator_grid) AS assignments,
           (SELECT count(*)::int FROM audit_log) AS audit_entries`))[0]!
}

describeBackends('Dongguan demo city', ({ backend, db }) => {
  let seeded: boolean

  beforeAll(async () => {
    const started = Date.now()
    seeded = await seedDemoIfEmpty(db())
    console.log(`[demo] ${backend}: full Dongguan demo seeded in ${seconds(started)}`)
  })

  it('is loaded into the empty database as one generation: 1 city, the 33 towns of the CSV, ~590 communities, ~3,000 grids', async () => {
    expect(seeded).toBe(true)
    expect(await rows(db(), `SELECT count(*)::int AS n, count(*) FILTER (WHERE valid_to IS NULL)::int AS open FROM generation`)).toEqual([
      { n: 1, open: 1 },
    ])
    expect(await rows(db(), `SELECT count(*)::int AS n FROM unit WHERE generation_id IS DISTINCT FROM current_generation()`)).toEqual([{ n: 0 }])

    const counts = Object.fromEntries(
      (await rows<{ level: string; n: number }>(db(), `SELECT level, count(*)::int AS n FROM unit WHERE ${CURRENT} GROUP BY level`)).map((r) => [r.level, r.n]),
    )
    console.log(`[demo] ${backend}: ${JSON.stringify(counts)}`)
    expect(counts.city).toBe(1)
    expect(counts.town).toBe(33)
    expect(counts.community).toBeGreaterThanOrEqual(560)
    expect(counts.community).toBeLessThanOrEqual(620)
    expect(counts.grid).toBeGreaterThanOrEqual(2900)
    expect(counts.grid).toBeLessThanOrEqual(3200)

    expect(await rows(db(), `SELECT code, parent_code, name_zh FROM unit WHERE level = 'city' AND ${CURRENT}`)).toEqual([
      { code: '441900', parent_code: null, name_zh: '东莞市' },
    ])
    const towns = await rows(db(), `SELECT code, name_zh, name_en FROM unit WHERE level = 'town' AND ${CURRENT} ORDER BY code`)
    expect(towns).toEqual(
      readTowns()
        .map(({ code, name_zh, name_en }) => ({ code, name_zh, name_en }))
        .sort((a, b) => (a.code < b.code ? -1 : 1)),
    )
  })

  it('stores only valid, non-empty polygons with names', async () => {
    expect(
      await rows(db(), `
        SELECT count(*)::int AS units,
               count(*) FILTER (WHERE NOT ST_IsValid(geom))::int AS invalid,
               count(*) FILTER (WHERE ST_IsEmpty(geom) OR ST_Area(geom) = 0)::int AS empty,
               count(*) FILTER (WHERE GeometryType(geom) <> 'MULTIPOLYGON' OR ST_SRID(geom) <> 4326)::int AS wrong_type,
               count(*) FILTER (WHERE name_zh = '' OR name_en IS NULL OR name_en = '')::int AS unnamed,
               count(*) FILTER (WHERE abs(area_m2 - ST_Area(geom::geography)) > 1e-6 * area_m2 + 1e-3)::int AS wrong_area
        FROM unit WHERE ${CURRENT}`),
    ).toEqual([{ units: expect.any(Number), invalid: 0, empty: 0, wrong_type: 0, unnamed: 0, wrong_area: 0 }])
  })

  it('is a partition of the real outline: the union of the grids is the city unit and the outline, without overlaps', async () => {
    const [r] = await rows<Record<string, number>>(
      db(),
      `WITH grids AS (
         SELECT ST_Union(geom) AS u, sum(ST_Area(geom::geography)) AS area_sum, count(*) AS n
         FROM unit WHERE level = 'grid' AND ${CURRENT}
       ), city AS (SELECT geom FROM unit WHERE level = 'city' AND ${CURRENT}),
       outline AS (SELECT ${OUTLINE} AS geom)
       SELECT ST_IsValid(outline.geom)::int AS outline_valid,
              ST_Area(outline.geom::geography) AS outline_area,
              ST_Area(city.geom::geography) AS city_area,
              ST_Area(grids.u::geography) AS union_area,
              grids.area_sum,
              ST_Area(ST_SymDifference(grids.u, city.geom)::geography) AS grids_vs_city,
              ST_Area(ST_SymDifference(grids.u, outline.geom)::geography) AS grids_vs_outline,
              ST_Area(ST_SymDifference(city.geom, outline.geom)::geography) AS city_vs_outline
       FROM grids, city, outline`,
      [OUTLINE_GEOJSON],
    )
    console.log(`[demo] ${backend}: partition ${JSON.stringify(r)}`)
    const tolerance = 1e-6 * r!.city_area!
    expect(r!.outline_valid).toBe(1)
    expect(r!.city_area).toBeGreaterThan(2.0e9) // Dongguan is ~2,460 km²
    expect(r!.city_area).toBeLessThan(3.0e9)
    expect(r!.city_vs_outline).toBeLessThan(tolerance)
    expect(r!.grids_vs_city).toBeLessThan(tolerance)
    expect(r!.grids_vs_outline).toBeLessThan(tolerance)
    // No overlaps: the grids' areas add up to the area of their union.
    expect(Math.abs(r!.area_sum! - r!.union_area!)).toBeLessThan(tolerance)
  })

  it('keeps the holes of the outline (lakes) in the city and in the union of the grids', async () => {
    const list = await rows<{ what: string; parts: number; holes: number; hole_area: number }>(
      db(),
      `WITH shapes AS (
         SELECT 'outline' AS what, ${OUTLINE} AS geom
         UNION ALL SELECT 'city', geom FROM unit WHERE level = 'city' AND ${CURRENT}
         UNION ALL SELECT 'grids', ST_Union(geom) FROM unit WHERE level = 'grid' AND ${CURRENT}
       ), polygons AS (
         SELECT s.what, COALESCE(d.path[1], 1) AS part, d.geom FROM shapes s CROSS JOIN LATERAL ST_Dump(s.geom) AS d
       )
       SELECT p.what, count(DISTINCT p.part)::int AS parts, count(n)::int AS holes,
              COALESCE(sum(ST_Area(ST_MakePolygon(ST_InteriorRingN(p.geom, n))::geography)), 0)::float8 AS hole_area
       FROM polygons p LEFT JOIN LATERAL generate_series(1, ST_NumInteriorRings(p.geom)) AS n ON true
       GROUP BY p.what`,
      [OUTLINE_GEOJSON],
    )
    const shape = Object.fromEntries(list.map((x) => [x.what, x]))
    const { outline, city, grids } = shape
    console.log(`[demo] ${backend}: holes ${JSON.stringify(list)}`)
    expect(outline!.holes).toBeGreaterThan(0)
    expect(city!.holes).toBe(outline!.holes)
    expect(grids!.holes).toBe(outline!.holes)
    expect(city!.parts).toBe(outline!.parts)
    expect(grids!.parts).toBe(outline!.parts)
    expect(Math.abs(city!.hole_area - outline!.hole_area)).toBeLessThan(1)
    expect(Math.abs(grids!.hole_area - outline!.hole_area)).toBeLessThan(1)
    // And no unit of any level reaches into a hole.
    const [inHoles] = await rows<{ n: number; area: number }>(
      db(),
      `WITH holes AS (
         SELECT ST_Union(ST_MakePolygon(ST_InteriorRingN(d.geom, n))) AS geom
         FROM ST_Dump(${OUTLINE}) AS d, generate_series(1, ST_NumInteriorRings(d.geom)) AS n
       )
       SELECT count(*)::int AS n, COALESCE(max(ST_Area(ST_Intersection(u.geom, holes.geom)::geography)), 0)::float8 AS area
       FROM unit u, holes WHERE u.${CURRENT} AND ST_Relate(u.geom, holes.geom, '2********')`,
      [OUTLINE_GEOJSON],
    )
    expect(inHoles!.area).toBeLessThan(1)
  })

  for (const [level, parentLevel] of [['town', 'city'], ['community', 'town'], ['grid', 'community']] as const) {
    it(`partitions every ${parentLevel} into its ${level}s: union equals the ${parentLevel}, no overlaps`, async () => {
      const list = await rows<{ code: string; area: number; symdiff: number; area_sum: number; union_area: number }>(
        db(),
        `WITH children AS (
           SELECT parent_code, ST_Union(geom) AS u, sum(ST_Area(geom::geography)) AS area_sum
           FROM unit WHERE level = $1 AND ${CURRENT} GROUP BY parent_code
         )
         SELECT p.code, ST_Area(p.geom::geography) AS area,
                COALESCE(ST_Area(ST_SymDifference(p.geom, c.u)::geography), -1)::float8 AS symdiff,
                COALESCE(c.area_sum, -1)::float8 AS area_sum, COALESCE(ST_Area(c.u::geography), -1)::float8 AS union_area
         FROM unit p LEFT JOIN children c ON c.parent_code = p.code
         WHERE p.level = $2 AND p.${CURRENT}
         ORDER BY p.code`,
        [level, parentLevel],
      )
      expect(list.length).toBeGreaterThan(0)
      const worst = { symdiff: 0, overlap: 0 }
      const bad = list.filter((p) => {
        const tolerance = Math.max(1, 1e-6 * p.area)
        worst.symdiff = Math.max(worst.symdiff, p.symdiff / p.area)
        worst.overlap = Math.max(worst.overlap, Math.abs(p.area_sum - p.union_area) / p.area)
        return p.symdiff < 0 || p.symdiff > tolerance || Math.abs(p.area_sum - p.union_area) > tolerance
      })
      console.log(`[demo] ${backend}: ${parentLevel}→${level} worst relative symdiff ${worst.symdiff.toExponential(2)}, overlap ${worst.overlap.toExponential(2)}`)
      expect(bad).toEqual([])
    })

    it(`nests every ${level} in its ${parentLevel} (covered within 1 m², parent code = code prefix)`, async () => {
      const [r] = await rows<Record<string, number>>(
        db(),
        `SELECT count(*)::int AS children,
                count(p.code)::int AS with_parent,
                count(*) FILTER (WHERE c.parent_code IS DISTINCT FROM left(c.code, -3))::int AS wrong_parent_code,
                count(*) FILTER (WHERE p.level IS DISTINCT FROM $2)::int AS wrong_parent_level,
                count(*) FILTER (WHERE NOT ST_CoveredBy(c.geom, p.geom))::int AS not_strictly_covered,
                COALESCE(max(CASE WHEN NOT ST_CoveredBy(c.geom, p.geom) THEN ST_Area(ST_Difference(c.geom, p.geom)::geography) END), 0)::float8 AS max_outside_m2
         FROM unit c LEFT JOIN unit p ON p.generation_id = c.generation_id AND p.code = c.parent_code
         WHERE c.level = $1 AND c.${CURRENT}`,
        [level, parentLevel],
      )
      console.log(`[demo] ${backend}: ${level} in ${parentLevel} ${JSON.stringify(r)}`)
      expect(r!.with_parent).toBe(r!.children)
      expect(r!.wrong_parent_code).toBe(0)
      expect(r!.wrong_parent_level).toBe(0)
      expect(r!.max_outside_m2).toBeLessThan(1)
    })
  }

  it('puts each town centre of the CSV inside its town', async () => {
    const towns = readTowns()
    const outside = await rows<{ code: string }>(
      db(),
      `SELECT t.code
       FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(code, lon, lat)
       LEFT JOIN unit u ON u.code = t.code AND u.level = 'town' AND u.${CURRENT}
       WHERE u.code IS NULL OR NOT ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))`,
      [towns.map((t) => t.code), towns.map((t) => t.lon), towns.map((t) => t.lat)],
    )
    expect(outside).toEqual([])
  })

  it('makes grids smaller where the synthetic population is dense', async () => {
    const grids = await rows<{ code: string; town: string; area: number; town_density: number }>(
      db(),
      `SELECT g.code, left(g.code, 9) AS town, g.area_m2 AS area,
              (t.population / (ST_Area(t.geom::geography) / 1e6))::float8 AS town_density
       FROM unit g JOIN unit t ON t.generation_id = g.generation_id AND t.code = left(g.code, 9)
       WHERE g.level = 'grid' AND g.${CURRENT}`,
    )
    // The four central streets (the densest cores) against the rest of the city.
    const central = new Set(['441900003', '441900004', '441900005', '441900006'])
    const centralMedian = median(grids.filter((g) => central.has(g.town)).map((g) => g.area))
    const restMedian = median(grids.filter((g) => !central.has(g.town)).map((g) => g.area))
    // Across the city: a grid is smaller the denser its town. The town's density
    // is measured over the whole town, so the grid's own area barely enters it
    // (unlike the grid's own population/area, which would correlate with area by
    // construction).
    const rho = spearman(grids.map((g) => g.town_density), grids.map((g) => g.area))
    // Within towns: grids near the town centre (the density core) are smaller
    // than those on the outskirts.
    const towns = readTowns()
    console.log(`[demo] ${backend}: median grid area central ${Math.round(centralMedian)} m², rest ${Math.round(restMedian)} m²; Spearman(town density, grid area) ${rho.toFixed(3)}`)
    expect(centralMedian).toBeLessThan(0.5 * restMedian)
    expect(rho).toBeLessThan(-0.5)
    void towns
  })

  it('has plausible attributes: non-negative, fewer households than people, parents hold the sum of their children', async () => {
    const [r] = await rows<Record<string, number>>(
      db(),
      `SELECT count(*) FILTER (WHERE population IS NULL OR households IS NULL OR buildings IS NULL OR rented_rooms IS NULL OR businesses IS NULL)::int AS missing,
              count(*) FILTER (WHERE population < 0 OR households < 0 OR buildings < 0 OR rented_rooms < 0 OR businesses < 0)::int AS negative,
              count(*) FILTER (WHERE NOT households < population)::int AS households_not_below_population,
              (SELECT population FROM unit WHERE level = 'city' AND ${CURRENT}) AS city_population
       FROM unit WHERE ${CURRENT}`,
    )
    console.log(`[demo] ${backend}: attributes ${JSON.stringify(r)}`)
    expect(r).toEqual({ missing: 0, negative: 0, households_not_below_population: 0, city_population: expect.any(Number) })
    expect(r!.city_population).toBeGreaterThanOrEqual(8_000_000)
    expect(r!.city_population).toBeLessThanOrEqual(13_000_000)

    const mismatched = await rows(
      db(),
      `SELECT p.code, p.population, s.population AS children_population
       FROM unit p
       JOIN (SELECT parent_code, sum(population)::float8 AS population, sum(households)::float8 AS households,
                    sum(buildings)::float8 AS buildings, sum(rented_rooms)::float8 AS rented_rooms, sum(businesses)::float8 AS businesses,
                    count(*) AS n
             FROM unit WHERE ${CURRENT} GROUP BY parent_code) s ON s.parent_code = p.code
       WHERE p.${CURRENT}
         AND (p.population <> s.population OR p.households <> s.households OR p.buildings <> s.buildings
              OR p.rented_rooms <> s.rented_rooms OR p.businesses <> s.businesses)`,
    )
    expect(mismatched).toEqual([])
    // Every non-grid unit has children (checked above per level), so the join saw every parent.
    expect(await rows(db(), `SELECT count(*)::int AS n FROM unit p WHERE p.${CURRENT} AND p.level <> 'grid'
                             AND NOT EXISTS (SELECT 1 FROM unit c WHERE c.generation_id = p.generation_id AND c.parent_code = p.code)`)).toEqual([{ n: 0 }])
  })

  for (const level of ['community', 'grid'] as const) {
    it(`numbers the ${level}s of each parent 001..n, west→east in rows from north to south`, async () => {
      const list = await rows<{ code: string; parent_code: string; lon: number; lat: number }>(
        db(),
        `SELECT code, parent_code, ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat
         FROM unit WHERE level = $1 AND ${CURRENT} ORDER BY code`,
        [level],
      )
      const byParent = new Map<string, typeof list>()
      for (const u of list) byParent.set(u.parent_code, [...(byParent.get(u.parent_code) ?? []), u])
      const gaps: string[] = []
      const misordered: { parent: string; codes: string[]; expected: string[] }[] = []
      for (const [parent, children] of byParent) {
        const ordinals = children.map((c) => c.code.slice(parent.length))
        const wanted = children.map((_, i) => String(i + 1).padStart(3, '0'))
        if (ordinals.join() !== wanted.join()) gaps.push(parent)
        const expected = expectedNumbering(children).map((i) => children[i]!.code)
        const codes = children.map((c) => c.code)
        if (expected.join() !== codes.join()) misordered.push({ parent, codes, expected })
      }
      expect(byParent.size).toBeGreaterThan(0)
      expect(gaps).toEqual([])
      expect(misordered).toEqual([])
    })
  }

  it('has ~10,000 administrators, 2–5 per grid, unique employee numbers, only existing grids', async () => {
    const [r] = await rows<Record<string, number>>(
      db(),
      `WITH per_grid AS (
         SELECT g.code, count(ag.administrator_id)::int AS n
         FROM unit g LEFT JOIN administrator_grid ag ON ag.grid_code = g.code
         WHERE g.level = 'grid' AND g.${CURRENT} GROUP BY g.code
       ), per_admin AS (
         SELECT a.id, count(ag.grid_code)::int AS n, count(DISTINCT left(ag.grid_code, 12))::int AS communities
         FROM administrator a LEFT JOIN administrator_grid ag ON ag.administrator_id = a.id GROUP BY a.id
       )
       SELECT (SELECT count(*)::int FROM administrator) AS administrators,
              (SELECT count(DISTINCT employee_no)::int FROM administrator) AS employee_numbers,
              (SELECT min(n) FROM per_grid) AS min_per_grid,
              (SELECT max(n) FROM per_grid) AS max_per_grid,
              (SELECT count(*)::int FROM per_grid WHERE n < 2 OR n > 5) AS grids_outside_2_to_5,
              (SELECT min(n) FROM per_admin) AS min_grids_per_admin,
              (SELECT max(n) FROM per_admin) AS max_grids_per_admin,
              (SELECT max(communities) FROM per_admin) AS max_communities_per_admin,
              (SELECT count(*)::int FROM administrator_grid ag
                WHERE NOT EXISTS (SELECT 1 FROM unit g WHERE g.level = 'grid' AND g.${CURRENT} AND g.code = ag.grid_code)) AS unknown_grids`,
    )
    console.log(`[demo] ${backend}: administrators ${JSON.stringify(r)}`)
    expect(r!.administrators).toBeGreaterThanOrEqual(9000)
    expect(r!.administrators).toBeLessThanOrEqual(11000)
    expect(r!.employee_numbers).toBe(r!.administrators)
    expect(r!.unknown_grids).toBe(0)
    expect(r!.min_grids_per_admin).toBeGreaterThanOrEqual(1)
    expect(r!.max_grids_per_admin).toBeLessThanOrEqual(2)
    expect(r!.max_communities_per_admin).toBe(1)
    expect(r!.min_per_grid).toBeGreaterThanOrEqual(2)
    expect(r!.max_per_grid).toBeLessThanOrEqual(5)
    expect(r!.grids_outside_2_to_5).toBe(0)
  })

  it('does nothing when called again on the loaded database', async () => {
    const before = await fingerprint(db())
    expect(before.units).toBeGreaterThan(3000)
    expect(await seedDemoIfEmpty(db())).toBe(false)
    expect(await fingerprint(db())).toEqual(before)
  })

})

const SMALL = { communities: 150, grids: 400, samples: 20_000 } as const

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex')
}

/** The first feature where two cities differ, for a readable failure. */
function firstDifference(a: DemoCity, b: DemoCity): string | null {
  const fa = a.units.features
  const fb = b.units.features
  for (let i = 0; i < Math.max(fa.length, fb.length); i++) {
    if (JSON.stringify(fa[i]) !== JSON.stringify(fb[i])) return `feature ${i} (${String(fa[i]?.properties.code)} / ${String(fb[i]?.properties.code)})`
  }
  for (let i = 0; i < Math.max(a.administrators.length, b.administrators.length); i++) {
    if (JSON.stringify(a.administrators[i]) !== JSON.stringify(b.administrators[i])) return `administrator ${i}`
  }
  return null
}

describeBackends('Dongguan demo generator (small city)', ({ backend, db }) => {
  let first: DemoCity
  let generationTime: string

  beforeAll(async () => {
    const started = Date.now()
    first = await generateDongguan(db(), { ...SMALL, seed: 7 })
    generationTime = seconds(started)
    console.log(`[demo] ${backend}: small city generated in ${generationTime}`)
  })

  it('generates the requested shape and writes nothing to the database', async () => {
    const count = (level: string) => first.units.features.filter((f) => f.properties.level === level).length
    expect(count('city')).toBe(1)
    expect(count('town')).toBe(33)
    expect(count('community')).toBeGreaterThanOrEqual(0.95 * SMALL.communities)
    expect(count('community')).toBeLessThanOrEqual(SMALL.communities)
    expect(count('grid')).toBeGreaterThanOrEqual(0.95 * SMALL.grids)
    expect(count('grid')).toBeLessThanOrEqual(SMALL.grids)
    expect(first.administrators.length).toBeGreaterThanOrEqual(2 * count('grid'))
    expect(
      await rows(db(), `SELECT (SELECT count(*)::int FROM generation) AS g, (SELECT count(*)::int FROM unit) AS u,
                               (SELECT count(*)::int FROM administrator) AS a, (SELECT count(*)::int FROM administrator_grid) AS ag`),
    ).toEqual([{ g: 0, u: 0, a: 0, ag: 0 }])
  })

  it('gives byte-identical output for the same seed and different output for another seed', async () => {
    const again = await generateDongguan(db(), { ...SMALL, seed: 7 })
    expect(firstDifference(first, again)).toBeNull()
    expect(JSON.stringify(again.units)).toBe(JSON.stringify(first.units))
    expect(JSON.stringify(again.administrators)).toBe(JSON.stringify(first.administrators))

    const other = await generateDongguan(db(), { ...SMALL, seed: 8 })
    expect(sha256(other.units)).not.toBe(sha256(first.units))
    expect(sha256(other.administrators)).not.toBe(sha256(first.administrators))
    // The towns are the real ones whatever the seed; what changes is below them.
    const towns = (c: DemoCity) => c.units.features.filter((f) => f.properties.level === 'town').map((f) => f.properties.code)
    expect(towns(other)).toEqual(towns(first))
    const grids = (c: DemoCity) => c.units.features.filter((f) => f.properties.level === 'grid').map((f) => JSON.stringify(f.geometry))
    expect(grids(other)).not.toEqual(grids(first))
    console.log(`[demo] ${backend}: small city sha256 units ${sha256(first.units).slice(0, 16)} administrators ${sha256(first.administrators).slice(0, 16)}`)
  })

  it('passes every check of the boundary import (dry run)', async () => {
    const report = await importUnits(db(), first.units, { dryRun: true })
    expect(report.errors).toEqual([])
    expect(report.valid).toBe(true)
    expect(report.fixed).toEqual([])
    expect(report.clipped).toEqual([])
    expect(report.counts.town).toBe(33)
    expect(report.counts.grid).toBe(first.units.features.filter((f) => f.properties.level === 'grid').length)
    expect(await rows(db(), `SELECT count(*)::int AS n FROM generation`)).toEqual([{ n: 0 }])
  })
})

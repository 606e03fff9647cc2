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

/*
 * How the geometry is judged.
 *
 * Areas of partition errors are planar (in degrees², converted to m² with the
 * scale at Dongguan's latitude), not geodesic: units are planar lon/lat
 * polygons, and where a grid edge A–X–B meets its community's edge A–B, the
 * point X lies on the straight lon/lat segment A–B. The difference of the two
 * is a zero-width sliver in the plane, but cast to geography its edges become
 * great-circle arcs and the "sliver" grows to hundreds of m² (up to 330 m² per
 * community here) although nothing is wrong. ::geography is used only for the
 * plausibility of real areas.
 *
 * Overlays (union, difference, symmetric difference) run with a fixed precision
 * of GRID_SIZE degrees (~1 mm), i.e. GEOS's snap-rounding overlay, which is
 * robust. The floating-precision overlay fails on some pairs of these polygons
 * on PGlite (PostGIS 3.6.2 / GEOS 3.14.0; e.g. ST_Difference of grid
 * 441900003016003 and its community), and PGlite then returns NO ROWS and no
 * error, only a WARNING "snapshot … still active": every query below therefore
 * checks that it got the rows it must get (see `one`).
 */
const GRID_SIZE = 1e-11
const M2_PER_DEG2 = 111_320 * Math.cos((22.9 * Math.PI) / 180) * 110_574
/** A planar area in m² of the geometry expression `g`. */
const m2 = (g: string) => `(ST_Area(${g}) * ${M2_PER_DEG2})`

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

/** The single row of an aggregate query; none means the query failed silently (PGlite, see above). */
async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T> {
  const list = await rows<T>(db, sql, params)
  if (list.length !== 1) throw new Error(`expected exactly one row, got ${list.length} (a PostGIS error swallowed by the backend?): ${sql.slice(0, 200)}`)
  return list[0]!
}

/** Everything the demo seed writes, to prove that a second call writes nothing. */
async function fingerprint(db: Db) {
  return one<Record<string, number | string>>(db, `
    SELECT (SELECT count(*)::int FROM generation) AS generations,
           (SELECT string_agg(id || ':' || valid_from::text || ':' || created_at::text, ',') FROM generation) AS generation_rows,
           (SELECT count(*)::int FROM unit) AS units,
           (SELECT sum(ST_NPoints(geom))::float8 FROM unit) AS unit_points,
           (SELECT sum(population)::float8 FROM unit) AS unit_population,
           (SELECT count(*)::int FROM administrator) AS administrators,
           (SELECT max(id)::int FROM administrator) AS max_administrator_id,
           (SELECT count(*)::int FROM administrator_grid) AS assignments,
           (SELECT count(*)::int FROM audit_log) AS audit_entries`)
}

describeBackends('Dongguan demo city', ({ backend, db }) => {
  let seeded: boolean

  beforeAll(async () => {
    const started = Date.now()
    seeded = await seedDemoIfEmpty(db(), undefined, { incidents: false })
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
               count(*) FILTER (WHERE abs(area_m2 - zw_area_m2(geom)) > 1e-9 * area_m2)::int AS wrong_area
        FROM unit WHERE ${CURRENT}`),
    ).toEqual([{ units: expect.any(Number), invalid: 0, empty: 0, wrong_type: 0, unnamed: 0, wrong_area: 0 }])
  })

  it('is a partition of the real outline: the union of the grids is the city unit and the outline, without overlaps', async () => {
    // The outline file is not OGC-valid (its exterior ring touches itself,
    // enclosing some lakes as loops of the ring rather than as interior rings),
    // so it is compared as PostGIS repairs it, after checking that the repair
    // keeps exactly the area the raw rings enclose.
    const r = await one<Record<string, number | string>>(
      db(),
      `WITH grids AS (
         SELECT ST_Union(geom, $2::float8) AS u, sum(ST_Area(geom)) AS area_sum
         FROM unit WHERE level = 'grid' AND ${CURRENT}
       ), city AS (SELECT geom FROM unit WHERE level = 'city' AND ${CURRENT}),
       raw AS (SELECT ${OUTLINE} AS geom),
       outline AS (SELECT ST_MakeValid(geom) AS geom FROM raw)
       SELECT ST_IsValidReason(raw.geom) AS raw_validity,
              ST_Area(raw.geom) AS raw_area,
              ST_Area(outline.geom) AS outline_area,
              ST_Area(city.geom) AS city_area,
              ST_Area(city.geom::geography) AS city_geodesic_m2,
              ST_Area(grids.u) AS union_area,
              grids.area_sum,
              ST_Area(ST_SymDifference(grids.u, city.geom, $2::float8)) AS grids_vs_city,
              ST_Area(ST_SymDifference(grids.u, outline.geom, $2::float8)) AS grids_vs_outline,
              ST_Area(ST_SymDifference(city.geom, outline.geom, $2::float8)) AS city_vs_outline
       FROM grids, city, raw, outline`,
      [OUTLINE_GEOJSON, GRID_SIZE],
    )
    console.log(`[demo] ${backend}: partition ${JSON.stringify(r)}`)
    const a = r as Record<string, number>
    // Relative to the city's area (~2,460 km²): 1e-9 is about 2.5 m².
    const tolerance = 1e-9 * a.city_area!
    expect(a.city_geodesic_m2).toBeGreaterThan(2.3e9)
    expect(a.city_geodesic_m2).toBeLessThan(2.6e9)
    expect(Math.abs(a.outline_area! - a.raw_area!)).toBeLessThan(tolerance)
    expect(a.city_vs_outline).toBeLessThan(tolerance)
    expect(a.grids_vs_city).toBeLessThan(tolerance)
    expect(a.grids_vs_outline).toBeLessThan(tolerance)
    // No overlaps: the grids' areas add up to the area of their union (and of the city).
    expect(Math.abs(a.area_sum! - a.union_area!)).toBeLessThan(tolerance)
    expect(Math.abs(a.area_sum! - a.city_area!)).toBeLessThan(tolerance)
  })

  it('keeps the holes of the outline (lakes) in the city and in the union of the grids', async () => {
    // Holes under 1 m² are not lakes but zero-width seams the union may leave
    // where one grid's edge is split by a neighbour's vertex; they are counted apart.
    const list = await rows<{ what: string; parts: number; holes: number; hole_m2: number; seams: number; seam_m2: number }>(
      db(),
      `WITH shapes AS (
         SELECT 'raw outline' AS what, ${OUTLINE} AS geom
         UNION ALL SELECT 'outline', ST_MakeValid(${OUTLINE})
         UNION ALL SELECT 'city', geom FROM unit WHERE level = 'city' AND ${CURRENT}
         UNION ALL SELECT 'grids', ST_Union(geom, $2::float8) FROM unit WHERE level = 'grid' AND ${CURRENT}
       ), polygons AS (
         SELECT s.what, COALESCE(d.path[1], 1) AS part, d.geom FROM shapes s CROSS JOIN LATERAL ST_Dump(s.geom) AS d
       ), rings AS (
         SELECT p.what, p.part, ${m2('ST_MakePolygon(ST_InteriorRingN(p.geom, n))')} AS area
         FROM polygons p LEFT JOIN LATERAL generate_series(1, ST_NumInteriorRings(p.geom)) AS n ON true
       )
       SELECT what, count(DISTINCT part)::int AS parts,
              count(*) FILTER (WHERE area >= 1)::int AS holes, COALESCE(sum(area) FILTER (WHERE area >= 1), 0)::float8 AS hole_m2,
              count(*) FILTER (WHERE area < 1)::int AS seams, COALESCE(sum(area) FILTER (WHERE area < 1), 0)::float8 AS seam_m2
       FROM rings GROUP BY what ORDER BY what`,
      [OUTLINE_GEOJSON, GRID_SIZE],
    )
    console.log(`[demo] ${backend}: holes ${JSON.stringify(list)}`)
    expect(list.map((x) => x.what)).toEqual(['city', 'grids', 'outline', 'raw outline'])
    const { outline, city, grids } = Object.fromEntries(list.map((x) => [x.what, x]))
    expect(list.find((x) => x.what === 'raw outline')!.holes).toBeGreaterThan(0)
    expect(outline!.holes).toBeGreaterThan(0)
    for (const shape of [city!, grids!]) {
      expect(shape.parts).toBe(outline!.parts)
      expect(shape.holes).toBe(outline!.holes)
      expect(Math.abs(shape.hole_m2 - outline!.hole_m2)).toBeLessThan(1)
      expect(shape.seam_m2).toBeLessThan(1)
    }
  })

  const plural = { town: 'towns', community: 'communities', grid: 'grids' } as const
  for (const [level, parentLevel] of [['town', 'city'], ['community', 'town'], ['grid', 'community']] as const) {
    it(`partitions every ${parentLevel} into its ${plural[level]}: their union is the ${parentLevel}, no overlaps`, async () => {
      const { parents } = await one<{ parents: number }>(db(), `SELECT count(*)::int AS parents FROM unit WHERE level = $1 AND ${CURRENT}`, [parentLevel])
      // MATERIALIZED: just after the import the table has no statistics yet,
      // and without it the planner re-aggregated the children for every parent
      // (close to a minute instead of well under a second).
      const list = await rows<{ code: string; area: number; symdiff: number; area_sum: number; union_area: number }>(
        db(),
        `WITH children AS MATERIALIZED (
           SELECT parent_code, ST_Union(geom, $3::float8) AS u, sum(ST_Area(geom)) AS area_sum
           FROM unit WHERE level = $1 AND ${CURRENT} GROUP BY parent_code
         )
         SELECT p.code, ${m2('p.geom')} AS area,
                COALESCE(${m2('ST_SymDifference(p.geom, c.u, $3::float8)')}, -1)::float8 AS symdiff,
                COALESCE(c.area_sum * ${M2_PER_DEG2}, -1)::float8 AS area_sum,
                COALESCE(${m2('c.u')}, -1)::float8 AS union_area
         FROM unit p LEFT JOIN children c ON c.parent_code = p.code
         WHERE p.level = $2 AND p.${CURRENT}
         ORDER BY p.code`,
        [level, parentLevel, GRID_SIZE],
      )
      expect(list).toHaveLength(parents)
      const worst = { symdiff: 0, overlap: 0 }
      const bad = list.filter((p) => {
        const tolerance = Math.max(1, 1e-9 * p.area)
        worst.symdiff = Math.max(worst.symdiff, p.symdiff)
        worst.overlap = Math.max(worst.overlap, Math.abs(p.area_sum - p.union_area))
        return p.symdiff < 0 || p.symdiff > tolerance || Math.abs(p.area_sum - p.union_area) > tolerance
      })
      console.log(`[demo] ${backend}: ${parentLevel}→${level}: worst symmetric difference ${worst.symdiff.toExponential(2)} m², overlap ${worst.overlap.toExponential(2)} m²`)
      expect(bad).toEqual([])
    })

    it(`nests every ${level} in its ${parentLevel} (within 1 m²; parent code = code prefix)`, async () => {
      const r = await one<Record<string, number>>(
        db(),
        `SELECT count(*)::int AS children,
                count(p.code)::int AS with_parent,
                count(*) FILTER (WHERE c.parent_code IS DISTINCT FROM left(c.code, -3))::int AS wrong_parent_code,
                count(*) FILTER (WHERE p.level IS DISTINCT FROM $2)::int AS wrong_parent_level,
                count(*) FILTER (WHERE NOT ST_CoveredBy(c.geom, p.geom))::int AS not_strictly_covered,
                COALESCE(max(CASE WHEN NOT ST_CoveredBy(c.geom, p.geom) THEN ${m2('ST_Difference(c.geom, p.geom, $3::float8)')} END), 0)::float8 AS max_outside_m2
         FROM unit c LEFT JOIN unit p ON p.generation_id = c.generation_id AND p.code = c.parent_code
         WHERE c.level = $1 AND c.${CURRENT}`,
        [level, parentLevel, GRID_SIZE],
      )
      console.log(`[demo] ${backend}: ${level} in ${parentLevel} ${JSON.stringify(r)}`)
      expect(r.children).toBeGreaterThan(0)
      expect(r.with_parent).toBe(r.children)
      expect(r.wrong_parent_code).toBe(0)
      expect(r.wrong_parent_level).toBe(0)
      // Not every child is strictly covered (floating point along shared
      // edges), but whatever lies outside its parent must be negligible.
      expect(r.max_outside_m2).toBeLessThan(1)
    })
  }

  it('puts each town centre of the CSV inside its town', async () => {
    const towns = readTowns()
    const list = await rows<{ code: string; covers: boolean | null }>(
      db(),
      `SELECT t.code, ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)) AS covers
       FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(code, lon, lat)
       LEFT JOIN unit u ON u.code = t.code AND u.level = 'town' AND u.${CURRENT}
       ORDER BY t.code`,
      [towns.map((t) => t.code), towns.map((t) => t.lon), towns.map((t) => t.lat)],
    )
    expect(list).toHaveLength(33)
    expect(list.filter((t) => t.covers !== true).map((t) => t.code)).toEqual([])
  })

  it('makes grids smaller where the synthetic population is dense', async () => {
    const grids = await rows<{ code: string; town: string; area: number; town_density: number; lon: number; lat: number }>(
      db(),
      `SELECT g.code, left(g.code, 9) AS town, g.area_m2 AS area,
              (t.population / (t.area_m2 / 1e6))::float8 AS town_density,
              ST_X(ST_Centroid(g.geom)) AS lon, ST_Y(ST_Centroid(g.geom)) AS lat
       FROM unit g JOIN unit t ON t.generation_id = g.generation_id AND t.code = left(g.code, 9)
       WHERE g.level = 'grid' AND g.${CURRENT}`,
    )
    expect(grids.length).toBeGreaterThanOrEqual(2900)

    // The four central streets (the densest cores) against the rest of the city.
    const central = new Set(['441900003', '441900004', '441900005', '441900006'])
    const centralMedian = median(grids.filter((g) => central.has(g.town)).map((g) => g.area))
    const restMedian = median(grids.filter((g) => !central.has(g.town)).map((g) => g.area))
    expect(centralMedian).toBeLessThan(0.5 * restMedian)

    // Across the city: the denser its town, the smaller a grid. The town's
    // density is taken over the whole town, so the grid's own area barely
    // enters it (a grid's own population/area would anti-correlate with its
    // area by construction, whatever the generator did).
    const acrossTowns = spearman(grids.map((g) => g.town_density), grids.map((g) => g.area))
    expect(acrossTowns).toBeLessThan(-0.5)

    // Within towns: the synthetic density peaks at the town centres, so grids
    // grow with the distance from their town's centre.
    const centre = new Map(readTowns().map((t) => [t.code, t]))
    const distance = (g: (typeof grids)[number]) => {
      const c = centre.get(g.town)!
      return Math.hypot((g.lon - c.lon) * 111_320 * Math.cos((c.lat * Math.PI) / 180), (g.lat - c.lat) * 110_574)
    }
    const withinTowns = spearman(grids.map(distance), grids.map((g) => g.area))
    const perTown = [...centre.keys()].map((town) => {
      const own = grids.filter((g) => g.town === town)
      return spearman(own.map(distance), own.map((g) => g.area))
    })
    const growing = perTown.filter((rho) => rho > 0).length
    console.log(
      `[demo] ${backend}: median grid area central streets ${Math.round(centralMedian)} m², rest ${Math.round(restMedian)} m²; ` +
        `Spearman(town density, grid area) ${acrossTowns.toFixed(3)}; Spearman(distance to town centre, grid area) ${withinTowns.toFixed(3)}, ` +
        `positive in ${growing}/33 towns (min ${Math.min(...perTown).toFixed(2)})`,
    )
    expect(withinTowns).toBeGreaterThan(0.5)
    expect(growing).toBeGreaterThanOrEqual(30)
  })

  it('has plausible attributes: non-negative, fewer households than people, parents hold the sum of their children', async () => {
    const r = await one<Record<string, number>>(
      db(),
      `SELECT count(*) FILTER (WHERE population IS NULL OR households IS NULL OR buildings IS NULL OR rented_rooms IS NULL OR businesses IS NULL)::int AS missing,
              count(*) FILTER (WHERE population < 0 OR households < 0 OR buildings < 0 OR rented_rooms < 0 OR businesses < 0)::int AS negative,
              count(*) FILTER (WHERE NOT households < population)::int AS households_not_below_population,
              (SELECT population FROM unit WHERE level = 'city' AND ${CURRENT}) AS city_population
       FROM unit WHERE ${CURRENT}`,
    )
    console.log(`[demo] ${backend}: attributes ${JSON.stringify(r)}`)
    expect(r).toEqual({ missing: 0, negative: 0, households_not_below_population: 0, city_population: expect.any(Number) })
    expect(r.city_population).toBeGreaterThanOrEqual(8_000_000)
    expect(r.city_population).toBeLessThanOrEqual(13_000_000)

    // Every unit above the grids, with its own counts and the sums over its children.
    const parents = await rows<Record<string, string | number | null>>(
      db(),
      `SELECT p.code, p.population, p.households, p.buildings, p.rented_rooms, p.businesses,
              s.population::float8 AS sum_population, s.households::float8 AS sum_households, s.buildings::float8 AS sum_buildings,
              s.rented_rooms::float8 AS sum_rented_rooms, s.businesses::float8 AS sum_businesses
       FROM unit p
       LEFT JOIN (SELECT parent_code, sum(population) AS population, sum(households) AS households, sum(buildings) AS buildings,
                         sum(rented_rooms) AS rented_rooms, sum(businesses) AS businesses
                  FROM unit WHERE ${CURRENT} GROUP BY parent_code) s ON s.parent_code = p.code
       WHERE p.${CURRENT} AND p.level <> 'grid'
       ORDER BY p.code`,
    )
    const { n } = await one<{ n: number }>(db(), `SELECT count(*)::int AS n FROM unit WHERE ${CURRENT} AND level <> 'grid'`)
    expect(parents).toHaveLength(n)
    const attributes = ['population', 'households', 'buildings', 'rented_rooms', 'businesses']
    const mismatched = parents.filter((p) => attributes.some((a) => p[a] === null || p[a] !== p[`sum_${a}`]))
    expect(mismatched).toEqual([])
  })

  for (const level of ['community', 'grid'] as const) {
    it(`numbers the ${plural[level]} of each parent 001..n, west→east in rows from north to south`, async () => {
      const list = await rows<{ code: string; parent_code: string; lon: number; lat: number }>(
        db(),
        `SELECT code, parent_code, ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat
         FROM unit WHERE level = $1 AND ${CURRENT} ORDER BY code`,
        [level],
      )
      const { n } = await one<{ n: number }>(db(), `SELECT count(*)::int AS n FROM unit WHERE level = $1 AND ${CURRENT}`, [level])
      expect(list).toHaveLength(n)
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
    const r = await one<Record<string, number>>(
      db(),
      `WITH per_admin AS (
         SELECT a.id, count(ag.grid_code)::int AS n, count(DISTINCT left(ag.grid_code, 12))::int AS communities
         FROM administrator a LEFT JOIN administrator_grid ag ON ag.administrator_id = a.id GROUP BY a.id
       )
       SELECT (SELECT count(*)::int FROM administrator) AS administrators,
              (SELECT count(DISTINCT employee_no)::int FROM administrator) AS employee_numbers,
              (SELECT min(n) FROM per_admin) AS min_grids_per_admin,
              (SELECT max(n) FROM per_admin) AS max_grids_per_admin,
              (SELECT max(communities) FROM per_admin) AS max_communities_per_admin,
              (SELECT count(*)::int FROM administrator_grid ag
                WHERE NOT EXISTS (SELECT 1 FROM unit g WHERE g.level = 'grid' AND g.${CURRENT} AND g.code = ag.grid_code)) AS unknown_grids`,
    )
    // How many grids have 0, 1, 2, … administrators (counting those who share a grid).
    const histogram = Object.fromEntries(
      (await rows<{ n: number; grids: number }>(
        db(),
        `SELECT n, count(*)::int AS grids FROM (
           SELECT g.code, count(ag.administrator_id)::int AS n
           FROM unit g LEFT JOIN administrator_grid ag ON ag.grid_code = g.code
           WHERE g.level = 'grid' AND g.${CURRENT} GROUP BY g.code) x
         GROUP BY n ORDER BY n`,
      )).map((x) => [x.n, x.grids]),
    ) as Record<number, number>
    console.log(`[demo] ${backend}: administrators ${JSON.stringify(r)}, grids by number of administrators ${JSON.stringify(histogram)}`)
    expect(r.administrators).toBeGreaterThanOrEqual(9000)
    expect(r.administrators).toBeLessThanOrEqual(11000)
    expect(r.employee_numbers).toBe(r.administrators)
    expect(r.unknown_grids).toBe(0)
    // Each serves one grid, or two neighbours in the same community.
    expect(r.min_grids_per_admin).toBe(1)
    expect(r.max_grids_per_admin).toBeLessThanOrEqual(2)
    expect(r.max_communities_per_admin).toBe(1)
    const { grids } = await one<{ grids: number }>(db(), `SELECT count(*)::int AS grids FROM unit WHERE level = 'grid' AND ${CURRENT}`)
    expect(Object.values(histogram).reduce((a, b) => a + b, 0)).toBe(grids)
    const outside = Object.fromEntries(Object.entries(histogram).filter(([n]) => Number(n) < 2 || Number(n) > 5))
    expect(outside, 'grids (by number of administrators) outside 2–5').toEqual({})
  })

  it('does nothing when called again on the loaded database', async () => {
    const before = await fingerprint(db())
    expect(before.units).toBeGreaterThan(3000)
    expect(await seedDemoIfEmpty(db(), undefined, { incidents: false })).toBe(false)
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

  it('is checked for real: the same import rejects the city with one grid moved 500 m east', async () => {
    // A control for the test above: a clean report only means something if
    // the checks can fail on this data.
    const moved = structuredClone(first.units)
    const victim = moved.features.find((f) => f.properties.level === 'grid')!
    const shift = (c: unknown): unknown => {
      const list = c as unknown[]
      return typeof list[0] === 'number' ? [(list[0] as number) + 0.005, list[1]] : list.map(shift)
    }
    const geometry = victim.geometry as { type: string; coordinates: unknown }
    victim.geometry = { ...geometry, coordinates: shift(geometry.coordinates) }
    const report = await importUnits(db(), moved, { dryRun: true })
    expect(report.valid).toBe(false)
    expect(report.errors.filter((e) => e.code === victim.properties.code).map((e) => e.check)).toContain('outside-parent')
    expect(report.errors.map((e) => e.check)).toContain('sibling-overlap')
  })
})

/**
 * The Dongguan demo city: the real outline and the 33 town-level units, cut
 * into ~590 communities and ~3,050 basic grids with synthetic population. The
 * same seed gives byte-identical output on the same database backend.
 *
 * How: sample points from a synthetic population density; towns are the
 * Voronoi cells of the real town centres clipped to the outline; inside each
 * parent, k-means of the sample points gives child seeds whose Voronoi cells
 * (clipped to the parent) are the children. Because k-means centres crowd where
 * samples crowd, grids come out smaller where people are dense. Population is
 * counted from the samples, so a parent holds exactly the sum of its children.
 */
import { readFileSync } from 'node:fs'
import type { Db, Queryable } from '../db/client.ts'
import { childCode, numberingOrder } from '../units/unit-codes.ts'
import { densityCores, samplePoints, type TownSeed } from './density.ts'
import { demoAdministrators, type DemoAdministrator } from './demo-administrators.ts'
import { kmeans, nearest } from './kmeans.ts'
import { communityName, gridName } from './names.ts'
import { createRng, type Rng } from './prng.ts'
import * as q from './partition-queries.ts'
import { readCsv } from './read-csv.ts'
import { unitAttributes } from './unit-attributes.ts'

export const CITY_CODE = '441900'
const DATA = new URL('../../data/', import.meta.url)
/** Longitudes are scaled by cos(latitude) for distances, so that cells are round on the ground. */
const LON_SCALE = Math.cos((22.9 * Math.PI) / 180)

export interface DemoOptions {
  seed?: number | string
  communities?: number
  grids?: number
  /** Sample points inside the city: more → smoother shapes, slower. */
  samples?: number
  population?: number
}

export interface DemoCity {
  units: { type: 'FeatureCollection'; features: DemoFeature[] }
  administrators: DemoAdministrator[]
}

export interface DemoFeature {
  type: 'Feature'
  properties: Record<string, string | number | null>
  geometry: unknown
}

interface Unit {
  code: string
  nameZh: string
  nameEn: string
  /** Indexes into the sample pool of the points inside this unit. */
  points: number[]
  areaM2: number
}

export async function generateDongguan(db: Db, options: DemoOptions = {}): Promise<DemoCity> {
  const seed = options.seed ?? 2016
  const rng = createRng(seed)
  const targetCommunities = options.communities ?? 590
  const targetGrids = options.grids ?? 3050
  const population = options.population ?? 10_470_000
  const outline = JSON.parse(readFileSync(new URL('dongguan-outline.geojson', DATA), 'utf8'))
  const towns = readCsv(new URL('dongguan-towns.csv', DATA)).map((t) => ({
    code: t.code!, nameZh: t.name_zh!, nameEn: t.name_en!, kind: t.kind!, lon: Number(t.lon), lat: Number(t.lat),
  }))

  return db.transaction(async (tx) => {
    await tx.exec(q.CREATE_WORK_TABLES)
    await tx.query(q.INSERT_CITY, [CITY_CODE, JSON.stringify(outline.features[0].geometry)])
    const pool = await samplePool(tx, towns, options.samples ?? 160_000, rng.fork('samples'))
    const perPoint = population / pool.lon.length

    // Towns: Voronoi cells of the real town centres.
    const townUnits = await cut(tx, [{ parent: CITY_CODE, points: range(pool.lon.length) }], (_p, pts) => ({
      seeds: towns.map((t) => [t.lon, t.lat] as [number, number]),
      assignment: assignNearest(pool, pts, towns.map((t) => [t.lon, t.lat])),
    }), (_g, i) => towns[i]!.code, 'town')
    for (const u of townUnits) Object.assign(u, names(towns.find((t) => t.code === u.code)!))

    // Communities, then grids: k-means seeds inside each parent, counts in proportion to population.
    const communityCounts = allocate(townUnits.map((u) => u.points.length), targetCommunities, 4)
    const communities = await cutByKmeans(tx, pool, townUnits, communityCounts, rng.fork('communities'), 'community')
    const taken = new Map<string, Set<string>>()
    for (const c of communities) {
      const urban = (c.points.length * perPoint) / (c.areaM2 / 1e6) > 3000
      const town = c.code.slice(0, 9)
      if (!taken.has(town)) taken.set(town, new Set())
      const name = communityName(rng, urban, taken.get(town)!)
      c.nameZh = name.zh
      c.nameEn = name.en
    }
    const gridCounts = allocate(communities.map((u) => Math.min(u.points.length, 1e9)), targetGrids, 2).map((k, i) =>
      Math.max(1, Math.min(k, communities[i]!.points.length)),
    )
    const grids = await cutByKmeans(tx, pool, communities, gridCounts, rng.fork('grids'), 'grid')
    const byCode = new Map([...townUnits, ...communities].map((u) => [u.code, u]))
    for (const g of grids) {
      const name = gridName(nameOf(byCode.get(g.code.slice(0, 12))!), Number(g.code.slice(12)))
      g.nameZh = name.zh
      g.nameEn = name.en
    }

    const features = await collectFeatures(tx, [...townUnits, ...communities, ...grids], perPoint, rng.fork('attributes'))
    return { units: { type: 'FeatureCollection', features }, administrators: demoAdministrators(grids.map((g) => g.code), rng.fork('administrators')) }
  })
}

interface Pool {
  lon: Float64Array
  lat: Float64Array
  /** Scaled x used for every distance. */
  x: Float64Array
}

async function samplePool(tx: Queryable, towns: TownSeed[], samples: number, rng: Rng): Promise<Pool> {
  const bbox: [number, number, number, number] = [113.52, 22.65, 114.27, 23.15]
  const cores = densityCores(towns, bbox, rng.fork('cores'))
  const drawn = samplePoints(cores, bbox, Math.round(samples * 1.25), 0.12, rng.fork('points'))
  const { inside } = (await tx.query<{ inside: number[] }>(q.POINTS_INSIDE, [Array.from(drawn.lon), Array.from(drawn.lat), CITY_CODE])).rows[0]!
  const keep = inside.slice(0, samples)
  const lon = Float64Array.from(keep, (i) => drawn.lon[i - 1]!)
  const lat = Float64Array.from(keep, (i) => drawn.lat[i - 1]!)
  return { lon, lat, x: lon.map((v) => v * LON_SCALE) }
}

type SeedPlan = (parent: Unit | null, points: number[]) => { seeds: [number, number][]; assignment: Int32Array }

/**
 * Cuts each parent into the cells of its seeds and turns the non-empty cells
 * into units numbered west→east, north→south; sample points follow their cell.
 */
async function cut(
  tx: Queryable,
  parents: { parent: string; unit?: Unit; points: number[] }[],
  plan: SeedPlan,
  codeOf: (group: number, seedInGroup: number, ordinal: number) => string | null,
  level: 'town' | 'community' | 'grid',
): Promise<Unit[]> {
  const cols = { parent: [] as string[], seed: [] as number[], lon: [] as number[], lat: [] as number[] }
  const groups = parents.map((p, g) => {
    const { seeds, assignment } = plan(p.unit ?? null, p.points)
    const first = cols.seed.length
    seeds.forEach(([lon, lat], i) => {
      cols.parent.push(p.parent)
      cols.seed.push(first + i)
      cols.lon.push(lon)
      cols.lat.push(lat)
    })
    return { g, first, count: seeds.length, assignment, points: p.points, parent: p.parent }
  })
  await tx.query(q.CUT_CELLS, [cols.parent, cols.seed, cols.lon, cols.lat, LON_SCALE])
  const cells = new Map((await tx.query<{ seed: number; lon: number; lat: number; area_m2: number }>(q.CELL_SUMMARY)).rows.map((c) => [c.seed, c]))

  const units: Unit[] = []
  const keepSeeds: number[] = []
  const keepCodes: string[] = []
  for (const grp of groups) {
    const live = range(grp.count).filter((i) => cells.has(grp.first + i))
    const order = numberingOrder(live.map((i) => [cells.get(grp.first + i)!.lon, cells.get(grp.first + i)!.lat] as const))
    const unitOfSeed = new Map<number, Unit>()
    order.forEach((o, rank) => {
      const i = live[o]!
      const code = codeOf(grp.g, i, rank + 1) ?? childCode(grp.parent, rank + 1)
      const unit: Unit = { code, nameZh: '', nameEn: '', points: [], areaM2: cells.get(grp.first + i)!.area_m2 }
      unitOfSeed.set(i, unit)
      units.push(unit)
      keepSeeds.push(grp.first + i)
      keepCodes.push(code)
    })
    grp.points.forEach((p, j) => unitOfSeed.get(grp.assignment[j]!)?.points.push(p))
  }
  await tx.query(q.KEEP_CELLS, [keepSeeds, keepCodes, level])
  await tx.query(q.CLEAR_CELLS)
  return units.sort((a, b) => (a.code < b.code ? -1 : 1))
}

async function cutByKmeans(tx: Queryable, pool: Pool, parents: Unit[], counts: number[], rng: Rng, level: 'community' | 'grid') {
  return cut(
    tx,
    parents.map((u) => ({ parent: u.code, unit: u, points: u.points })),
    (unit, points) => {
      const xs = Float64Array.from(points, (p) => pool.x[p]!)
      const ys = Float64Array.from(points, (p) => pool.lat[p]!)
      const k = counts[parents.indexOf(unit!)]!
      const { cx, cy, assignment } = kmeans(xs, ys, k, rng.fork(unit!.code))
      return { seeds: Array.from(cx, (x, i) => [x / LON_SCALE, cy[i]!] as [number, number]), assignment }
    },
    () => null,
    level,
  )
}

function assignNearest(pool: Pool, points: number[], seeds: [number, number][]): Int32Array {
  const cx = Float64Array.from(seeds, (s) => s[0] * LON_SCALE)
  const cy = Float64Array.from(seeds, (s) => s[1])
  return Int32Array.from(points, (p) => nearest(cx, cy, pool.x[p]!, pool.lat[p]!))
}

/** Splits `total` in proportion to `weights` (largest remainder), each share at least `min`. */
export function allocate(weights: number[], total: number, min: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const spare = Math.max(0, total - min * weights.length)
  const exact = weights.map((w) => (sum > 0 ? (w / sum) * spare : 0))
  const out = exact.map((e) => min + Math.floor(e))
  let left = total - out.reduce((a, b) => a + b, 0)
  const byRemainder = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (let j = 0; left > 0 && j < byRemainder.length; j++, left--) out[byRemainder[j]![1]]!++
  return out
}

async function collectFeatures(tx: Queryable, units: Unit[], perPoint: number, rng: Rng): Promise<DemoFeature[]> {
  const byCode = new Map(units.map((u) => [u.code, u]))
  const rows = (await tx.query<{ code: string; level: string; parent_code: string | null; geometry: string }>(q.ALL_UNITS)).rows
  // Attributes are drawn for grids and summed upwards, so every parent holds the sum of its children.
  const attributes = new Map<string, ReturnType<typeof unitAttributes>>()
  for (const r of rows.filter((r) => r.level === 'grid')) {
    const u = byCode.get(r.code)!
    attributes.set(r.code, unitAttributes(u.points.length, perPoint, u.areaM2, rng))
  }
  for (const level of ['community', 'town', 'city']) {
    for (const r of rows.filter((x) => x.level === level)) {
      const sum = { population: 0, households: 0, buildings: 0, rented_rooms: 0, businesses: 0 }
      for (const [code, a] of attributes) {
        if (code.length === r.code.length + 3 && code.startsWith(r.code)) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += a[k]
      }
      attributes.set(r.code, sum)
    }
  }
  return rows.map((r) => {
    const u = byCode.get(r.code)
    return {
      type: 'Feature',
      properties: {
        level: r.level,
        code: r.code,
        parent: r.parent_code,
        name: u?.nameZh ?? '东莞市',
        name_en: u?.nameEn ?? 'Dongguan',
        ...attributes.get(r.code)!,
      },
      geometry: JSON.parse(r.geometry),
    }
  })
}

function names(t: { nameZh: string; nameEn: string }) {
  return { nameZh: t.nameZh, nameEn: t.nameEn }
}
function nameOf(u: Unit) {
  return { zh: u.nameZh, en: u.nameEn }
}
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

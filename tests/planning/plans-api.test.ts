/**
 * The planning studio's API end to end on both backends: a plan cut from a
 * small city, painted, checked, undone, exported and imported, rebalanced and
 * published — and what PostGIS itself says about the published generation.
 */
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { registryChecksum } from '../helpers/db-checksum.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
const COMMUNITY = '441900003001'
const G = (n: number) => `${COMMUNITY}${String(n).padStart(3, '0')}`
const SIZE = 0.004
// 4 × 3 square grids of 0.004° (~400 m): 1–4 on the north row, 5–8, 9–12 on the south row.
const city = () => squareCity({ nx: 4, ny: 3, size: SIZE })
const LON0 = 113.7
const LAT0 = 22.9

interface Block { id: number; properties: { idx: number; cell: string; grid: string; baseGrid: string; community: string }; geometry: unknown }
interface GridView { code: string; cells: number; removed: boolean; added: boolean; locked: boolean; name?: string }
interface PlanView {
  plan: { id: number; version: number; cursor: number; steps: number; canUndo: boolean; canRedo: boolean; status: string; baseGeneration: number; constraints: Record<string, number> }
  grids: GridView[]
  metrics: { before: { grids: { code: string; workload: number; contiguous: boolean; deviation: number; administrators: number; loadPerAdministrator: number }[]; balance: Record<string, { gini: number; maxDeviation: number }> }; after: PlanView['metrics']['before'] }
  disruption: { cells: number; residents: number; openIncidents: number; administrators: number; changedGrids: string[] }
  violations: { check: string; grid: string | null; cells: string[]; message: string }[]
  valid: boolean
  changes?: { blocks: number[]; grids: string[] }
}

describeBackends('Planning studio API', ({ db, backend }) => {
  let app: App
  let planner: Record<string, string>
  let generation1: number

  beforeAll(async () => {
    await importUnits(db(), city(), { validFrom: new Date('2024-01-01T00:00:00Z') })
    generation1 = (await db().query<{ id: number }>(`SELECT current_generation() AS id`)).rows[0]!.id
    // Work piles up in grid 1 (north-west): 60 incidents there, 5 in every other grid, all in the last year.
    await db().exec(`
      INSERT INTO incident (category_code, geom, reported_at, channel, external_id, token, town_code, community_code, grid_code, status)
      SELECT 'OTH-01', ST_SetSRID(ST_MakePoint(${LON0} + x, ${LAT0} + y), 4326), now() - interval '1 day' * (g % 200), 'system',
             'p-' || g, 'p-token-' || g, '441900003', '${COMMUNITY}', NULL, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'reported' END
      FROM (
        SELECT g, 0.0004 + (g % 9) * 0.00035 AS x, ${3 * SIZE} - 0.0004 - (g / 9 % 9) * 0.00035 AS y FROM generate_series(1, 60) g
        UNION ALL
        SELECT 1000 + g, (g % 4) * ${SIZE} + 0.001 + (g / 12) * 0.0005, (g / 4 % 3) * ${SIZE} + 0.002 FROM generate_series(0, 59) g
      ) p(g, x, y);
      UPDATE incident i SET grid_code = u.code FROM unit u
      WHERE u.generation_id = current_generation() AND u.level = 'grid' AND ST_Covers(u.geom, i.geom);
      INSERT INTO administrator (employee_no, name) VALUES ('PA1', '甲'), ('PA2', '乙'), ('PA4', '丁');
      BEGIN; SELECT set_config('zhiwang.assignment_from', 'unknown', true); -- serving grid 4 since before records
      INSERT INTO administrator_grid SELECT id, '${G(4)}' FROM administrator WHERE employee_no = 'PA4'; COMMIT;
      INSERT INTO administrator_grid SELECT id, '${G(1)}' FROM administrator WHERE employee_no = 'PA1';
      INSERT INTO administrator_grid SELECT id, '${G(2)}' FROM administrator WHERE employee_no = 'PA2';`)
    planner = await keyHeaders(db(), { name: 'planner', role: 'planner' })
    app = await buildApp({ db: db() })
    await app.lookup.start()
    return async () => {
      app.lookup.stop()
      await app.close()
    }
  })

  // Like a real client, a change that names no version itself is sent with
  // If-Match: the ETag of the last answer about that plan (changes must name one; 428 otherwise).
  const seen = new Map<number, string>()
  const send = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const planId = Number(/\/plans\/(\d+)/.exec(url)?.[1])
    const named = (payload as { version?: unknown } | undefined)?.version !== undefined || 'if-match' in headers
    const ifMatch = method !== 'GET' && !named && seen.has(planId) ? { 'if-match': seen.get(planId)! } : {}
    const res = await app.inject({ method, url, headers: { ...planner, ...ifMatch, ...headers }, payload: payload as string })
    const body = String(res.headers['content-type']).startsWith('text/csv') ? res.body : res.json()
    const id = (body as { plan?: { id?: number } })?.plan?.id ?? planId
    if (typeof res.headers.etag === 'string' && Number.isInteger(id)) seen.set(id, res.headers.etag)
    return { status: res.statusCode, type: res.headers['content-type'], etag: res.headers.etag, location: res.headers.location, body }
  }
  const edit = (id: number, body: Record<string, unknown>) => send('POST', `/api/v1/plans/${id}/edits`, body)
  const blocksOf = async (id: number) => ((await send('GET', `/api/v1/plans/${id}/blocks`)).body as { features: Block[] }).features
  const newPlan = async () => {
    const res = await send('POST', '/api/v1/plans', { scope: COMMUNITY })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body as PlanView
  }
  /** Blocks of grid `from` sharing an edge with grid `to` — painting them keeps both contiguous. */
  const borderBlocks = async (id: number, from: string, to: string) => {
    const { cellsToMultiPolygon, gridDisk } = await import('h3-js')
    void cellsToMultiPolygon
    const blocks = await blocksOf(id)
    const gridOfCell = new Map(blocks.map((b) => [b.properties.cell, b.properties.grid]))
    return blocks.filter((b) => b.properties.grid === from && gridDisk(b.properties.cell, 1).some((n) => gridOfCell.get(n) === to))
  }

  it('refuses a resolution too coarse for the grids (one would start with no cell and vanish), saying which, and stores no plan', async () => {
    const before = (await send('GET', '/api/v1/plans')).body as { numberMatched: number }
    // 400 m grids and res-7 cells of ~5 km²: most grids hold no cell of their own.
    const coarse = await send('POST', '/api/v1/plans', { scope: COMMUNITY, res: 7 })
    expect(coarse.status).toBe(400)
    expect(coarse.type).toMatch(/^application\/problem\+json/)
    expect(coarse.body.detail).toMatch(/resolution 7.*would vanish.*finer resolution \(res 8–10\)/)
    expect(coarse.body.errors[0]).toMatchObject({ where: 'body/res' })
    expect(((await send('GET', '/api/v1/plans')).body as { numberMatched: number }).numberMatched).toBe(before.numberMatched)
  })

  it('takes the workload period as dates (midnights in the city) or date-times with an offset, as analytics do', async () => {
    const byDate = await send('POST', '/api/v1/plans', { scope: COMMUNITY, from: '2025-01-01', to: '2026-01-01' })
    expect(byDate.status, JSON.stringify(byDate.body)).toBe(201)
    expect((byDate.body as { plan: { period: unknown } }).plan.period).toEqual({ from: '2024-12-31T16:00:00.000Z', to: '2025-12-31T16:00:00.000Z' })
    const bad = await send('POST', '/api/v1/plans', { scope: COMMUNITY, from: '2025-02-30' })
    expect(bad.status).toBe(400)
    expect((bad.body as { detail: string }).detail).toMatch(/from/)
    for (const r of [byDate]) await send('DELETE', `/api/v1/plans/${(r.body as PlanView).plan.id}`, { version: (r.body as PlanView).plan.version })
  })

  it('cuts a plan from the current generation: blocks tile the community, each starts in the grid holding most of it', async () => {
    const view = await newPlan()
    expect(view.plan).toMatchObject({ version: 1, status: 'draft', baseGeneration: generation1, canUndo: false })
    expect(view.grids.map((g) => g.code)).toEqual(Array.from({ length: 12 }, (_, i) => G(i + 1)))
    expect(view.valid).toBe(true)
    expect(view.disruption.cells).toBe(0)
    expect(view.metrics.after).toEqual(view.metrics.before)
    // PostGIS: the blocks cover the community exactly (no gap, no overlap), and the starting grid holds the larger part of every block.
    const check = (await db().query<{ community: number; blocks: number; union: number; wrong: number }>(`
      SELECT (SELECT ST_Area(geom::geography) FROM unit WHERE generation_id = $2 AND code = '${COMMUNITY}') AS community,
             (SELECT sum(ST_Area(geom::geography)) FROM plan_block WHERE plan_id = $1) AS blocks,
             (SELECT ST_Area(ST_Union(geom, 9.094947017729282e-13)::geography) FROM plan_block WHERE plan_id = $1) AS union,
             (SELECT count(*)::int FROM plan_block b JOIN unit g ON g.generation_id = $2 AND g.code = b.init_grid
              WHERE b.plan_id = $1 AND EXISTS (
                SELECT 1 FROM unit o WHERE o.generation_id = $2 AND o.level = 'grid' AND o.code <> g.code AND o.geom && b.geom
                  AND ST_Area(zw_intersection(b.geom, o.geom)) > ST_Area(zw_intersection(b.geom, g.geom)) * (1 + 1e-9))) AS wrong`, [view.plan.id, generation1])).rows[0]!
    expect(Math.abs(check.blocks - check.community) / check.community).toBeLessThan(1e-6)
    expect(Math.abs(check.union - check.community) / check.community).toBeLessThan(1e-6)
    expect(check.wrong).toBe(0)
    // Workload: every countable incident of the year counted once, in the block that contains it.
    const total = view.metrics.before.grids.reduce((s, g) => s + g.workload, 0)
    const expected = (await db().query<{ w: number }>(`
      SELECT sum(c.effort_weight)::float8 AS w FROM incident i JOIN incident_category c ON c.code = i.category_code
      WHERE i.grid_code IS NOT NULL AND i.status <> 'rejected' AND i.duplicate_of IS NULL AND i.reported_at >= now() - interval '365 days'`)).rows[0]!.w
    expect(total).toBeCloseTo(expected, 6)
    const grid1 = view.metrics.before.grids.find((g) => g.code === G(1))!
    expect(grid1.deviation).toBeGreaterThan(1)
  })

  it('refuses to split a grid that is in two pieces (409 naming why), changing nothing', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const { gridDisk } = await import('h3-js')
    const blocks = await blocksOf(id)
    const gridOfCell = new Map(blocks.map((b) => [b.properties.cell, b.properties.grid]))
    // A block away from G(1): painted into it, G(1) is in two pieces.
    const far = blocks.find((b) => b.properties.grid !== G(1) && gridDisk(b.properties.cell, 1).every((n) => gridOfCell.get(n) !== G(1)))!
    const painted = await edit(id, { op: 'paint', grid: G(1), cells: [far.properties.cell], version: 1 })
    expect(painted.status, JSON.stringify(painted.body)).toBe(200)
    const split = await edit(id, { op: 'split', grid: G(1), k: 2, version: 2 })
    expect(split.status, JSON.stringify(split.body)).toBe(409)
    expect(split.type).toMatch(/^application\/problem\+json/)
    expect(split.body).toMatchObject({ reason: 'not-connected', grid: G(1) })
    expect(split.body.detail).toMatch(/more than one piece/)
    expect(((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version).toBe(2)
  })

  it('paints cells, refuses a stale version with 409, and undoes and redoes', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const border = await borderBlocks(id, G(2), G(1))
    expect(border.length).toBeGreaterThan(0)
    const cells = border.slice(0, 2).map((b) => b.properties.cell)
    const painted = await edit(id, { op: 'paint', grid: G(1), cells, version: 1 })
    expect(painted.status, JSON.stringify(painted.body)).toBe(200)
    const after = painted.body as PlanView
    expect(painted.etag).toBe('"2"')
    const count = (v: PlanView, code: string) => v.grids.find((g) => g.code === code)!.cells
    expect(count(after, G(1))).toBe(count(view, G(1)) + cells.length)
    expect(count(after, G(2))).toBe(count(view, G(2)) - cells.length)
    expect(after.changes!.grids).toEqual(cells.map(() => G(1)))
    expect(after.disruption.cells).toBe(cells.length)
    expect(after.disruption.changedGrids.sort()).toEqual([G(1), G(2)])

    // Something that is not a cell id is said to be, not to lie outside the community.
    const notCell = await edit(id, { op: 'paint', grid: G(1), cells: ['9a411c29408ffff'], version: 2 })
    expect(notCell.status).toBe(400)
    expect((notCell.body as { detail: string }).detail).toMatch(/not H3 cell ids: 9a411c29408ffff/)
    // A second writer who read version 1 loses, and nothing changes.
    const stale = await edit(id, { op: 'paint', grid: G(3), cells: [border[0]!.properties.cell], version: 1 })
    expect(stale.status).toBe(409)
    expect(stale.type).toContain('application/problem+json')
    expect((stale.body as { currentVersion: number }).currentVersion).toBe(2)
    expect(count((await send('GET', `/api/v1/plans/${id}`)).body as PlanView, G(1))).toBe(count(after, G(1)))

    // Two edits racing on the same version: exactly one wins.
    const race = await Promise.all([
      edit(id, { op: 'lock', grid: G(5), locked: true, version: 2 }),
      edit(id, { op: 'lock', grid: G(6), locked: true, version: 2 }),
    ])
    expect(race.map((r) => r.status).sort()).toEqual([200, 409])

    const undone = (await send('POST', `/api/v1/plans/${id}/undo`, {})).body as PlanView
    const undone2 = (await send('POST', `/api/v1/plans/${id}/undo`, {})).body as PlanView
    expect(undone.grids.some((g) => g.locked)).toBe(false)
    expect(count(undone2, G(1))).toBe(count(view, G(1)))
    expect(undone2.disruption.cells).toBe(0)
    expect(undone2.plan).toMatchObject({ cursor: 0, canUndo: false, canRedo: true })
    // No body at all, the version in If-Match.
    const redoing = await send('POST', `/api/v1/plans/${id}/redo`, undefined, { 'if-match': `"${undone2.plan.version}"` })
    expect(redoing.status, JSON.stringify(redoing.body)).toBe(200)
    const redone = redoing.body as PlanView
    // The same with a JSON content type and an empty body, as many clients send.
    const undoEmpty = await app.inject({ method: 'POST', url: `/api/v1/plans/${id}/undo`, headers: { ...planner, 'content-type': 'application/json', 'if-match': `"${redone.plan.version}"` }, payload: '' })
    expect(undoEmpty.statusCode, undoEmpty.body).toBe(200)
    expect((await send('POST', `/api/v1/plans/${id}/redo`, {}, { 'if-match': String(undoEmpty.headers.etag) })).status).toBe(200)
    expect(count(redone, G(1))).toBe(count(after, G(1)))
    const nothing = await send('POST', `/api/v1/plans/${id}/undo`, {})
    expect(nothing.status).toBe(200)
    expect((await send('POST', `/api/v1/plans/${id}/undo`, {})).status).toBe(409)

    // A change that names no version at all is refused (428) and changes nothing; If-Match: * is the explicit "any version".
    const before = ((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version
    for (const [url, payload] of [[`/api/v1/plans/${id}/edits`, { op: 'lock', grid: G(5), locked: true }], [`/api/v1/plans/${id}/redo`, {}], [`/api/v1/plans/${id}/publish`, {}]] as const) {
      const unnamed = await app.inject({ method: 'POST', url, headers: planner, payload })
      expect(unnamed.statusCode, url).toBe(428)
      expect(unnamed.headers['content-type']).toContain('application/problem+json')
      expect(unnamed.json().detail).toMatch(/version/)
    }
    const put = await app.inject({ method: 'PUT', url: `/api/v1/plans/${id}/assignment`, headers: { ...planner, 'content-type': 'text/csv' }, payload: 'cell,grid\n' })
    expect(put.statusCode).toBe(428)
    expect(((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version).toBe(before)
    const any = await app.inject({ method: 'POST', url: `/api/v1/plans/${id}/edits`, headers: { ...planner, 'if-match': '*' }, payload: { op: 'lock', grid: G(5), locked: true } })
    expect(any.statusCode, any.body).toBe(200)
    expect(any.json().plan.version).toBe(before + 1)
    // The body and If-Match must agree, and a weak tag never matches.
    const both = (ifMatch: string, version: number) => app.inject({ method: 'POST', url: `/api/v1/plans/${id}/edits`, headers: { ...planner, 'if-match': ifMatch }, payload: { op: 'lock', grid: G(6), locked: true, version } })
    expect((await both(`"${before + 7}"`, before + 1)).statusCode).toBe(400)
    expect((await both(`W/"${before + 1}"`, before + 1)).statusCode).toBe(400)
    expect(((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version).toBe(before + 1)
    // An edit that changes nothing is no step: the version stays, so nobody else's edit goes stale.
    const again = await edit(id, { op: 'lock', grid: G(5), locked: true, version: before + 1 })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ unchanged: true, plan: { version: before + 1 } })
    expect((await edit(id, { op: 'paint', grid: G(1), cells: [], version: before + 1 })).body).toMatchObject({ unchanged: true })
    // Discarding is a change too.
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/plans/${id}`, headers: planner })).statusCode).toBe(428)
    // A JSON type with no body (clients that set it on every request) is no body; a stale body version is a 409.
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/plans/${id}`, headers: { ...planner, 'content-type': 'application/json' }, payload: '' })).statusCode).toBe(428)
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/plans/${id}`, headers: planner, payload: { version: before } })).statusCode).toBe(409)
    const byBody = (await newPlan()).plan
    const discardedByBody = await app.inject({ method: 'DELETE', url: `/api/v1/plans/${byBody.id}`, headers: planner, payload: { version: byBody.version } })
    expect(discardedByBody.statusCode, discardedByBody.body).toBe(200)
    expect(discardedByBody.json().plan.status).toBe('discarded')
    const discarded = await app.inject({ method: 'DELETE', url: `/api/v1/plans/${id}`, headers: { ...planner, 'if-match': `"${before + 1}"` } })
    expect(discarded.statusCode, discarded.body).toBe(200)
    expect(discarded.json().plan.status).toBe('discarded')
  })

  it('lists plans newest first, with numberMatched and a next link', async () => {
    await newPlan()
    await newPlan()
    type Listing = { numberMatched: number; numberReturned: number; links: { rel: string; href: string }[]; items: { id: number; updatedAt: string }[] }
    const first = (await send('GET', `/api/v1/plans?scope=${COMMUNITY}&limit=1`)).body as Listing
    expect(first.numberMatched).toBeGreaterThanOrEqual(2)
    expect(first.numberReturned).toBe(1)
    const next = first.links.find((l) => l.rel === 'next')!
    const second = (await send('GET', next.href)).body as Listing
    expect(second.items).toHaveLength(1)
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id)
    expect(second.items[0]!.updatedAt <= first.items[0]!.updatedAt).toBe(true)
    const all = (await send('GET', `/api/v1/plans?scope=${COMMUNITY}&limit=1000`)).body as Listing
    expect(all.numberReturned).toBe(all.numberMatched)
    expect(all.links.some((l) => l.rel === 'next')).toBe(false)
  })

  it('undoes and redoes a change of constraints like any other edit', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const original = view.plan.constraints
    const tight = await edit(id, { op: 'constraints', constraints: { maxAreaM2: 1000 } })
    expect(tight.status, JSON.stringify(tight.body)).toBe(200)
    const constrained = tight.body as PlanView
    expect(constrained.plan.constraints).toEqual({ maxAreaM2: 1000 })
    expect(constrained.valid).toBe(false)
    // A paint after it: undoing twice goes back past both.
    const border = await borderBlocks(id, G(2), G(1))
    expect((await edit(id, { op: 'paint', grid: G(1), cells: [border[0]!.properties.cell] })).status).toBe(200)
    await send('POST', `/api/v1/plans/${id}/undo`, {})
    const undone = (await send('POST', `/api/v1/plans/${id}/undo`, {})).body as PlanView
    expect(undone.plan).toMatchObject({ cursor: 0, canUndo: false, canRedo: true, constraints: original })
    expect(undone.valid).toBe(view.valid)
    expect((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).toMatchObject({ plan: { constraints: original } })
    const redone = (await send('POST', `/api/v1/plans/${id}/redo`, {})).body as PlanView
    expect(redone.plan.constraints).toEqual({ maxAreaM2: 1000 })
    expect(redone.valid).toBe(false)
  })

  it('refuses painting outside the scope and into locked grids, with problem documents', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const outside = await edit(id, { op: 'paint', grid: G(1), at: [114.5, 23.5], radiusM: 100 })
    expect(outside.status).toBe(400)
    // Two grids of a community never share a name; a minimum above its maximum is no constraint.
    const first = (view.grids as unknown as { code: string; name: string }[]).find((g) => g.code === G(1))!
    const twin = await edit(id, { op: 'rename', grid: G(2), name: first.name })
    expect(twin.status).toBe(409)
    expect((twin.body as { detail: string }).detail).toContain(G(1))
    expect((await edit(id, { op: 'constraints', constraints: { minPopulation: 10, maxPopulation: 5 } })).status).toBe(400)
    const impossible = await send('POST', '/api/v1/plans', { scope: COMMUNITY, constraints: { minAreaM2: 10, maxAreaM2: 1 } })
    expect(impossible.status).toBe(400)
    expect((impossible.body as { detail: string }).detail).toMatch(/minAreaM2 \(10\) is above constraints.maxAreaM2 \(1\)/)
    expect((outside.body as { detail: string }).detail).toMatch(/covers no cell/)
    const unknownCell = await edit(id, { op: 'paint', grid: G(1), cells: ['8a411c2d161ffff'] })
    expect(unknownCell.status).toBe(400)
    expect((unknownCell.body as { detail: string }).detail).toMatch(/outside community/)
    expect((await edit(id, { op: 'paint', grid: G(99), cells: [] })).status).toBe(400)
    expect((await edit(id, { op: 'paint', grid: 'x' })).status).toBe(400)
    expect((await edit(id, { op: 'lock', grid: G(1), locked: true })).status).toBe(200)
    const locked = await edit(id, { op: 'paint', grid: G(1), at: [LON0 + 0.006, LAT0 + 0.01], radiusM: 300 })
    expect(locked.status).toBe(409)
    // A brush over a locked grid leaves its cells alone.
    const brush = await edit(id, { op: 'paint', grid: G(2), at: [LON0 + SIZE, LAT0 + 2.5 * SIZE], radiusM: 400 })
    expect(brush.status).toBe(200)
    expect((brush.body as { skippedLocked: number }).skippedLocked).toBeGreaterThan(0)
    expect((brush.body as PlanView).grids.find((g) => g.code === G(1))!.cells).toBe(view.grids.find((g) => g.code === G(1))!.cells)
    const reader = await keyHeaders(db(), { name: 'analyst', role: 'analyst' })
    expect((await send('GET', `/api/v1/plans/${id}`, undefined, reader)).status).toBe(200)
    expect((await send('POST', `/api/v1/plans/${id}/edits`, { op: 'undo' }, reader)).status).toBe(403)
    expect((await send('GET', `/api/v1/plans/999999`)).status).toBe(404)
  })

  it('lists the cells that break contiguity, and refuses to publish such a plan without touching the registry', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const far = (await blocksOf(id)).find((b) => b.properties.grid === G(12))!
    const res = await edit(id, { op: 'paint', grid: G(1), cells: [far.properties.cell] })
    const broken = res.body as PlanView
    expect(broken.valid).toBe(false)
    expect(broken.violations).toContainEqual(expect.objectContaining({ check: 'contiguity', grid: G(1), cells: [far.properties.cell] }))
    const before = await registryChecksum(db())
    const publish = await send('POST', `/api/v1/plans/${id}/publish`, {})
    expect(publish.status).toBe(422)
    expect((publish.body as { violations: unknown[] }).violations.length).toBeGreaterThan(0)
    expect(await registryChecksum(db())).toBe(before)
  })

  it('exports and imports the assignment as cell,grid CSV and as GeoJSON', async () => {
    const a = await newPlan()
    const border = await borderBlocks(a.plan.id, G(6), G(7))
    await edit(a.plan.id, { op: 'paint', grid: G(7), cells: [border[0]!.properties.cell] })
    const csv = (await send('GET', `/api/v1/plans/${a.plan.id}/export?format=csv`)).body as string
    const lines = csv.trim().split('\n')
    expect(lines[0]).toBe('cell,grid')
    expect(lines).toContain(`${border[0]!.properties.cell},${G(7)}`)
    const b = await newPlan()
    const put = await send('PUT', `/api/v1/plans/${b.plan.id}/assignment`, csv, { 'content-type': 'text/csv', 'if-match': '"1"' })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    expect((put.body as PlanView).grids.map((g) => g.cells)).toEqual(
      ((await send('GET', `/api/v1/plans/${a.plan.id}`)).body as PlanView).grids.map((g) => g.cells),
    )
    const compare = (await send('GET', `/api/v1/plans/${a.plan.id}/compare?with=${b.plan.id}`)).body as { cells: { shared: number; differ: number } }
    expect(compare.cells.differ).toBe(0)
    // Cells of another resolution are never the same cells: refused, not "0 shared, 0 differ".
    const coarser = await send('POST', '/api/v1/plans', { scope: COMMUNITY, res: 9 })
    expect(coarser.status, JSON.stringify(coarser.body)).toBe(201)
    const apart = await send('GET', `/api/v1/plans/${a.plan.id}/compare?with=${(coarser.body as PlanView).plan.id}`)
    expect(apart.status).toBe(400)
    expect((apart.body as { detail: string }).detail).toMatch(/resolution 9 .* resolution 10: they share no cell/)
    const geojson = (await send('GET', `/api/v1/plans/${a.plan.id}/export?format=geojson`)).body
    const c = await newPlan()
    expect((await send('PUT', `/api/v1/plans/${c.plan.id}/assignment`, geojson, { 'content-type': 'application/geo+json' })).status).toBe(200)
    const bad = await send('PUT', `/api/v1/plans/${c.plan.id}/assignment`, `cell,grid\n${border[0]!.properties.cell},${G(77)}\n`, { 'content-type': 'text/csv' })
    expect(bad.status).toBe(400)
    expect((bad.body as { errors: { line: number; grid: string }[] }).errors[0]).toMatchObject({ line: 2, grid: G(77) })
    // Malformed lines and lines naming an unknown grid are listed all at once, in file order, numbered as in the file.
    const broken = await send('PUT', `/api/v1/plans/${c.plan.id}/assignment`, `cell,grid\n${border[0]!.properties.cell},${G(1)}\nbad\n\n8a411893240ffff,x\n${border[0]!.properties.cell},${G(1)},extra\n${border[1]?.properties.cell ?? border[0]!.properties.cell},${G(88)}\n`, { 'content-type': 'text/csv' })
    expect(broken.status).toBe(400)
    const report = broken.body as { detail: string; errors: { line: number; message: string }[] }
    expect(report.errors.map((e) => e.line)).toEqual([3, 5, 6, 7])
    expect(report.errors[3]!.message).toMatch(new RegExp(`CSV line 7: grid ${G(88)} is not a grid of this plan`))
    expect(report.detail).toMatch(/^4 rows of the assignment are wrong; nothing was changed: CSV line 3/)
    // GeoJSON features are numbered by their index.
    const features = [{ type: 'Feature', geometry: null, properties: { cell: 'nope', grid: G(1) } }, { type: 'Feature', geometry: null, properties: { cell: border[0]!.properties.cell, grid: G(99) } }]
    const badGeo = await send('PUT', `/api/v1/plans/${c.plan.id}/assignment`, { type: 'FeatureCollection', features }, { 'content-type': 'application/geo+json' })
    expect(badGeo.status).toBe(400)
    expect((badGeo.body as { errors: { feature: number }[] }).errors.map((e) => e.feature)).toEqual([0, 1])
    // An import respects locks like any edit: no cell moves into or out of a locked grid.
    expect((await edit(c.plan.id, { op: 'lock', grid: G(7), locked: true })).status).toBe(200)
    const locked = await send('PUT', `/api/v1/plans/${c.plan.id}/assignment`, `cell,grid\n${border[0]!.properties.cell},${G(6)}\n`, { 'content-type': 'text/csv' })
    expect(locked.status).toBe(400)
    expect((locked.body as { errors: { message: string }[] }).errors[0]!.message).toMatch(new RegExp(`locked grid ${G(7)}`))
    const cOwner = async () => (await blocksOf(c.plan.id)).find((b) => b.properties.cell === border[0]!.properties.cell)!.properties.grid
    expect(await cOwner()).toBe(G(7))
    const dissolved = (await send('GET', `/api/v1/plans/${a.plan.id}/export?format=geojson&dissolve=true`)).body as { features: { id: string }[] }
    expect(dissolved.features.map((f) => f.id)).toEqual(Array.from({ length: 12 }, (_, i) => G(i + 1)))
  })

  it('rebalances deterministically into contiguous grids with a smaller workload spread', async () => {
    const runs: PlanView[] = []
    for (let i = 0; i < 2; i++) {
      const view = await newPlan()
      const res = await edit(view.plan.id, { op: 'rebalance', seed: 7 })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      runs.push(res.body as PlanView)
    }
    const [a, b] = runs as [PlanView, PlanView]
    expect(a.metrics.after.grids.every((g) => g.contiguous)).toBe(true)
    expect(a.metrics.after.balance.workload!.gini).toBeLessThan(a.metrics.before.balance.workload!.gini)
    expect(a.grids.map((g) => g.cells)).toEqual(b.grids.map((g) => g.cells))
    expect(a.violations).toEqual([])
  })

  it('publishes a plan as a new generation: changed grids follow their cells, the rest carry over, lookups switch', async () => {
    const view = await newPlan()
    const id = view.plan.id
    const border = await borderBlocks(id, G(2), G(1))
    const cell = border[0]!
    await edit(id, { op: 'paint', grid: G(1), cells: [cell.properties.cell] })
    // A grid merged with itself, or a rebalance into more grids than cells: refused, and the version stays.
    const version = ((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version
    expect((await edit(id, { op: 'merge', grids: [G(3), G(3)] })).status).toBe(400)
    expect((await edit(id, { op: 'rebalance', k: 100_000 })).status).toBe(400)
    expect(((await send('GET', `/api/v1/plans/${id}`)).body as PlanView).plan.version).toBe(version)
    // Merge grid 4 into grid 3: grid 4 disappears, grid 3 takes its area.
    const merged = (await edit(id, { op: 'merge', grids: [G(3), G(4)] })).body as PlanView
    expect(merged.grids.find((g) => g.code === G(4))!.removed).toBe(true)
    // The preview counts grid 4's administrators in grid 3, where publishing sends them.
    const before3 = merged.metrics.before.grids.find((g) => g.code === G(3))!
    const before4 = merged.metrics.before.grids.find((g) => g.code === G(4))!
    const after3 = merged.metrics.after.grids.find((g) => g.code === G(3))!
    expect(before4.administrators).toBeGreaterThan(0)
    expect(after3.administrators).toBe(before3.administrators + before4.administrators)
    // …and none in grid 4 any more: the plan's total staff is the base's.
    expect(merged.metrics.after.grids.find((g) => g.code === G(4))!.administrators).toBe(0)
    const staff = (grids: { administrators: number }[]) => grids.reduce((s, g) => s + g.administrators, 0)
    expect(staff(merged.metrics.after.grids)).toBe(staff(merged.metrics.before.grids))
    expect(after3.loadPerAdministrator).toBeCloseTo(after3.workload / after3.administrators, 9)
    const stalePublish = await send('POST', `/api/v1/plans/${id}/publish`, { version: 1 })
    expect(stalePublish.status).toBe(409)

    const other = await newPlan() // drawn on the same base, published after: must be refused
    expect((await edit(other.plan.id, { op: 'lock', grid: G(5), locked: true, version: other.plan.version })).status).toBe(200)
    // Lookups keep coming while the plan is published: each answers from the old or the new generation, whole.
    const probes = (await blocksOf(id)).map((b) => b.properties.cell)
    const { cellToLatLng } = await import('h3-js')
    let publishing = true
    const answers: { lon: number; lat: number; status: number; generation: number; grid: string | null }[] = []
    const client = async (k: number) => {
      for (let i = k; publishing; i += 4) {
        const [lat, lon] = cellToLatLng(probes[i % probes.length]!)
        const res = await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}`)
        const body = res.json() as { generation: { id: number }; grid: { code: string } | null }
        answers.push({ lon, lat, status: res.statusCode, generation: body.generation?.id, grid: body.grid?.code ?? null })
        await new Promise((r) => setImmediate(r))
      }
    }
    // A start in the future is refused: the newest generation answers from the moment it is stored.
    const ahead = await send('POST', `/api/v1/plans/${id}/publish`, { validFrom: new Date(Date.now() + 7 * 86_400_000).toISOString() })
    expect(ahead.status).toBe(400) // a bad parameter whatever is stored, not a conflict
    expect(ahead.body).toMatchObject({ reason: 'valid-from', parameter: 'validFrom', detail: expect.stringContaining('is in the future') })
    const load = [0, 1, 2, 3].map(client)
    const published = await send('POST', `/api/v1/plans/${id}/publish`, { validFrom: '2026-01-01T00:00:00Z' })
    publishing = false
    await Promise.all(load)
    expect(published.status, JSON.stringify(published.body)).toBe(201)
    const pub = published.body as { generation: { id: number }; changed: string[]; removed: string[]; administratorsMoved: { employeeNo: string; from: string; to: string }[] }
    expect(pub.removed).toEqual([G(4)])
    // Grid 4's administrator now serves grid 3, from the new generation's start: their own audit trail and history say so.
    expect(pub.administratorsMoved).toEqual([expect.objectContaining({ employeeNo: 'PA4', from: G(4), to: G(3) })])
    expect((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id WHERE a.active AND ag.grid_code = $1`, [G(3)])).rows[0]!.n).toBe(after3.administrators)
    const trail = (await db().query<{ detail: { before: unknown; after: unknown } }>(`SELECT detail FROM audit_log WHERE subject = 'administrator:PA4' ORDER BY id`)).rows
    expect(trail.map((t) => [t.detail.before, t.detail.after])).toEqual([[{ grid: G(4) }, { grid: G(3) }]])
    const pa4 = (await app.inject('/api/v1/administrators/PA4')).json()
    expect(pa4.grids).toEqual([G(3)])
    expect(pa4.assignments).toEqual([{ grid: G(4), from: null, to: '2026-01-01T00:00:00.000Z' }, { grid: G(3), from: '2026-01-01T00:00:00.000Z', to: null }])
    expect(pub.changed.sort()).toEqual(expect.arrayContaining([G(1), G(2), G(3)]))
    const gen2 = pub.generation.id
    // Location names the new generation, now the current one.
    expect(published.location).toBe(`/api/v1/generations/${gen2}`)
    const described = (await app.inject(published.location as string)).json()
    expect(described).toMatchObject({ id: gen2, current: true, validFrom: '2026-01-01T00:00:00.000Z', validTo: null })
    expect((await app.inject(`/api/v1/generations/${generation1}`)).json()).toMatchObject({ id: generation1, current: false, validTo: '2026-01-01T00:00:00.000Z' })
    expect((await app.inject('/api/v1/generations/999999')).statusCode).toBe(404)
    // (The embedded database runs on the server's own thread, so there lookups wait while a statement runs.)
    expect(answers.length).toBeGreaterThan(backend === 'postgres' ? 4 : 3)
    expect(answers.every((a) => a.status === 200 && (a.generation === generation1 || a.generation === gen2))).toBe(true)
    const disagreeing = (await db().query<{ n: number }>(`
      SELECT count(*)::int AS n FROM unnest($1::float8[], $2::float8[], $3::int[], $4::text[]) AS a(lon, lat, gen, grid)
      WHERE a.grid IS DISTINCT FROM (SELECT min(code) FROM unit WHERE generation_id = a.gen AND level = 'grid'
                                    AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326)))`,
      [answers.map((a) => a.lon), answers.map((a) => a.lat), answers.map((a) => a.generation), answers.map((a) => a.grid)])).rows[0]!.n
    expect(disagreeing).toBe(0)

    // PostGIS on the result: grids tile the community, unchanged grids are byte-identical, grid 4 is gone, grid 3 covers the old 3 + 4.
    const geo = (await db().query<{ area: number; union: number; community: number; overlaps: number; same: number; g4: number; g3diff: number }>(`
      SELECT (SELECT sum(ST_Area(geom::geography)) FROM unit WHERE generation_id = $2 AND level = 'grid') AS area,
             (SELECT ST_Area(ST_Union(geom, 9.094947017729282e-13)::geography) FROM unit WHERE generation_id = $2 AND level = 'grid') AS union,
             (SELECT ST_Area(geom::geography) FROM unit WHERE generation_id = $2 AND code = '${COMMUNITY}') AS community,
             (SELECT count(*)::int FROM unit a JOIN unit b ON a.generation_id = b.generation_id AND a.code < b.code AND a.geom && b.geom
              WHERE a.generation_id = $2 AND a.level = 'grid' AND b.level = 'grid' AND ST_Area(zw_intersection(a.geom, b.geom)::geography) > 0.01) AS overlaps,
             (SELECT count(*)::int FROM unit n JOIN unit o ON o.code = n.code AND o.generation_id = $1
              WHERE n.generation_id = $2 AND n.level = 'grid' AND ST_AsBinary(n.geom) = ST_AsBinary(o.geom)) AS same,
             (SELECT count(*)::int FROM unit WHERE generation_id = $2 AND code = '${G(4)}') AS g4,
             (SELECT ST_Area(ST_SymDifference(n.geom, ST_Union(o3.geom, o4.geom, 9.094947017729282e-13), 9.094947017729282e-13)::geography)
              FROM unit n, unit o3, unit o4 WHERE n.generation_id = $2 AND n.code = '${G(3)}'
              AND o3.generation_id = $1 AND o3.code = '${G(3)}' AND o4.generation_id = $1 AND o4.code = '${G(4)}') AS g3diff`, [generation1, gen2])).rows[0]!
    expect(Math.abs(geo.area - geo.community) / geo.community).toBeLessThan(1e-6)
    expect(Math.abs(geo.union - geo.community) / geo.community).toBeLessThan(1e-6)
    expect(geo.overlaps).toBe(0)
    expect(geo.g4).toBe(0)
    expect(geo.g3diff).toBeLessThan(1)
    expect(geo.same).toBe(12 - 1 - pub.changed.length) // 12 grids, minus the removed one and the changed ones

    // The painted block's centre now answers grid 1 in the new generation; the same place as of 2025 answers grid 2.
    const [lon, lat] = (await db().query<{ lon: number; lat: number }>(`SELECT ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM plan_block WHERE plan_id = $1 AND idx = $2`, [id, cell.properties.idx])).rows.map((r) => [r.lon, r.lat])[0]!
    const now = (await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}`)).json()
    expect(now.generation.id).toBe(gen2)
    expect(now.grid.code).toBe(G(1))
    const then = (await app.inject(`/api/v1/lookup?lon=${lon}&lat=${lat}&at=2025-06-01T00:00:00Z`)).json()
    expect(then.grid.code).toBe(G(2))
    const postgis = (await db().query<{ code: string }>(`SELECT code FROM unit WHERE generation_id = $1 AND level = 'grid' AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326))`, [gen2, lon, lat])).rows
    expect(postgis.map((r) => r.code)).toEqual([G(1)])

    // Incidents keep the grid they were routed to; workload analytics re-attribute them to the new grids on request.
    const supervisor = await keyHeaders(db(), { name: 'supervisor-wl', role: 'supervisor' })
    const workload = async (query: string) =>
      new Map(((await app.inject({ url: `/api/v1/analytics/workload?parent=${COMMUNITY}&${query}`, headers: supervisor })).json() as { items: { code: string; load: number }[] }).items.map((g) => [g.code, g.load]))
    const oldRouted = await workload('at=2025-06-01T00:00:00Z')
    const byLocation = await workload('attribution=location')
    expect(byLocation.has(G(4))).toBe(false)
    // Routed, the incidents of the grid the new generation no longer has are counted as such, not lost from sight.
    const summaryNow = (await app.inject({ url: `/api/v1/analytics/workload?parent=${COMMUNITY}`, headers: supervisor })).json().summary
    const g4Then = ((await app.inject({ url: `/api/v1/analytics/workload?parent=${COMMUNITY}&at=2025-06-01T00:00:00Z`, headers: supervisor })).json().items as { code: string; incidents: number }[]).find((g) => g.code === G(4))!.incidents
    expect(g4Then).toBeGreaterThan(0)
    expect(summaryNow.unattributed).toBe(g4Then)
    expect(byLocation.get(G(3))).toBeCloseTo(oldRouted.get(G(3))! + oldRouted.get(G(4))!, 6)
    expect([...byLocation.values()].reduce((a, b) => a + b, 0)).toBeCloseTo([...oldRouted.values()].reduce((a, b) => a + b, 0), 6)
    expect(((await app.inject({ url: `/api/v1/incidents?grid=${G(4)}&limit=1`, headers: supervisor })).json() as { numberMatched: number }).numberMatched).toBeGreaterThan(0)
    // Grid hot spots alike: routed counts say how many went to a grid this generation no longer has; by location they land in the grid holding them.
    const spots = async (query: string) => {
      const answer = (await app.inject({ url: `/api/v1/analytics/hotspots?unit=grid&parent=${COMMUNITY}&from=2000-01-01&format=json&${query}`, headers: supervisor })).json() as { summary: Record<string, number>; rows: { id: string; count: number }[] }
      return { summary: answer.summary, count: new Map(answer.rows.map((r) => [r.id, r.count])) }
    }
    const [spotsThen, spotsRouted, spotsHere] = await Promise.all([spots('at=2025-06-01T00:00:00Z'), spots(''), spots('attribution=location')])
    expect(spotsThen.count.get(G(4))).toBeGreaterThan(0)
    expect(spotsRouted.summary.unattributed).toBe(spotsThen.count.get(G(4)))
    expect(spotsHere.count.has(G(4))).toBe(false)
    expect(spotsHere.count.get(G(3))).toBe(spotsThen.count.get(G(3))! + spotsThen.count.get(G(4))!)
    expect([...spotsHere.count.values()].reduce((a, b) => a + b, 0)).toBe([...spotsThen.count.values()].reduce((a, b) => a + b, 0))

    const audit = (await db().query<{ actor: string; detail: { after: { generation: number } } }>(`SELECT actor, detail FROM audit_log WHERE action = 'plan.publish' AND subject = $1`, [`plan:${id}`])).rows
    expect(audit).toHaveLength(1)
    expect(audit[0]!.detail.after.generation).toBe(gen2)
    expect((await send('POST', `/api/v1/plans/${id}/publish`, {})).status).toBe(409)

    const refused = await send('POST', `/api/v1/plans/${other.plan.id}/publish`, {})
    expect(refused.status).toBe(409)
    expect((refused.body as { reason: string }).reason).toBe('stale-base')
    const rebased = await send('POST', `/api/v1/plans/${other.plan.id}/rebase`, {})
    expect(rebased.status).toBe(201)
    expect((rebased.body as PlanView).plan.baseGeneration).toBe(gen2)
    expect((rebased.body as PlanView).grids.map((g) => g.code)).not.toContain(G(4))
    // Locks of the grids that are still there come along.
    expect((rebased.body as PlanView).grids.find((g) => g.code === G(5))).toMatchObject({ locked: true })

    // A plan that changes nothing is refused; one that only renames a grid publishes the new name, geometry untouched.
    const generations = async () => (await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM generation`)).rows[0]!.n
    const before = await generations()
    const rebasedId = (rebased.body as PlanView).plan.id
    const idle = await send('POST', `/api/v1/plans/${rebasedId}/publish`, { validFrom: '2026-03-01T00:00:00Z' })
    expect(idle.status, JSON.stringify(idle.body)).toBe(422)
    expect((idle.body as { detail: string }).detail).toMatch(/changes nothing/)
    expect(await generations()).toBe(before)
    expect((await edit(rebasedId, { op: 'rename', grid: G(6), name: '新名字网格' })).status).toBe(200)
    const indexBefore = app.lookup.ready!.index
    // validFrom as a bare date: that day's midnight in the city (UTC+8).
    const renamed = await send('POST', `/api/v1/plans/${rebasedId}/publish`, { validFrom: '2026-03-01' })
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(201)
    expect((renamed.body as { generation: { validFrom: string } }).generation.validFrom).toBe('2026-02-28T16:00:00.000Z')
    const gen3 = (renamed.body as { generation: { id: number }; renamed: string[]; changed: string[] })
    expect(gen3.renamed).toEqual([G(6)])
    expect(gen3.changed).toEqual([])
    const g6 = (await db().query<{ name_zh: string; same: boolean }>(`
      SELECT n.name_zh, ST_AsBinary(n.geom) = ST_AsBinary(o.geom) AS same FROM unit n JOIN unit o ON o.code = n.code AND o.generation_id = $1
      WHERE n.generation_id = $2 AND n.code = $3`, [gen2, gen3.generation.id, G(6)])).rows[0]!
    expect(g6).toEqual({ name_zh: '新名字网格', same: true })
    const [lon6, lat6] = [LON0 + 1.5 * SIZE, LAT0 + 1.5 * SIZE]
    const answer = (await app.inject(`/api/v1/lookup?lon=${lon6}&lat=${lat6}`)).json() as { generation: { id: number }; grid: { code: string; name: string } }
    expect(answer.generation.id).toBe(gen3.generation.id)
    expect(answer.grid).toMatchObject({ code: G(6), name: '新名字网格' })
    expect(app.lookup.ready!.index).toBe(indexBefore) // no grid redrawn: the index is kept, not rebuilt
  })

  // After the publishing above: two drafts of the community, drawn at the same time, each number their new grid alike.
  it('rebases a plan whose new grid took the code another plan has published since: the grid gets the next free code and keeps its own cells', async () => {
    const [a, b] = [await newPlan(), await newPlan()]
    const splitA = await edit(a.plan.id, { op: 'split', grid: G(6), k: 2 })
    const splitB = await edit(b.plan.id, { op: 'split', grid: G(8), k: 2 })
    expect([splitA.status, splitB.status], JSON.stringify([splitA.body, splitB.body])).toEqual([200, 200])
    const newOf = (v: PlanView) => v.grids.filter((g) => g.added)
    const [newA, newB] = [newOf(splitA.body as PlanView), newOf(splitB.body as PlanView)]
    expect(newA).toHaveLength(1)
    expect(newB).toHaveLength(1)
    expect(newB[0]!.code).toBe(newA[0]!.code) // the case at hand
    const published = await send('POST', `/api/v1/plans/${a.plan.id}/publish`, {})
    expect(published.status, JSON.stringify(published.body)).toBe(201)
    // The new grid has nobody serving it yet: the answer says so, for the city to assign someone.
    const answer = published.body as { unstaffed: string[]; warnings?: string[] }
    expect(answer.unstaffed).toContain(newA[0]!.code)
    expect(answer.warnings?.join(' ')).toContain(`${newA[0]!.code}`)
    const staffed = await db().query<{ code: string }>(`SELECT DISTINCT grid_code AS code FROM administrator_grid ag JOIN administrator a ON a.id = ag.administrator_id WHERE a.active AND grid_code = ANY($1::text[])`, [answer.unstaffed])
    expect(staffed.rows).toEqual([])

    const rebased = await send('POST', `/api/v1/plans/${b.plan.id}/rebase`, {})
    expect(rebased.status, JSON.stringify(rebased.body)).toBe(201)
    const view = rebased.body as PlanView
    const cells = (code: string) => view.grids.find((g) => g.code === code)?.cells
    // The published grid is as published, not fused with the rebased plan's new grid.
    expect(cells(newA[0]!.code)).toBe(newA[0]!.cells)
    const moved = newOf(view)
    expect(moved).toHaveLength(1)
    expect(moved[0]!.code).not.toBe(newA[0]!.code)
    expect(moved[0]).toMatchObject({ cells: newB[0]!.cells, name: newB[0]!.name })
    expect(cells(G(8))).toBe((splitB.body as PlanView).grids.find((g) => g.code === G(8))!.cells)
    expect(view.violations).toEqual([])
    expect(view.valid).toBe(true)
  })

  it('keeps a draft current when a new generation leaves its scope as it was, and stale when it redraws it', async () => {
    const draft = await newPlan()
    const border = await borderBlocks(draft.plan.id, G(2), G(1))
    expect((await edit(draft.plan.id, { op: 'paint', grid: G(1), cells: [border[0]!.properties.cell] })).status).toBe(200)
    const importMerge = async (f: unknown) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/units/import?mode=merge', headers: { ...planner, 'content-type': 'application/json' }, payload: { type: 'FeatureCollection', features: [f] } })
      expect(res.statusCode, res.body).toBe(201)
    }
    const unit = async (code: string) => (await app.inject(`/api/v1/units/${code}`)).json() as { properties: { name: string }; geometry: { coordinates: unknown[] } }
    // The town is renamed: a new generation, but the community and its grids are as they were.
    const town = await unit('441900003')
    await importMerge({ type: 'Feature', properties: { level: 'town', code: '441900003', name: `${town.properties.name}（更名）` }, geometry: town.geometry })
    const still = (await send('GET', `/api/v1/plans/${draft.plan.id}`)).body as PlanView & { plan: { baseIsCurrent: boolean } }
    expect(still.plan.baseIsCurrent).toBe(true)
    expect((await send('POST', `/api/v1/plans/${draft.plan.id}/rebase`, {})).status).toBe(409) // nothing to rebase
    // A grid of the community is renamed: now the draft is drawn on something else and must be rebased.
    const g9 = await unit(G(9))
    await importMerge({ type: 'Feature', properties: { level: 'grid', code: G(9), name: '改名网格九' }, geometry: g9.geometry })
    const stale = (await send('GET', `/api/v1/plans/${draft.plan.id}`)).body as PlanView & { plan: { baseIsCurrent: boolean } }
    expect(stale.plan.baseIsCurrent).toBe(false)
    const refused = await send('POST', `/api/v1/plans/${draft.plan.id}/publish`, {})
    expect(refused.status).toBe(409)
    expect((refused.body as { reason: string }).reason).toBe('stale-base')
  })

  it('publishes a draft drawn before a generation that left its scope alone, on top of that generation', async () => {
    const draft = await newPlan()
    const border = await borderBlocks(draft.plan.id, G(2), G(1))
    expect((await edit(draft.plan.id, { op: 'paint', grid: G(1), cells: [border[0]!.properties.cell] })).status).toBe(200)
    const town = (await app.inject('/api/v1/units/441900003')).json() as { properties: { name: string }; geometry: unknown }
    const renamed = await app.inject({ method: 'POST', url: '/api/v1/units/import?mode=merge', headers: { ...planner, 'content-type': 'application/json' },
      payload: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { level: 'town', code: '441900003', name: '东城街道（再更名）' }, geometry: town.geometry }] } })
    expect(renamed.statusCode, renamed.body).toBe(201)
    const published = await send('POST', `/api/v1/plans/${draft.plan.id}/publish`, {})
    expect(published.status, JSON.stringify(published.body)).toBe(201)
    // The new generation keeps the town's new name (carried over from the generation it replaced) and the painted cell's grids changed.
    expect(((await app.inject('/api/v1/units/441900003')).json() as { properties: { name: string } }).properties.name).toBe('东城街道（再更名）')
    expect((published.body as { changed: string[] }).changed.sort()).toEqual([G(1), G(2)])
  })
})

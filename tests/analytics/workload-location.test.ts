/**
 * Workload by location under a community: incidents count for the grid that
 * holds them in the answered generation, whichever community they were routed
 * to (QA round 12: a community's view left out those routed to its neighbour
 * after the shared edge moved).
 */
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { feature, rectangle } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
const WEST = '441900003001'
const EAST = '441900003002'

/** Two communities of one grid each, side by side, their shared edge at `edge`. */
function city(edge: number) {
  const whole = rectangle(113.7, 22.9, 113.72, 22.91)
  return {
    type: 'FeatureCollection',
    features: [
      feature('city', '441900', '东莞市', [whole]),
      feature('town', '441900003', '东城街道', [whole]),
      feature('community', WEST, '西社区', [rectangle(113.7, 22.9, edge, 22.91)]),
      feature('community', EAST, '东社区', [rectangle(edge, 22.9, 113.72, 22.91)]),
      feature('grid', `${WEST}001`, '西网格', [rectangle(113.7, 22.9, edge, 22.91)]),
      feature('grid', `${EAST}001`, '东网格', [rectangle(edge, 22.9, 113.72, 22.91)]),
    ],
  }
}

describeBackends('Workload by location under a community', ({ db }) => {
  let app: App
  let analyst: Record<string, string>
  let admin: Record<string, string>
  beforeAll(async () => {
    await importUnits(db(), city(113.71), { validFrom: new Date('2024-01-01T00:00:00+08:00') })
    // The shared edge moves east: 113.71–113.715 passes from the east community to the west one.
    await importUnits(db(), city(113.715), { validFrom: new Date('2025-01-01T00:00:00+08:00') })
    app = await buildApp({ db: db() })
    analyst = await keyHeaders(db(), { name: 'analyst-wl', role: 'analyst' })
    admin = await keyHeaders(db(), { name: 'admin-wl', role: 'admin' })
    const system = await keyHeaders(db(), { name: 'hotline-wl', role: 'system' })
    // Reported under the second generation: 113.712 goes to the west grid, though it lies where the east grid was.
    for (const lon of [113.705, 113.712, 113.713, 113.718]) {
      const res = await app.inject({
        method: 'POST', url: '/api/v1/incidents', headers: system,
        payload: { category: 'ENV-01', lon, lat: 22.905, channel: 'hotline', reported_at: '2025-06-01T10:00:00+08:00' },
      })
      expect(res.statusCode, res.body).toBe(201)
    }
    return () => app.close()
  })

  const workload = async (query: string) => {
    const res = await app.inject({ url: `/api/v1/analytics/workload?from=2025-01-01&to=2026-01-01&${query}`, headers: analyst })
    expect(res.statusCode, res.body).toBe(200)
    return (res.json() as { items: { code: string; incidents: number; administrators: number }[] }).items
  }
  const incidents = async (parent: string, attribution: string) =>
    Object.fromEntries((await workload(`parent=${parent}&at=2024-06-01&attribution=${attribution}`)).map((g) => [g.code, g.incidents]))

  it('counts an incident for the grid holding it then, asked by its community as by the city', async () => {
    // PostGIS says where each incident lies in the first generation.
    const expected = Object.fromEntries((await db().query<{ code: string; n: number }>(`
      SELECT u.code, count(*)::int AS n FROM incident i JOIN unit u ON u.level = 'grid' AND ST_Covers(u.geom, i.geom)
      WHERE u.generation_id = (SELECT min(id) FROM generation) GROUP BY u.code`)).rows.map((r) => [r.code, r.n]))
    expect(expected).toEqual({ [`${WEST}001`]: 1, [`${EAST}001`]: 3 })
    expect(await incidents('441900', 'location')).toEqual(expected)
    expect(await incidents(EAST, 'location')).toEqual({ [`${EAST}001`]: 3 })
    expect(await incidents(WEST, 'location')).toEqual({ [`${WEST}001`]: 1 })
    // Routed, each counts where it was sent.
    expect(await incidents(WEST, 'routed')).toEqual({ [`${WEST}001`]: 3 })
  })

  it('counts the administrators who served each grid at the moment asked about', async () => {
    const put = (grids: string[], since: string) =>
      app.inject({ method: 'PUT', url: `/api/v1/administrators/WL1?since=${since}`, headers: admin, payload: { name: '王敏', phone: '13800000001', grids } })
    // Served the west grid since before records, then moves to the east one today.
    expect((await put([`${WEST}001`], 'unknown')).statusCode).toBe(201)
    expect((await put([`${EAST}001`], 'now')).statusCode).toBe(200)
    const staff = (items: { code: string; administrators: number }[]) => Object.fromEntries(items.map((g) => [g.code, g.administrators]))
    expect(staff(await workload('parent=441900'))).toEqual({ [`${WEST}001`]: 0, [`${EAST}001`]: 1 })
    expect(staff(await workload('parent=441900&at=2024-06-01'))).toEqual({ [`${WEST}001`]: 1, [`${EAST}001`]: 0 })
    // What a lookup as of that day names agrees.
    const then = (await app.inject(`/api/v1/lookup?lon=113.705&lat=22.905&at=2024-06-01`)).json()
    expect(then.administrators.map((a: { employeeNo: string }) => a.employeeNo)).toEqual(['WL1'])
  })
})

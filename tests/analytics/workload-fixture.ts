/**
 * A city of six grids with known residents, administrators, incidents (with
 * their workflow histories) and patrols, for the workload, balance and
 * supervision tests. Everything is inserted directly, with explicit times, so
 * the expected numbers can be worked out by hand.
 *
 *   town 441900003                                   town 441900004
 *   community 003001   community 003002              community 004001 | 004002
 *   A 003001001 (N)    C 003002001 (N)               E 004001001 (N)
 *   B 003001002 (S)    D 003002002 (S)               F 004002001 (S)
 */
import { polygonToCells } from 'h3-js'
import type { Db } from '../../server/db/client.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { feature, rectangle } from '../helpers/square-city.ts'

export const GRID = { A: '441900003001001', B: '441900003001002', C: '441900003002001', D: '441900003002002', E: '441900004001001', F: '441900004002001' } as const
export type GridName = keyof typeof GRID
/** Column (0.01° wide from 113.70) and row (0 = south, from 22.90) of each grid. */
const PLACE: Record<GridName, [number, number]> = { A: [0, 1], B: [0, 0], C: [1, 1], D: [1, 0], E: [2, 1], F: [2, 0] }
export const RESIDENTS: Record<GridName, [number, number]> = { A: [1000, 400], B: [2000, 700], C: [1500, 500], D: [500, 200], E: [3000, 1000], F: [1000, 300] }
/** A name that needs quoting in CSV. */
export const NAME_A = '甲,"一"网格'

/** Effort weights and SLA hours of the seeded catalogue (migration 007), written out independently. */
export const WEIGHT: Record<string, number> = { 'SEC-02': 2.0, 'ENV-01': 0.8, 'CONS-01': 3.0, 'FIRE-03': 1.0, 'SAFE-02': 3.0 }
const SLA_HOURS: Record<string, number> = { 'SEC-02': 72, 'ENV-01': 24, 'CONS-01': 120, 'FIRE-03': 24, 'SAFE-02': 12 }

export const FROM = '2025-01-01'
export const TO = '2025-07-01'
const rect = (col: number, row: number, w = 1, h = 1) => rectangle(113.7 + col / 100, 22.9 + row / 100, 113.7 + (col + w) / 100, 22.9 + (row + h) / 100)
/** The grid's square, as GeoJSON coordinates. */
export const gridRing = (g: GridName) => rect(...PLACE[g])

export function city() {
  const grids = (Object.keys(GRID) as GridName[]).map((g) =>
    feature('grid', GRID[g], g === 'A' ? NAME_A : `网格${g}`, [gridRing(g)], { population: RESIDENTS[g][0], households: RESIDENTS[g][1] }),
  )
  return {
    type: 'FeatureCollection',
    features: [
      feature('city', '441900', '东莞市', [rect(0, 0, 3, 2)]),
      feature('town', '441900003', '东城街道', [rect(0, 0, 2, 2)]),
      feature('town', '441900004', '南城街道', [rect(2, 0, 1, 2)]),
      feature('community', '441900003001', '一社区', [rect(0, 0, 1, 2)]),
      feature('community', '441900003002', '二社区', [rect(1, 0, 1, 2)]),
      feature('community', '441900004001', '三社区', [rect(2, 1)]),
      feature('community', '441900004002', '四社区', [rect(2, 0)]),
      ...grids,
    ],
  }
}

export interface Report {
  name: string
  grid: GridName | null
  category: string
  at: string
  /** Workflow actions and the hours after the report they happened. */
  steps?: [string, number][]
  status?: string
  department?: string
  duplicateOf?: string
  satisfaction?: number
}

const t = (day: string) => `${day}T08:00:00+08:00`
export const REPORTS: Report[] = [
  // A: a full cycle on time; one late, closed, reopened and dispatched again (overdue now); one only accepted.
  { name: 'A1', grid: 'A', category: 'SEC-02', at: t('2025-03-01'), steps: [['accept', 1], ['dispatch', 3], ['handle', 27], ['verify', 29], ['close', 30]], department: 'justice_bureau', satisfaction: 5 },
  { name: 'A2', grid: 'A', category: 'ENV-01', at: t('2025-03-02'), steps: [['accept', 2], ['dispatch', 4], ['handle', 40], ['verify', 41], ['close', 45], ['reopen', 50], ['dispatch', 51]], department: 'urban_management_bureau' },
  { name: 'A3', grid: 'A', category: 'CONS-01', at: t('2025-03-03'), steps: [['accept', 0.5]] },
  // Not counted: rejected, a duplicate, reported before the period.
  { name: 'A4', grid: 'A', category: 'SEC-02', at: t('2025-03-04'), status: 'rejected' },
  { name: 'A5', grid: 'A', category: 'ENV-01', at: t('2025-03-02'), duplicateOf: 'A2' },
  { name: 'A6', grid: 'A', category: 'SAFE-02', at: '2024-12-31T23:59:59+08:00' },
  // B: the first instant of the period counts, the end (exclusive) does not; B1 handled late.
  { name: 'B1', grid: 'B', category: 'FIRE-03', at: '2025-01-01T00:00:00+08:00', steps: [['accept', 1], ['dispatch', 2], ['handle', 30], ['verify', 31], ['close', 33]], department: 'fire_rescue', satisfaction: 2 },
  { name: 'B2', grid: 'B', category: 'FIRE-03', at: '2025-06-30T23:59:59+08:00' },
  { name: 'B3', grid: 'B', category: 'FIRE-03', at: '2025-07-01T00:00:00+08:00' },
  { name: 'C1', grid: 'C', category: 'SAFE-02', at: t('2025-04-01') },
  { name: 'D1', grid: 'D', category: 'ENV-01', at: t('2025-04-02') },
  { name: 'E1', grid: 'E', category: 'CONS-01', at: t('2025-05-01') },
  { name: 'E2', grid: 'E', category: 'CONS-01', at: t('2025-05-02') },
  { name: 'E3', grid: 'E', category: 'CONS-01', at: t('2025-05-03') },
  { name: 'X1', grid: null, category: 'ENV-01', at: t('2025-04-01') },
]

const MOVE: Record<string, string> = { accept: 'accepted', dispatch: 'dispatched', handle: 'handled', verify: 'verified', close: 'closed', reopen: 'reopened' }

/** Administrators: employee no → grids (P4 is inactive). */
export const ADMINISTRATORS: Record<string, { grids: GridName[]; active: boolean }> = {
  P1: { grids: ['A'], active: true },
  P2: { grids: ['A', 'B'], active: true },
  P3: { grids: ['C'], active: true },
  P4: { grids: ['D'], active: false },
  P5: { grids: ['E'], active: true },
}

/** Cells of grid A that P1's patrol visits in the period (the first third, by id); P3 patrols C before the period. */
export function patrolledCells() {
  const all = polygonToCells([gridRing('A')], 10, true).sort()
  return { gridACells: all.length, visited: all.slice(0, Math.floor(all.length / 3)) }
}

export async function seedWorkloadCity(db: Db) {
  await importUnits(db, city(), { validFrom: new Date('2020-01-01T00:00:00Z') })
  // Serving their grids since before records (as a city's list loaded once), so they answer for the whole period.
  await db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('zhiwang.assignment_from', 'unknown', true)`)
    for (const [no, a] of Object.entries(ADMINISTRATORS)) {
      const id = (await tx.query<{ id: number }>(`INSERT INTO administrator (employee_no, name, active) VALUES ($1, $2, $3) RETURNING id`, [no, `员${no}`, a.active])).rows[0]!.id
      for (const g of a.grids) await tx.query(`INSERT INTO administrator_grid (administrator_id, grid_code) VALUES ($1, $2)`, [id, GRID[g]])
    }
  })
  const ids = new Map<string, number>()
  for (const r of REPORTS) ids.set(r.name, await insertReport(db, r, ids))
  const { visited } = patrolledCells()
  await patrol(db, 'P1', '2025-02-01T09:00:00+08:00', visited)
  await patrol(db, 'P3', '2024-06-01T09:00:00+08:00', polygonToCells([gridRing('C')], 10, true))
}

async function insertReport(db: Db, r: Report, ids: Map<string, number>): Promise<number> {
  const at0 = Date.parse(r.at)
  const when = (h: number) => new Date(at0 + h * 3_600_000)
  const events: [string, string | null, string, Date][] = [['report', null, 'reported', when(0)]]
  const f: Record<string, Date | null> = { dispatched: null, deadline: null, handled: null, closed: null }
  let status = 'reported'
  for (const [action, h] of r.steps ?? []) {
    const to = MOVE[action]!
    events.push([action, status, to, when(h)])
    if (to === 'dispatched') (f.dispatched = when(h)), (f.deadline = when(h + SLA_HOURS[r.category]!))
    if (to === 'handled') f.handled = when(h)
    if (to === 'closed') f.closed = when(h)
    if (to === 'reopened') f.closed = null
    status = to
  }
  if (r.status) status = r.status
  const [col, row] = r.grid ? PLACE[r.grid] : [5, 5]
  const code = r.grid ? GRID[r.grid] : null
  const { id } = (
    await db.query<{ id: number }>(
      `INSERT INTO incident (category_code, geom, reported_at, channel, generation_id, grid_code, community_code, town_code, status, department,
                             dispatched_at, deadline_at, handled_at, closed_at, duplicate_of, satisfaction, token)
       VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, 'citizen', current_generation(), $5, left($5, 12), left($5, 9), $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING id`,
      [r.category, 113.705 + col / 100, 22.905 + row / 100, new Date(at0), code, status, r.department ?? null, f.dispatched, f.deadline, f.handled, f.closed, r.duplicateOf ? ids.get(r.duplicateOf) : null, r.satisfaction ?? null, `tok-${r.name}`],
    )
  ).rows[0]!
  for (const [action, from, to, at] of events) {
    await db.query(`INSERT INTO incident_event (incident_id, at, action, from_status, to_status) VALUES ($1, $2, $3, $4, $5)`, [id, at, action, from, to])
  }
  return id
}

async function patrol(db: Db, employeeNo: string, at: string, cells: string[]) {
  const t0 = new Date(at)
  const { id } = (
    await db.query<{ id: number }>(
      `INSERT INTO patrol_track (administrator_id, started_at, ended_at, geom, length_m)
       SELECT id, $2, $2::timestamptz + interval '1 hour', ST_GeomFromText('LINESTRING(113.70 22.91, 113.71 22.92)', 4326), 1500 FROM administrator WHERE employee_no = $1
       RETURNING id`,
      [employeeNo, t0],
    )
  ).rows[0]!
  await db.query(`INSERT INTO patrol_cell (track_id, h3, visited_at) SELECT $1, h, $3 FROM unnest($2::text[]) AS h`, [id, cells, t0])
}

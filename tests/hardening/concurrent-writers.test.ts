/**
 * Writers meeting on the same records at the same moment (QA round 10, found
 * on PostgreSQL, where requests run on several connections at once; the
 * embedded database runs one statement at a time and must answer the same).
 * Each case is what a serial order of the same requests would give: one
 * creation, no lost update, one stored copy, no 500.
 */
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
// squareCity({nx: 4, ny: 4}): grid 1 = 113.70–113.71 × 22.93–22.94 (north-west corner), numbered west→east, north→south.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ((t[s] = (t[s] ?? 0) + 1), t), {})

describeBackends('Concurrent writers', ({ db }) => {
  let app: App
  let admin: Record<string, string>
  let system: Record<string, string>
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    admin = await keyHeaders(db(), { name: 'race-admin', role: 'admin' })
    system = await keyHeaders(db(), { name: 'race-system', role: 'system' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const send = (method: 'PUT' | 'PATCH' | 'POST', url: string, payload: unknown, headers = admin) =>
    app.inject({ method, url, payload: payload as object, headers })
  const audits = async (subject: string) =>
    (await db().query<{ action: string; detail: { before: { grids: string[]; phone: string | null } | null; after: { grids: string[]; phone: string | null } } }>(
      `SELECT action, detail FROM audit_log WHERE subject = $1 ORDER BY id`, [subject])).rows

  it('creates a new administrator put by six callers at once exactly once, the others replacing it', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => send('PUT', '/api/v1/administrators/RACE-NEW', { name: `并发${k}`, phone: null, grids: [G(k)] })))
    expect(tally(answers.map((a) => a.statusCode))).toEqual({ 200: 5, 201: 1 })
    const log = await audits('administrator:RACE-NEW')
    expect(log.map((a) => a.action)).toEqual(['administrator.create', ...Array(5).fill('administrator.update')])
    // Each record's "before" is the state the one before it left.
    for (let k = 1; k < log.length; k++) expect(log[k]!.detail.before).toEqual(log[k - 1]!.detail.after)
  })

  it('keeps a grid move made by a long list when a change of one field arrives meanwhile', async () => {
    expect((await send('PUT', '/api/v1/administrators/RACE-MOVE', { name: '移动', phone: '13900000000', grids: [G(1)] })).statusCode).toBe(201)
    // The move, in a list long enough to keep its transaction open a while.
    const others = Array.from({ length: 3000 }, (_, k) => ({ employeeNo: `RACE-L${k}`, name: `名单${k}`, phone: null, active: true, grids: [G(3)] }))
    const list = send('POST', '/api/v1/administrators', { administrators: [...others, { employeeNo: 'RACE-MOVE', name: '移动', phone: '13900000000', active: true, grids: [G(2)] }] })
    await new Promise((r) => setTimeout(r, 50))
    const patch = send('PATCH', '/api/v1/administrators/RACE-MOVE', { phone: '13911111111' })
    const [l, p] = await Promise.all([list, patch])
    expect([l.statusCode, p.statusCode]).toEqual([200, 200])
    // Whichever came first, the move stands: the PATCH changed the phone only.
    const now = await app.inject({ url: '/api/v1/administrators/RACE-MOVE', headers: admin })
    expect(now.json().grids).toEqual([G(2)])
    const log = await audits('administrator:RACE-MOVE')
    for (let k = 1; k < log.length; k++) expect(log[k]!.detail.before).toEqual(log[k - 1]!.detail.after)
  })

  it('stores two lists naming the same new administrators in opposite orders one after the other', async () => {
    const entries = Array.from({ length: 200 }, (_, k) => ({ employeeNo: `RACE-O${String(k).padStart(3, '0')}`, name: `对向${k}`, phone: null, active: true, grids: [G(4)] }))
    const answers = await Promise.all([entries, [...entries].reverse()].map((administrators) => send('POST', '/api/v1/administrators', { administrators })))
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200])
    const created = answers.map((a) => a.json().created as number)
    expect(created.sort((a, b) => a - b)).toEqual([0, 200])
  })

  it('merges two incidents into each other at once: one merge wins, the other is a conflict', async () => {
    const report = async (lon: number) =>
      (await send('POST', '/api/v1/incidents', { category: 'ENV-01', lon, lat: 22.905, channel: 'system', description: 'race' }, system)).json().id as number
    for (let round = 0; round < 4; round++) {
      const [a, b] = [await report(113.701 + round * 0.002), await report(113.7015 + round * 0.002)]
      const answers = await Promise.all([[a, b], [b, a]].map(([from, into]) => send('POST', `/api/v1/incidents/${from}/transitions`, { action: 'merge', duplicateOf: into, note: 'same' })))
      expect(tally(answers.map((r) => r.statusCode)), answers.map((r) => r.body).join('\n')).toEqual({ 200: 1, 409: 1 })
    }
  })

  it('stores a patrol track sent ten times at once once', async () => {
    await db().exec(`INSERT INTO administrator (employee_no, name) VALUES ('RACE-P', '巡查')`)
    const t0 = Date.now() - 3600_000
    const track = JSON.stringify({
      type: 'Feature', properties: { times: [0, 1, 2].map((k) => new Date(t0 + k * 60_000).toISOString()) },
      geometry: { type: 'LineString', coordinates: [[113.7005, 22.935], [113.705, 22.935], [113.7095, 22.935]] },
    })
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.inject({ method: 'POST', url: '/api/v1/patrols?employeeNo=RACE-P', headers: { 'content-type': 'application/json', ...system }, payload: track })))
    expect(tally(answers.map((a) => a.statusCode))).toEqual({ 200: 9, 201: 1 })
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1)
    const stored = (await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM patrol_track t JOIN administrator a ON a.id = t.administrator_id WHERE a.employee_no = 'RACE-P'`)).rows[0]!.n
    expect(stored).toBe(1)
  })

  it('answers every row of bulk files holding the same reports in different orders, storing each once', async () => {
    const rows = Array.from({ length: 2400 }, (_, k) => ({ category: 'ENV-03', lon: 113.7005 + (k % 60) * 0.0006, lat: 22.9005 + Math.floor(k / 60) * 0.0009, channel: 'sensor', external_id: `race-bulk-${k}` }))
    const orders = [rows, [...rows].reverse(), [...rows.slice(1200), ...rows.slice(0, 1200)], [...rows].reverse()]
    const answers = await Promise.all(orders.map((order) =>
      app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...system }, payload: order.map((r) => JSON.stringify(r)).join('\n') })))
    const idOf = new Map<string, number>()
    for (const [f, res] of answers.entries()) {
      expect(res.statusCode).toBe(200)
      const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { row?: number; id?: number; summary?: { rows: number } })
      const summary = lines.at(-1)!
      expect(summary.summary, `file ${f}: ${res.body.slice(-300)}`).toBeDefined()
      const answered = lines.filter((l) => l.summary === undefined)
      expect(answered).toHaveLength(rows.length)
      for (const a of answered) {
        const key = orders[f]![a.row! - 1]!.external_id
        expect(a.id, `file ${f} row ${a.row}`).toBeGreaterThan(0)
        if (!idOf.has(key)) idOf.set(key, a.id!)
        expect(a.id).toBe(idOf.get(key))
      }
    }
    const stored = (await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM incident WHERE channel = 'sensor' AND external_id LIKE 'race-bulk-%'`)).rows[0]!.n
    expect(stored).toBe(rows.length)
  })
})

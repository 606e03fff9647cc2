/**
 * What a caller may do with other people's reports: an external id answers
 * only a true retry of its own report; a reporter's contact is shown only to
 * those who act on the case and the receipt token to nobody; each workflow
 * step is taken by the role it belongs to; merging cannot hide a report.
 */
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
// squareCity({nx: 4, ny: 4}) from 113.70, 22.90: grid 6 is 113.71–113.72 × 22.92–22.93.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`

describeBackends('Incident rights', ({ db }) => {
  let app: App
  const keys = {} as Record<'sup' | 'sys' | 'ana' | 'adm' | 'ga' | 'water', Record<string, string>>
  const report = (over: Record<string, unknown> = {}) => ({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'citizen', description: '垃圾堆积', ...over })
  const post = (url: string, body: unknown, who: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...who }, payload: JSON.stringify(body) })
  const get = (url: string, who: Record<string, string>) => app.inject({ url, headers: who })
  const step = (id: number, action: string, who: Record<string, string>, more: Record<string, unknown> = {}) => post(`/api/v1/incidents/${id}/transitions`, { action, ...more }, who)

  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().exec(`INSERT INTO administrator (employee_no, name) VALUES ('R1', '网格员乙');
      INSERT INTO administrator_grid SELECT id, '${G(6)}' FROM administrator WHERE employee_no = 'R1';`)
    for (const [name, role, more] of [
      ['sup', 'supervisor', {}], ['sys', 'system', {}], ['ana', 'analyst', {}], ['adm', 'admin', {}],
      ['ga', 'grid_admin', { administratorEmployeeNo: 'R1' }], ['water', 'department', { department: 'water_affairs' }],
    ] as const) keys[name] = await keyHeaders(db(), { name: `rights-${name}`, role, ...more })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('answers an external id only to a retry of its own report: another caller, or other content, gets 409 and learns nothing', async () => {
    const hotline = report({ channel: 'hotline', external_id: 'DG12345-1', category: 'SEC-01', description: '出租屋内疑似聚众赌博', reporter: { phone: '13900000001' } })
    const first = await post('/api/v1/incidents', hotline, keys.sys)
    expect(first.statusCode).toBe(201)
    const { id, token } = first.json()

    // Nobody without a system key speaks for the hotline: no key at all is 401 (a credential is missing), a key of another role 403.
    const posing = await post('/api/v1/incidents', report({ channel: 'hotline', external_id: 'DG12345-2' }))
    expect(posing.statusCode).toBe(401)
    expect(posing.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(posing.json().detail).toMatch(/channel hotline needs a key of role system/)
    expect((await post('/api/v1/incidents', report({ channel: 'patrol' }), keys.ana)).statusCode).toBe(403)
    expect((await post('/api/v1/incidents', report({ channel: 'patrol' }), keys.ga)).statusCode).toBe(201)

    // The same caller repeating the report: a retry, answered with the stored incident.
    const retry = await post('/api/v1/incidents', hotline, keys.sys)
    expect(retry.statusCode).toBe(200)
    expect(retry.json()).toMatchObject({ id, token, created: false, grid: G(6), unrouted: false })
    // Another caller with the very same report, or the same caller with another one: not a retry.
    for (const [body, who] of [[hotline, keys.sup], [{ ...hotline, description: 'x' }, keys.sys], [{ ...hotline, lon: 113.716 }, keys.sys], [{ ...hotline, category: 'SEC-02' }, keys.sys]] as const) {
      const res = await post('/api/v1/incidents', body, who)
      expect(res.statusCode).toBe(409)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(res.json().detail).toMatch(/already taken by a different report/)
      expect(res.body).not.toContain(token)
      expect(res.json().id).toBeUndefined()
    }
    // Citizens without a key: an identical retry gets its receipt back, anything else does not.
    const mine = report({ external_id: 'app-7f3a', description: '路灯不亮' })
    const made = (await post('/api/v1/incidents', mine)).json()
    expect((await post('/api/v1/incidents', mine)).json()).toMatchObject({ id: made.id, token: made.token, created: false })
    const guess = await post('/api/v1/incidents', { ...mine, description: '?' })
    expect(guess.statusCode).toBe(409)
    expect(guess.body).not.toContain(made.token)
    // Staff read everything else of it, never its external id: they cannot repeat it and be answered the token.
    // (The hotline's ids are shown: its retries need the system key.)
    for (const who of [keys.sup, keys.adm, keys.ga, keys.ana]) {
      const seen = (await get(`/api/v1/incidents/${made.id}`, who)).json()
      expect(seen).toMatchObject({ id: made.id, description: '路灯不亮', externalId: null })
      const listed = (await get(`/api/v1/incidents?grid=${G(6)}&limit=1000`, who)).json()
      const row = (listed.items ?? listed.features?.map((f: { properties: object }) => f.properties))?.find((r: { id: number }) => r.id === made.id)
      if (row) expect(row.externalId ?? null).toBeNull()
      expect(JSON.stringify(listed)).not.toContain('app-7f3a')
    }
    expect((await get(`/api/v1/incidents/${id}`, keys.sup)).json().externalId).toBe('DG12345-1')

    // In bulk, such a row is refused with its row number and the others are stored.
    const lines = [hotline, { ...hotline, description: '别的' }, { ...hotline, external_id: 'DG12345-3' }].map((r) => JSON.stringify(r)).join('\n')
    const bulk = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...keys.sys }, payload: lines })
    const rows = bulk.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows[0]).toMatchObject({ row: 1, id, created: false })
    expect(rows[1]).toMatchObject({ row: 2 })
    expect(rows[1].error).toMatch(/already taken by a different report/)
    expect(rows[1].token).toBeUndefined()
    expect(rows[2]).toMatchObject({ row: 3, created: true })
    expect(rows[3].summary).toMatchObject({ rows: 3, stored: 1, retried: 1, errors: 1 })
    const stored = await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM incident WHERE channel = 'hotline' AND external_id = 'DG12345-1'`)
    expect(stored.rows[0]!.n).toBe(1)
  })

  it("shows the reporter's contact only to those who act on the case and the token to nobody; a rating is given once per closing, audited", async () => {
    const { id, token } = (await post('/api/v1/incidents', report({ category: 'SAFE-03', reporter: { name: '李四', phone: '13800000002' } }))).json()
    const ana = await get(`/api/v1/incidents/${id}`, keys.ana)
    expect(ana.statusCode).toBe(200)
    expect(ana.body).not.toContain('13800000002')
    expect(ana.body).not.toContain(token)
    const sup = await get(`/api/v1/incidents/${id}`, keys.sup)
    expect(sup.json().reporter).toEqual({ name: '李四', phone: '13800000002' })
    expect(sup.body).not.toContain(token)

    const rate = (satisfaction: number) => post(`/api/v1/incidents/by-token/${token}/rating`, { satisfaction })
    expect((await rate(4)).statusCode).toBe(409) // not closed yet
    for (const action of ['accept', 'dispatch']) expect((await step(id, action, keys.ga)).statusCode).toBe(200)
    expect((await step(id, 'handle', keys.water)).statusCode).toBe(200)
    for (const action of ['verify', 'close']) expect((await step(id, action, keys.ga)).statusCode).toBe(200)
    expect((await rate(4)).json()).toEqual({ id, satisfaction: 4 })
    const again = await rate(1)
    expect(again.statusCode).toBe(409)
    expect(again.json().detail).toMatch(/already rated/)
    expect((await get(`/api/v1/incidents/${id}`, keys.sup)).json().satisfaction).toBe(4)

    // Reopened, the old rating no longer stands; closed again, it can be rated again.
    expect((await step(id, 'reopen', keys.sup, { note: '居民反映仍未解决' })).statusCode).toBe(200)
    expect((await get(`/api/v1/incidents/${id}`, keys.sup)).json().satisfaction).toBeNull()
    await step(id, 'dispatch', keys.sup)
    await step(id, 'handle', keys.water)
    await step(id, 'verify', keys.sup)
    await step(id, 'close', keys.sup)
    expect((await rate(2)).statusCode).toBe(200)
    const audit = (await get(`/api/v1/audit?subject=incident:${id}`, keys.adm)).json().items.filter((a: { action: string }) => a.action === 'incident.rate')
    expect(audit.map((a: { detail: { after: { satisfaction: number } } }) => a.detail.after.satisfaction).sort()).toEqual([2, 4])
  })

  it('lets a department only report its work handled, and merges only into a live incident the caller may see', async () => {
    const { id } = (await post('/api/v1/incidents', report({ category: 'SAFE-03', lon: 113.7155 }))).json()
    // Told about its role (a department never accepts), not about whose incident this is.
    const accepting = await step(id, 'accept', keys.water)
    expect(accepting.statusCode).toBe(403)
    expect(accepting.json().detail).toBe('"accept" is for role grid_admin, supervisor, admin; this key has role department')
    // A field the step does not take is refused by name, and the step is not taken.
    for (const [more, field] of [[{ department: 'water_affairs' }, 'department'], [{ duplicateOf: id }, 'duplicateOf']] as const) {
      const res = await step(id, 'accept', keys.ga, more)
      expect(res.statusCode).toBe(400)
      expect(res.json().detail).toMatch(new RegExp(`^body/${field} is taken by "(dispatch|merge)" only, not by "accept"$`))
    }
    expect((await get(`/api/v1/incidents/${id}`, keys.sup)).json().status).toBe('reported')
    await step(id, 'accept', keys.ga)
    await step(id, 'dispatch', keys.ga)
    expect((await step(id, 'handle', keys.ga)).statusCode).toBe(403)
    expect((await step(id, 'handle', keys.water)).statusCode).toBe(200)
    for (const action of ['verify', 'close']) {
      const res = await step(id, action, keys.water)
      expect(res.statusCode, action).toBe(403)
      expect(res.json().detail).toMatch(/is for role grid_admin, supervisor, admin/)
    }
    expect((await get(`/api/v1/incidents/${id}`, keys.sup)).json().status).toBe('handled')

    const a = (await post('/api/v1/incidents', report({ category: 'ENV-02', lon: 113.7151, lat: 22.9251 }))).json()
    const b = (await post('/api/v1/incidents', report({ category: 'ENV-02', lon: 113.7152, lat: 22.9252 }))).json()
    const elsewhere = (await post('/api/v1/incidents', report({ category: 'ENV-02', lon: 113.735, lat: 22.905 }))).json()
    // The grid administrator may not merge into an incident of another grid.
    expect((await step(b.id, 'merge', keys.ga, { duplicateOf: elsewhere.id })).statusCode).toBe(403)
    // b, reported next to a, is linked to it as a probable duplicate: merging a into b would point both at each other.
    expect((await get(`/api/v1/incidents/${b.id}`, keys.sup)).json().duplicateOf).toBe(a.id)
    const backwards = await step(a.id, 'merge', keys.sup, { duplicateOf: b.id })
    expect(backwards.statusCode).toBe(409)
    expect(backwards.json().detail).toMatch(/cycle/)
    expect((await step(b.id, 'merge', keys.ga, { duplicateOf: a.id })).statusCode).toBe(200)
    // a cannot now be merged into b, which is merged already: both would be gone.
    expect((await step(a.id, 'merge', keys.sup, { duplicateOf: b.id })).statusCode).toBe(409)
    expect((await get(`/api/v1/incidents/${a.id}`, keys.sup)).json().status).toBe('reported')
    // Reopening b says it was no duplicate after all: the link goes (and counts again in analytics), recorded in its history and the audit.
    const reopened = await step(b.id, 'reopen', keys.sup, { note: '不是同一件事' })
    expect(reopened.statusCode, reopened.body).toBe(200)
    const detail = (await get(`/api/v1/incidents/${b.id}`, keys.sup)).json()
    expect(detail).toMatchObject({ status: 'reopened', duplicateOf: null })
    const audit = (await db().query<{ detail: { before: { duplicateOf?: number } } }>(`SELECT detail FROM audit_log WHERE action = 'incident.reopen' AND subject = $1`, [`incident:${b.id}`])).rows
    expect(audit[0]!.detail.before.duplicateOf).toBe(a.id)
    // Now a may be merged into b; then b into a would close a loop.
    expect((await step(a.id, 'merge', keys.sup, { duplicateOf: b.id })).statusCode).toBe(200)
    const loop = await step(b.id, 'merge', keys.sup, { duplicateOf: a.id })
    expect(loop.statusCode).toBe(409)
    expect(loop.json().detail).toMatch(/cycle|rejected/)
  })

  it('keeps a report from before the first boundary generation, unrouted', async () => {
    const old = (await post('/api/v1/incidents', report({ reported_at: '1900-01-01T00:00:00Z' }), keys.sys)).json()
    expect(old).toMatchObject({ grid: null, unrouted: true })
    const stored = (await db().query<{ generation_id: number | null }>('SELECT generation_id FROM incident WHERE id = $1', [old.id])).rows[0]!
    expect(stored.generation_id).toBeNull()
  })
})

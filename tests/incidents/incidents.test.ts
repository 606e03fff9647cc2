import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { wgs84ToGcj02 } from '../../server/lookup/gcj02.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
// squareCity({nx: 4, ny: 4}) from 113.70, 22.90: grid 6 is 113.71–113.72 × 22.92–22.93.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`

describeBackends('Incidents', ({ db }) => {
  let app: App
  let supervisor: Record<string, string>
  const headers = () => ({ 'content-type': 'application/json', ...supervisor })
  const post = (url: string, body: unknown, extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...headers(), ...extra }, payload: typeof body === 'string' ? body : JSON.stringify(body) })
  const get = (url: string, extra: Record<string, string> = supervisor) => app.inject({ url, headers: extra })
  const count = async () => (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM incident')).rows[0]!.n
  const report = (over: Record<string, unknown> = {}) => ({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'citizen', description: '垃圾堆积', ...over })

  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    supervisor = await keyHeaders(db(), { name: 'test', role: 'supervisor' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  it('lists the category catalogue seeded from the reference CSV', async () => {
    const { items } = (await app.inject('/api/v1/incident-categories')).json()
    expect(items).toHaveLength(24)
    expect(items.find((c: { code: string }) => c.code === 'SAFE-03')).toMatchObject({ name: '防汛防风隐患', department: 'water_affairs', slaHours: 6, effortWeight: 2 })
  })

  it('lets an admin edit the catalogue, audited, and intake uses it at once', async () => {
    const admin = await keyHeaders(db(), { name: 'catalogue-admin', role: 'admin' })
    const body = { name: '井盖缺失', name_en: 'Missing manhole cover', class: 'public_facilities', department: 'urban_management_bureau', slaHours: 4, effortWeight: 1.2, attributes: [{ code: 'depth', datatype: 'number', required: false, description: '深度 (cm)' }] }
    const put = (code: string, b: unknown, h = admin) => app.inject({ method: 'PUT', url: `/api/v1/incident-categories/${code}`, headers: { 'content-type': 'application/json', ...h }, payload: b as object })
    expect((await put('FAC-04', body, supervisor)).statusCode).toBe(403)
    expect((await put('FAC-04', { ...body, slaHours: 0 })).statusCode).toBe(400)
    expect((await put('FAC-04', body)).statusCode).toBe(201)
    expect((await put('FAC-04', { ...body, slaHours: 6 })).json()).toMatchObject({ code: 'FAC-04', sla_hours: 6 })
    expect((await post('/api/v1/incidents', report({ category: 'FAC-04' }))).statusCode).toBe(201)
    const audit = (await app.inject({ url: '/api/v1/audit?subject=incident_category:FAC-04', headers: admin })).json()
    expect(audit.items.map((a: { action: string }) => a.action).sort()).toEqual(['category.create', 'category.update'])
  })

  it('routes a report to its grid, community and town, and is idempotent on (channel, external id)', async () => {
    const first = await post('/api/v1/incidents', report({ external_id: 'hotline-1', channel: 'hotline' }))
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({ created: true, grid: G(6), community: '441900003001', town: '441900003', unrouted: false })
    const retry = await post('/api/v1/incidents', report({ external_id: 'hotline-1', channel: 'hotline' }))
    expect(retry.statusCode).toBe(200)
    expect(retry.json()).toMatchObject({ id: first.json().id, created: false })
    const sameIdOtherChannel = await post('/api/v1/incidents', report({ external_id: 'hotline-1', channel: 'sensor', category: 'FIRE-01' }))
    expect(sameIdOtherChannel.json().id).not.toBe(first.json().id)
  })

  it('keeps a point outside every grid, unrouted, and converts GCJ-02 input', async () => {
    const outside = (await post('/api/v1/incidents', report({ lon: 113.9, lat: 22.95, category: 'OTH-01' }))).json()
    expect(outside).toMatchObject({ grid: null, unrouted: true })
    const out = new Float64Array(2)
    wgs84ToGcj02(113.735, 22.905, out)
    const shifted = (await post('/api/v1/incidents', report({ lon: out[0], lat: out[1], crs: 'gcj02', category: 'FAC-01' }))).json()
    expect(shifted.grid).toBe(G(16))
  })

  it('refuses bad reports with field-level reasons and stores nothing', async () => {
    const before = await count()
    for (const [body, field] of [
      [report({ category: 'NOPE-1' }), 'category'],
      [report({ lon: 'abc' }), 'lon'],
      [report({ lat: 91 }), 'lat'],
      [report({ description: 'x'.repeat(4001) }), 'description'],
      [report({ channel: 'pigeon' }), 'channel'],
      [report({ reported_at: 'yesterday' }), 'reported_at'],
    ] as const) {
      const res = await post('/api/v1/incidents', body)
      expect(res.statusCode, field).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field)
    }
    expect((await post('/api/v1/incidents', '{"category":')).statusCode).toBe(400)
    expect(await count()).toBe(before)
  })

  it("reads a reported_at without an offset, as hotline exports write it, as the city's local time (UTC+8)", async () => {
    const reportedAt = async (when: string) => {
      const res = await post('/api/v1/incidents', report({ reported_at: when, description: `time ${when}` }))
      expect(res.statusCode, when).toBe(201)
      return (await get(`/api/v1/incidents/${res.json().id}`)).json().reportedAt
    }
    expect(await reportedAt('2025-01-01T10:00:00')).toBe('2025-01-01T02:00:00.000Z')
    expect(await reportedAt('2025-01-01 10:00')).toBe('2025-01-01T02:00:00.000Z')
    expect(await reportedAt('2025-01-02')).toBe('2025-01-01T16:00:00.000Z')
    expect(await reportedAt('2025-01-01T10:00:00Z')).toBe('2025-01-01T10:00:00.000Z')
    expect((await post('/api/v1/incidents', report({ reported_at: '2025-02-30 10:00' }))).statusCode).toBe(400)
  })

  it('links a report of the same category within 50 m and 72 h to the open incident as a probable duplicate', async () => {
    const original = (await post('/api/v1/incidents', report({ category: 'CONS-02', lon: 113.7051, lat: 22.9351 }))).json()
    // ~30 m east: a probable duplicate.
    const near = (await post('/api/v1/incidents', report({ category: 'CONS-02', lon: 113.7054, lat: 22.9351 }))).json()
    expect(near.duplicateOf).toBe(original.id)
    // ~80 m away, or another category: not a duplicate.
    expect((await post('/api/v1/incidents', report({ category: 'CONS-02', lon: 113.7059, lat: 22.9351 }))).json().duplicateOf).toBeNull()
    expect((await post('/api/v1/incidents', report({ category: 'CONS-03', lon: 113.7054, lat: 22.9351 }))).json().duplicateOf).toBeNull()
    const detail = (await get(`/api/v1/incidents/${original.id}`)).json()
    expect(detail.probableDuplicates).toEqual([near.id])
    // Merging is a workflow action.
    const merged = await post(`/api/v1/incidents/${near.id}/transitions`, { action: 'merge', duplicateOf: original.id, note: '同一摊位' })
    expect(merged.json()).toMatchObject({ status: 'rejected' })
  })

  it('unlinks a report flagged as a probable duplicate that is not one, keeping its state and its step times', async () => {
    const first = (await post('/api/v1/incidents', report({ category: 'FIRE-01', lon: 113.7251, lat: 22.9151 }))).json()
    const second = (await post('/api/v1/incidents', report({ category: 'FIRE-01', lon: 113.7253, lat: 22.9151 }))).json()
    expect(second.duplicateOf).toBe(first.id)
    const step = (id: number, action: string, more: Record<string, unknown> = {}) => post(`/api/v1/incidents/${id}/transitions`, { action, ...more })
    const notLinked = await step(first.id, 'unlink')
    expect(notLinked.statusCode).toBe(409)
    expect(notLinked.json().allowed).toEqual(['accept', 'reject', 'merge'])
    expect((await step(second.id, 'close')).json().allowed).toEqual(['accept', 'reject', 'merge', 'unlink'])
    const unlinked = await step(second.id, 'unlink', { note: '两处不同的隐患' })
    expect(unlinked.statusCode, unlinked.body).toBe(200)
    expect(unlinked.json()).toMatchObject({ from: 'reported', status: 'reported' })
    const detail = (await get(`/api/v1/incidents/${second.id}`)).json()
    expect(detail).toMatchObject({ status: 'reported', duplicateOf: null })
    expect(detail.history.at(-1)).toMatchObject({ action: 'unlink', from_status: 'reported', to_status: 'reported', note: '两处不同的隐患' })
    expect((await get(`/api/v1/incidents/${first.id}`)).json().probableDuplicates).toEqual([])
    expect((await step(second.id, 'unlink')).statusCode).toBe(409)
    const audit = (await db().query<{ detail: { before: { duplicateOf?: number }; after: { status: string; duplicateOf?: number } } }>(
      `SELECT detail FROM audit_log WHERE action = 'incident.unlink' AND subject = $1`, [`incident:${second.id}`])).rows
    expect(audit).toHaveLength(1)
    expect(audit[0]!.detail.before.duplicateOf).toBe(first.id)
    expect(audit[0]!.detail.after).toEqual({ status: 'reported' })
    // The time to accept still runs from the report, not from the unlink.
    await new Promise((r) => setTimeout(r, 20))
    expect((await step(second.id, 'accept')).json().status).toBe('accepted')
    const events = (await db().query<{ action: string; at: Date; from_at: Date | null }>(`SELECT action, at, from_at FROM incident_event WHERE incident_id = $1 ORDER BY at, id`, [second.id])).rows
    expect(events.map((e) => e.action)).toEqual(['report', 'unlink', 'accept'])
    expect(events[2]!.from_at!.getTime()).toBe(events[0]!.at.getTime())
    // Merged reports are taken up again by reopen, not unlink.
    expect((await step(second.id, 'merge', { duplicateOf: first.id })).json().status).toBe('rejected')
    expect((await step(second.id, 'unlink')).json()).toMatchObject({ status: 409, allowed: ['reopen'] })
  })

  it('moves an incident through the workflow, refusing steps it does not allow', async () => {
    const { id, token } = (await post('/api/v1/incidents', report({ category: 'SAFE-03', reporter: { name: '张三', phone: '13800000000' } }))).json()
    const step = (action: string, more: Record<string, unknown> = {}) => post(`/api/v1/incidents/${id}/transitions`, { action, ...more })
    const early = await step('close')
    expect(early.statusCode).toBe(409)
    expect(early.json().allowed).toEqual(['accept', 'reject', 'merge'])
    expect((await step('accept', { note: '现场核实' })).json().status).toBe('accepted')
    const dispatched = await step('dispatch')
    expect(dispatched.json().status).toBe('dispatched')
    const detail = (await get(`/api/v1/incidents/${id}`)).json()
    expect(detail.department).toBe('water_affairs')
    // SAFE-03 has a 6-hour deadline from dispatch.
    expect(Date.parse(detail.deadlineAt) - Date.parse(detail.dispatchedAt)).toBe(6 * 3600_000)
    expect((await step('reject')).statusCode).toBe(409)
    for (const [action, status] of [['handle', 'handled'], ['verify', 'verified'], ['close', 'closed']]) {
      expect((await step(action!, { note: action })).json().status).toBe(status)
    }
    const history = (await get(`/api/v1/incidents/${id}`)).json().history
    expect(history.map((e: { action: string }) => e.action)).toEqual(['report', 'accept', 'dispatch', 'handle', 'verify', 'close'])
    expect(history[1]).toMatchObject({ actor: 'test', from_status: 'reported', to_status: 'accepted', note: '现场核实' })

    // The reporter follows it by token (no private data) and rates it once closed.
    const mine = (await get(`/api/v1/incidents/by-token/${token}`)).json()
    expect(mine.status).toBe('closed')
    expect(JSON.stringify(mine)).not.toContain('13800000000')
    const rated = await post(`/api/v1/incidents/by-token/${token}/rating`, { satisfaction: 5 })
    expect(rated.json()).toEqual({ id, satisfaction: 5 })
    expect((await post(`/api/v1/incidents/by-token/${token}/rating`, { satisfaction: 6 })).statusCode).toBe(400)
    expect((await post(`/api/v1/incidents/999999/transitions`, { action: 'accept' })).statusCode).toBe(404)
    expect((await post(`/api/v1/incidents/${id}/transitions`, { action: 'teleport' })).statusCode).toBe(400)
  })

  it('escalates overdue incidents at 0 %, 50 % and 100 % past the deadline and queues them', async () => {
    const ids: number[] = []
    for (const hoursLate of [-1, 1, 4, 7]) {
      const { id } = (await post('/api/v1/incidents', report({ category: 'SAFE-03', lon: 113.705 + ids.length * 0.01, lat: 22.905 }))).json()
      await post(`/api/v1/incidents/${id}/transitions`, { action: 'accept' })
      await post(`/api/v1/incidents/${id}/transitions`, { action: 'dispatch' })
      // Pretend the 6-hour deadline passed `hoursLate` hours ago.
      await db().query(`UPDATE incident SET dispatched_at = now() - make_interval(hours => $2 + 6), deadline_at = now() - make_interval(hours => $2) WHERE id = $1`, [id, hoursLate])
      ids.push(id)
    }
    const levels = await Promise.all(ids.map(async (id) => (await get(`/api/v1/incidents/${id}`)).json().supervisionLevel))
    expect(levels).toEqual([0, 1, 2, 3])
    const queue = (await get('/api/v1/supervision/queue')).json().items.map((i: { id: number }) => i.id)
    expect(queue).toEqual([ids[3], ids[2], ids[1]])
    const overdue = (await get('/api/v1/incidents?overdue=true')).json()
    expect(overdue.items.map((i: { id: number }) => i.id).sort()).toEqual([ids[1], ids[2], ids[3]].sort())
  })

  it('lists with filters, paging and sorting, and exports GeoJSON and CSV', async () => {
    const all = (await get('/api/v1/incidents?town=441900003&limit=5')).json()
    expect(all.numberReturned).toBe(5)
    expect(all.links.find((l: { rel: string }) => l.rel === 'next')).toBeTruthy()
    const times = all.items.map((i: { reportedAt: string }) => i.reportedAt)
    expect(times).toEqual([...times].sort().reverse())
    const env = (await get('/api/v1/incidents?category=ENV-01&grid=' + G(6))).json()
    expect(env.items.every((i: { category: string; grid: string }) => i.category === 'ENV-01' && i.grid === G(6))).toBe(true)
    // A place filter takes a comma list too: the incidents of either grid, and of no other.
    const gridsOf = async (query: string) => ((await get(`/api/v1/incidents?limit=10000&${query}`)).json() as { items: { id: number; grid: string | null }[] }).items
    const [a, b] = [...new Set((await gridsOf('')).map((i) => i.grid).filter((g) => g !== null))] as [string, string]
    expect(b).toBeDefined()
    const [inA, inB, both] = [await gridsOf(`grid=${a}`), await gridsOf(`grid=${b}`), await gridsOf(`grid=${a},${b}`)]
    expect(inA.length).toBeGreaterThan(0)
    expect(inB.length).toBeGreaterThan(0)
    expect(both.map((i) => i.id).sort()).toEqual([...inA, ...inB].map((i) => i.id).sort())
    expect((await get(`/api/v1/incidents?grid=${a},1234`)).statusCode).toBe(400)
    const geo = await get('/api/v1/incidents?format=geojson&status=closed')
    expect(geo.json().features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point' }, properties: { status: 'closed' } })
    const csv = await get('/api/v1/incidents?format=csv&limit=3')
    expect(csv.headers['content-type']).toMatch(/text\/csv/)
    expect(csv.body.split('\n')[0]).toBe('id,category,lon,lat,reportedAt,channel,grid,community,town,status,department,deadlineAt,supervisionLevel,duplicateOf,description')
    // Text a spreadsheet would run as a formula is exported as text (OWASP CSV injection); numbers stay numbers.
    const formula = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { 'content-type': 'application/json' }, payload: { category: 'ENV-01', lon: 113.7051, lat: 22.9051, channel: 'citizen', description: '=HYPERLINK("http://evil","x")' } })
    expect(formula.statusCode).toBe(201)
    const exported = (await get(`/api/v1/incidents?format=csv&limit=1000`)).body.split('\n').find((l) => l.startsWith(`${formula.json().id},`))
    expect(exported).toMatch(/^\d+,ENV-01,113\.7051,22\.9051,/)
    expect(exported!.endsWith(`"'=HYPERLINK(""http://evil"",""x"")"`)).toBe(true)
    expect((await get('/api/v1/incidents?sort=id;drop')).statusCode).toBe(400)
    const backwards = await get('/api/v1/incidents?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z')
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().detail).toMatch(/must be before to/)
    // A date is the city's midnight (UTC+8), as everywhere else; a time without an offset is ambiguous and refused.
    const ids = async (query: string) => ((await get(`/api/v1/incidents?limit=10000&${query}`)).json() as { items: { id: number }[] }).items.map((i) => i.id)
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
    const byDate = await ids(`from=${today}`)
    expect(byDate.length).toBeGreaterThan(0)
    expect(byDate).toEqual(await ids(`from=${today}T00:00:00%2B08:00`))
    expect(await ids(`to=${today}`)).toEqual(await ids(`to=${today}T00:00:00%2B08:00`))
    expect((await get(`/api/v1/incidents?from=${today}T00:00:00`)).statusCode).toBe(400)
  })

  it('takes bulk NDJSON: keeps the good rows, names the bad ones, and a retry stores nothing twice', async () => {
    const lines = Array.from({ length: 200 }, (_, k) =>
      JSON.stringify({ category: 'ENV-03', lon: 113.701 + (k % 40) * 0.001, lat: 22.901 + Math.floor(k / 40) * 0.007, channel: 'system', external_id: `bulk-${k}` }),
    )
    lines[17] = '{"category": "ENV-03", "lon": 113.7'
    lines[88] = JSON.stringify({ category: 'NOPE', lon: 113.71, lat: 22.91, channel: 'system', external_id: 'bad-88' })
    lines[150] = JSON.stringify({ category: 'ENV-03', lon: 'x', lat: 22.91, channel: 'system', external_id: 'bad-150' })
    // Text PostgreSQL cannot store is a bad row like any other, not a failed file.
    lines[160] = '{"category": "ENV-03", "lon": 113.71, "lat": 22.91, "channel": "system", "external_id": "bad-160", "description": "a \\u0000 b"}'
    lines[170] = '{"category": "ENV-03", "lon": 113.71, "lat": 22.91, "channel": "system", "external_id": "bad-170", "attributes": {"k": "\\ud800"}}'
    const send = () => app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...supervisor }, payload: lines.join('\n') + '\n' })
    const before = await count()
    const first = (await send()).body.trim().split('\n').map((l) => JSON.parse(l))
    const summary = first.pop()
    expect(summary.summary).toMatchObject({ rows: 200, stored: 195, errors: 5 })
    expect(first.filter((r) => r.error).map((r) => r.row)).toEqual([18, 89, 151, 161, 171])
    expect(first[160].error).toMatch(/\/description holds a NUL/)
    expect(first[170].error).toMatch(/\/attributes\/k holds .*unpaired surrogate/)
    expect(await count()).toBe(before + 195)
    const again = (await send()).body.trim().split('\n').map((l) => JSON.parse(l))
    expect(again.pop().summary).toMatchObject({ stored: 0, retried: 195, errors: 5 })
    expect(again.filter((r) => r.id).map((r) => r.id)).toEqual(first.filter((r) => r.id).map((r) => r.id))
    expect(await count()).toBe(before + 195)
  })

  it('answers a file that repeats its own reports, in another order, once per report', async () => {
    // Batches stored at the same time meet the same keys from opposite ends: PostgreSQL may find them
    // deadlocked and abort one, which must then be stored again, not fail the file.
    const line = (k: number) => JSON.stringify({ category: 'ENV-03', lon: 113.702 + (k % 30) * 0.001, lat: 22.902 + Math.floor(k / 30) * 0.0007, channel: 'sensor', external_id: `twice-${k}` })
    const keys = Array.from({ length: 1000 }, (_, k) => k)
    const lines = [...keys, ...keys.reverse()].map(line)
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...supervisor }, payload: lines.join('\n') })
    expect(res.statusCode).toBe(200)
    const answers = res.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(answers.pop().summary).toMatchObject({ rows: 2000, stored: 1000, retried: 1000, errors: 0 })
    expect(answers.map((a) => a.row)).toEqual(lines.map((_, k) => k + 1))
    for (let k = 0; k < 1000; k++) {
      const [first, again] = [answers[k], answers[1999 - k]] // the same report
      expect(first.id).toBe(again.id)
      expect([first.created, again.created].sort()).toEqual([false, true]) // stored once, by whichever batch came first
    }
    expect((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM incident WHERE external_id LIKE 'twice-%'`)).rows[0]!.n).toBe(1000)
  })

  it('refuses a bulk body of another type with the problem document every route answers', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/json', ...supervisor }, payload: '[]' })
    expect(res.statusCode).toBe(415)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ status: 415, instance: '/api/v1/incidents/bulk', detail: expect.stringMatching(/text\/csv; got application\/json/) })
  })

  it('takes bulk CSV and answers CSV', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/incidents/bulk',
      headers: { 'content-type': 'text/csv', ...supervisor },
      payload: 'category,lon,lat,channel,external_id,description\nENV-01,113.715,22.925,patrol,csv-1,"a, b"\nENV-01,abc,22.9,patrol,csv-2,\nENV-01,113.715,22.925,patrol,csv-3,a\u0000b\n',
    })
    const rows = res.body.trim().split('\n')
    expect(rows[0]).toBe('row,id,created,grid,unrouted,duplicate_of,error')
    expect(rows[1]).toMatch(new RegExp(`^1,\\d+,true,${G(6)},false,`))
    expect(rows[2]).toMatch(/^2,,,,,,.*lon/)
    expect(rows[3]).toMatch(/^3,,,,,,"description holds a NUL/)
  })

  it('confines a grid administrator to their own grids and a department to what was dispatched to it', async () => {
    await db().exec(`INSERT INTO administrator (employee_no, name) VALUES ('GA1', '网格员甲');
      INSERT INTO administrator_grid SELECT id, '${G(6)}' FROM administrator WHERE employee_no = 'GA1';`)
    const gridAdmin = await keyHeaders(db(), { name: 'ga1', role: 'grid_admin', administratorEmployeeNo: 'GA1' })
    const water = await keyHeaders(db(), { name: 'water', role: 'department', department: 'water_affairs' })
    const mine = (await post('/api/v1/incidents', report({ category: 'SAFE-03', lon: 113.715, lat: 22.925 }))).json()
    const other = (await post('/api/v1/incidents', report({ category: 'ENV-02', lon: 113.735, lat: 22.905 }))).json()
    expect((await get(`/api/v1/incidents/${mine.id}`, gridAdmin)).statusCode).toBe(200)
    const denied = await get(`/api/v1/incidents/${other.id}`, gridAdmin)
    expect(denied.statusCode).toBe(403)
    expect(denied.headers['content-type']).toMatch(/problem\+json/)
    const listed = (await get('/api/v1/incidents?limit=10000', gridAdmin)).json().items
    expect(listed.length).toBeGreaterThan(0)
    expect(listed.every((i: { grid: string }) => i.grid === G(6))).toBe(true)
    const move = (id: number, action: string, h: Record<string, string>) =>
      app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers: { 'content-type': 'application/json', ...h }, payload: { action } })
    expect((await move(other.id, 'accept', gridAdmin)).statusCode).toBe(403)
    expect((await move(mine.id, 'accept', gridAdmin)).json().status).toBe('accepted')
    // The department sees it only once dispatched to it.
    expect((await get(`/api/v1/incidents/${mine.id}`, water)).statusCode).toBe(403)
    await move(mine.id, 'dispatch', supervisor)
    expect((await move(mine.id, 'handle', water)).json().status).toBe('handled')
    expect((await get('/api/v1/incidents', water)).json().items.every((i: { department: string }) => i.department === 'water_affairs')).toBe(true)
    // Anonymous callers cannot list incidents at all.
    expect((await app.inject('/api/v1/incidents')).statusCode).toBe(401)
  })

  it('tells a citizen their grid and how to reach its administrators', async () => {
    await db().exec(`INSERT INTO administrator (employee_no, name, phone) VALUES ('C1', '陈静', '13807690009');
      INSERT INTO administrator_grid SELECT id, '${G(6)}' FROM administrator WHERE employee_no = 'C1';`)
    await app.lookup.refresh()
    const mine = (await app.inject('/api/v1/my-grid?lon=113.715&lat=22.925')).json()
    expect(mine.grid.code).toBe(G(6))
    expect(mine.administrators).toContainEqual({ name: '陈静', phone: '13807690009' })
  })
})

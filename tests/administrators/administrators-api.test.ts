import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { rectangle, squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

// squareCity: 12 × 10 grids of 0.01°, numbered north→south, west→east from the north-west corner (113.70, 23.00).
const G1 = '441900003001001' // lon 113.70–113.71, lat 22.99–23.00
const G2 = '441900003001002' // the next grid east
const IN_G1 = { lon: 113.705, lat: 22.995 }
const IN_G2 = { lon: 113.715, lat: 22.995 }
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describeBackends('Grid administrators: writing, history and lookups', ({ db }) => {
  let app: App
  let admin: Record<string, string>
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 12, ny: 10 }), { validFrom: new Date('2021-01-01T00:00:00Z') })
    admin = await keyHeaders(db(), { name: 'personnel office', role: 'admin' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  const call = async (method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = admin) => {
    const res = await app.inject({ method, url, payload: payload as object, headers })
    return { status: res.statusCode, type: res.headers['content-type'], location: res.headers.location, body: res.json() }
  }
  const lookup = async (p: { lon: number; lat: number }, at?: Date) =>
    (await call('GET', `/api/v1/lookup?lon=${p.lon}&lat=${p.lat}${at ? `&at=${encodeURIComponent(at.toISOString())}` : ''}`, undefined, {})).body
  const namesAt = async (p: { lon: number; lat: number }, at?: Date) => (await lookup(p, at)).administrators.map((a: { name: string }) => a.name)
  const audits = async (subject: string) =>
    (await db().query<{ action: string; actor: string; detail: { before: unknown; after: unknown } }>(`SELECT action, actor, detail FROM audit_log WHERE subject = $1 ORDER BY id`, [subject])).rows

  it('creates, replaces and changes an administrator; lookups and my-grid name them at once; each change is audited', async () => {
    const created = await call('PUT', '/api/v1/administrators/DG-7001', { name: '周婷', phone: '13807697001', grids: [G1] })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(created.location).toBe('/api/v1/administrators/DG-7001')
    expect(created.body).toMatchObject({ employeeNo: 'DG-7001', name: '周婷', phone: '13807697001', active: true, grids: [G1] })
    expect(await namesAt(IN_G1)).toEqual(['周婷'])
    expect((await call('GET', `/api/v1/my-grid?lon=${IN_G1.lon}&lat=${IN_G1.lat}`, undefined, {})).body.administrators).toEqual([{ name: '周婷', phone: '13807697001' }])

    // The same state again: 200, nothing to audit.
    const again = await call('PUT', '/api/v1/administrators/DG-7001', { name: '周婷', phone: '13807697001', grids: [G1] })
    expect(again.status).toBe(200)
    expect((await audits('administrator:DG-7001')).map((a) => a.action)).toEqual(['administrator.create'])

    const moved = await call('PATCH', '/api/v1/administrators/DG-7001', { grids: [G2] })
    expect(moved.status, JSON.stringify(moved.body)).toBe(200)
    expect(moved.body).toMatchObject({ name: '周婷', phone: '13807697001', grids: [G2] })
    expect(await namesAt(IN_G1)).toEqual([])
    expect(await namesAt(IN_G2)).toEqual(['周婷'])

    const log = await audits('administrator:DG-7001')
    expect(log.map((a) => a.action)).toEqual(['administrator.create', 'administrator.update'])
    expect(log[1]).toMatchObject({ actor: 'personnel office', detail: { before: { grids: [G1] }, after: { grids: [G2] } } })
  })

  it('keeps who served which grid when, and a lookup "as of" a moment names the administrators of then', async () => {
    expect((await call('PUT', '/api/v1/administrators/DG-7002', { name: '黄磊', grids: [G1] })).status).toBe(201)
    await pause(30)
    const whileOnG1 = new Date()
    await pause(30)
    expect((await call('PATCH', '/api/v1/administrators/DG-7002', { grids: [G2] })).status).toBe(200)
    await pause(30)
    const whileOnG2 = new Date()
    await pause(30)
    expect((await call('PATCH', '/api/v1/administrators/DG-7002', { active: false })).status).toBe(200)
    const after = new Date(Date.now() + 1)

    expect(await namesAt(IN_G1, whileOnG1)).toContain('黄磊')
    expect(await namesAt(IN_G2, whileOnG1)).not.toContain('黄磊')
    expect(await namesAt(IN_G1, whileOnG2)).not.toContain('黄磊')
    expect(await namesAt(IN_G2, whileOnG2)).toContain('黄磊')
    expect(await namesAt(IN_G2, after)).not.toContain('黄磊')
    const unitAt = async (code: string, at: Date) => (await call('GET', `/api/v1/units/${code}?at=${encodeURIComponent(at.toISOString())}`, undefined, {})).body.properties.administrators.map((a: { name: string }) => a.name)
    expect(await unitAt(G1, whileOnG1)).toContain('黄磊')
    expect(await unitAt(G1, whileOnG2)).not.toContain('黄磊')
    expect(await unitAt(G2, whileOnG2)).toContain('黄磊')
    expect(await namesAt(IN_G2)).not.toContain('黄磊') // inactive: no longer named today
    // Before anyone was assigned.
    expect(await namesAt(IN_G1, new Date('2022-01-01T00:00:00Z'))).toEqual([])
    // fields= still picks.
    expect(Object.keys(await (await call('GET', `/api/v1/lookup?lon=${IN_G1.lon}&lat=${IN_G1.lat}&at=${encodeURIComponent(whileOnG1.toISOString())}&fields=grid`, undefined, {})).body)).toEqual(['grid'])

    const view = (await call('GET', '/api/v1/administrators/DG-7002', undefined, {})).body
    expect(view).toMatchObject({ active: false, grids: [G2], phone: null })
    expect(view.assignments.map((a: { grid: string }) => a.grid)).toEqual([G1, G2])
    const [first, second] = view.assignments as { from: string; to: string }[]
    expect(Date.parse(first!.from)).toBeLessThan(whileOnG1.getTime())
    expect(first!.to).toBe(second!.from) // moved in one transaction
    expect(Date.parse(second!.from)).toBeGreaterThan(whileOnG1.getTime())
    expect(Date.parse(second!.to)).toBeGreaterThan(whileOnG2.getTime())
  })

  it('dates assignments nobody recorded the start of as "since before records"', async () => {
    await db().exec(`BEGIN;
      SELECT set_config('zhiwang.assignment_from', 'unknown', true);
      INSERT INTO administrator (employee_no, name) VALUES ('DG-OLD', '老陈');
      INSERT INTO administrator_grid SELECT id, '${G1}' FROM administrator WHERE employee_no = 'DG-OLD';
      COMMIT;`)
    await app.lookup.changed()
    expect(await namesAt(IN_G1, new Date('2021-06-01T00:00:00Z'))).toEqual(['老陈'])
    expect(await namesAt(IN_G1)).toContain('老陈')
    expect((await call('GET', '/api/v1/administrators/DG-OLD', undefined, {})).body.assignments).toEqual([{ grid: G1, from: null, to: null }])

    // Through the API: since=unknown, for a city loading the list it already had.
    const past = new Date('2021-06-01T00:00:00Z')
    const loaded = await call('POST', '/api/v1/administrators?since=unknown', { administrators: [{ employeeNo: 'DG-OLD2', name: '老李', grids: [G2, G1] }] })
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200)
    expect(await namesAt(IN_G2, past)).toEqual(['老李'])
    expect((await call('PUT', '/api/v1/administrators/DG-OLD3?since=unknown', { name: '老王', grids: [G2] })).status).toBe(201)
    expect(await namesAt(IN_G2, past)).toEqual(['老李', '老王'])
    const view = async (no: string) => (await call('GET', `/api/v1/administrators/${no}`, undefined, {})).body.assignments as { grid: string; from: string | null; to: string | null }[]
    expect(await view('DG-OLD2')).toEqual([{ grid: G1, from: null, to: null }, { grid: G2, from: null, to: null }])
    // Once an administrator's history holds a dated moment, what they take on begins now, whatever since says:
    // a null start would claim they had served it all along.
    const t0 = Date.now()
    expect((await call('PATCH', '/api/v1/administrators/DG-OLD3?since=unknown', { active: false })).status).toBe(200)
    expect((await call('PATCH', '/api/v1/administrators/DG-OLD3?since=unknown', { active: true, grids: [G1] })).status).toBe(200)
    const back = await view('DG-OLD3')
    expect(back.map((a) => [a.grid, a.from === null, a.to === null])).toEqual([[G2, true, false], [G1, false, true]])
    expect(Date.parse(back[1]!.from!)).toBeGreaterThanOrEqual(t0 - 1000)
    expect(await namesAt(IN_G1, past)).not.toContain('老王')
    // Moved with since=unknown after a history "since before records": the new grid begins now, where the old one ends.
    expect((await call('PUT', '/api/v1/administrators/DG-OLD5?since=unknown', { name: '老周', grids: [G1] })).status).toBe(201)
    expect((await call('PATCH', '/api/v1/administrators/DG-OLD5?since=unknown', { grids: [G2] })).status).toBe(200)
    const moved = await view('DG-OLD5')
    expect(moved.map((a) => [a.grid, a.from === null, a.to === null])).toEqual([[G1, true, false], [G2, false, true]])
    expect(moved[1]!.from).toBe(moved[0]!.to)
    expect(await namesAt(IN_G2, past)).not.toContain('老周')
    expect(await namesAt(IN_G1, past)).toContain('老周')
    // The same through a list: DG-OLD2 (all undated) moves off G2; a newcomer in the same list still starts undated.
    const list = await call('POST', '/api/v1/administrators?since=unknown', { administrators: [{ employeeNo: 'DG-OLD2', name: '老李', grids: [G1] }, { employeeNo: 'DG-OLD6', name: '老吴', grids: [G2] }] })
    expect(list.body).toEqual({ created: 1, updated: 1, unchanged: 0 })
    expect((await view('DG-OLD2')).map((a) => [a.grid, a.from === null, a.to === null])).toEqual([[G1, true, true], [G2, true, false]])
    expect(await view('DG-OLD6')).toEqual([{ grid: G2, from: null, to: null }])

    const bad = await call('PUT', '/api/v1/administrators/DG-OLD4?since=2020-01-01', { name: '老赵', grids: [G2] })
    expect(bad.status).toBe(400)
    expect(bad.type).toMatch(/^application\/problem\+json/)
    expect(JSON.stringify(bad.body)).toContain('since')
    expect((await call('GET', '/api/v1/administrators/DG-OLD4', undefined, {})).status).toBe(404)
  })

  it('loads a city list in one transaction: all of it, or nothing when one grid is unknown', async () => {
    const list = Array.from({ length: 50 }, (_, i) => ({ employeeNo: `DG-8${String(i).padStart(3, '0')}`, name: `网格员${i}`, grids: [i % 2 ? G1 : G2] }))
    const bad = structuredClone(list)
    bad[37]!.grids = [G1, '441900003009999']
    const refused = await call('POST', '/api/v1/administrators', { administrators: bad })
    expect(refused.status).toBe(400)
    expect(refused.type).toMatch(/^application\/problem\+json/)
    expect(refused.body.detail).toContain('441900003009999')
    expect(refused.body.errors).toEqual([{ where: 'body/administrators/37/grids/1', message: '441900003009999 is not a grid of the current generation' }])
    expect((await call('GET', '/api/v1/administrators?q=DG-8', undefined, {})).body.numberMatched).toBe(0)

    const loaded = await call('POST', '/api/v1/administrators', { administrators: list })
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200)
    expect(loaded.body).toEqual({ created: 50, updated: 0, unchanged: 0 })
    expect((await call('GET', '/api/v1/administrators?q=DG-8&limit=100', undefined, {})).body.numberMatched).toBe(50)
    expect(await namesAt(IN_G1)).toContain('网格员1')

    list[3]!.name = '网格员三'
    expect((await call('POST', '/api/v1/administrators', { administrators: list })).body).toEqual({ created: 0, updated: 1, unchanged: 49 })

    const twice = await call('POST', '/api/v1/administrators', { administrators: [list[0], list[1], list[0]] })
    expect(twice.status).toBe(400)
    expect(twice.body.errors).toEqual([{ where: 'body/administrators/2/employeeNo', message: 'repeats body/administrators/0' }])
  })

  it('refuses what it cannot store with a problem saying what and where, and leaves the administrator as it was', async () => {
    expect((await call('PUT', '/api/v1/administrators/DG-7003', { name: '林峰', grids: [G1] })).status).toBe(201)
    const unknownGrid = await call('PATCH', '/api/v1/administrators/DG-7003', { name: '林峰二', grids: [G2, '441900003009999'] })
    expect(unknownGrid.status).toBe(400)
    expect(unknownGrid.body.errors).toEqual([{ where: 'body/grids/1', message: '441900003009999 is not a grid of the current generation' }])
    expect((await call('GET', '/api/v1/administrators/DG-7003')).body).toMatchObject({ name: '林峰', grids: [G1] })

    for (const [body, where] of [[{}, ''], [{ grids: 'x' }, 'grids'], [{ name: '' }, 'name'], [{ shoeSize: 42 }, '']] as const) {
      const res = await call('PATCH', '/api/v1/administrators/DG-7003', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.type).toMatch(/^application\/problem\+json/)
      if (where) expect(JSON.stringify(res.body)).toContain(where)
    }
    expect((await call('PUT', '/api/v1/administrators/DG-7004', { name: '缺网格' })).status).toBe(400)
    expect((await call('PATCH', '/api/v1/administrators/NOBODY', { active: false })).status).toBe(404)
    expect((await call('GET', '/api/v1/administrators/NOBODY')).status).toBe(404)
    // An employee number over its 100 characters is named as such by the schema.
    const long = await call('PUT', `/api/v1/administrators/${'E'.repeat(150)}`, { name: '长号', grids: [G1] })
    expect(long.status).toBe(400)
    expect(long.body.detail).toMatch(/employeeNo/)
    expect(long.body.detail).toMatch(/100/)
    // '.' and '..' would be resolved away by clients: never employee numbers.
    expect((await call('PUT', '/api/v1/administrators/%2E', { name: '点', grids: [G1] })).status).toBe(400)
    const dots = await call('POST', '/api/v1/administrators', { administrators: [{ employeeNo: '..', name: '点', grids: [G1] }] })
    expect(dots.status).toBe(400)
    expect(JSON.stringify(dots.body)).toContain('administrators/0/employeeNo')
    // Up to 100 characters are an employee number everywhere the API takes one: patrols of such an administrator too.
    const sixty = `E${'6'.repeat(59)}`
    expect((await call('PUT', `/api/v1/administrators/${sixty}`, { name: '长工号', grids: [G1] })).status).toBe(201)
    const tracks = await call('GET', `/api/v1/patrols?employeeNo=${sixty}`)
    expect(tracks.status, JSON.stringify(tracks.body)).toBe(200)
    const track = { type: 'LineString', coordinates: [[IN_G1.lon, IN_G1.lat], [IN_G1.lon + 0.001, IN_G1.lat]], properties: {} }
    const posted = await app.inject({ method: 'POST', url: `/api/v1/patrols?employeeNo=${sixty}`, payload: track, headers: admin })
    expect(posted.statusCode, posted.body).not.toBe(400)

    const planner = await keyHeaders(db(), { name: 'a planner', role: 'planner' })
    expect((await call('PATCH', '/api/v1/administrators/DG-7003', { active: false }, planner)).status).toBe(403)
    expect((await call('PATCH', '/api/v1/administrators/DG-7003', { active: false }, {})).status).toBeGreaterThanOrEqual(401)
    expect((await call('GET', '/api/v1/administrators/DG-7003')).body).toMatchObject({ active: true })
  })

  it('lets another server on the same database name the new administrators at its next poll', async () => {
    const other = await buildApp({ db: db() })
    try {
      const before = await other.inject(`/api/v1/lookup?lon=${IN_G2.lon}&lat=${IN_G2.lat}`)
      expect(before.json().administrators.map((a: { name: string }) => a.name)).not.toContain('吴昊')
      expect((await call('PUT', '/api/v1/administrators/DG-7006', { name: '吴昊', grids: [G2] })).status).toBe(201)
      await other.lookup.refresh() // what its poll does every few seconds
      const after = await other.inject(`/api/v1/lookup?lon=${IN_G2.lon}&lat=${IN_G2.lat}`)
      expect(after.json().administrators.map((a: { name: string }) => a.name)).toContain('吴昊')
    } finally {
      await other.close()
    }
  })

  it("gives a grid administrator's key the new grids at once", async () => {
    expect((await call('PUT', '/api/v1/administrators/DG-7005', { name: '郑洁', grids: [G1] })).status).toBe(201)
    const own = await keyHeaders(db(), { name: '郑洁的钥匙', role: 'grid_admin', administratorEmployeeNo: 'DG-7005' })
    expect((await call('GET', '/api/v1/me', undefined, own)).body.grids).toEqual([G1])
    expect((await call('PATCH', '/api/v1/administrators/DG-7005', { grids: [G1, G2] })).status).toBe(200)
    expect((await call('GET', '/api/v1/me', undefined, own)).body.grids).toEqual([G1, G2])
  })
  it('ends the assignments to grids a new boundary generation no longer has, and says whose', async () => {
    const G119 = '441900003001119'
    const G120 = '441900003001120' // the south-east corner; 119 is west of it
    expect((await call('PUT', '/api/v1/administrators/DG-7010', { name: '钱琳', phone: '13807697010', grids: [G1, G120] })).status).toBe(201)
    const city = squareCity({ nx: 12, ny: 10 })
    city.features = city.features.filter((f) => f.properties.code !== G120)
    city.features.find((f) => f.properties.code === G119)!.geometry.coordinates = [rectangle(113.8, 22.9, 113.82, 22.91)]
    const imported = await call('POST', '/api/v1/units/import', city)
    expect(imported.status, JSON.stringify(imported.body).slice(0, 300)).toBe(201)
    expect(imported.body.administratorsUnassigned).toEqual([{ employeeNo: 'DG-7010', grid: G120 }])
    const validFrom = imported.body.generation.validFrom as string

    const view = (await call('GET', '/api/v1/administrators/DG-7010')).body
    expect(view.grids).toEqual([G1])
    expect(view.assignments.find((a: { grid: string }) => a.grid === G120)).toMatchObject({ to: validFrom })
    // Before the new generation, the old grid and its administrator are still the answer.
    const before = new Date(Date.parse(validFrom) - 1)
    const unit = (await call('GET', `/api/v1/units/${G120}?at=${encodeURIComponent(before.toISOString())}`, undefined, {})).body
    expect(unit.properties.administrators.map((a: { name: string }) => a.name)).toContain('钱琳')
    const audit = (await db().query<{ detail: { administratorsUnassigned?: unknown } }>(`SELECT detail FROM audit_log WHERE action = 'units.import' ORDER BY id DESC LIMIT 1`)).rows[0]!
    expect(audit.detail.administratorsUnassigned).toEqual([{ employeeNo: 'DG-7010', grid: G120 }])
  })

  it("does not give a deactivated administrator's phone to the public, today or as of a past moment", async () => {
    expect((await call('PUT', '/api/v1/administrators/DG-7011', { name: '孙悦', phone: '13807697011', grids: [G1] })).status).toBe(201)
    const serving = new Date()
    await pause(20)
    expect((await call('PATCH', '/api/v1/administrators/DG-7011', { active: false })).status).toBe(200)
    const unit = (await call('GET', `/api/v1/units/${G1}`, undefined, {})).body.properties.administrators.find((a: { employeeNo: string }) => a.employeeNo === 'DG-7011')
    expect(unit).toMatchObject({ active: false, phone: null })
    const keyed = (await call('GET', `/api/v1/units/${G1}`)).body.properties.administrators.find((a: { employeeNo: string }) => a.employeeNo === 'DG-7011')
    expect(keyed.phone).toBe('13807697011') // staff still reach them
    const then = (await lookup(IN_G1, serving)).administrators.find((a: { employeeNo: string }) => a.employeeNo === 'DG-7011')
    expect(then).toMatchObject({ name: '孙悦', phone: null })
  })
})

/**
 * Numbers and rows as text: query strings and streamed rows are text, and
 * what JavaScript would read into them (hex, Infinity, an id past 2^53, a
 * bare JSON number as a row) must come back as a clear 4xx or an error row —
 * never a 500, a wrong answer, or a server that goes down.
 */
import { Readable } from 'node:stream'
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { databaseChecksum as checksum } from '../helpers/db-checksum.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
// squareCity({nx: 4, ny: 4}) from 113.70, 22.90: grid 6 is 113.71–113.72 × 22.92–22.93.
const G6 = '441900003001006'

describeBackends('Numbers and rows as text', ({ db }) => {
  let app: App
  let sup: Record<string, string>
  let adm: Record<string, string>
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    sup = await keyHeaders(db(), { name: 'text-sup', role: 'supervisor' })
    adm = await keyHeaders(db(), { name: 'text-adm', role: 'admin' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })

  const problem = async (url: string, headers: Record<string, string> = {}, name?: string) => {
    const res = await app.inject({ url, headers })
    expect(res.statusCode, `${url} → ${res.body.slice(0, 200)}`).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    if (name) expect(JSON.stringify(res.json()), url).toContain(name)
    return res.json()
  }

  it('names the path or query parameter holding a NUL or half a surrogate pair, as it does in bodies', async () => {
    for (const [url, where] of [
      ['/api/v1/administrators?q=a%00b', 'querystring/q'],
      ['/api/v1/units?q=%00', 'querystring/q'],
      ['/api/v1/administrators/a%00b', 'params/employeeNo'],
    ] as const) {
      const body = await problem(url, adm)
      expect(body.errors, url).toEqual([{ where, message: 'holds a character text cannot store' }])
    }
    expect((await app.inject({ url: '/api/v1/units?q=%E4%B8%9C', headers: adm })).statusCode).toBe(200)
  })

  it('refuses a JSON body that is not UTF-8, saying which byte, and stores nothing', async () => {
    const before = await checksum(db())
    const valid = Buffer.from(JSON.stringify({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'system', description: 'ab' }))
    const at = valid.indexOf('"ab"') + 2
    for (const bad of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80] /* a surrogate */, [0xc0, 0xaf] /* overlong */]) {
      const body = Buffer.concat([valid.subarray(0, at), Buffer.from(bad), valid.subarray(at)])
      const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-type': 'application/json' }, payload: body })
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().detail).toContain(`not UTF-8: the bytes from position ${at}`)
      expect(res.json().position).toEqual({ offset: at })
    }
    expect(await checksum(db())).toBe(before)
    // The same report in UTF-8, Chinese included, is taken.
    const ok = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-type': 'application/json' }, payload: Buffer.from(JSON.stringify({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'system', description: '东莞 ✓ 𠀋' })) })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json().grid).toBe(G6)
  })

  it('refuses a JSON object that names a field twice (the last would win silently), in a report and in a bulk row', async () => {
    const before = await checksum(db())
    const twice = '{"category":"ENV-01","lon":113.715,"lat":22.925,"channel":"system","external_id":"dup-key","l\\u006fn":0}'
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-type': 'application/json' }, payload: twice })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().detail).toMatch(/names "lon" twice in one object \(again at position \d+\)/)
    const bulk = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': 'application/x-ndjson' }, payload: `${twice}\n` })
    expect(JSON.parse(bulk.body.trim().split('\n')[0]!).error).toMatch(/names "lon" twice/)
    expect(await checksum(db())).toBe(before)
    // The same name in different objects, or as a value, is no duplicate.
    const fine = '{"category":"ENV-01","lon":113.715,"lat":22.925,"channel":"system","reporter":{"lon":"x","name":"lon"},"attributes":{},"description":"lon"}'
    expect((await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-type': 'application/json' }, payload: fine })).statusCode).toBe(201)
  })

  it('refuses names that hold control characters, line breaks or bidirectional overrides, wherever a name is given', async () => {
    const send = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
      app.inject({ method, url, headers: { ...adm, 'content-type': 'application/json' }, payload: payload as object })
    const plan = await send('POST', '/api/v1/plans', { scope: '441900003001' })
    expect(plan.statusCode, plan.body).toBe(201)
    const id = plan.json().plan.id as number
    for (const name of ['a\u0007b', 'red \u001b[31m', 'two\nlines', 'x\u2028y', 'evil\u202Etxt.exe', 'iso\u2066late', '   ']) {
      for (const [what, res] of [
        ['plan', await send('POST', '/api/v1/plans', { scope: '441900003001', name })],
        ['rename', await send('POST', `/api/v1/plans/${id}/edits`, { op: 'rename', grid: G6, name })],
        ['key', await send('POST', '/api/v1/keys', { name, role: 'analyst' })],
        ['administrator', await send('PUT', '/api/v1/administrators/A-1', { name, phone: null, grids: [G6] })],
      ] as const) {
        expect(res.statusCode, `${what} ${JSON.stringify(name)}: ${res.body}`).toBe(400)
        expect(res.json().detail, what).toContain('must be a name on one line')
      }
      const city = squareCity({ nx: 1, ny: 1 }) as { features: { properties: Record<string, unknown> }[] }
      city.features.at(-1)!.properties.name = name
      const imported = await app.inject({ method: 'POST', url: '/api/v1/units/import?dryRun=true', headers: { ...adm, 'content-type': 'application/json' }, payload: city as object })
      expect(imported.statusCode, imported.body).toBe(200) // a dry run answers its report
      expect(imported.json()).toMatchObject({ valid: false, errors: [{ check: 'name' }] })
    }
    expect((await send('POST', `/api/v1/plans/${id}/edits`, { op: 'rename', grid: G6, name: '东城 Dongcheng (北) — 6', version: 1 })).statusCode).toBe(200)
  })

  it('takes only plain finite decimals where the query string or path holds a number', async () => {
    expect((await app.inject('/api/v1/lookup?lon=113.715&lat=22.925')).json().grid.code).toBe(G6)
    for (const lon of ['Infinity', '-Infinity', '1e400', '0x71', '0b1', '1_0']) {
      await problem(`/api/v1/lookup?lon=${lon}&lat=22.925`, {}, 'lon')
      await problem(`/api/v1/lookup?lon=${lon}&lat=22.925&nearest=true`, {}, 'lon')
      await problem(`/api/v1/my-grid?lon=${lon}&lat=22.925`, {}, 'lon')
    }
    for (const id of ['9223372036854775808', '9223372036854775807', '1e30']) await problem(`/api/v1/incidents/${id}`, sup)
    await problem('/api/v1/incidents?offset=99999999999999999999&limit=1', sup, 'offset')
    for (const bbox of ['1.2.3,2,3,4', '0x1,2,3,4', '1,2,3']) {
      await problem(`/api/v1/incidents?bbox=${bbox}`, sup, 'bbox')
      await problem(`/api/v1/units?bbox=${bbox}`, {}, 'bbox')
    }
    const made = (await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'OTH-01', lon: 113.715, lat: 22.925, channel: 'system' } })).json()
    const before = await checksum(db())
    const merge = await app.inject({ method: 'POST', url: `/api/v1/incidents/${made.id}/transitions`, headers: { ...sup, 'content-type': 'application/json' }, payload: '{"action":"merge","duplicateOf":99999999999999999999}' })
    expect(merge.statusCode).toBe(400)
    expect(await checksum(db())).toBe(before)
  })

  it('answers every row of a lookup stream in order, whatever the row holds, and stays up', async () => {
    const long = JSON.stringify({ lon: 113.715, lat: 22.925, id: 'x'.repeat(70 * 1024) })
    const lines = ['\uFEFF[113.715,22.925]', '42', '"text"', 'true', 'null', '{"lon":113.715,"lat":22.925,"id":"a"}', long, '[1e400,22.9]', '{"lon":113.735,"lat":22.905}']
    const res = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') })
    expect(res.statusCode).toBe(200)
    const rows = res.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(rows[0]).toMatchObject({ grid: G6 })
    for (const k of [1, 2, 3, 4, 6, 7]) expect(rows[k].error, `row ${k + 1}`).toMatch(/\S/)
    expect(rows[6].error).toMatch(/over 64 KiB/)
    expect(rows[5]).toMatchObject({ id: 'a', grid: G6 })
    expect(rows[8].grid).toBe('441900003001016')
    expect((await app.inject('/health/live')).statusCode).toBe(200)

    // CSV: the header is checked before anything is answered; a byte-order mark is not part of it; hex is not a number.
    const noColumns = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', headers: { 'content-type': 'text/csv' }, payload: 'foo,bar\n113.7,23\n' })
    expect(noColumns.statusCode).toBe(400)
    expect(noColumns.headers['content-type']).toContain('application/problem+json')
    expect(noColumns.json().detail).toMatch(/needs a lon column .* "foo", "bar"/)
    const csv = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', headers: { 'content-type': 'text/csv' }, payload: '\uFEFFlon,lat\n113.715,22.925\n0x71,22.925\n' })
    const [header, first, second] = csv.body.trim().split('\n')
    expect(header).toBe('row,lon,lat,grid,community,town,on_boundary,error')
    expect(first).toMatch(new RegExp(`^1,113.715,22.925,${G6},`))
    expect(second).toMatch(/^2,0x71,22.925,,,,,"lon\/lat must be numbers/)
    // A quote that never closes swallows the lines after it: that row says so, the rows before it are answered.
    const unclosed = await app.inject({ method: 'POST', url: '/api/v1/lookup/batch', headers: { 'content-type': 'text/csv' }, payload: 'lon,lat,name\n113.715,22.925,a\n113.715,22.925,"unterminated\n113.735,22.905,b\n' })
    const answered = unclosed.body.trim().split('\n')
    expect(answered).toHaveLength(3)
    expect(answered[1]).toMatch(new RegExp(`^1,113.715,22.925,a,${G6},`))
    expect(answered[2]).toMatch(/^2,,,,.*quoted cell that never closes/)
    const bulk = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': 'text/csv' },
      payload: 'category,lon,lat,channel,description\nENV-03,113.715,22.925,hotline,"never closed\nENV-03,113.715,22.925,hotline,x\n' })
    expect(bulk.body.trim().split('\n')[1]).toMatch(/^1,.*quoted cell that never closes/)
    // A CSV without the columns a report needs says they are missing, not "unknown category null".
    const bare = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': 'text/csv' }, payload: 'channel,description\nhotline,x\n' })
    const row = bare.body.trim().split('\n')[1]!
    for (const field of ['category', 'lon', 'lat']) expect(row).toContain(`${field} is missing (no column of that name)`)
    expect(row).not.toMatch(/null/)
    // A JSON report: a body that is no object is said so plainly; a number too large for a double is not shown as null.
    const post = (payload: string) => app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-type': 'application/json' }, payload })
    expect((await post('[1,2]')).json().detail).toBe('Incident rejected: an incident must be a JSON object')
    const huge = (await post('{"category":"ENV-01","lon":1e999,"lat":22.925,"channel":"system"}')).json()
    expect(huge.detail).toMatch(/lon must be within −180…180, got Infinity \(the number sent is too large/)
  })

  it('answers a refused stream over a real socket, and refuses JSON nested past 64 levels as a problem', async () => {
    // Over HTTP, not inject: refusing the CSV header must not take the connection (and the answer) down with the body.
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      for (const body of ['lon\n113.7\n', 'foo,bar\n113.7,23\n'.repeat(2000)]) {
        const res = await fetch(`${url}/api/v1/lookup/batch`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body })
        expect(res.status).toBe(400)
        expect(res.headers.get('content-type')).toContain('application/problem+json')
        expect(((await res.json()) as { detail: string }).detail).toMatch(/needs a lon column/)
      }
      const deepRow = await fetch(`${url}/api/v1/lookup/batch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${'['.repeat(30000)}${']'.repeat(30000)}\n[113.715,22.925]\n` })
      const rows = (await deepRow.text()).trim().split('\n').map((l) => JSON.parse(l))
      expect(rows[0].error).toMatch(/deeper than 64 levels/)
      expect(rows[1]).toMatchObject({ row: 2, grid: G6 })
      const deep = `{"points":${'['.repeat(100000)}${']'.repeat(100000)}}`
      for (const [path, headers] of [['/api/v1/lookup/batch', {}], ['/api/v1/incidents', sup]] as const) {
        const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: path.includes('incidents') ? `{"category":"OTH-01","lon":113.7,"lat":22.9,"channel":"system","attributes":${deep}}` : deep })
        expect(res.status, path).toBe(400)
        expect(((await res.json()) as { detail: string }).detail).toMatch(/deeper than 64 levels/)
      }
      // A filter a table does not apply is refused by name, not ignored.
      for (const path of ['/api/v1/analytics/workload?categories=FIRE-03', '/api/v1/analytics/supervision?channels=sensor', '/api/v1/analytics/series?parent=441900003']) {
        const res = await fetch(`${url}${path}`, { headers: sup })
        expect(res.status, path).toBe(400)
        expect(JSON.stringify(await res.json()), path).toMatch(/categories|channels|parent/)
      }
      // A URL Fastify cannot decode is a problem document too.
      const bad = await fetch(`${url}/api/v1/units/%E0%A4%A`)
      expect(bad.status).toBe(400)
      expect(bad.headers.get('content-type')).toContain('application/problem+json')
      // A year PostgreSQL cannot hold, or one the drivers would read back as 19xx, is the request's fault: 400, not 500.
      for (const year of ['0000', '0050']) {
        const early = await fetch(`${url}/api/v1/lookup?lon=113.715&lat=22.925&at=${year}-01-01T00:00:00Z`)
        expect(early.status, year).toBe(400)
        for (const path of [`/api/v1/analytics/series?from=${year}-01-01&to=${year}-04-01&step=month`, `/api/v1/analytics/h3?from=${year}-01-01`]) {
          expect((await fetch(`${url}${path}`, { headers: sup })).status, path).toBe(400)
        }
        const open311 = await fetch(`${url}/open311/v2/requests.json?start_date=${year}-01-01T00:00:00Z&end_date=${year}-02-01T00:00:00Z`)
        expect(open311.status, `Open311 ${year}`).toBe(400)
      }
      expect((await fetch(`${url}/health/live`)).status).toBe(200)
    } finally {
      await app.server.close()
    }
  })

  it('keeps quoted line breaks and whole characters in bulk intake, and refuses an oversize row by its number', async () => {
    const bulk = (payload: string | Readable, type: string) => app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': type }, payload })
    const csv = 'category,lon,lat,channel,external_id,description\nFAC-02,113.715,22.925,sensor,csv-1,"two\nlines, ""quoted"""\nFAC-02,113.716,22.925,sensor,csv-2,plain\n'
    const answer = (await bulk(csv, 'text/csv')).body.trim().split('\n')
    expect(answer).toHaveLength(3)
    expect(answer[1]).toMatch(/^1,\d+,true,/)
    expect(answer[2]).toMatch(/^2,\d+,true,/)
    const stored = await db().query<{ description: string }>(`SELECT description FROM incident WHERE external_id = 'csv-1'`)
    expect(stored.rows[0]!.description).toBe('two\nlines, "quoted"')

    // A character cut in two by the chunks of the body stays one character.
    const text = Buffer.from(JSON.stringify({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'sensor', external_id: 'utf8-1', description: '垃圾堆积' }) + '\n')
    const cut = text.indexOf(Buffer.from('圾')) + 1
    await bulk(Readable.from([text.subarray(0, cut), text.subarray(cut)]), 'application/x-ndjson')
    expect((await db().query<{ description: string }>(`SELECT description FROM incident WHERE external_id = 'utf8-1'`)).rows[0]!.description).toBe('垃圾堆积')

    const row = (k: number, description = 'ok') => JSON.stringify({ category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'sensor', external_id: `big-${k}`, description, attributes: k === 2 ? { blob: 'x'.repeat(300 * 1024) } : {} })
    const lines = (await bulk([row(1), row(2), row(3)].join('\n'), 'application/x-ndjson')).body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ row: 1, created: true })
    expect(lines[1]).toMatchObject({ row: 2 })
    expect(lines[1].error).toMatch(/over 256 KiB/)
    expect(lines[2]).toMatchObject({ row: 3, created: true })
    expect((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM incident WHERE external_id LIKE 'big-%'`)).rows[0]!.n).toBe(2)
  })

  it('checks what a report and a step say: real calendar dates, characters as people count them, known departments', async () => {
    const report = (over: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'OTH-01', lon: 113.715, lat: 22.925, channel: 'system', ...over } })
    const feb30 = await report({ reported_at: '2024-02-30T00:00:00Z' })
    expect(feb30.statusCode).toBe(400)
    expect(feb30.json().errors.map((e: { field: string }) => e.field)).toEqual(['reported_at'])
    expect((await report({ reported_at: '2024-02-29T23:59:00Z' })).statusCode).toBe(201)
    expect((await report({ description: '🚧'.repeat(4000) })).statusCode).toBe(201)
    expect((await report({ description: '🚧'.repeat(4001) })).json().errors[0].message).toMatch(/4001 characters/)

    const { id } = (await report({})).json()
    await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers: sup, payload: { action: 'accept' } })
    const before = await checksum(db())
    const nowhere = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers: sup, payload: { action: 'dispatch', department: 'no_such_department' } })
    expect(nowhere.statusCode).toBe(400)
    expect(nowhere.json().detail).toMatch(/Unknown department "no_such_department".*water_affairs/)
    const key = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: adm, payload: { name: 'nobody', role: 'department', department: 'no_such_department' } })
    expect(key.statusCode).toBe(400)
    expect(await checksum(db())).toBe(before)
    const dispatched = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/transitions`, headers: sup, payload: { action: 'dispatch', department: 'water_affairs' } })
    expect(dispatched.json().status).toBe('dispatched')
  })

  it('refuses a query parameter a native route does not take, naming it, instead of answering as if it were not there', async () => {
    for (const [url, headers, name] of [
      ['/api/v1/incidents?statu=reported', sup, 'statu'], // a misspelt filter would list every incident
      ['/api/v1/administrators?grid=441900003001006&activ=false', adm, 'activ'],
      ['/api/v1/lookup?lon=113.715&lat=22.925&when=2020-01-01', {}, 'when'],
      ['/api/v1/units?level=grid&town=441900003', {}, 'town'],
    ] as const) {
      const body = await problem(url, headers)
      expect(body.errors[0], url).toMatchObject({ where: 'querystring', params: { additionalProperty: name } })
    }
    expect((await app.inject({ url: '/api/v1/incidents?status=reported', headers: sup })).statusCode).toBe(200)
    expect((await app.inject({ url: '/api/v1/administrators?grid=441900003001006&active=false', headers: adm })).statusCode).toBe(200)
    // A parameter given twice is said to be, not "must be a number".
    for (const url of ['/api/v1/lookup?lon=113.7&lon=113.8&lat=22.9', '/api/v1/analytics/hotspots?res=8&res=9']) {
      const twice = await problem(url, sup)
      expect(twice.detail, url).toMatch(/is given 2 times; give it once/)
    }
    // A category the catalogue does not hold: named, not an empty list.
    const typo = await problem('/api/v1/incidents?category=ENV-01,NOPE-99', sup)
    expect(typo.errors).toEqual([expect.objectContaining({ where: 'querystring/category', message: expect.stringContaining('NOPE-99') })])
    expect((await app.inject({ url: '/api/v1/incidents?category=ENV-01', headers: sup })).statusCode).toBe(200)
  })

  it('takes coordinates as JSON numbers from JSON reports, and as decimals from CSV rows', async () => {
    const before = await checksum(db())
    const quoted = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'ENV-03', lon: '113.715', lat: 22.925, channel: 'hotline' } })
    expect(quoted.statusCode).toBe(400)
    expect(quoted.json().errors).toEqual([expect.objectContaining({ where: 'body/lon', field: 'lon', message: expect.stringContaining('a JSON number (not a string)') })])
    // A number out of range is told so, not that it should be a number.
    const far = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'ENV-03', lon: 181, lat: 22.925, channel: 'hotline' } })
    expect(far.statusCode).toBe(400)
    expect(far.json().errors).toEqual([expect.objectContaining({ field: 'lon', message: 'must be within −180…180, got 181' })])
    const encoded = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...sup, 'content-encoding': 'gzip', 'content-type': 'application/json' },
      payload: JSON.stringify({ category: 'ENV-03', lon: 113.715, lat: 22.925, channel: 'hotline' }) })
    expect(encoded.statusCode).toBe(415)
    expect(encoded.json().detail).toContain('Content-Encoding "gzip"')
    const misspelt = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: sup, payload: { category: 'ENV-03', lon: 113.715, lat: 22.925, channel: 'hotline', descripton: 'x' } })
    expect(misspelt.statusCode).toBe(400)
    expect(misspelt.json().errors).toEqual([expect.objectContaining({ where: 'body/descripton', message: expect.stringContaining('is not a field of a report') })])
    expect(await checksum(db())).toBe(before)
    const ndjson = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': 'application/x-ndjson' },
      payload: '{"category":"ENV-03","lon":"113.715","lat":22.925,"channel":"hotline","external_id":"q1"}\n{"category":"ENV-03",lon:1}\n' })
    const lines = ndjson.body.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ row: 1, error: expect.stringContaining('lon must be a JSON number') })
    expect(lines[1].error).toMatch(/^The row is not valid JSON at column 22: /)
    const csv = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { ...sup, 'content-type': 'text/csv' },
      payload: 'category,lon,lat,channel,external_id\nENV-03,113.715,22.925,hotline,c1\n' })
    expect(csv.statusCode).toBe(200)
    expect(csv.body.split('\n')[1]).toMatch(/^1,\d+,true,441900003001006,false,,$/)
  })
})

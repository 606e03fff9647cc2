/**
 * A client following GeoReport v2: lists services, reads a definition, posts
 * a request as form data with an api_key, reads it back by id and by token,
 * filters the list, and gets the spec's errors — in XML and in JSON, the XML
 * parsed back and compared with the JSON answer.
 */
import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { createApiKey } from '../../server/auth/api-keys.ts'
import { transition } from '../../server/incidents/transitions.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'
import { asXmlText, parseXml, xmlToValue } from './xml-parse.ts'

type App = Awaited<ReturnType<typeof buildApp>>
const V2 = '/open311/v2'
const LISTS = ['services', 'service_requests', 'attributes', 'values', 'errors', 'endpoints', 'formats']
const HOUR = 3600_000
const DAY = 24 * HOUR

const REQUEST_FIELDS = [
  'service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice',
  'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url',
]
const W3C_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/

const E_BIKE_ATTRIBUTES = [
  { code: 'count', datatype: 'number', required: true, description: 'How many e-bikes are charging', order: 1 },
  { code: 'place', datatype: 'singlevaluelist', required: false, description: 'Where', order: 2, values: [{ key: 'corridor', name: '楼道' }, { key: 'room', name: '室内' }] },
  { code: 'hazards', datatype: 'multivaluelist', required: false, description: 'What is seen', order: 3, values: [{ key: 'cables', name: '飞线' }, { key: 'battery', name: '改装电池' }] },
]

describeBackends('Open311 GeoReport v2', ({ db }) => {
  let app: App
  let apiKey: string

  const get = (url: string) => app.inject({ url: `${V2}${url}` })
  /** Both formats of one GET; the XML must parse and say what the JSON says. */
  const both = async (url: string) => {
    const json = await get(`${url.replace('{fmt}', 'json')}`)
    const xml = await get(`${url.replace('{fmt}', 'xml')}`)
    expect(json.statusCode, json.body).toBe(xml.statusCode)
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(xml.headers['content-type']).toBe('application/xml; charset=utf-8')
    const root = parseXml(xml.body)
    expect(xmlToValue(root, LISTS)).toEqual(asXmlText(json.json()))
    return { status: json.statusCode, json: json.json(), root: root.name }
  }
  const form = (fields: [string, string][]) => new URLSearchParams(fields).toString()
  const postForm = (fmt: string, fields: [string, string][]) =>
    app.inject({ method: 'POST', url: `${V2}/requests.${fmt}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) })
  const count = async () => (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM incident')).rows[0]!.n
  /** Reports through the staff-side intake, which (unlike Open311) takes a reported_at. */
  const report = async (over: Record<string, unknown>) => {
    const res = await app.inject({
      method: 'POST', url: '/api/v1/incidents', headers: { authorization: `Bearer ${apiKey}` },
      payload: { category: 'ENV-01', lon: 113.715, lat: 22.925, channel: 'hotline', description: 'seed', ...over },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().id as number
  }
  const expectErrors = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, fmt: 'xml' | 'json', ...patterns: RegExp[]) => {
    expect(res.statusCode, res.body).toBe(status)
    const list = (fmt === 'json' ? JSON.parse(res.body) : xmlToValue(parseXml(res.body), LISTS)) as { code: unknown; description: string }[]
    if (fmt === 'xml') expect(parseXml(res.body).name).toBe('errors')
    expect(list).toHaveLength(patterns.length)
    for (const [k, pattern] of patterns.entries()) {
      expect(String(list[k]!.code)).toBe(String(status))
      expect(list[k]!.description).toMatch(pattern)
    }
  }

  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    await db().query(`UPDATE incident_category SET attributes = $1::jsonb WHERE code = 'FIRE-03'`, [JSON.stringify(E_BIKE_ATTRIBUTES)])
    app = await buildApp({ db: db() })
    apiKey = (await createApiKey(db(), { name: 'citizen-app', role: 'system' }, 'test')).secret
    return () => app.close()
  })

  it('lists the services in XML and JSON, with metadata only where a category defines attributes', async () => {
    const { json: services, root } = await both('/services.{fmt}')
    expect(root).toBe('services')
    expect(services.find((s: { service_code: string }) => s.service_code === 'FIRE-03')).toEqual({
      service_code: 'FIRE-03',
      service_name: '电动车违规充电',
      description: 'Illegal e-bike charging. Handled by fire_rescue within 24 h of dispatch.',
      metadata: true,
      type: 'realtime',
      keywords: 'Illegal e-bike charging,fire_safety',
      group: 'fire_safety',
    })
    expect(services.find((s: { service_code: string }) => s.service_code === 'ENV-01').metadata).toBe(false)
    // Confidential classes (persons under watch, disputes, registrations) are not offered.
    const codes = services.map((s: { service_code: string }) => s.service_code)
    expect(codes).toHaveLength(19)
    expect(codes.filter((c: string) => /^(SEC|HOUS)-/.test(c))).toEqual([])
    expect((await both('/services.{fmt}?jurisdiction_id=dongguan')).json).toEqual(services)
  })

  it('describes itself for service discovery: where the endpoint is, its formats, whom to ask for a key', async () => {
    const { json: discovery, root } = await both('/discovery.{fmt}')
    expect(root).toBe('discovery')
    expect(Date.parse(discovery.changeset)).toBeLessThanOrEqual(Date.now())
    expect(discovery.contact).not.toBe('')
    expect(discovery.key_service).toMatch(/api_key/)
    expect(discovery.endpoints).toHaveLength(1)
    const [endpoint] = discovery.endpoints
    expect(endpoint).toMatchObject({ specification: 'http://wiki.open311.org/GeoReport_v2', type: 'production', formats: ['text/xml', 'application/json'] })
    expect(Date.parse(endpoint.changeset)).toBeLessThanOrEqual(Date.now())
    // The url is the base a client appends /services.xml to.
    const url = new URL(endpoint.url)
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('http://localhost/open311/v2')
    const services = await app.inject({ url: `${url.pathname}/services.xml`, headers: { host: url.host } })
    expect(services.statusCode).toBe(200)
    expect(parseXml(services.body).name).toBe('services')
  })

  it('answers a service definition from the category attributes, empty for a category without any', async () => {
    const { json: definition, root } = await both('/services/FIRE-03.{fmt}')
    expect(root).toBe('service_definition')
    expect(definition.service_code).toBe('FIRE-03')
    expect(definition.attributes.map((a: { code: string }) => a.code)).toEqual(['count', 'place', 'hazards'])
    expect(definition.attributes[1]).toEqual({
      variable: true, code: 'place', datatype: 'singlevaluelist', required: false, datatype_description: '', order: 2, description: 'Where',
      values: [{ key: 'corridor', name: '楼道' }, { key: 'room', name: '室内' }],
    })
    expect((await both('/services/ENV-01.{fmt}')).json).toEqual({ service_code: 'ENV-01', attributes: [] })
    expectErrors(await get('/services/NOPE-9.xml'), 404, 'xml', /No service with service_code "NOPE-9"/)
    expectErrors(await get('/services/SEC-03.json'), 404, 'json', /No service/)
  })

  it('takes a request as form data with an api_key and shows it back by id and by token, without the reporter', async () => {
    const before = await count()
    const description = 'Cables <across> the corridor & stairs, "B" block\r\n二楼'
    const res = await postForm('json', [
      ['api_key', apiKey], ['jurisdiction_id', 'dongguan'], ['service_code', 'FIRE-03'], ['lat', '22.925'], ['long', '113.715'],
      ['attribute[count]', '3'], ['attribute[place]', 'corridor'], ['attribute[hazards][]', 'cables'], ['attribute[hazards][]', 'battery'],
      ['description', description], ['media_url', 'https://example.org/p/1.jpg'],
      ['email', 'zhang@example.cn'], ['first_name', '三'], ['last_name', '张'], ['phone', '13800000000'], ['device_id', 'dev-7'], ['account_id', 'acct-1'],
    ])
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    // A byte-order mark before the form is not part of its first field's name.
    const marked = await app.inject({ method: 'POST', url: `${V2}/requests.json`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `\uFEFF${form([['api_key', apiKey], ['service_code', 'ENV-01'], ['lat', '22.925'], ['long', '113.715']])}` })
    expect(marked.statusCode, marked.body).toBe(200)
    const [answer] = res.json()
    expect(answer).toEqual({ service_request_id: expect.any(Number), token: expect.any(String), service_notice: 'Handled by fire_rescue within 24 h of dispatch.', account_id: 'acct-1' })
    expect(await count()).toBe(before + 2)

    const stored = (await db().query<Record<string, unknown>>('SELECT channel, reporter, attributes, grid_code FROM incident WHERE id = $1', [answer.service_request_id])).rows[0]
    expect(stored).toEqual({
      channel: 'citizen',
      reporter: { email: 'zhang@example.cn', first_name: '三', last_name: '张', phone: '13800000000', device_id: 'dev-7', account_id: 'acct-1' },
      attributes: { count: 3, place: 'corridor', hazards: ['cables', 'battery'] },
      grid_code: '441900003001006',
    })
    const actor = (await db().query<{ actor: string }>('SELECT actor FROM incident_event WHERE incident_id = $1', [answer.service_request_id])).rows[0]!.actor
    expect(actor).toBe('citizen-app')

    const { json: byId, root } = await both(`/requests/${answer.service_request_id}.{fmt}`)
    expect(root).toBe('service_requests')
    expect(byId).toHaveLength(1)
    const record = byId[0]
    expect(Object.keys(record)).toEqual(REQUEST_FIELDS)
    expect(record).toMatchObject({
      service_request_id: answer.service_request_id, status: 'open', status_notes: 'reported', service_name: '电动车违规充电', service_code: 'FIRE-03',
      description, agency_responsible: 'fire_rescue', address: '东城街道 测试社区 测试社区第6网格', address_id: null, zipcode: null,
      lat: 22.925, long: 113.715, media_url: 'https://example.org/p/1.jpg',
    })
    for (const field of ['requested_datetime', 'updated_datetime', 'expected_datetime']) expect(record[field]).toMatch(W3C_WITH_OFFSET)
    // Not dispatched yet: expected within the category's SLA of the report.
    expect(Date.parse(record.expected_datetime) - Date.parse(record.requested_datetime)).toBe(24 * HOUR)
    const xmlBody = (await get(`/requests/${answer.service_request_id}.xml`)).body
    for (const secret of ['13800000000', 'zhang@example.cn', 'acct-1', 'dev-7', answer.token]) {
      expect(JSON.stringify(byId)).not.toContain(secret)
      expect(xmlBody).not.toContain(secret)
    }
    expect(xmlBody).toContain('Cables &lt;across&gt; the corridor &amp; stairs, &quot;B&quot; block&#13;\n二楼')

    const { json: tokens } = await both(`/tokens/${answer.token}.{fmt}`)
    expect(tokens).toEqual([{ service_request_id: answer.service_request_id, token: answer.token }])

    // The workflow state shows through status_notes, never the staff's notes; a dispatch sets the expected time to its deadline.
    await transition(db(), answer.service_request_id, { action: 'accept', actor: 'grid', note: '现场核实' })
    await transition(db(), answer.service_request_id, { action: 'dispatch', actor: 'grid' })
    const deadline = (await db().query<{ deadline_at: Date }>('SELECT deadline_at FROM incident WHERE id = $1', [answer.service_request_id])).rows[0]!.deadline_at
    const [dispatched] = (await both(`/requests/${answer.service_request_id}.{fmt}`)).json
    expect(dispatched).toMatchObject({ status: 'open', status_notes: 'dispatched' })
    expect(JSON.stringify((await both(`/requests/${answer.service_request_id}.{fmt}`)).json)).not.toContain('现场核实')
    expect(Date.parse(dispatched.expected_datetime)).toBe(Math.floor(deadline.getTime() / 1000) * 1000)
  })

  it('answers a post in XML too, and takes the key from the query string', async () => {
    const res = await app.inject({
      method: 'POST', url: `${V2}/requests.xml?api_key=${encodeURIComponent(apiKey)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form([['service_code', 'ENV-01'], ['lat', '22.935'], ['long', '113.705']]),
    })
    expect(res.statusCode, res.body).toBe(200)
    const [answer] = xmlToValue(parseXml(res.body), LISTS) as Record<string, string>[]
    expect(answer).toEqual({ service_request_id: expect.stringMatching(/^\d+$/), token: expect.any(String), service_notice: expect.stringContaining('urban_management_bureau'), account_id: null })
  })

  it('filters the list by id, service_code, status and a date window of at most 90 days, the last 90 days by default', async () => {
    const now = Date.now()
    const iso = (msAgo: number) => new Date(now - msAgo).toISOString()
    const old = await report({ category: 'FAC-03', reported_at: iso(200 * DAY), lon: 113.735 })
    const recent = await report({ category: 'FAC-03', reported_at: iso(30 * DAY), lon: 113.736 })
    const closed = await report({ category: 'FAC-02', reported_at: iso(10 * DAY), lon: 113.737 })
    for (const action of ['accept', 'dispatch', 'handle', 'verify', 'close'] as const) await transition(db(), closed, { action, actor: 'test', note: action === 'close' ? '已修复' : undefined })
    const rejected = await report({ category: 'FAC-02', reported_at: iso(5 * DAY), lon: 113.738 })
    await transition(db(), rejected, { action: 'reject', actor: 'test', note: '不属实' })
    const hiddenId = await report({ category: 'SEC-03', reported_at: iso(1 * DAY), lon: 113.739 })

    const ids = async (query: string) => (await both(`/requests.{fmt}?${query}`)).json.map((r: { service_request_id: number }) => r.service_request_id)

    const all = await ids('')
    expect(all).toEqual(expect.arrayContaining([recent, closed, rejected]))
    expect(all).not.toContain(old)
    expect(all).not.toContain(hiddenId)
    const records = (await both('/requests.{fmt}')).json
    const times = records.map((r: { requested_datetime: string }) => Date.parse(r.requested_datetime))
    expect(times).toEqual([...times].sort((a: number, b: number) => b - a))

    expect(await ids('service_code=FAC-03')).toEqual([recent])
    expect(await ids('service_code=FAC-03,FAC-02')).toEqual([rejected, closed, recent])
    expect(await ids('service_code=FAC-02&status=closed')).toEqual([rejected, closed])
    expect(await ids('service_code=FAC-02,FAC-03&status=open')).toEqual([recent])
    expect(await ids('service_code=FAC-02,FAC-03&status=open,closed')).toEqual([rejected, closed, recent])
    const [closedRecord] = (await both(`/requests/${closed}.{fmt}`)).json
    expect(closedRecord).toMatchObject({ status: 'closed', status_notes: 'closed' })

    // An explicit window (offsets as clients send them, '+' left unencoded included).
    const local = (msAgo: number) => new Date(now - msAgo + 8 * HOUR).toISOString().slice(0, 19) + '+08:00'
    expect(await ids(`start_date=${encodeURIComponent(local(210 * DAY))}&end_date=${encodeURIComponent(local(190 * DAY))}`)).toEqual([old])
    expect(await ids(`start_date=${local(210 * DAY)}&end_date=${local(190 * DAY)}`)).toEqual([old])
    expect(await ids(`start_date=${encodeURIComponent(local(210 * DAY))}`)).toEqual([old])
    expect(await ids(`end_date=${encodeURIComponent(local(25 * DAY))}&service_code=FAC-03`)).toEqual([recent])

    // service_request_id overrides every other filter; hidden classes stay hidden.
    expect(await ids(`service_request_id=${old},${closed},${hiddenId}&status=open&service_code=ENV-01`)).toEqual([closed, old])
    expectErrors(await get(`/requests/${hiddenId}.json`), 404, 'json', /No service request/)
  })

  it('refuses a post without an api_key, or with a bad one, with 403 and the spec error list, storing nothing', async () => {
    const before = await count()
    const fields: [string, string][] = [['service_code', 'ENV-01'], ['lat', '22.925'], ['long', '113.715']]
    expectErrors(await postForm('xml', fields), 403, 'xml', /api_key is required/)
    expectErrors(await postForm('json', fields), 403, 'json', /api_key is required/)
    expectErrors(await postForm('json', [['api_key', 'zw_not-a-key-at-all-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx'], ...fields]), 403, 'json', /not valid/)
    expect(await count()).toBe(before)
  })

  it('reports every problem of a bad post at once with 400', async () => {
    const before = await count()
    const key: [string, string] = ['api_key', apiKey]
    const at: [string, string][] = [['lat', '22.925'], ['long', '113.715']]
    expectErrors(await postForm('xml', [key, ['service_code', 'NOPE-1'], ...at]), 400, 'xml', /service_code "NOPE-1" is not a service here/)
    expectErrors(await postForm('json', [key, ['service_code', 'ENV-01'], ...at, ['description', 'x'.repeat(4001)]]), 400, 'json', /description is 4001 characters; at most 4000/)
    expectErrors(await postForm('json', [key, ['service_code', 'ENV-01'], ['address_string', '东城大道 1 号']]), 400, 'json', /address not supported, send lat\/long/)
    expectErrors(
      await postForm('json', [key, ['service_code', 'NOPE-1'], ['description', 'x'.repeat(4001)], ['media_url', 'ftp://x']]),
      400, 'json', /service_code "NOPE-1"/, /location is required/, /description is 4001/, /media_url/,
    )
    expectErrors(
      await postForm('json', [key, ['service_code', 'FIRE-03'], ...at, ['attribute[place]', 'roof'], ['attribute[colour]', 'red']]),
      400, 'json', /attribute\[colour\] is not an attribute/, /attribute\[count\] is required/, /attribute\[place\] must be one of corridor, room; got "roof"/,
    )
    expectErrors(await postForm('json', [key, ['service_code', 'FIRE-03'], ...at, ['attribute[count]', 'many']]), 400, 'json', /attribute\[count\] must be a number/)
    // A coordinate sent twice is said once, not also as a missing pair; one alone is a missing pair.
    expectErrors(await postForm('json', [key, ['service_code', 'ENV-01'], ['lat', '22.925'], ['lat', '22.93'], ['long', '113.715']]), 400, 'json', /^lat was sent 2 times; send it once$/)
    expectErrors(await postForm('json', [key, ['service_code', 'ENV-01'], ['lat', '22.925']]), 400, 'json', /^lat and long are both required$/)
    // A body over the 64 KiB limit is HTTP's 413, in the spec's error list.
    expectErrors(await postForm('xml', [key, ['service_code', 'ENV-01'], ...at, ['description', 'x'.repeat(70_000)]]), 413, 'xml', /too large/i)
    expect(await count()).toBe(before)
  })

  it('answers the spec errors for unknown ids, tokens, formats, jurisdictions and windows over 90 days', async () => {
    expectErrors(await get('/requests/999999.xml'), 404, 'xml', /No service request with service_request_id "999999"/)
    expectErrors(await get('/requests/999999.json'), 404, 'json', /No service request/)
    // A resource asked with a method it does not take: 405 naming the ones it does, in the spec's error list.
    const deleted = await app.inject({ method: 'DELETE', url: `${V2}/requests/1.json` })
    expectErrors(deleted, 405, 'json', /takes GET.*not DELETE/)
    expect(deleted.headers.allow).toMatch(/GET/)
    expectErrors(await app.inject({ method: 'PUT', url: `${V2}/services.xml` }), 405, 'xml', /not PUT/)
    expectErrors(await get('/requests/abc.json'), 404, 'json', /No service request/)
    expectErrors(await get('/tokens/nosuchtoken.json'), 404, 'json', /No service request with token/)
    expectErrors(await get('/services.csv'), 404, 'xml', /No format "csv"/)
    expectErrors(await get('/requests/1.html'), 404, 'xml', /No format "html"/)
    expectErrors(await get('/services.json?jurisdiction_id=shenzhen'), 404, 'json', /No jurisdiction_id "shenzhen"/)
    expectErrors(await get('/areas.json'), 404, 'json', /No Open311 resource/)
    expectErrors(await get('/requests.xml?start_date=2024-01-01T00:00:00%2B08:00&end_date=2024-04-01T00:00:01%2B08:00'), 400, 'xml', /spans 91\.0 days; at most 90/)
    expectErrors(
      await get('/requests.json?start_date=yesterday&status=pending&service_request_id='),
      400, 'json', /status must be open, closed/, /start_date must be a W3C date-time/,
    )
    expectErrors(await get('/requests.json?service_request_id=1,x'), 400, 'json', /"x" is not one/)
  })
})

import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { decodeBinaryAnswer, encodeBinaryPoints } from '../../server/lookup/batch-binary.ts'
import { wgs84ToGcj02 } from '../../server/lookup/gcj02.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>

// squareCity({nx: 4, ny: 4}): grids of 0.01° from lon 113.7, lat 22.9, numbered west→east, north→south.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`
// Inside grid 6, outside every grid, on the edge of grids 1 and 2, inside grid 16.
const POINTS = [[113.715, 22.925], [0, 0], [113.71, 22.935], [113.735, 22.905]]

describeBackends('Lookup batch formats', ({ db }) => {
  let app: App
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const postJson = (body: string, query = '') =>
    app.inject({ method: 'POST', url: `/api/v1/lookup/batch${query}`, headers: { 'content-type': 'application/json' }, payload: body })
  const postBinary = (coords: Float64Array | Buffer, query = '') =>
    app.inject({ method: 'POST', url: `/api/v1/lookup/batch${query}`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.isBuffer(coords) ? coords : Buffer.from(encodeBinaryPoints(coords)) })
  const binaryAnswer = (payload: Buffer) => decodeBinaryAnswer(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length) as ArrayBuffer)

  it('answers the same whether the numbers-only scanner or the generic parser reads the body', async () => {
    const fast = await postJson(JSON.stringify({ points: POINTS }))
    // A string among the points sends the body to the generic parser.
    const generic = (await postJson(JSON.stringify({ points: [...POINTS, 'x'] }))).json()
    expect(fast.statusCode).toBe(200)
    expect(fast.json().results).toEqual(generic.results.slice(0, -1))
    expect(fast.json().results).toEqual([
      { grid: G(6), community: '441900003001', town: '441900003', onBoundary: false },
      { grid: null, community: null, town: null, onBoundary: false },
      { grid: G(1), community: '441900003001', town: '441900003', onBoundary: true },
      { grid: G(16), community: '441900003001', town: '441900003', onBoundary: false },
    ])
    expect(generic.errors).toEqual([{ index: 4, message: 'points[4] is not a [lon, lat] pair in WGS84 range: "x"' }])
    // Out of range on the fast path: named the same way.
    const far = (await postJson('{"points":[[113.715,22.925],[181,0]]}')).json()
    expect(far.results[1]).toBeNull()
    expect(far.errors).toEqual([{ index: 1, message: 'points[1] is not a [lon, lat] pair in WGS84 range: [181,0]' }])
  })

  it('still refuses prototype-poisoning keys and broken JSON on this route', async () => {
    const poisoned = await postJson('{"points":[[113.715,22.925]],"__proto__":{"admin":true}}')
    expect(poisoned.statusCode).toBe(400)
    expect(poisoned.headers['content-type']).toMatch(/problem\+json/)
    const broken = await postJson('{"points":[[113.715,22.925]')
    expect(broken.statusCode).toBe(400)
    expect(broken.json().detail).toMatch(/not valid JSON at line 1/)
    expect((await postJson('{"points":"all"}')).json().detail).toMatch(/\{"points": \[\[lon, lat\]/)
    expect((await postJson('{"points":[[1e400,0]]}')).statusCode).toBe(400) // no valid point
    expect((await postJson('{"points":[]}')).json()).toMatchObject({ count: 0, results: [] })
  })

  it('answers columns in input order with layout=columns', async () => {
    const res = await postJson(JSON.stringify({ points: [...POINTS.slice(0, 2), [200, 0], ...POINTS.slice(2)] }), '?fields=grid,onBoundary&layout=columns')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.columns).toEqual({ grid: [G(6), null, null, G(1), G(16)], onBoundary: [false, false, null, true, false] })
    expect(body).toMatchObject({ count: 5, errors: [{ index: 2 }] })
    expect(body.results).toBeUndefined()
    expect((await postJson('{"points":[[113.715,22.925]]}', '?layout=table')).statusCode).toBe(400)
  })

  it('takes Float64 pairs and answers Int32 codes after a header line', async () => {
    const coords = Float64Array.from([...POINTS.flat(), NaN, 22.9])
    const res = await postBinary(coords)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/octet-stream')
    const { header, answers } = binaryAnswer(res.rawPayload)
    expect(header).toMatchObject({ count: 5, invalid: 1, generation: { id: expect.any(Number) } })
    const named = Array.from(answers, (v) => (v >= 0 ? `${header.codes[v >> 1]}${v & 1 ? ' (boundary)' : ''}` : v))
    expect(named).toEqual([G(6), -1, `${G(1)} (boundary)`, G(16), -2])
    // GCJ-02 input is converted as in the other forms.
    const shifted = new Float64Array(2)
    wgs84ToGcj02(113.735, 22.905, shifted)
    const converted = binaryAnswer((await postBinary(shifted, '?crs=gcj02')).rawPayload)
    expect(converted.header.codes[converted.answers[0]! >> 1]).toBe(G(16))
    // What the binary answer holds may be asked for; what it cannot hold is refused, not ignored.
    expect((await postBinary(coords.subarray(0, 2), '?fields=grid,onBoundary')).statusCode).toBe(200)
    for (const [query, name] of [['?fields=grid,town', 'fields=town'], ['?layout=columns', 'layout=columns']]) {
      const refused = await postBinary(coords.subarray(0, 2), query)
      expect(refused.statusCode, query).toBe(400)
      expect(refused.json().detail, query).toContain(name)
    }
  })

  it('answers batches of many slices in input order, and other requests meanwhile', async () => {
    // 200,000 points cycling through the four of POINTS, with one that is not a point late in the batch.
    const n = 200_000
    const bad = 150_001
    const pts = Array.from({ length: n }, (_, k) => (k === bad ? [200, 0] : POINTS[k % 4]!))
    const expected = [G(6), null, G(1), G(16)]
    const rows = (await postJson(JSON.stringify({ points: pts }), '?fields=grid,onBoundary')).json()
    expect(rows).toMatchObject({ count: n, errors: [{ index: bad }] })
    expect(rows.results.map((r: { grid: string; onBoundary: boolean } | null, k: number) => (k === bad ? r === null : r!.grid === expected[k % 4] && r!.onBoundary === (k % 4 === 2)))).not.toContain(false)
    const columns = (await postJson(JSON.stringify({ points: pts }), '?fields=grid&layout=columns')).json().columns
    expect(columns.grid.map((g: string | null, k: number) => g === (k === bad ? null : expected[k % 4]))).not.toContain(false)

    // While a large binary batch is looked up, single lookups keep being answered.
    const coords = new Float64Array(2 * 4 * n)
    for (let k = 0; k < 4 * n; k++) (coords[2 * k] = POINTS[k % 4]![0]!), (coords[2 * k + 1] = POINTS[k % 4]![1]!)
    let answered = false
    const big = postBinary(coords).then((res) => ((answered = true), res))
    let meanwhile = 0
    while (!answered) {
      await new Promise((resolve) => setImmediate(resolve)) // as a client's request would arrive: on a later turn
      const single = await app.inject({ url: '/api/v1/lookup?lon=113.735&lat=22.905' })
      expect(single.json().grid.code).toBe(G(16))
      if (!answered) meanwhile++
    }
    const { header, answers } = binaryAnswer((await big).rawPayload)
    expect(header.count).toBe(4 * n)
    expect(Array.from(answers, (v, k) => (v >= 0 ? header.codes[v >> 1] : null) === expected[k % 4]).includes(false)).toBe(false)
    expect(meanwhile).toBeGreaterThanOrEqual(4)
  })

  it('refuses a binary body that is not whole points, and more than 1,000,000 points', async () => {
    const ragged = await postBinary(Buffer.alloc(24))
    expect(ragged.statusCode).toBe(400)
    expect(ragged.json().detail).toMatch(/24 bytes, not a whole number of points/)
    const tooMany = await postBinary(new Float64Array(2 * 1_000_001).fill(22.9))
    expect(tooMany.statusCode).toBe(413)
    expect(tooMany.json().detail).toMatch(/NDJSON or CSV/)
  })
})

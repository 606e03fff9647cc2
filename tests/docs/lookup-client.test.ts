import { beforeAll, describe, expect, it } from 'vitest'
// Through the package's "exports", as another Node system would import it.
import { LookupClient, ZhiwangProblem, type BatchAnswer } from 'zhiwang/lookup-client'
import { buildApp } from '../../server/app.ts'
import type { Db } from '../../server/db/client.ts'
import { wgs84ToGcj02 } from '../../server/lookup/gcj02.ts'
import { createRng } from '../../server/demo/prng.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { freshDb } from '../helpers/backends.ts'
import { squareCity } from '../helpers/square-city.ts'

// squareCity({nx: 4, ny: 4}): grids of 0.01° from lon 113.7, lat 22.9, numbered west→east, north→south.
const G = (n: number) => `441900003001${String(n).padStart(3, '0')}`

describe('the lookup client against a listening server', () => {
  let db: Db
  let app: Awaited<ReturnType<typeof buildApp>>
  let baseUrl: string

  beforeAll(async () => {
    db = await freshDb('pglite')
    // An older generation of 2 × 2 grids of 0.02°, then the current one of 4 × 4.
    await importUnits(db, squareCity({ nx: 2, ny: 2, size: 0.02 }), { validFrom: new Date('2020-01-01T00:00:00Z'), label: 'older' })
    await importUnits(db, squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2022-01-01T00:00:00Z'), label: 'current' })
    app = await buildApp({ db })
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
    return async () => {
      await app.close()
      await db.close()
    }
  })

  it('looks up one point, typed, as the API answers it', async () => {
    const zw = new LookupClient({ baseUrl })
    const answer = await zw.lookup(113.715, 22.925)
    expect(answer.grid).toEqual({ code: G(6), name: '测试社区第6网格', name_en: null })
    expect(answer.community?.code).toBe('441900003001')
    expect(answer.town?.code).toBe('441900003')
    expect(answer.onBoundary).toBe(false)
    expect(answer.generation).toMatchObject({ label: 'current', validFrom: '2022-01-01T00:00:00.000Z', validTo: null })
    expect(answer).toEqual(await (await fetch(`${baseUrl}/api/v1/lookup?lon=113.715&lat=22.925`)).json())

    const shifted = new Float64Array(2)
    wgs84ToGcj02(113.715, 22.925, shifted)
    expect((await zw.lookup(shifted[0]!, shifted[1]!, { crs: 'gcj02' })).grid?.code).toBe(G(6))
    const outside = await zw.lookup(113.65, 22.925, { nearest: true })
    expect(outside.grid).toBeNull()
    expect(outside.nearest).toMatchObject({ code: G(5) })
    expect(outside.nearest!.distanceM).toBeGreaterThan(5000)
  })

  it('answers a batch the same in binary and in JSON, in input order, bad points named', async () => {
    const zw = new LookupClient({ baseUrl, apiKey: undefined })
    const rng = createRng('lookup-client')
    const points: [number, number][] = Array.from({ length: 5000 }, () => [rng.range(113.69, 113.75), rng.range(22.89, 22.95)])
    points.push([113.71, 22.935], [NaN, 22.9], [200, 0])
    const binary = await zw.lookupBatch(points)
    const json = await zw.lookupBatch(points, { format: 'json' })
    expect(binary.count).toBe(points.length)
    expect(binary.results).toEqual(json.results)
    expect(binary.generation).toEqual(json.generation)
    expect(binary.errors.map((e) => e.index)).toEqual([5001, 5002])
    expect(json.errors.map((e) => e.index)).toEqual([5001, 5002])
    expect(binary.results[5000]).toEqual({ grid: G(1), community: '441900003001', town: '441900003', onBoundary: true })
    expect(binary.results[5001]).toBeNull()
    // Each point as the single lookup answers it.
    for (const k of [0, 17, 4999]) {
      const one = await zw.lookup(points[k]![0], points[k]![1])
      expect(binary.results[k]).toEqual({ grid: one.grid?.code ?? null, community: one.community?.code ?? null, town: one.town?.code ?? null, onBoundary: one.onBoundary })
    }
    // Interleaved Float64Array input is the same request.
    const flat = Float64Array.from(points.slice(0, 100).flat())
    expect((await zw.lookupBatch(flat)).results).toEqual(binary.results.slice(0, 100))
  })

  it('sends a batch over the limit in parts, all from the generation of the first', async () => {
    const zw = new LookupClient({ baseUrl, maxBatchPoints: 7 })
    const points: [number, number][] = Array.from({ length: 30 }, (_, k) => [113.7 + (k % 4) * 0.01 + 0.005, 22.905 + Math.floor(k / 4) * 0.001])
    let requests = 0
    const counting = new LookupClient({ baseUrl, maxBatchPoints: 7, fetch: (input, init) => (requests++, fetch(input, init)) })
    const parts: BatchAnswer = await counting.lookupBatch(points)
    expect(requests).toBe(5)
    const whole = await new LookupClient({ baseUrl }).lookupBatch(points)
    expect(parts).toEqual(whole)
    expect((await zw.lookupBatch(points, { format: 'json' })).results).toEqual(whole.results)
  })

  it('answers from the boundaries valid at `at`', async () => {
    const zw = new LookupClient({ baseUrl })
    const at = '2021-06-01T00:00:00Z'
    const before = await zw.lookup(113.715, 22.925, { at })
    expect(before.generation.label).toBe('older')
    expect(before.grid?.code).toBe(G(1))
    for (const format of ['binary', 'json'] as const) {
      const batch = await zw.lookupBatch([[113.715, 22.925], [113.735, 22.905]], { at, format })
      expect(batch.generation).toEqual(before.generation)
      expect(batch.results.map((r) => r?.grid)).toEqual([G(1), G(4)])
      // Parts after the first are pinned to its generation too.
      const parts = await new LookupClient({ baseUrl, maxBatchPoints: 1 }).lookupBatch([[113.715, 22.925], [113.735, 22.905]], { at, format })
      expect(parts).toEqual(batch)
    }
    expect((await zw.lookupBatch([[113.715, 22.925]])).results[0]?.grid).toBe(G(6))
  })

  it('throws problems as ZhiwangProblem, with the document and Retry-After', async () => {
    const zw = new LookupClient({ baseUrl })
    const bad = await zw.lookup(113.7, 95).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(ZhiwangProblem)
    expect(bad).toMatchObject({ status: 400, type: '/problems/invalid-parameter', retryAfter: null })
    expect((bad as ZhiwangProblem).problem.errors).toBeInstanceOf(Array)
    const early = await zw.lookup(113.715, 22.925, { at: '2019-01-01T00:00:00Z' }).catch((e: unknown) => e)
    expect(early).toMatchObject({ status: 404, type: '/problems/not-found', detail: 'No boundary generation was valid at 2019-01-01T00:00:00Z' })
    const allBad = await zw.lookupBatch([[NaN, NaN]]).catch((e: unknown) => e)
    expect(allBad).toMatchObject({ status: 400, type: '/problems/bad-request' })
    // A server that allows keyless callers one request a minute (127.0.0.1 is not exempt here).
    const strict = await buildApp({ db, rateLimit: { max: 1 } })
    const strictUrl = await strict.listen({ port: 0, host: '127.0.0.1' })
    const once = new LookupClient({ baseUrl: strictUrl })
    await once.lookup(113.715, 22.925)
    const limited = await once.lookup(113.715, 22.925).catch((e: unknown) => e)
    await strict.close()
    expect(limited).toMatchObject({ name: 'ZhiwangProblem', status: 429, type: '/problems/too-many-requests' })
    expect((limited as ZhiwangProblem).retryAfter).toBeGreaterThan(0)
    expect(() => new LookupClient({ baseUrl: 'zhiwang' })).toThrow(/Unexpected baseUrl value: "zhiwang"/)
  })
})

import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { createRng } from '../../server/demo/prng.ts'
import { rowsWithEarlierNeighbour } from '../../server/incidents/batch-duplicates.ts'
import { readIncident } from '../../server/incidents/incident-input.ts'
import { allocateIncidentIds, batchRows, intakeIncidents } from '../../server/incidents/intake.ts'
import { LookupService } from '../../server/lookup/lookup-service.ts'
import { importUnits } from '../../server/units/import-units.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'
import { squareCity } from '../helpers/square-city.ts'

type App = Awaited<ReturnType<typeof buildApp>>
interface Report { category: string; lon: number; lat: number; reported_at: string }

/**
 * Reports crowded into ~250 m × 250 m over eight days, two categories: many pairs
 * within 50 m and 72 h, many just outside either. Shifting every longitude by
 * the same amount keeps every distance (the spheroid turns about its axis), so
 * the same reports elsewhere must be linked the same way.
 */
function crowd(lon0: number): Report[] {
  const rng = createRng('intake-duplicates')
  const t0 = Date.parse('2025-03-01T00:00:00Z')
  return Array.from({ length: 120 }, () => ({
    category: rng.next() < 0.5 ? 'CONS-02' : 'ENV-01',
    lon: lon0 + rng.range(0, 0.0025),
    lat: 22.905 + rng.range(0, 0.0023),
    reported_at: new Date(t0 + rng.range(0, 8 * 86_400_000)).toISOString(),
  }))
}

describeBackends('Probable duplicates at intake', ({ db }) => {
  let app: App
  let headers: Record<string, string>
  /** Row k's original as a row index (or null), when the crowd came one by one. */
  let expected: (number | null)[] = []
  beforeAll(async () => {
    await importUnits(db(), squareCity({ nx: 4, ny: 4 }), { validFrom: new Date('2020-01-01T00:00:00Z') })
    headers = await keyHeaders(db(), { name: 'dup-test', role: 'system' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const bulk = async (lines: object[]) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents/bulk', headers: { 'content-type': 'application/x-ndjson', ...headers }, payload: lines.map((l) => JSON.stringify(l)).join('\n') })
    expect(res.statusCode).toBe(200)
    return res.body.trim().split('\n').map((l) => JSON.parse(l)).filter((a) => !a.summary) as { row: number; id: number; created: boolean; duplicateOf: number | null }[]
  }

  it('links reports in one bulk batch exactly as if they had come one by one', async () => {
    const oneByOne = []
    for (const [k, r] of crowd(113.705).entries()) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { 'content-type': 'application/json', ...headers }, payload: { ...r, channel: 'system', external_id: `single-${k}` } })
      oneByOne.push(res.json() as { id: number; duplicateOf: number | null })
    }
    const inBulk = await bulk(crowd(113.725).map((r, k) => ({ ...r, channel: 'system', external_id: `bulk-${k}` })))
    // The same structure: row k links to row j (or to nothing) both ways.
    const structure = (answers: { id: number; duplicateOf: number | null }[]) => answers.map((a) => (a.duplicateOf === null ? null : answers.findIndex((b) => b.id === a.duplicateOf)))
    expected = structure(oneByOne)
    expect(expected.filter((x) => x !== null).length).toBeGreaterThan(20) // the crowd has duplicates to find…
    expect(expected.filter((x) => x === null).length).toBeGreaterThan(10) // …and reports that are not
    expect(structure(inBulk)).toEqual(expected)
    // What the answer said is what was stored, and a retry answers the same.
    const stored = await db().query<{ id: number; duplicate_of: number | null }>('SELECT id, duplicate_of FROM incident WHERE id = ANY($1) ORDER BY id', [inBulk.map((a) => a.id)])
    expect(stored.rows.map((r) => r.duplicate_of)).toEqual(inBulk.map((a) => a.duplicateOf))
    const retry = await bulk(crowd(113.725).map((r, k) => ({ ...r, channel: 'system', external_id: `bulk-${k}` })))
    expect(retry.map((a) => [a.id, a.created, a.duplicateOf])).toEqual(inBulk.map((a) => [a.id, false, a.duplicateOf]))
  })

  it('links reports across the batches of a long file, which are stored several at a time', async () => {
    // The crowd spread over 4 batches of 1,000, between reports far from each other.
    const step = 29
    const lines = Array.from({ length: 120 * step }, (_, k) => ({
      category: 'OTH-01', lon: 113.71 + (k % 60) * 0.0008, lat: 22.93 + Math.floor(k / 60) * 0.0008,
      reported_at: '2025-03-02T00:00:00Z', channel: 'system', external_id: `spread-filler-${k}`,
    }) as object)
    for (const [k, r] of crowd(113.745).entries()) lines[k * step] = { ...r, channel: 'system', external_id: `spread-${k}` }
    const answers = await bulk(lines)
    expect(answers.map((a) => a.row)).toEqual(lines.map((_, k) => k + 1))
    const crowdAnswers = answers.filter((_, k) => k % step === 0)
    const structure = crowdAnswers.map((a) => (a.duplicateOf === null ? null : crowdAnswers.findIndex((b) => b.id === a.duplicateOf)))
    expect(expected.length).toBe(120)
    expect(structure).toEqual(expected)
    expect(answers.filter((_, k) => k % step !== 0).every((a) => a.duplicateOf === null)).toBe(true)
    const ids = answers.map((a) => a.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b)) // ids follow the file, whatever batch committed first
  })

  it('links a batch to an earlier one that commits after it', async () => {
    const lookup = new LookupService(db())
    const categories = new Set(['FAC-02'])
    const input = (k: number, lon: number) => {
      const read = readIncident({ category: 'FAC-02', lon, lat: 22.965, reported_at: '2025-06-01T00:00:00Z', channel: 'system', external_id: `late-${k}` }, categories)
      if (!read.ok) throw new Error('bad fixture')
      return read.value
    }
    const earlier = [input(0, 113.7551)]
    const later = [input(1, 113.7553), input(2, 113.7600)] // ~20 m from the earlier report; ~500 m
    const earlierIds = await allocateIncidentIds(db(), 1)
    const laterIds = await allocateIncidentIds(db(), 2)
    let release!: () => void
    const done = new Promise<void>((r) => (release = r))
    // The later batch commits first, knowing only that the earlier one is still being stored.
    const storingLater = intakeIncidents(db(), lookup, later, 'test', { ids: laterIds, concurrent: { rows: batchRows(earlier), settled: () => false, done } })
    await new Promise((r) => setTimeout(r, 200))
    const [first] = await intakeIncidents(db(), lookup, earlier, 'test', { ids: earlierIds })
    release()
    const [near, far] = await storingLater
    expect(first!.id).toBeLessThan(near!.id)
    expect(near!.duplicateOf).toBe(first!.id)
    // The earlier report is the original, though the later batch had committed when it was stored: no link both ways.
    expect(first!.duplicateOf).toBeNull()
    expect(far!.duplicateOf).toBeNull()
    const stored = await db().query<{ duplicate_of: number | null }>('SELECT duplicate_of FROM incident WHERE id = $1', [near!.id])
    expect(stored.rows[0]!.duplicate_of).toBe(first!.id)
  })

  it('links to the earliest reported open incident stored before, not to closed ones', async () => {
    const at = (h: number) => new Date(Date.parse('2025-05-01T00:00:00Z') + h * 3600_000).toISOString()
    const base = { category: 'FAC-01', lat: 22.935, channel: 'system' }
    const [closed, later, earlier] = await bulk([
      { ...base, lon: 113.7351, reported_at: at(0), external_id: 'o-closed' },
      { ...base, lon: 113.7352, reported_at: at(10), external_id: 'o-later' },
      { ...base, lon: 113.7353, reported_at: at(5), external_id: 'o-earlier' },
    ])
    expect(later!.duplicateOf).toBe(closed!.id)
    await db().query(`UPDATE incident SET status = 'closed' WHERE id = $1`, [closed!.id])
    const [next] = await bulk([{ ...base, lon: 113.7354, reported_at: at(12), external_id: 'o-next' }])
    expect(next!.duplicateOf).toBe(earlier!.id)
  })

  it('tells staff, not an anonymous reporter, which open report a new one duplicates', async () => {
    const base = { category: 'FAC-01', lat: 22.925, reported_at: new Date(Date.now() - 3600_000).toISOString() }
    const [open] = await bulk([{ ...base, lon: 113.7451, channel: 'system', external_id: 'staff-first' }])
    const citizen = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { 'content-type': 'application/json' }, payload: { ...base, lon: 113.7452, channel: 'citizen' } })
    expect(citizen.statusCode).toBe(201)
    expect(citizen.json()).not.toHaveProperty('duplicateOf')
    const stored = await db().query<{ duplicate_of: number | null }>('SELECT duplicate_of FROM incident WHERE id = $1', [citizen.json().id])
    expect(stored.rows[0]!.duplicate_of).toBe(open!.id)
  })
})

it('flags exactly the rows with an earlier row nearby (same category, 72 h, ~60 m)', () => {
  const t = Date.parse('2025-01-01T00:00:00Z')
  const rows = [
    { category: 'A', lon: 113.7, lat: 22.9, at: t },
    { category: 'A', lon: 113.7004, lat: 22.9, at: t + 3600_000 }, // ~41 m east: flagged
    { category: 'B', lon: 113.7, lat: 22.9, at: t }, // another category
    { category: 'A', lon: 113.7, lat: 22.9007, at: t }, // ~77 m north of row 0, 81 m from row 1
    { category: 'A', lon: 113.7, lat: 22.9, at: t + 73 * 3600_000 }, // 73 h after row 0, 72 h after row 1: flagged
  ]
  expect(rowsWithEarlierNeighbour(rows)).toEqual([1, 4])
})

import { beforeAll, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { COUNT_CAP } from '../../server/incidents/incident-list.ts'
import * as q from '../../server/incidents/queries.ts'
import { describeBackends } from '../helpers/backends.ts'
import { keyHeaders } from '../helpers/keys.ts'

type App = Awaited<ReturnType<typeof buildApp>>

// COUNT_CAP + 50 open incidents in town 441900099, 30 of them dispatched: 10 overdue, 20 not yet.
const MANY = COUNT_CAP + 50
const SEED = `
INSERT INTO incident (category_code, geom, reported_at, channel, external_id, token, town_code, status, dispatched_at, deadline_at)
SELECT 'OTH-01', ST_SetSRID(ST_MakePoint(113.9, 23.0), 4326), now() - g * interval '1 minute', 'system', 'list-' || g, 'list-token-' || g, '441900099',
       CASE WHEN g <= 30 THEN 'dispatched' ELSE 'reported' END,
       CASE WHEN g <= 30 THEN now() - interval '10 hours' END,
       CASE WHEN g <= 10 THEN now() - interval '1 hour' WHEN g <= 30 THEN now() + interval '1 hour' END
FROM generate_series(1, ${MANY}) g`

describeBackends('Incident lists', ({ db, backend }) => {
  let app: App
  let headers: Record<string, string>
  beforeAll(async () => {
    await db().exec(SEED)
    await db().exec('ANALYZE incident')
    headers = await keyHeaders(db(), { name: 'list-test', role: 'supervisor' })
    app = await buildApp({ db: db() })
    return () => app.close()
  })
  const list = async (query: string) => {
    const res = await app.inject({ url: `/api/v1/incidents?${query}`, headers })
    expect(res.statusCode, query).toBe(200)
    return res.json() as { numberMatched: number; numberMatchedIsEstimate: boolean; numberReturned: number; links: { rel: string }[]; items: { id: number }[] }
  }
  const hasNext = (page: { links: { rel: string }[] }) => page.links.some((l) => l.rel === 'next')

  it('counts exactly up to the cap, and beyond it answers an estimate, flagged, never below what is known', async () => {
    const exact = await list('town=441900099&status=dispatched')
    expect(exact).toMatchObject({ numberMatched: 30, numberMatchedIsEstimate: false, numberReturned: 30 })
    const many = await list('town=441900099&limit=20')
    expect(many.numberMatchedIsEstimate).toBe(true)
    expect(many.numberMatched).toBeGreaterThan(COUNT_CAP)
    expect(hasNext(many)).toBe(true)
    // The last page knows there is no next one, and the total.
    const last = await list(`town=441900099&limit=20&offset=${MANY - 20}`)
    expect(last).toMatchObject({ numberReturned: 20, numberMatched: MANY, numberMatchedIsEstimate: false })
    expect(hasNext(last)).toBe(false)
    // Past the end, the total is counted: not the offset, nor an estimate.
    for (const offset of [MANY + 5, 400_000]) {
      const beyond = await list(`town=441900099&limit=20&offset=${offset}`)
      expect(beyond).toMatchObject({ numberReturned: 0, numberMatched: MANY, numberMatchedIsEstimate: false })
      expect(hasNext(beyond)).toBe(false)
    }
  })

  it('knows a next page from the page itself when exactly `limit` incidents match', async () => {
    const page = await list('town=441900099&status=dispatched&limit=30')
    expect(page.numberReturned).toBe(30)
    expect(hasNext(page)).toBe(false)
    expect(hasNext(await list('town=441900099&status=dispatched&limit=29'))).toBe(true)
  })

  it('finds overdue incidents through the partial index of dispatched ones', async () => {
    const overdue = await list('overdue=true')
    expect(overdue).toMatchObject({ numberMatched: 10, numberMatchedIsEstimate: false })
    const filter = [null, null, null, null, null, null, null, null, null, true, null, null, 51, 0]
    const plan = (await db().query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.LIST_INCIDENTS['-reported_at']}`, filter)).rows.map((r) => r['QUERY PLAN']).join('\n')
    expect(plan, backend).toMatch(/incident_dispatched_idx/)
    expect(plan).not.toMatch(/Seq Scan on incident /)
  })
})

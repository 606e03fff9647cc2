import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerProcess } from '../helpers/server-process.ts'
import {
  call, expectLookupsMatchPostgis, freshCrashDb, generations, keyFor, killWhen, registryProblems, serverSessions, settle, startCrashServer, waitReady,
  type Answer, type CrashDb, type Generation,
} from './crash-harness.ts'
import { gridCity, randomPoints } from './grid-city.ts'

/**
 * A plan publish killed with SIGKILL, on a real PostgreSQL. The city has two
 * communities of 12 × 12 grids with uneven populations; a plan of one
 * community is rebalanced on population (hundreds of cells change grid, so
 * most grids are redrawn and the transaction lasts about a second), then
 * published and killed: while PostGIS redraws the changed grids, while they
 * are written, at fixed delays after sending, and once the commit is visible
 * but the answer (which waits for the lookup index switch) has not come.
 * After each kill, once the killed server's sessions are gone: either the
 * plan is a draft at its version and the old generation is current and
 * untouched, or the plan is published and its generation is whole — every
 * unit of the old generation present, those the plan did not change
 * byte-identical, the changed grids tiling their community without overlap,
 * the old generation closed where the new one starts, one audit record. A
 * new server on the same database answers the plan's status and lookups as
 * PostGIS does; a draft left by a kill publishes on the next attempt.
 */
const CITY = gridCity({ towns: 1, communities: [2, 1], grids: [12, 12], seed: 'publish-kill' })
const COMMUNITIES = CITY.codes.community
const POPULATION = [{ measure: 'population', weight: 1, tolerance: 0.1 }]

interface Draft { id: number; version: number; community: string }
interface Moment { sentMs: number; answered: Answer | null; plan: Draft }
interface Trigger { name: string; expect: 'draft' | 'published' | 'either'; when: (m: Moment) => Promise<string | null | false> }

describe('plan publish killed with SIGKILL [postgres]', () => {
  let c: CrashDb
  let server: ServerProcess | undefined
  let planner: Record<string, string>

  beforeAll(async () => {
    c = await freshCrashDb()
    const admin = await keyFor(c.db, 'admin')
    planner = await keyFor(c.db, 'planner')
    server = await startCrashServer(c.url)
    const imported = await call(`${server.url}/api/v1/units/import?validFrom=2024-01-01T00:00:00Z`, { method: 'POST', headers: admin, json: CITY })
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
  })
  afterAll(async () => {
    await server?.stop()
    await c?.drop()
  })

  /** A planner's request; when it fails (a timeout, say), the error holds what the server and its sessions were doing. */
  const api = async <T = any>(method: string, path: string, json?: unknown) => {
    const s = server!
    try {
      return await call<T>(`${s.url}${path}`, { method, headers: planner, json })
    } catch (err) {
      const sessions = await serverSessions(c).catch((e) => String(e))
      throw new Error(`${method} ${path}: ${String(err)}\nserver sessions: ${JSON.stringify(sessions)}\nserver output, last lines:\n${s.output().slice(-6000)}`)
    }
  }

  /** A draft of `community` on the current generation, rebalanced on population so that most of its grids change. */
  async function rebalancedDraft(community: string): Promise<Draft> {
    const created = await api<{ plan: { id: number; version: number } }>('POST', '/api/v1/plans', { scope: community })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const { id, version } = created.body.plan
    const edited = await api<{ plan: { version: number }; valid: boolean; disruption: { cells: number; changedGrids: string[] } }>('POST', `/api/v1/plans/${id}/edits`, {
      op: 'rebalance', version, measures: POPULATION, seed: 1,
    })
    expect(edited.status, JSON.stringify(edited.body).slice(0, 500)).toBe(200)
    expect(edited.body.valid).toBe(true)
    expect(edited.body.disruption.changedGrids.length).toBeGreaterThan(20)
    return { id, version: edited.body.plan.version, community }
  }

  const running = (marker: RegExp, label: string) => async () => {
    const s = (await serverSessions(c)).find((x) => x.state === 'active' && marker.test(x.query))
    return s ? `${label} (pid ${s.pid})` : null
  }
  const after = (ms: number) => async (m: Moment) => performance.now() - m.sentMs >= ms && `${ms} ms after sending`
  // Markers of server/planning/publish.ts's statements.
  const triggers: Trigger[] = [
    { name: 'redrawing the changed grids', expect: 'draft', when: running(/CREATE TEMP TABLE publish_grid/, 'CREATE TEMP TABLE publish_grid running') },
    { name: 'writing the changed grids', expect: 'draft', when: running(/SELECT \$2, p\.code, 'grid'/, 'INSERT INTO unit … FROM publish_grid running') },
    { name: 'shortly after sending', expect: 'either', when: after(150) },
    { name: 'a second after sending', expect: 'either', when: after(1000) },
    {
      name: 'committed, index switching',
      expect: 'published',
      when: async (m) => {
        if (m.answered) return `answered ${m.answered.status} first`
        const status = (await c.rows<{ status: string }>(`SELECT status FROM plan WHERE id = $1`, [m.plan.id]))[0]!.status
        return status === 'published' && 'plan published in the database, answer not yet received'
      },
    },
  ]

  it('leaves the plan a draft on the old generation, or published with its generation whole', { timeout: 900_000 }, async () => {
    const outcomes: string[] = []
    let draft: Draft | null = null
    let turn = 0

    for (const trigger of triggers) {
      for (let attempt = 1; ; attempt++) {
        draft ??= await rebalancedDraft(COMMUNITIES[turn++ % COMMUNITIES.length]!)
        const before = await generations(c)
        const moment: Moment = { sentMs: performance.now(), answered: null, plan: draft }
        const request = api('POST', `/api/v1/plans/${draft.id}/publish`, { version: draft.version }).then((a) => (moment.answered = a), () => null)
        const reason = await killWhen(server!, () => trigger.when(moment), { abandon: () => moment.answered !== null && trigger.expect !== 'published' })
        await request
        if (reason === null) {
          // Published before the moment came: a new draft, another try.
          expect(moment.answered!.status, JSON.stringify(moment.answered!.body).slice(0, 300)).toBe(201)
          expect(attempt, `${trigger.name}: never caught in ${attempt} attempts`).toBeLessThan(4)
          draft = null
          continue
        }
        server = undefined
        await settle(c)

        const plan = (await c.rows<{ status: string; version: number; published_generation_id: number | null }>(
          `SELECT status, version, published_generation_id FROM plan WHERE id = $1`, [draft.id]))[0]!
        const outcome = plan.status as 'draft' | 'published'
        outcomes.push(`${trigger.name}: killed when ${reason} → ${outcome}${moment.answered ? ` (acknowledged ${moment.answered.status})` : ''}`)
        if (trigger.expect !== 'either') expect(outcome, trigger.name).toBe(trigger.expect)
        if (moment.answered?.status === 201) expect(outcome).toBe('published')
        expect(await registryProblems(c)).toEqual([])
        const gens = await generations(c)
        if (outcome === 'draft') {
          expect(plan).toEqual({ status: 'draft', version: draft.version, published_generation_id: null })
          expect(gens).toEqual(before)
          expect(await c.rows(`SELECT id FROM audit_log WHERE action = 'plan.publish' AND subject = $1`, [`plan:${draft.id}`])).toEqual([])
        } else {
          expect(plan).toEqual({ status: 'published', version: draft.version + 1, published_generation_id: gens.at(-1)!.id })
          await expectWholePublish(draft, before, gens)
        }

        // A new server: the plan as the database has it, and a draft still publishable.
        server = await startCrashServer(c.url)
        expect((await waitReady(server.url)).generation?.id).toBe(gens.at(-1)!.id)
        const view = await api<{ plan: { status: string; version: number; baseIsCurrent: boolean }; valid: boolean }>('GET', `/api/v1/plans/${draft.id}`)
        expect(view.status).toBe(200)
        expect(view.body.plan).toMatchObject({ status: outcome, version: plan.version })
        if (outcome === 'draft') expect(view.body).toMatchObject({ valid: true, plan: { baseIsCurrent: true } })
        else draft = null
        break
      }
    }
    console.log(`[publish-kill]\n  ${outcomes.join('\n  ')}`)
    expect(outcomes.some((o) => o.endsWith('→ draft'))).toBe(true)
    expect(outcomes.some((o) => o.includes('→ published'))).toBe(true)

    // A draft a kill left behind publishes cleanly on the new server.
    if (draft) {
      const before = await generations(c)
      const published = await api('POST', `/api/v1/plans/${draft.id}/publish`, { version: draft.version })
      expect(published.status, JSON.stringify(published.body).slice(0, 300)).toBe(201)
      await expectWholePublish(draft, before, await generations(c))
    }
    await expectLookupsMatchPostgis(server!.url, c, randomPoints(CITY.bbox, 4000, 'publish-kill'))
  })

  /** The plan's generation is the last one and whole; the one before it is closed where it starts. */
  async function expectWholePublish(plan: Draft, before: Generation[], gens: Generation[]) {
    expect(gens.length).toBe(before.length + 1)
    expect(gens.slice(0, -2)).toEqual(before.slice(0, -1))
    const [old, made] = [gens.at(-2)!, gens.at(-1)!]
    expect(old.valid_to).toEqual(made.valid_from)
    const audit = await c.rows<{ detail: { changed: string[]; added: string[]; removed: string[] } }>(
      `SELECT detail FROM audit_log WHERE action = 'plan.publish' AND subject = $1`, [`plan:${plan.id}`])
    expect(audit.length).toBe(1)
    const { changed, added, removed } = audit[0]!.detail
    expect(changed.length).toBeGreaterThan(20)
    expect(made.units).toBe(old.units + added.length - removed.length)
    const check = (await c.rows<{ missing: number; altered: number; changed_here: number; area: number; grids_sum: number; grids_union: number }>(`
      SELECT
        (SELECT count(*)::int FROM unit o WHERE o.generation_id = $1 AND NOT (o.code = ANY($4::text[]))
           AND NOT EXISTS (SELECT 1 FROM unit n WHERE n.generation_id = $2 AND n.code = o.code)) AS missing,
        (SELECT count(*)::int FROM unit o JOIN unit n ON n.generation_id = $2 AND n.code = o.code
         WHERE o.generation_id = $1 AND NOT (o.code = ANY($5::text[]))
           AND (ST_AsBinary(o.geom) <> ST_AsBinary(n.geom) OR o.population IS DISTINCT FROM n.population OR o.name_zh <> n.name_zh)) AS altered,
        (SELECT count(*)::int FROM unit n WHERE n.generation_id = $2 AND n.code = ANY($5::text[])) AS changed_here,
        (SELECT ST_Area(geom) FROM unit WHERE generation_id = $2 AND code = $3) AS area,
        (SELECT sum(ST_Area(geom)) FROM unit WHERE generation_id = $2 AND parent_code = $3) AS grids_sum,
        (SELECT ST_Area(ST_Union(geom, 9.094947017729282e-13)) FROM unit WHERE generation_id = $2 AND parent_code = $3) AS grids_union`,
      [old.id, made.id, plan.community, removed, changed]))[0]!
    expect(check).toMatchObject({ missing: 0, altered: 0, changed_here: changed.length })
    // The community's grids cover it exactly: no gap (sum = area) and no overlap (union = sum).
    expect(Math.abs(check.grids_sum - check.area) / check.area).toBeLessThan(1e-6)
    expect(Math.abs(check.grids_union - check.grids_sum) / check.area).toBeLessThan(1e-6)
  }
})

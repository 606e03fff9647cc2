import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { openDb } from '../../server/db/client.ts'
import { startLoadTarget, type LoadTarget } from '../../scripts/load-target.ts'
import { formatReport, runTraffic } from '../../scripts/load-traffic.ts'

/**
 * The load suite (`npm run load`) in its short form for CI: 10 s of the same
 * mixed traffic — lookups, batch lookups, intake, tiles, analytics — against
 * the real server on the embedded PGlite with a small synthetic city. No
 * request may fail, and the server's RSS must stay flat after the warm-up.
 */
const SECONDS = 10

describe('load suite, short form [pglite]', () => {
  let dir: string
  let target: LoadTarget | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zhiwang-load-'))
    // From the migrated template: PostGIS's first CREATE EXTENSION alone takes ~10 s.
    await (await openDb({ dataDir: dir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })).close()
    target = await startLoadTarget({ backend: 'pglite', dataDir: dir, city: 'small' })
  })
  afterAll(async () => {
    await target?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers every request of a 10 s mixed load, with flat memory', { timeout: 120_000 }, async () => {
    const report = await runTraffic(target!, { seconds: SECONDS, maxRssGrowthPct: 20 })
    console.log(`[load-short] ${target!.description}\n${formatReport(report)}`)
    expect(report.kinds.map((k) => [k.kind, k.errors, k.samples])).toEqual(report.kinds.map((k) => [k.kind, 0, []]))
    for (const k of report.kinds) expect(k.requests, k.kind).toBeGreaterThan(SECONDS)
    expect(report.rss.growthPct).toBeLessThanOrEqual(20)
    expect(report.rss.maxMb).toBeLessThan(2048)
  })
})

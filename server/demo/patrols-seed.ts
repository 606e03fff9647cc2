/**
 * Loads the demo patrol tracks into a database whose current generation is the
 * demo city's and that has no patrol track yet; otherwise does nothing. Each
 * track is stored as an upload would store it: its line, its length and the
 * resolution-10 H3 cells it passed through (trackCells of the patrols domain).
 */
import type { Db } from '../db/client.ts'
import { loadIndexedGeneration, type IndexedGeneration } from '../lookup/indexed-generation.ts'
import { trackCells } from '../patrols/track-cells.ts'
import * as q from './incidents-queries.ts'
import * as pq from './patrols-queries.ts'
import { generateDemoPatrols, type DemoPatrolOptions } from './patrols-generate.ts'

const TRACK_BATCH = 1_000
const CELL_BATCH = 20_000

export interface PatrolSeedReport {
  tracks: number
  cells: number
  administrators: number
  ms: number
}

export interface PatrolSeedOptions extends DemoPatrolOptions {
  /** The demo generation's grid index, when the caller has it (it takes seconds to build). */
  index?: (generationId: number) => Promise<IndexedGeneration>
}

export async function seedDemoPatrolsIfEmpty(db: Db, options: PatrolSeedOptions = {}, log: (msg: string) => void = () => {}): Promise<PatrolSeedReport | null> {
  const generation = (await db.query<{ id: number }>(q.DEMO_GENERATION)).rows[0]
  if (!generation || (await db.query<{ any: boolean }>(pq.ANY_TRACK)).rows[0]!.any) return null
  const started = Date.now()
  const index = await (options.index ?? ((id) => loadIndexedGeneration(db, id)))(generation.id)
  const slot = new Map(index.codes.map((c, g) => [c, g]))
  const administrators = (await db.query<{ id: number; grids: string[] }>(pq.ACTIVE_ADMINISTRATORS)).rows.map((a) => ({
    id: a.id,
    grids: a.grids.flatMap((code) => (slot.has(code) ? [slot.get(code)!] : [])),
  }))
  const tracks = generateDemoPatrols({ administrators, bbox: index.index.polygons.bbox, lookup: (lon, lat) => index.index.lookup(lon, lat) }, options)
  const stored = await db.transaction(async (tx) => {
    // A second server starting on the same database waits here, then finds the tracks.
    await tx.exec('LOCK TABLE patrol_track IN EXCLUSIVE MODE')
    if ((await tx.query<{ any: boolean }>(pq.ANY_TRACK)).rows[0]!.any) return null
    let cells = 0
    for (let s = 0; s < tracks.length; s += TRACK_BATCH) {
      const batch = tracks.slice(s, s + TRACK_BATCH)
      const ids = (await tx.query<{ id: number }>(pq.TRACK_IDS, [batch.length])).rows.map((r) => r.id)
      const visits = batch.map((track) => trackCells(track.points))
      await tx.query(pq.INSERT_TRACKS, [
        ids,
        batch.map((track) => track.administratorId),
        batch.map((track) => track.points[0]!.t / 1000),
        batch.map((track) => track.points.at(-1)!.t / 1000),
        batch.map((track) => `LINESTRING(${track.points.map((p) => `${p.lon} ${p.lat}`).join(',')})`),
        visits.map((v) => v.lengthM),
      ])
      const rows = visits.flatMap((v, k) => [...v.cells].map(([h3, t]) => [ids[k]!, h3, t / 1000] as const))
      for (let c = 0; c < rows.length; c += CELL_BATCH) {
        const part = rows.slice(c, c + CELL_BATCH)
        await tx.query(pq.INSERT_CELLS, [part.map((r) => r[0]), part.map((r) => r[1]), part.map((r) => r[2])])
      }
      cells += rows.length
    }
    return cells
  })
  if (stored === null) return null
  await db.exec('ANALYZE patrol_track; ANALYZE patrol_cell')
  const report = { tracks: tracks.length, cells: stored, administrators: new Set(tracks.map((t) => t.administratorId)).size, ms: Date.now() - started }
  log(`Loaded ${report.tracks} demo patrol tracks of ${report.administrators} administrators (${report.cells} cells visited) in ${(report.ms / 1000).toFixed(1)} s`)
  return report
}

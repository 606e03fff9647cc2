/**
 * The cells a patrol track touches, checked against PostGIS: every
 * resolution-10 hexagon (cellToBoundary) that ST_Intersects the track's line.
 * The tracks are drawn to cut hexagon corners by a metre or less, which a line
 * followed in steps misses.
 */
import { cellToBoundary, gridDisk, latLngToCell } from 'h3-js'
import { expect, it } from 'vitest'
import { PATROL_RES, trackCells } from '../../server/patrols/track-cells.ts'
import type { TrackPoint } from '../../server/patrols/track-input.ts'
import { describeBackends } from '../helpers/backends.ts'

function random(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 4294967296)
}

/** A track of `legs` straight legs, each passing within `missM` metres of a vertex of the cell it starts in. */
function cornerCuttingTrack(rnd: () => number, legs: number, missM: number): TrackPoint[] {
  const M = 1 / 111_000
  let lon = 113.6 + rnd() * 0.4
  let lat = 22.8 + rnd() * 0.3
  let t = Date.UTC(2026, 0, 5, 1)
  const points: TrackPoint[] = [{ lon, lat, t }]
  for (let l = 0; l < legs; l++) {
    const ring = cellToBoundary(latLngToCell(lat, lon, PATROL_RES))
    const [vLat, vLng] = ring[Math.floor(rnd() * ring.length)]!
    // Aim past the vertex, a little to one side, and go on 10–150 m beyond it.
    const side = (rnd() - 0.5) * 2 * missM * M
    const dx = vLng + side - lon
    const dy = vLat - side - lat
    const len = Math.hypot(dx, dy)
    const beyond = (10 + rnd() * 140) * M
    lon += dx + (dx / len) * beyond
    lat += dy + (dy / len) * beyond
    t += 60_000
    points.push({ lon, lat, t })
  }
  return points
}

/** The resolution-10 cells PostGIS finds the track's line intersecting, among all cells within 4 of its positions. */
async function cellsByPostgis(db: { query: <R>(sql: string, params: unknown[]) => Promise<{ rows: R[] }> }, track: TrackPoint[]): Promise<Set<string>> {
  const near = new Set(track.flatMap((p) => gridDisk(latLngToCell(p.lat, p.lon, PATROL_RES), 4)))
  // Longest leg ≈ 260 m: four rings (≥ 4 × 114 m) around each end hold every cell the leg can reach.
  const cells = [...near]
  const rings = cells.map((c) => {
    const b = cellToBoundary(c)
    return `POLYGON((${[...b, b[0]!].map(([la, lo]) => `${lo} ${la}`).join(',')}))`
  })
  const line = `LINESTRING(${track.map((p) => `${p.lon} ${p.lat}`).join(',')})`
  const { rows } = await db.query<{ cell: string }>(
    `SELECT u.cell FROM unnest($1::text[], $2::text[]) AS u(cell, ring)
     WHERE ST_Intersects(ST_GeomFromText(u.ring, 4326), ST_GeomFromText($3, 4326))`,
    [cells, rings, line],
  )
  return new Set(rows.map((r) => r.cell))
}

describeBackends('Patrol track cells', ({ db }) => {
  it('are exactly the hexagons the line intersects, corners cut by under a metre included', async () => {
    const rnd = random(20261127)
    let cornerCells = 0
    for (let k = 0; k < 40; k++) {
      const track = cornerCuttingTrack(rnd, 12, k % 2 === 0 ? 1 : 0.2)
      const { cells } = trackCells(track)
      const expected = await cellsByPostgis(db(), track)
      expect([...cells.keys()].sort(), `track ${k}`).toEqual([...expected].sort())
      // How many of them the line is in for less than a metre: the fixture does cut corners.
      cornerCells += [...expected].filter((c) => !sampledEvery(track, 1).has(c)).length
    }
    expect(cornerCells).toBeGreaterThan(20)
  })

  it('date a cell by when the track first reached it, in the order the track went', async () => {
    const rnd = random(7)
    const track = cornerCuttingTrack(rnd, 30, 0.5)
    const { cells } = trackCells(track)
    const times = [...cells.values()]
    expect(times[0]).toBe(track[0]!.t)
    for (let k = 1; k < times.length; k++) expect(times[k]!).toBeGreaterThanOrEqual(times[k - 1]!)
    expect(times.at(-1)!).toBeLessThanOrEqual(track.at(-1)!.t)
    // The cell of each position was reached by the time the track got there.
    for (const p of track) expect(cells.get(latLngToCell(p.lat, p.lon, PATROL_RES))!).toBeLessThanOrEqual(p.t)
  })
})

/** The cells of positions every `m` metres along the track: what stepping alone finds. */
function sampledEvery(track: TrackPoint[], m: number): Set<string> {
  const out = new Set<string>()
  for (let i = 1; i < track.length; i++) {
    const a = track[i - 1]!
    const b = track[i]!
    const n = Math.ceil((Math.hypot(b.lon - a.lon, b.lat - a.lat) * 111_000) / m)
    for (let s = 0; s <= n; s++) out.add(latLngToCell(a.lat + (s / n) * (b.lat - a.lat), a.lon + (s / n) * (b.lon - a.lon), PATROL_RES))
  }
  return out
}

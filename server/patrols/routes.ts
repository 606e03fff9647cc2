import type { FastifyInstance } from 'fastify'
import { polygonToCells } from 'h3-js'
import { Type, type Static } from 'typebox'
import { MOMENT_PATTERN, readMoment } from '../analytics/period-scope.ts'
import type { Db } from '../db/client.ts'
import { AppError, notFound } from '../errors.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import type { LookupService } from '../lookup/lookup-service.ts'
import { ownGrids } from '../auth/principal.ts'
import { actorOf } from '../incidents/routes.ts'
import * as q from './queries.ts'
import { PATROL_RES, trackCells } from './track-cells.ts'
import { readGeoJsonTrack, readGpxTrack } from './track-input.ts'
import { EmployeeNo } from '../administrators/employee-no.ts'

const TracksQuery = Type.Object(
  {
    employeeNo: Type.Optional(EmployeeNo()),
    grid: Type.Optional(Type.String({ pattern: '^[0-9]{15}$' })),
    from: Type.Optional(Type.String({ pattern: MOMENT_PATTERN })),
    to: Type.Optional(Type.String({ pattern: MOMENT_PATTERN })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
)

const CoverageQuery = Type.Object(
  {
    grid: Type.Optional(Type.String({ pattern: '^[0-9]{15}$' })),
    community: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    town: Type.Optional(Type.String({ pattern: '^[0-9]{9}$' })),
  },
  { additionalProperties: false },
)

interface TrackRow { id: number; employee_no: string; started_at: Date; ended_at: Date; length_m: number; geometry: string; cells: number }

/** A stored track as a GeoJSON Feature. */
const trackFeature = (r: TrackRow) => ({
  type: 'Feature',
  id: r.id,
  geometry: JSON.parse(r.geometry) as unknown,
  properties: { employeeNo: r.employee_no, startedAt: r.started_at.toISOString(), endedAt: r.ended_at.toISOString(), lengthM: Math.round(r.length_m), cells: r.cells },
})

export default async function patrolRoutes(app: FastifyInstance, opts: { db: Db; lookup: LookupService }) {
  const { db, lookup } = opts
  app.addContentTypeParser(['application/gpx+xml', 'application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_r, body, done) => done(null, body))

  app.post<{ Querystring: { employeeNo: string } }>(
    '/api/v1/patrols',
    { config: { roles: ['admin', 'grid_admin', 'system'] }, bodyLimit: 32 * 1024 * 1024, schema: { querystring: Type.Object({ employeeNo: EmployeeNo() }) } },
    async (request, reply) => {
      const admin = (await db.query<{ id: number }>(q.ADMINISTRATOR, [request.query.employeeNo])).rows[0]
      if (!admin) throw new AppError('not-found', `No administrator with employee number ${JSON.stringify(request.query.employeeNo)}`)
      // A grid administrator records their own patrols only.
      const principal = request.principal
      if (principal.role === 'grid_admin' && principal.administratorId !== admin.id) {
        throw new AppError('forbidden', `The key ${JSON.stringify(principal.name)} records patrols of its own administrator only, not of ${request.query.employeeNo}`)
      }
      const track = typeof request.body === 'string' ? readGpxTrack(request.body) : readGeoJsonTrack(request.body)
      if (!track.ok) throw new AppError('invalid-track', `Patrol track rejected: ${track.problems.join('; ')}`, { errors: track.problems })
      const { cells, lengthM } = trackCells(track.points)
      const pts = track.points
      const line = [admin.id, new Date(pts[0]!.t), new Date(pts.at(-1)!.t), pts.map((p) => p.lon), pts.map((p) => p.lat)]
      const stored = await db.transaction(async (tx) => {
        // A track sent again (a retry after a lost answer, a device syncing twice, even at once) is stored once.
        await tx.query(q.LOCK_ADMINISTRATOR_TRACKS, [admin.id])
        const same = (await tx.query<{ id: number }>(q.SAME_TRACK, line)).rows[0]
        if (same) return { id: same.id, created: false }
        const row = (await tx.query<{ id: number }>(q.INSERT_TRACK, [...line, lengthM])).rows[0]!
        await tx.query(q.INSERT_CELLS, [row.id, [...cells.keys()], [...cells.values()]])
        return { id: row.id, created: true }
      })
      const id = stored.id
      reply.code(stored.created ? 201 : 200).header('location', `/api/v1/patrols/${id}`)
      return { id, ...(stored.created ? {} : { duplicate: true }), employeeNo: request.query.employeeNo, actor: actorOf(request), positions: pts.length, lengthM: Math.round(lengthM), cells: cells.size, startedAt: new Date(pts[0]!.t).toISOString(), endedAt: new Date(pts.at(-1)!.t).toISOString() }
    },
  )

  app.get<{ Querystring: Static<typeof TracksQuery> }>(
    '/api/v1/patrols',
    { config: { roles: ['admin', 'supervisor', 'planner', 'analyst', 'grid_admin'] }, schema: { querystring: TracksQuery } },
    async (request, reply) => {
      const { employeeNo, grid, from, to, limit } = request.query
      const since = from ? readMoment('from', from) : null
      const until = to ? readMoment('to', to) : null
      // A grid administrator sees their own tracks only.
      const principal = request.principal
      const own = principal.role === 'grid_admin' ? (principal.administratorId ?? -1) : null
      const { rows } = await db.query<TrackRow>(
        q.TRACKS, [employeeNo ?? null, grid ?? null, since, until, limit, own],
      )
      reply.type('application/geo+json')
      return { type: 'FeatureCollection', numberReturned: rows.length, features: rows.map(trackFeature) }
    },
  )

  app.get<{ Params: { id: number } }>(
    '/api/v1/patrols/:id',
    { config: { roles: ['admin', 'supervisor', 'planner', 'analyst', 'grid_admin'] }, schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) } },
    async (request, reply) => {
      const row = (await db.query<TrackRow & { administrator_id: number }>(q.TRACK, [request.params.id])).rows[0]
      if (!row) throw notFound('patrol track', String(request.params.id))
      const principal = request.principal
      if (principal.role === 'grid_admin' && principal.administratorId !== row.administrator_id) {
        throw new AppError('forbidden', `Patrol track ${row.id} is not one of your own; the key ${JSON.stringify(principal.name)} reads its own administrator's tracks only`)
      }
      reply.type('application/geo+json')
      return trackFeature(row)
    },
  )

  app.get<{ Querystring: Static<typeof CoverageQuery> }>(
    '/api/v1/patrols/coverage',
    { config: { roles: ['admin', 'supervisor', 'planner', 'analyst', 'grid_admin'] }, schema: { querystring: CoverageQuery } },
    async (request) => {
      const { grid, community, town } = request.query
      const named = [grid, community, town].filter((x) => x !== undefined)
      if (named.length !== 1) throw new AppError('invalid-parameter', `Name one grid, community or town${named.length > 1 ? `, not ${named.length}` : ''}`)
      const prefix = named[0]!
      const ix = await lookup.indexFor()
      let grids = ix.codes.map((c, g) => [c, g] as const).filter(([c]) => c.startsWith(prefix))
      if (grids.length === 0) throw notFound('grid, community or town', prefix)
      // A grid administrator sees the coverage of their own grids only.
      const own = ownGrids(request.principal)
      if (own) {
        grids = grids.filter(([c]) => own.includes(c))
        if (grids.length === 0) throw new AppError('forbidden', `The key ${JSON.stringify(request.principal.name)} sees the patrol coverage of its own grids only (${own.join(', ') || 'none'}), none of which is in ${prefix}`)
      }
      const cellsOf = grids.map(([, g]) => gridCells(ix, g))
      const visited = new Map((await db.query<{ h3: string; last7: boolean }>(q.VISITED, [cellsOf.flat()])).rows.map((r) => [r.h3, r.last7]))
      const share = (n: number, of: number) => Math.round((n / Math.max(of, 1)) * 10000) / 10000
      return {
        resolution: PATROL_RES,
        generation: ix.generation.id,
        items: grids.map(([code], k) => {
          const cells = cellsOf[k]!
          const v30 = cells.filter((c) => visited.has(c)).length
          const v7 = cells.filter((c) => visited.get(c) === true).length
          return { grid: code, cells: cells.length, visited7: v7, share7: share(v7, cells.length), visited30: v30, share30: share(v30, cells.length) }
        }),
      }
    },
  )
}

const cellCache = new WeakMap<IndexedGeneration, Map<number, string[]>>()

/** The resolution-10 cells whose centres lie in grid g (cached per generation). */
export function gridCells(ix: IndexedGeneration, g: number): string[] {
  let cache = cellCache.get(ix)
  if (!cache) cellCache.set(ix, (cache = new Map()))
  let cells = cache.get(g)
  if (!cells) {
    const { coords, ringStart, gridRing } = ix.index.polygons
    const rings: number[][][] = []
    for (let r = gridRing[g]!; r < gridRing[g + 1]!; r++) {
      const ring: number[][] = []
      for (let v = ringStart[r]!; v < ringStart[r + 1]!; v++) ring.push([coords[2 * v]!, coords[2 * v + 1]!])
      rings.push(ring)
    }
    // Treat each ring as its own polygon and subtract holes by even-odd: a cell centre inside an odd number of rings is in the grid.
    const counts = new Map<string, number>()
    for (const ring of rings) for (const c of polygonToCells([ring], PATROL_RES, true)) counts.set(c, (counts.get(c) ?? 0) + 1)
    cells = [...counts].filter(([, n]) => n % 2 === 1).map(([c]) => c).sort()
    cache.set(g, cells)
  }
  return cells
}

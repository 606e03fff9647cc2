/**
 * Vector tiles and their TileJSON:
 *   GET /tiles/{layer}/{z}/{x}/{y}.mvt   application/vnd.mapbox-vector-tile; 204 when empty
 *   GET /tiles/{layer}.json              TileJSON 3.0.0
 * One route pair per layer of the allow-list (./layers.ts), each admitting
 * that layer's roles; any other layer name is a 404. Tiles carry a strong
 * ETag (If-None-Match → 304) and the layer's Cache-Control. Registered with
 * fastify-plugin so the rest of the app can reach `app.tiles.invalidate()`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type, type Static } from 'typebox'
import { CHANNELS, readFilters, STATUSES } from '../analytics/analytics-params.ts'
import { EVERYONE } from '../auth/roles.ts'
import type { Db } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { confinement } from '../incidents/routes.ts'
import { LAYER_NAMES, LAYERS, MAX_ZOOM, type LayerSpec } from './layers.ts'
import { isTileOf } from './tile-math.ts'
import { TileService, type GenerationBounds, type TileServiceOptions } from './tile-service.ts'
import type { IncidentFilters } from './tile-sources.ts'

export const MVT_TYPE = 'application/vnd.mapbox-vector-tile'

declare module 'fastify' {
  interface FastifyInstance {
    tiles: TileService
  }
}

const DAY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
const list = (item: string) => Type.String({ pattern: `^${item}(,${item})*$` })
const FilterQuery = Type.Object({
  from: Type.Optional(Type.String({ pattern: DAY, description: 'first local day (Asia/Shanghai), inclusive; default: 365 days before `to`' })),
  to: Type.Optional(Type.String({ pattern: DAY, description: 'last local day, exclusive; default: tomorrow' })),
  categories: Type.Optional(list('[A-Z][A-Z0-9_-]{0,31}')),
  channels: Type.Optional(list(`(${CHANNELS.join('|')})`)),
  status: Type.Optional(list(`(${STATUSES.join('|')})`)),
})
type FilterQuery = Static<typeof FilterQuery>
const FILTER_NAMES = ['from', 'to', 'categories', 'channels', 'status'] as const

const TileParams = Type.Object({
  z: Type.Integer({ minimum: 0, maximum: MAX_ZOOM }),
  x: Type.Integer({ minimum: 0 }),
  y: Type.Integer({ minimum: 0 }),
})
type TileParams = Static<typeof TileParams>

export interface TileRoutesOptions extends TileServiceOptions {
  db: Db
}

async function tileRoutes(app: FastifyInstance, opts: TileRoutesOptions) {
  const tiles = new TileService(opts.db, opts)
  app.decorate('tiles', tiles)

  for (const layer of Object.values(LAYERS)) {
    const incidentLayer = layer.kind !== 'boundary'
    const querystring = incidentLayer ? FilterQuery : Type.Object({})

    app.get<{ Params: TileParams; Querystring: FilterQuery }>(
      `/tiles/${layer.name}/:z/:x/:y.mvt`,
      { config: { roles: layer.roles }, schema: { params: TileParams, querystring } },
      async (request, reply) => {
        const { z, x, y } = request.params
        if (!isTileOf(z, x, y)) throw new AppError('invalid-parameter', `No tile ${z}/${x}/${y}: at zoom ${z}, x and y run from 0 to ${2 ** z - 1}`)
        const filters = incidentLayer ? readIncidentFilters(request.query) : null
        const own = incidentLayer ? confinement(request).grids : null
        const tile = await tiles.tile(layer, { z, x, y }, filters, own)
        reply.header('cache-control', layer.cacheControl)
        if (!tile.bytes) return reply.code(204).send()
        reply.header('etag', tile.etag)
        if (matches(request.headers['if-none-match'], tile.etag!)) return reply.code(304).send()
        return reply.type(MVT_TYPE).send(Buffer.from(tile.bytes.buffer, tile.bytes.byteOffset, tile.bytes.byteLength))
      },
    )

    app.get<{ Querystring: FilterQuery }>(
      `/tiles/${layer.name}.json`,
      { config: { roles: layer.roles }, schema: { querystring } },
      async (request, reply) => {
        if (incidentLayer) readIncidentFilters(request.query) // a bad filter fails here, not in every tile
        const current = await tiles.currentBounds()
        if (!current) throw new AppError('not-found', 'No boundary generation has been imported yet')
        reply.header('cache-control', incidentLayer ? layer.cacheControl : 'public, max-age=60')
        return tileJson(request, layer, current, incidentLayer ? request.query : {})
      },
    )
  }

  // Anything else under /tiles names a layer that is not on the allow-list.
  const unknown = async (request: FastifyRequest<{ Params: { layer: string } }>): Promise<never> => {
    throw new AppError('not-found', `No tile layer ${JSON.stringify(request.params.layer)}; the layers are ${LAYER_NAMES.join(', ')}`)
  }
  app.get('/tiles/:layer/:z/:x/:y.mvt', { config: { roles: EVERYONE } }, unknown)
  app.get('/tiles/:layer.json', { config: { roles: EVERYONE } }, unknown)
}

function readIncidentFilters(query: FilterQuery): IncidentFilters {
  const f = readFilters(query)
  const sorted = (v: string[] | null) => (v ? [...v].sort() : null)
  return { from: f.from, to: f.to, categories: sorted(f.categories), channels: sorted(f.channels), status: sorted(f.status) }
}

/** If-None-Match holds `etag` (or `*`); weak comparison, as RFC 9110 asks for GET. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  const strip = (t: string) => t.trim().replace(/^W\//, '')
  return header.split(',').some((t) => strip(t) === '*' || strip(t) === etag)
}

/** The filters of the TileJSON request are carried into its tile URLs, so a source made from it is already filtered. */
function tileJson(request: FastifyRequest, layer: LayerSpec, current: GenerationBounds, filters: FilterQuery) {
  const params = new URLSearchParams()
  for (const name of FILTER_NAMES) if (filters[name]) params.set(name, filters[name])
  const search = params.size > 0 ? `?${params}` : ''
  const [w, s, e, n] = current.bounds
  const center = Math.max(layer.minzoom, Math.min(layer.maxzoom, 12))
  return {
    tilejson: '3.0.0',
    name: `zhiwang-${layer.name}`,
    description: layer.description,
    version: '1.0.0',
    scheme: 'xyz',
    tiles: [`${request.protocol}://${request.host}/tiles/${layer.name}/{z}/{x}/{y}.mvt${search}`],
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    bounds: [w, s, e, n],
    center: [(w + e) / 2, (s + n) / 2, center],
    vector_layers: [{ id: layer.name, description: layer.description, minzoom: layer.minzoom, maxzoom: layer.maxzoom, fields: layer.fields }],
    generation: { id: current.generation, label: current.label },
  }
}

export default fp(tileRoutes, { name: 'tiles' })

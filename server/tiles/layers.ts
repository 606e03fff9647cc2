/**
 * The allow-list of tile layers. A request names a layer; only these names
 * reach any SQL, and each says who may read it, at which zooms it has data,
 * which attributes its features carry and how long a client may keep a tile.
 * The MVT layer inside every tile is named like the layer (the console's
 * `source-layer`).
 */
import { EVERYONE } from '../auth/roles.ts'

export type LayerKind = 'boundary' | 'incidents' | 'h3'
export type FieldType = 'String' | 'Number'

export interface LayerSpec {
  name: string
  kind: LayerKind
  /** Unit level of a boundary layer. */
  level?: 'town' | 'community' | 'grid'
  /** Below minzoom a tile is empty (204): the layer has no data to show there. */
  minzoom: number
  /** The deepest zoom with its own tiles (TileJSON); deeper requests are served too, clients usually overzoom. */
  maxzoom: number
  roles: readonly string[]
  /** Attribute name → type, as TileJSON `vector_layers[].fields` lists them. An attribute whose value is null is left out of the feature. */
  fields: Record<string, FieldType>
  description: string
  /** Boundaries may be cached anywhere for a while; incident tiles are per caller and must be revalidated. */
  cacheControl: string
  /** How long the server keeps a built tile (ms); boundary tiles also go when the generation or the workload changes. */
  serverTtlMs: number
}

/** Every zoom a request may name; a layer outside its [minzoom, …] answers 204. */
export const MAX_ZOOM = 22

/** Who may read incident points and aggregates (grid administrators only their own grids'). */
export const INCIDENT_READERS = ['admin', 'supervisor', 'analyst', 'planner', 'grid_admin'] as const

const UNIT_FIELDS: Record<string, FieldType> = { code: 'String', name: 'String', name_en: 'String', parent: 'String' }
// Revalidated every time (If-None-Match → 304, cheap): a published plan must show at once, not after a browser's max-age.
const BOUNDARY_CACHE = 'public, no-cache'
const INCIDENT_CACHE = 'private, no-cache'

export const LAYERS: Readonly<Record<string, LayerSpec>> = Object.freeze({
  towns: {
    name: 'towns', kind: 'boundary', level: 'town', minzoom: 6, maxzoom: 16, roles: EVERYONE, fields: UNIT_FIELDS,
    description: 'Towns and subdistricts (镇街) of the current boundary generation',
    cacheControl: BOUNDARY_CACHE, serverTtlMs: Infinity,
  },
  communities: {
    name: 'communities', kind: 'boundary', level: 'community', minzoom: 8, maxzoom: 16, roles: EVERYONE, fields: UNIT_FIELDS,
    description: 'Communities and villages (社区) of the current boundary generation',
    cacheControl: BOUNDARY_CACHE, serverTtlMs: Infinity,
  },
  grids: {
    name: 'grids', kind: 'boundary', level: 'grid', minzoom: 9, maxzoom: 16, roles: EVERYONE,
    fields: {
      ...UNIT_FIELDS, population: 'Number', households: 'Number', area_km2: 'Number', administrators: 'Number',
      load: 'Number', load_per_admin: 'Number', deviation: 'Number',
    },
    description: 'Grids (网格) of the current boundary generation with their workload: load = effort-weighted countable incidents of the last 365 days, ' +
      'deviation = (load − mean load of the community’s grids) / that mean',
    cacheControl: BOUNDARY_CACHE, serverTtlMs: Infinity,
  },
  incidents: {
    name: 'incidents', kind: 'incidents', minzoom: 12, maxzoom: 16, roles: INCIDENT_READERS,
    fields: { id: 'Number', category: 'String', status: 'String', channel: 'String', reported_at: 'Number', supervision_level: 'Number' },
    description: 'Incident points; reported_at in Unix seconds, supervision_level 0 on time … 3 overdue by the whole deadline span',
    cacheControl: INCIDENT_CACHE, serverTtlMs: 10_000,
  },
  h3: {
    name: 'h3', kind: 'h3', minzoom: 8, maxzoom: 16, roles: INCIDENT_READERS,
    fields: { cell: 'String', res: 'Number', count: 'Number', load: 'Number' },
    description: 'Incident counts and effort-weighted load per H3 cell (resolution 7 at z ≤ 9, 8 at z 10–11, 9 at z 12–13, 10 from z 14)',
    cacheControl: INCIDENT_CACHE, serverTtlMs: 10_000,
  },
} satisfies Record<string, LayerSpec>)

export const LAYER_NAMES = Object.keys(LAYERS)

/** The layer called `name`, or null when it is not on the allow-list. */
export function layerNamed(name: string): LayerSpec | null {
  return Object.hasOwn(LAYERS, name) ? LAYERS[name]! : null
}

/** The H3 resolution of the h3 layer's cells at zoom z. */
export function h3ResolutionAt(z: number): number {
  if (z <= 9) return 7
  if (z <= 11) return 8
  if (z <= 13) return 9
  return 10
}

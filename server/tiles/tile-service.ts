/**
 * Tiles as the routes serve them: from the cache when the same tile of the
 * same data was built before, else built and remembered. The current
 * generation id (one indexed row) is read at most once a second, so a
 * generation published by any server on the database invalidates the
 * boundary tiles here within a second; `invalidate()` is for changes the
 * generation id does not show (a plan published into the current generation,
 * edited administrators) and takes effect at once.
 */
import { createHash } from 'node:crypto'
import type { Db } from '../db/client.ts'
import { CellTotals } from './cell-totals.ts'
import { GridWorkloads } from './grid-workload.ts'
import { LAYERS, type LayerSpec } from './layers.ts'
import * as q from './queries.ts'
import { TileCache, type CachedTile } from './tile-cache.ts'
import { boundaryTile, h3Tile, incidentTile, type IncidentFilters } from './tile-sources.ts'
import { tileRange, type TileId } from './tile-math.ts'

export interface TileServiceOptions {
  /** Memory for built tiles (default 64 MiB). */
  cacheBytes?: number
  /** How long a read of the current generation id is trusted (default 1 s): cached tiles then cost no query at all. */
  generationCheckMs?: number
}

export interface GenerationBounds {
  generation: number
  label: string
  bounds: [number, number, number, number]
}

export class TileService {
  readonly cache: TileCache
  readonly workloads: GridWorkloads
  readonly cellTotals: CellTotals
  private readonly generationCheckMs: number
  private generation: number | null = null
  private checked: { at: number; id: Promise<number | null> } | null = null
  private bounds: Promise<GenerationBounds | null> | null = null

  constructor(private readonly db: Db, options: TileServiceOptions = {}) {
    this.cache = new TileCache(options.cacheBytes)
    this.workloads = new GridWorkloads(db)
    this.cellTotals = new CellTotals(db)
    this.generationCheckMs = options.generationCheckMs ?? 1000
  }

  /** The current generation's id (null before the first import); clears the cache when it changed. */
  currentGeneration(): Promise<number | null> {
    if (this.checked && Date.now() - this.checked.at < this.generationCheckMs) return this.checked.id
    const id = this.db.query<{ id: number | null }>(q.CURRENT_GENERATION).then(({ rows }) => {
      const current = rows[0]?.id ?? null
      if (current !== this.generation) {
        this.generation = current
        this.forget()
      }
      return current
    })
    const checked = (this.checked = { at: Date.now(), id })
    id.catch(() => this.checked === checked && (this.checked = null))
    return id
  }

  /** Forgets every built tile, the workload numbers and the bounds, and reads the generation again. */
  invalidate(): void {
    this.forget()
    this.checked = null
  }

  private forget() {
    this.cache.clear()
    this.workloads.invalidate()
    this.cellTotals.clear()
    this.bounds = null
  }

  /** The bounding box of the current generation, for TileJSON (null before the first import). */
  async currentBounds(): Promise<GenerationBounds | null> {
    const generation = await this.currentGeneration()
    if (generation === null) return null
    const bounds = (this.bounds ??= this.db.query<{ label: string; west: number; south: number; east: number; north: number }>(q.GENERATION_BOUNDS, [generation]).then(({ rows }) => {
      const r = rows[0]
      return r ? { generation, label: r.label, bounds: [r.west, r.south, r.east, r.north] as GenerationBounds['bounds'] } : null
    }))
    bounds.catch(() => (this.bounds = null))
    return bounds
  }

  /**
   * Builds the town and community tiles that cover the current generation at
   * `zooms` (the console opens on the whole city: zoom 9 to 10 on common
   * screens, its tiles those of zoom 9 or 10), so the first
   * picture after a start or a publish needs only its grid tiles built: about
   * half the queries on the embedded database. Grid tiles are left to the
   * first request, because they carry the workload numbers, which are kept
   * for 15 minutes once computed: warmed at start, they would hide the
   * incidents loaded right after it. One tile at a time, so requests are
   * never queued behind a burst of them. Resolves to the number of tiles; a
   * tile that fails is simply built on request later.
   */
  async warm(zooms: readonly number[] = [9, 10]): Promise<number> {
    const current = await this.currentBounds().catch(() => null)
    if (!current) return 0
    let built = 0
    for (const zoom of zooms) for (const layer of Object.values(LAYERS)) {
      if (layer.kind !== 'boundary' || layer.level === 'grid' || zoom < layer.minzoom || zoom > layer.maxzoom) continue
      const { x0, y0, x1, y1 } = tileRange(current.bounds, zoom)
      for (let x = x0; x <= x1; x++) {
        for (let y = y0; y <= y1; y++) {
          const tile = await this.tile(layer, { z: zoom, x, y }, null, null).catch(() => null)
          if (tile) built++
        }
      }
    }
    return built
  }

  /**
   * The tile, built or remembered. `filters` and `ownGrids` (a grid
   * administrator's confinement) only matter to the incident layers.
   */
  async tile(layer: LayerSpec, tile: TileId, filters: IncidentFilters | null, ownGrids: string[] | null): Promise<CachedTile> {
    if (tile.z < layer.minzoom) return EMPTY
    // Incident layers do not depend on boundaries: no generation check for them.
    const generation = layer.kind === 'boundary' ? await this.currentGeneration() : null
    if (generation === null && layer.kind === 'boundary') return EMPTY
    const workload = layer.level === 'grid' ? await this.workloads.forGeneration(generation!) : null
    const key = [generation, layer.name, `${tile.z}/${tile.x}/${tile.y}`, workload?.version ?? '', filterKey(filters), ownGrids ? [...ownGrids].sort().join(',') : '*'].join('|')
    const cached = this.cache.get(key)
    if (cached) return cached
    let bytes: Uint8Array | null
    if (layer.kind === 'boundary') bytes = await boundaryTile(this.db, layer, tile, generation!, workload)
    else if (layer.kind === 'incidents') bytes = await incidentTile(this.db, layer, tile, filters!, ownGrids)
    else bytes = await h3Tile(this.db, this.cellTotals, layer, tile, filters!, ownGrids)
    const built = { bytes, etag: bytes ? etagOf(bytes) : null }
    this.cache.set(key, built, layer.serverTtlMs)
    return built
  }
}

const EMPTY: CachedTile = Object.freeze({ bytes: null, etag: null })

function filterKey(f: IncidentFilters | null): string {
  if (!f) return ''
  return [f.from, f.to, f.categories?.join(',') ?? '*', f.channels?.join(',') ?? '*', f.status?.join(',') ?? '*'].join(';')
}

/** A strong validator from the bytes themselves: equal tiles, equal tags, whatever the cache did in between. */
function etagOf(bytes: Uint8Array): string {
  return `"${createHash('sha1').update(bytes).digest('base64url')}"`
}

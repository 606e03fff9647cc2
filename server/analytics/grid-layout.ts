/**
 * Grid outlines, residents and queen contiguity (neighbours share an edge or a
 * vertex; see ./grid-neighbours.ts) of a generation. A generation's boundaries
 * never change after it is published, so each is computed once per server, in
 * a small cache.
 */
import type { Db } from '../db/client.ts'
import type { IndexedGeneration } from '../lookup/indexed-generation.ts'
import * as q from './cube-queries.ts'
import { queenNeighbours } from './grid-neighbours.ts'

export interface GridLayout {
  grids: { code: string; name: string; population: number; geometry: string }[]
  neighbours: [string, string][]
}

const CACHE_SIZE = 4

export class GridLayouts {
  private readonly cache = new Map<number, Promise<GridLayout>>()

  constructor(private readonly db: Db) {}

  /** The layout of `ix`'s generation; its neighbours come from the index's polygons. */
  get(ix: IndexedGeneration): Promise<GridLayout> {
    const generationId = ix.generation.id
    let entry = this.cache.get(generationId)
    if (!entry) {
      entry = this.load(ix)
      entry.catch(() => this.cache.delete(generationId))
      this.cache.set(generationId, entry)
      while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    }
    return entry
  }

  private async load(ix: IndexedGeneration): Promise<GridLayout> {
    const grids = (await this.db.query<{ code: string; name_zh: string; population: number; geometry: string }>(q.GRIDS, [ix.generation.id])).rows
    const codes = ix.codes
    return {
      grids: grids.map((g) => ({ code: g.code, name: g.name_zh, population: g.population, geometry: g.geometry })),
      neighbours: queenNeighbours(ix.index.polygons).map(([a, b]) => [codes[a]!, codes[b]!]),
    }
  }
}

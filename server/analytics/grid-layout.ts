/**
 * Grid outlines, residents and queen contiguity (neighbours share an edge or a
 * vertex) of a generation. A generation's boundaries never change after it is
 * published, so each is computed once per server, in a small cache.
 */
import type { Db } from '../db/client.ts'
import * as q from './cube-queries.ts'

export interface GridLayout {
  grids: { code: string; name: string; population: number; geometry: string }[]
  neighbours: [string, string][]
}

const CACHE_SIZE = 4

export class GridLayouts {
  private readonly cache = new Map<number, Promise<GridLayout>>()

  constructor(private readonly db: Db) {}

  get(generationId: number): Promise<GridLayout> {
    let entry = this.cache.get(generationId)
    if (!entry) {
      entry = this.load(generationId)
      entry.catch(() => this.cache.delete(generationId))
      this.cache.set(generationId, entry)
      while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    }
    return entry
  }

  private async load(generationId: number): Promise<GridLayout> {
    const grids = (await this.db.query<{ code: string; name_zh: string; population: number; geometry: string }>(q.GRIDS, [generationId])).rows
    const pairs = (await this.db.query<{ a: string; b: string }>(q.GRID_NEIGHBOURS, [generationId])).rows
    return {
      grids: grids.map((g) => ({ code: g.code, name: g.name_zh, population: g.population, geometry: g.geometry })),
      neighbours: pairs.map((p) => [p.a, p.b]),
    }
  }
}

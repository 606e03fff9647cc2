/**
 * Built tiles kept in memory: least recently used first out once the bytes
 * held pass a budget, and each entry good for a time of its own. An empty
 * tile is remembered too (as null bytes), since asking for nothing costs a
 * query like anything else. Keys say everything a tile depends on
 * (generation, layer, z/x/y, data version, normalised filters, caller's
 * confinement), so a stale entry is simply never asked for again; `clear()`
 * is there for when the data behind the keys changed.
 */

export interface CachedTile {
  /** The tile, or null for an empty one (204). */
  bytes: Uint8Array | null
  etag: string | null
}

interface Entry extends CachedTile {
  size: number
  expires: number
}

/** What an entry costs besides its bytes (key, object, map slot): keeps a flood of empty tiles bounded too. */
const OVERHEAD = 200

export class TileCache {
  private readonly entries = new Map<string, Entry>()
  private held = 0
  hits = 0
  misses = 0

  constructor(readonly maxBytes = 64 * 2 ** 20, private readonly now: () => number = Date.now) {
    if (!(maxBytes >= 0)) throw new Error(`Unexpected maxBytes value: ${maxBytes}`)
  }

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.held
  }

  /** The tile under `key`, or null when it was never stored, has expired or was pushed out. */
  get(key: string): CachedTile | null {
    const entry = this.entries.get(key)
    if (!entry || entry.expires <= this.now()) {
      if (entry) this.remove(key, entry)
      this.misses++
      return null
    }
    this.entries.delete(key) // re-insert: most recently used last
    this.entries.set(key, entry)
    this.hits++
    return entry
  }

  set(key: string, tile: CachedTile, ttlMs: number): void {
    if (!(ttlMs > 0)) return
    const old = this.entries.get(key)
    if (old) this.remove(key, old)
    const size = (tile.bytes?.byteLength ?? 0) + key.length * 2 + OVERHEAD
    if (size > this.maxBytes) return
    this.entries.set(key, { ...tile, size, expires: this.now() + ttlMs })
    this.held += size
    for (const [k, e] of this.entries) {
      if (this.held <= this.maxBytes) break
      this.remove(k, e)
    }
  }

  /** Forgets every tile (new boundaries, a published plan). */
  clear(): void {
    this.entries.clear()
    this.held = 0
  }

  private remove(key: string, entry: Entry) {
    this.entries.delete(key)
    this.held -= entry.size
  }
}

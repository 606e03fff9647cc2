/**
 * Presented keys, remembered briefly so that a busy client costs one database
 * lookup per TTL rather than one per request. Holds the lookup's promise, so
 * a burst of requests with a new key waits for a single query. Keys nobody
 * has are not remembered: a key made a moment ago (by the CLI, in another
 * process) works at once. A revocation through the API forgets the key here
 * at once; one made elsewhere (the CLI, another server) takes up to the TTL.
 */
import type { KeyRecord } from './api-keys.ts'

interface Entry {
  expires: number
  record: Promise<KeyRecord | null>
  /** The record once the lookup has answered. */
  settled?: KeyRecord
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached record for a secret's hash, or `load()`'s answer, remembered when it is a key. */
  get(hash: string, load: () => Promise<KeyRecord | null>, now = Date.now()): Promise<KeyRecord | null> {
    const hit = this.entries.get(hash)
    if (hit && hit.expires > now) return hit.record
    if (hit) this.entries.delete(hash)
    if (this.ttlMs <= 0) return load()
    const record = load()
    const entry: Entry = { expires: now + this.ttlMs, record }
    this.entries.set(hash, entry)
    record.then(
      (r) => (r === null ? this.entries.get(hash)?.record === record && this.entries.delete(hash) : (entry.settled = r)),
      () => this.entries.get(hash)?.record === record && this.entries.delete(hash),
    )
    // Map iteration follows insertion: the first entries are the oldest.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
    return record
  }

  /**
   * The record for a secret's hash if a lookup of it has answered and is
   * still remembered, without waiting; undefined otherwise.
   */
  peek(hash: string, now = Date.now()): KeyRecord | undefined {
    const hit = this.entries.get(hash)
    return hit !== undefined && hit.expires > now ? hit.settled : undefined
  }

  /** Forgets a key (after it was revoked). */
  async forget(keyId: number): Promise<void> {
    for (const [hash, entry] of [...this.entries]) {
      const record = await entry.record.catch(() => null)
      if (record?.principal.keyId === keyId) this.entries.delete(hash)
    }
  }

  clear(): void {
    this.entries.clear()
  }
}

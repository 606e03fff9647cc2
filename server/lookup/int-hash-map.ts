/**
 * An open-addressing hash map from positive 32-bit integer keys to 32-bit
 * values, in one typed array of (key, value) pairs: no objects, no boxing,
 * nothing for the garbage collector on the lookup path, and a key and its
 * value share a cache line, so a lookup in a table too large for the caches
 * costs one memory access, not two.
 */
export class IntHashMap {
  /** slots[2s] the key of slot s (0: empty), slots[2s + 1] its value. */
  private slots: Int32Array
  private mask: number
  size = 0

  constructor(expected = 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, (expected * 4) / 3)))
    this.slots = new Int32Array(2 * capacity)
    this.mask = capacity - 1
  }

  /** Keys must be > 0 (0 marks an empty slot). */
  set(key: number, value: number): void {
    if (key <= 0 || !Number.isInteger(key) || key > 0x7fffffff) throw new Error(`Unexpected key value: ${key}`)
    // Grows at 3/4 full: linear probing stays short and the tables stay small.
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow()
    const slots = this.slots
    let s = hash(key) & this.mask
    while (slots[2 * s] !== 0 && slots[2 * s] !== key) s = (s + 1) & this.mask
    if (slots[2 * s] === 0) this.size++
    slots[2 * s] = key
    slots[2 * s + 1] = value
  }

  get(key: number): number | undefined {
    const slots = this.slots
    const mask = this.mask
    let s = hash(key) & mask
    for (;;) {
      const k = slots[2 * s]!
      if (k === key) return slots[2 * s + 1]
      if (k === 0) return undefined
      s = (s + 1) & mask
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined
  }

  private grow() {
    const old = this.slots
    this.slots = new Int32Array(2 * old.length)
    this.mask = old.length - 1
    this.size = 0
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.set(old[s]!, old[s + 1]!)
  }
}

function hash(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> 0
}

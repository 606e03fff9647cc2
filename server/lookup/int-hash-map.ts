/**
 * An open-addressing hash map from positive 32-bit integer keys to 32-bit
 * values, in two typed arrays: no objects, no boxing, nothing for the garbage
 * collector on the lookup path.
 */
export class IntHashMap {
  private keys: Int32Array
  private values: Int32Array
  private mask: number
  size = 0

  constructor(expected = 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, (expected * 4) / 3)))
    this.keys = new Int32Array(capacity)
    this.values = new Int32Array(capacity)
    this.mask = capacity - 1
  }

  /** Keys must be > 0 (0 marks an empty slot). */
  set(key: number, value: number): void {
    if (key <= 0 || !Number.isInteger(key) || key > 0x7fffffff) throw new Error(`Unexpected key value: ${key}`)
    // Grows at 3/4 full: linear probing stays short and the tables stay small.
    if ((this.size + 1) * 4 > this.keys.length * 3) this.grow()
    let slot = hash(key) & this.mask
    while (this.keys[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & this.mask
    if (this.keys[slot] === 0) this.size++
    this.keys[slot] = key
    this.values[slot] = value
  }

  get(key: number): number | undefined {
    let slot = hash(key) & this.mask
    for (;;) {
      const k = this.keys[slot]!
      if (k === key) return this.values[slot]
      if (k === 0) return undefined
      slot = (slot + 1) & this.mask
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined
  }

  private grow() {
    const { keys, values } = this
    this.keys = new Int32Array(keys.length * 2)
    this.values = new Int32Array(keys.length * 2)
    this.mask = this.keys.length - 1
    this.size = 0
    for (let s = 0; s < keys.length; s++) if (keys[s] !== 0) this.set(keys[s]!, values[s]!)
  }
}

function hash(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> 0
}

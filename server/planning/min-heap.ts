/**
 * Binary min-heap of block indices by key; equal keys pop the lower index
 * first, so region growing is the same on every run.
 */
export class MinHeap {
  private keys: number[] = []
  private items: number[] = []
  get size() {
    return this.items.length
  }
  peek(): number {
    return this.items[0]!
  }
  push(item: number, key: number) {
    let i = this.items.length
    this.items.push(item)
    this.keys.push(key)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.keys[p]! < key || (this.keys[p] === key && this.items[p]! < item)) break
      this.items[i] = this.items[p]!
      this.keys[i] = this.keys[p]!
      i = p
    }
    this.items[i] = item
    this.keys[i] = key
  }
  pop(): number {
    const top = this.items[0]!
    const item = this.items.pop()!
    const key = this.keys.pop()!
    const n = this.items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        let c = 2 * i + 1
        if (c >= n) break
        if (c + 1 < n && this.less(c + 1, c)) c++
        if (this.keys[c]! > key || (this.keys[c] === key && this.items[c]! > item)) break
        this.items[i] = this.items[c]!
        this.keys[i] = this.keys[c]!
        i = c
      }
      this.items[i] = item
      this.keys[i] = key
    }
    return top
  }
  private less(a: number, b: number) {
    return this.keys[a]! < this.keys[b]! || (this.keys[a] === this.keys[b] && this.items[a]! < this.items[b]!)
  }
}

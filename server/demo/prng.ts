/**
 * A small seeded random generator (sfc32 seeded through splitmix32), so that the
 * demo city is the same on every machine for the same seed. Math.random is
 * never used by the generator.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [min, max). */
  range(min: number, max: number): number
  /** Whole number in [0, n). */
  int(n: number): number
  /** Standard normal (Box–Muller). */
  normal(): number
  pick<T>(items: readonly T[]): T
  /** An independent generator for a named sub-task: adding draws to one task leaves the others unchanged. */
  fork(label: string): Rng
}

export function createRng(seed: number | string): Rng {
  let h = typeof seed === 'number' ? seed >>> 0 : hashString(seed)
  const split = () => {
    h = (h + 0x9e3779b9) | 0
    let z = h
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  const next = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  const rng: Rng = {
    next,
    range: (min, max) => min + (max - min) * next(),
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next()
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    },
    pick: (items) => items[Math.floor(next() * items.length)]!,
    fork: (label) => createRng(`${a}:${b}:${c}:${d}:${label}`),
  }
  return rng
}

function hashString(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

/** Fisher–Yates shuffle of `xs` in place, drawing from `rng`. */
export function shuffle(xs: Int32Array, rng: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = xs[i]!
    xs[i] = xs[j]!
    xs[j] = t
  }
}

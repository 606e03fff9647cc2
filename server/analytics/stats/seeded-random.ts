/**
 * A tiny seeded generator (mulberry32) for permutation tests. Permutation
 * p-values must be reproducible: the same request must give the same map, and
 * a test must be able to pin a result. Math.random can do neither.
 * Statistical quality is ample for drawing neighbour samples; it is not meant
 * for anything cryptographic.
 */

/** Returns a function giving uniform numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new Error(`Unexpected seed value: ${seed}`)
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

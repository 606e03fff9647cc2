/**
 * Local Moran's I (Anselin's LISA) with row-standardised weights and
 * conditional-permutation inference, for clusters (HH, LL) and outliers (HL,
 * LH) of a count per cell.
 *
 *   I_i = (x_i − x̄) / s² · Σ_j w_ij (x_j − x̄),   w_ij = 1/|N(i)|
 *
 * with s² = Σ(x − x̄)²/n, which is spdep::localmoran's default (mlvar = TRUE).
 * PySAL esda.Moran_Local divides by n − 1 instead, so its I is (n−1)/n times
 * this one; pass `mlvar: false` to get esda's values.
 *
 * Inference follows esda.Moran_Local (see conditional-permutation.ts): for
 * each i, `permutations` times, the neighbours' values are replaced by a
 * sample (without replacement) of the other n − 1 values, x_i held fixed;
 * with `larger` the number of permuted I at least as large as the observed
 * one, folded to the smaller tail, pSim = (larger + 1) / (permutations + 1).
 * Because I_perm − I_i has the sign of (x_i − x̄)·(Σ sample − Σ neighbours),
 * only sums of raw values are compared, which is exact for counts. Where the
 * test cannot say anything (no neighbours, every other location a neighbour,
 * or x_i exactly at the mean, where esda reports the smallest possible p
 * because every permuted I ties with 0) pSim is 1.
 */
import { checkNeighbours, type Neighbours } from './neighbours.ts'
import { ConditionalPermutation } from './conditional-permutation.ts'
import { mulberry32 } from './seeded-random.ts'

export interface LocalMoranResult {
  /** Local Moran's I per location. */
  I: Float64Array
  /** Standardised values (x − x̄)/s, s the population s.d., as esda's `z`; their sign and the sign of their spatial lag give the quadrant. */
  z: Float64Array
  /** Folded pseudo p-value from conditional permutation. */
  pSim: Float64Array
  quadrant: Int8Array /* 1 HH, 2 LH, 3 LL, 4 HL, 0 not significant at 0.05 */
  /** (I − mean of permuted I) / their s.d., esda's z_sim; 0 where pSim is 1 by definition. */
  zSim: Float64Array
}

export interface LocalMoranOptions {
  /** default 999 */
  permutations?: number
  /** Seed of the permutation generator; the same seed gives the same pSim. Default 12345. */
  seed?: number
  /** A location keeps its quadrant only if pSim <= alpha. Default 0.05. */
  alpha?: number
  /** true (default): divide by n as spdep; false: by n − 1 as esda. */
  mlvar?: boolean
}

export const DEFAULT_PERMUTATIONS = 999
export const DEFAULT_SEED = 12345

export function localMoran(x: ArrayLike<number>, nb: Neighbours, opts: LocalMoranOptions = {}): LocalMoranResult {
  const n = x.length
  checkNeighbours(nb, n)
  const permutations = opts.permutations ?? DEFAULT_PERMUTATIONS
  const alpha = opts.alpha ?? 0.05
  if (!Number.isInteger(permutations) || permutations < 1) throw new Error(`Unexpected permutations value: ${permutations}`)
  if (!(alpha > 0 && alpha < 1)) throw new Error(`Unexpected alpha value: ${alpha}`)
  const { centred, squares } = centre(x)
  const s2 = squares / (opts.mlvar === false ? n - 1 : n)
  const sd = Math.sqrt(squares / n)
  const result: LocalMoranResult = {
    I: new Float64Array(n),
    z: new Float64Array(n),
    pSim: new Float64Array(n).fill(1),
    quadrant: new Int8Array(n),
    zSim: new Float64Array(n),
  }
  if (!(s2 > 0)) return result
  const { offsets, indices } = nb
  const degrees = testableDegrees(offsets, centred)
  const permutation = new ConditionalPermutation(Float64Array.from(x), degrees, permutations, mulberry32(opts.seed ?? DEFAULT_SEED))
  for (let i = 0; i < n; i++) {
    const start = offsets[i]!
    const k = offsets[i + 1]! - start
    let lag = 0
    let neighbourSum = 0
    for (let r = start; r < start + k; r++) {
      lag += centred[indices[r]!]! / k
      neighbourSum += x[indices[r]!]!
    }
    const scale = centred[i]! / s2
    result.I[i] = scale * lag
    result.z[i] = centred[i]! / sd
    if (degrees[i] === 0) continue
    const test = permutation.test(i, k, neighbourSum, centred[i]! > 0)
    result.pSim[i] = test.pSim
    const simMean = scale * (test.sampleMean - neighbourSum / k) + result.I[i]!
    const simSd = Math.abs(scale) * test.sampleSd
    result.zSim[i] = simSd > 0 ? (result.I[i]! - simMean) / simSd : 0
    if (test.pSim <= alpha) result.quadrant[i] = quadrantOf(centred[i]!, lag)
  }
  return result
}

/**
 * Degree of each location that the permutation test can say something about,
 * 0 for the rest: no neighbours, every other location a neighbour (every
 * sample is the observed set), or a value exactly at the mean (I is 0 however
 * the neighbours are drawn).
 */
function testableDegrees(offsets: Int32Array, centred: Float64Array): Int32Array {
  const n = centred.length
  const degrees = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const k = offsets[i + 1]! - offsets[i]!
    if (k > 0 && k < n - 1 && centred[i] !== 0) degrees[i] = k
  }
  return degrees
}

/** 1 HH, 2 LH, 3 LL, 4 HL from the signs of the value and of its lag (zero counts as low, as in esda). */
function quadrantOf(value: number, lag: number): number {
  if (value > 0) return lag > 0 ? 1 : 4
  return lag > 0 ? 2 : 3
}

function centre(x: ArrayLike<number>): { centred: Float64Array; squares: number } {
  const n = x.length
  let total = 0
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!)) throw new Error(`Unexpected value at ${i}: ${x[i]}`)
    total += x[i]!
  }
  const mean = total / n
  const centred = new Float64Array(n)
  let squares = 0
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean
    centred[i] = d
    squares += d * d
  }
  return { centred, squares }
}

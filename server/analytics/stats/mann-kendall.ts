/**
 * Mann-Kendall test for a monotonic trend in one series, as R's
 * Kendall::MannKendall computes it (and pymannkendall's original_test, except
 * for tau, see below):
 *
 *   S    = Σ_{i<j} sign(x_j − x_i)
 *   varS = [n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18   (t = size of each group of tied values)
 *   z    = (S − sign(S)) / √varS                      (continuity correction)
 *   p    = two-sided normal p-value of z
 *   tau  = S / √(n₀ (n₀ − Σ_t t(t−1)/2)),  n₀ = n(n−1)/2   (tau-b, as Kendall::MannKendall;
 *          pymannkendall reports tau-a = S / n₀, which differs only when there are ties)
 *
 * Kendall::MannKendall works in single precision; this is the same formula in
 * double, checked against a double-precision R computation (cor.test) in the
 * fixture. The normal approximation is used at every n, as the Kendall package
 * does in practice.
 */
import { twoSidedP } from './significance.ts'

export interface MannKendall {
  s: number
  varS: number
  z: number
  p: number
  tau: number
}

/** Mann-Kendall trend test with tie-corrected variance and continuity correction. */
export function mannKendall(series: ArrayLike<number>): MannKendall {
  const n = series.length
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(series[i]!)) throw new Error(`Unexpected series value at ${i}: ${series[i]}`)
  }
  const s = scoreS(series)
  const { varianceTerm, tiedPairs } = tieGroups(series)
  const varS = (n * (n - 1) * (2 * n + 5) - varianceTerm) / 18
  const z = varS > 0 ? (s - Math.sign(s)) / Math.sqrt(varS) : 0
  const pairs = (n * (n - 1)) / 2
  const tauDenominator = Math.sqrt(pairs * (pairs - tiedPairs))
  return { s, varS, z, p: twoSidedP(z), tau: tauDenominator > 0 ? s / tauDenominator : 0 }
}

/** Kendall's S: later-minus-earlier signs over all pairs. */
function scoreS(series: ArrayLike<number>): number {
  const n = series.length
  let s = 0
  for (let i = 0; i < n - 1; i++) {
    const xi = series[i]!
    for (let j = i + 1; j < n; j++) {
      const d = series[j]! - xi
      s += d > 0 ? 1 : d < 0 ? -1 : 0
    }
  }
  return s
}

/** Σ t(t−1)(2t+5) for the variance and Σ t(t−1)/2 (tied pairs) for tau-b, over groups of equal values. */
function tieGroups(series: ArrayLike<number>): { varianceTerm: number; tiedPairs: number } {
  const sorted = Float64Array.from(series).sort()
  let varianceTerm = 0
  let tiedPairs = 0
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1
    while (end < sorted.length && sorted[end] === sorted[start]) end++
    const t = end - start
    varianceTerm += t * (t - 1) * (2 * t + 5)
    tiedPairs += (t * (t - 1)) / 2
    start = end
  }
  return { varianceTerm, tiedPairs }
}

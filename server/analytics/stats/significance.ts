/**
 * From z-scores to decisions: p-values, the Benjamini-Hochberg false discovery
 * rate correction, and ArcGIS's Gi_Bin confidence classes. Kept apart from the
 * statistics so that Gi*, space-time Gi* and anything later share one
 * definition of "significant".
 */
import { erfc } from './erfc.ts'

/** Confidence levels of ArcGIS's Gi_Bin, strongest first: bin 3 at 99 %, 2 at 95 %, 1 at 90 %. */
export const BIN_ALPHAS = [0.01, 0.05, 0.1] as const

/** Two-sided p-value of a standard normal z-score: P(|Z| >= |z|). */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2)
}

/**
 * Benjamini-Hochberg adjusted p-values, as R's p.adjust(p, "BH"): q(i) is the
 * smallest m·p(k)/k over the ranks k >= rank(i), capped at 1. NaN stays NaN
 * and is not counted in m (R's handling of NA).
 */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length).fill(NaN)
  const order: number[] = []
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!
    if (Number.isNaN(v)) continue
    if (v < 0 || v > 1) throw new Error(`Unexpected p-value at ${i}: ${v}`)
    order.push(i)
  }
  order.sort((a, b) => p[b]! - p[a]!)
  const m = order.length
  let running = 1
  for (let r = 0; r < m; r++) {
    const i = order[r]!
    const rank = m - r
    running = Math.min(running, (m / rank) * p[i]!)
    out[i] = running
  }
  return out
}

/**
 * ArcGIS-style Gi_Bin: +3/-3 at 99 %, +2/-2 at 95 %, +1/-1 at 90 % confidence,
 * 0 otherwise; sign from z. With fdr=true, a location is significant at level
 * a only if its BH-adjusted p <= a (ArcGIS's FDR option). Adjusted p-values are
 * never smaller than raw ones, so FDR can only remove or weaken bins.
 */
export function confidenceBins(z: ArrayLike<number>, p: ArrayLike<number>, opts: { fdr?: boolean } = {}): Int8Array {
  if (z.length !== p.length) throw new Error(`Unexpected lengths: ${z.length} z-scores, ${p.length} p-values`)
  const tested = opts.fdr ? benjaminiHochberg(p) : p
  const bins = new Int8Array(z.length)
  for (let i = 0; i < z.length; i++) {
    const sign = Math.sign(z[i]!)
    if (sign === 0 || Number.isNaN(sign)) continue
    bins[i] = sign * confidenceLevel(tested[i]!)
  }
  return bins
}

/** 3, 2, 1 or 0 for the strongest confidence level that p reaches. */
export function confidenceLevel(p: number): number {
  for (let b = 0; b < BIN_ALPHAS.length; b++) {
    if (p <= BIN_ALPHAS[b]!) return BIN_ALPHAS.length - b
  }
  return 0
}

/**
 * Emerging hot spot patterns: from one location's series of Gi* results to
 * one of ArcGIS Pro's seventeen labels, and the whole pipeline over a cube.
 *
 * Definitions, from ArcGIS Pro, "How Emerging Hot Spot Analysis works"
 * (https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm),
 * for hot spots (cold spots mirror them). "Hot" means a statistically
 * significant hot spot bin, i.e. z > 0 at 90 % confidence (p <= 0.10):
 *
 *   new          hot at the final step, never hot before;
 *   consecutive  a single uninterrupted run of >= 2 hot bins at the end, never hot
 *                before that run, and fewer than 90 % of all bins hot;
 *   intensifying hot in >= 90 % of steps including the final one, and the
 *                clustering intensity (the Gi* z-series) rises with a
 *                statistically significant Mann-Kendall trend;
 *   persistent   hot in >= 90 % of steps, no significant trend;
 *   diminishing  hot in >= 90 % of steps including the final one, significant
 *                falling trend;
 *   sporadic     hot at the final step, an on-again off-again history, fewer than
 *                90 % hot and never a significant cold spot;
 *   oscillating  hot at the final step, a significant cold spot at some earlier
 *                step, fewer than 90 % hot;
 *   historical   not hot at the final step, but hot in >= 90 % of steps.
 *
 * Choices the page leaves open:
 * - The trend's significance level is not stated ("that increase is statistically
 *   significant"); we use p <= 0.05 (TREND_ALPHA), overridable.
 * - New and consecutive only say "never hot before"; an earlier significant
 *   cold spot is exactly what oscillating describes, so it takes precedence:
 *   a location that flips from cold to hot is oscillating, not new.
 * - Persistent does not say "including the final step", but historical claims
 *   every >= 90 % location whose final step is not hot, so persistent ones are
 *   hot at the end in practice.
 * - Final step cold after >= 90 % hot steps matches both historical hot and
 *   oscillating cold; the final step decides (oscillating cold), as for every
 *   other pattern.
 * - "90 percent of the time-step intervals" is read as at least 90 %, counted
 *   in integers (18 of 20 qualifies).
 * - Sporadic follows ArcGIS Pro in requiring a hot final step (ArcMap 10.x's
 *   wording, which R sfdep follows, did not); scattered hot steps that do not
 *   reach the end are no_pattern.
 */
import { mannKendall, type MannKendall } from './mann-kendall.ts'
import type { Neighbours } from './neighbours.ts'
import { benjaminiHochberg, twoSidedP } from './significance.ts'
import { DEFAULT_TIME_WINDOW, spaceTimeGiStar } from './space-time-gi.ts'

export type EmergingPattern = 'new_hot' | 'consecutive_hot' | 'intensifying_hot' | 'persistent_hot' | 'diminishing_hot' | 'sporadic_hot' | 'oscillating_hot' | 'historical_hot' | 'new_cold' | 'consecutive_cold' | 'intensifying_cold' | 'persistent_cold' | 'diminishing_cold' | 'sporadic_cold' | 'oscillating_cold' | 'historical_cold' | 'no_pattern'

/** A bin counts as a hot or cold spot at 90 % confidence. */
export const BIN_ALPHA = 0.1
/** Significance of the Mann-Kendall trend for intensifying/diminishing. */
export const TREND_ALPHA = 0.05

export interface EmergingOptions {
  /** default TREND_ALPHA (0.05) */
  trendAlpha?: number
}

type Side = 'hot' | 'cold'

/** zs/ps: one location's Gi* z and p per time step (oldest first). Classify with ArcGIS Pro "How Emerging Hot Spot Analysis works" definitions (90 % confidence for a step to count as hot/cold; the Mann-Kendall trend test on the location's z-series decides intensifying/diminishing at TREND_ALPHA, see the file comment). */
export function classifyEmerging(zs: ArrayLike<number>, ps: ArrayLike<number>, opts: EmergingOptions = {}): EmergingPattern {
  if (zs.length !== ps.length) throw new Error(`Unexpected lengths: ${zs.length} z-scores, ${ps.length} p-values`)
  if (zs.length === 0) return 'no_pattern'
  return classifyWithTrend(zs, ps, mannKendall(zs), opts.trendAlpha ?? TREND_ALPHA)
}

/**
 * Gi* for every bin, the Mann-Kendall trend of each location's z-series and its
 * pattern. With fdr=true a bin is hot or cold only if its Benjamini-Hochberg
 * adjusted p (over the whole cube) is <= 0.10, as ArcGIS Pro does; the returned
 * p are the raw ones either way.
 */
export function emergingHotspots(
  values: Float64Array, n: number, steps: number, nb: Neighbours, timeWindow = DEFAULT_TIME_WINDOW,
  opts: EmergingOptions & { fdr?: boolean } = {},
): { z: Float64Array; p: Float64Array; trend: MannKendall[]; pattern: EmergingPattern[] } {
  const z = spaceTimeGiStar(values, n, steps, nb, timeWindow)
  const p = new Float64Array(z.length)
  for (let b = 0; b < z.length; b++) p[b] = twoSidedP(z[b]!)
  const tested = opts.fdr ? benjaminiHochberg(p) : p
  const trendAlpha = opts.trendAlpha ?? TREND_ALPHA
  const zs = new Float64Array(steps)
  const ps = new Float64Array(steps)
  /** The z-series as the trend test reads it: to 1e-9, so that z-scores equal but for rounding (equal windowed sums of weighted loads) tie, as they do in exact arithmetic. */
  const trendZs = new Float64Array(steps)
  const trend: MannKendall[] = new Array(n)
  const pattern: EmergingPattern[] = new Array(n)
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < steps; t++) {
      zs[t] = z[t * n + i]!
      ps[t] = tested[t * n + i]!
      trendZs[t] = Math.round(zs[t]! * 1e9) / 1e9
    }
    trend[i] = mannKendall(trendZs)
    pattern[i] = classifyWithTrend(zs, ps, trend[i]!, trendAlpha)
  }
  return { z, p, trend, pattern }
}

function classifyWithTrend(zs: ArrayLike<number>, ps: ArrayLike<number>, trend: MannKendall, trendAlpha: number): EmergingPattern {
  const last = zs.length - 1
  const finalSide = sideOf(zs[last]!, ps[last]!)
  if (finalSide === null) return historicalOrNothing(zs, ps)
  return classifySide(zs, ps, finalSide, trend, trendAlpha)
}

/** Patterns for a location whose final bin is significant on `side`. */
function classifySide(zs: ArrayLike<number>, ps: ArrayLike<number>, side: Side, trend: MannKendall, trendAlpha: number): EmergingPattern {
  const steps = zs.length
  const same = countSide(zs, ps, side)
  const opposite = countSide(zs, ps, side === 'hot' ? 'cold' : 'hot')
  if (atLeastNinetyPercent(same, steps)) {
    const significant = trend.p <= trendAlpha && trend.s !== 0
    if (!significant) return `persistent_${side}`
    const strengthening = side === 'hot' ? trend.s > 0 : trend.s < 0
    return strengthening ? `intensifying_${side}` : `diminishing_${side}`
  }
  if (opposite > 0) return `oscillating_${side}`
  const run = finalRunLength(zs, ps, side)
  if (run === same) return run === 1 ? `new_${side}` : `consecutive_${side}`
  return `sporadic_${side}`
}

/** Final bin not significant: historical if >= 90 % of bins were on one side. */
function historicalOrNothing(zs: ArrayLike<number>, ps: ArrayLike<number>): EmergingPattern {
  const steps = zs.length
  if (atLeastNinetyPercent(countSide(zs, ps, 'hot'), steps)) return 'historical_hot'
  if (atLeastNinetyPercent(countSide(zs, ps, 'cold'), steps)) return 'historical_cold'
  return 'no_pattern'
}

function sideOf(z: number, p: number): Side | null {
  if (!(p <= BIN_ALPHA)) return null
  if (z > 0) return 'hot'
  if (z < 0) return 'cold'
  return null
}

function countSide(zs: ArrayLike<number>, ps: ArrayLike<number>, side: Side): number {
  let count = 0
  for (let t = 0; t < zs.length; t++) if (sideOf(zs[t]!, ps[t]!) === side) count++
  return count
}

/** Length of the uninterrupted run of `side` bins that ends at the final step. */
function finalRunLength(zs: ArrayLike<number>, ps: ArrayLike<number>, side: Side): number {
  let run = 0
  for (let t = zs.length - 1; t >= 0 && sideOf(zs[t]!, ps[t]!) === side; t--) run++
  return run
}

/** count/steps >= 0.9 in integers, so that 9 of 10 is not lost to rounding. */
function atLeastNinetyPercent(count: number, steps: number): boolean {
  return count * 10 >= steps * 9
}

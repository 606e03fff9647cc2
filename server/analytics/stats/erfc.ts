/**
 * The complementary error function, accurate to a few ulps over the whole
 * double range. Significance tests need p-values in the far tail (a Gi* z of 9
 * is ordinary for a busy cell), where 1 - erf(x) cancels to zero long before
 * erfc(x) underflows.
 *
 * W. J. Cody, "Rational Chebyshev approximations for the error function",
 * Math. Comp. 23 (1969) 631-637, as in SPECFUN's CALERF (the algorithm behind
 * R's pnorm); checked against R in tests/analytics/stats.test.ts.
 */

const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153]
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062]
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
]
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
]
const P = [0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978]
const Q = [2.56852019228982242, 1.87295284992346725, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185]

const ONE_OVER_SQRT_PI = 0.56418958354775628695
/** erfc(x) is below the smallest double beyond this. */
const X_BIG = 26.543
const X_SMALL = 1.11e-16

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN
  const y = Math.abs(x)
  if (y <= 0.46875) return 1 - erfSmall(x, y)
  const tail = y <= 4 ? erfcMiddle(y) : erfcLarge(y)
  return x < 0 ? 2 - tail : tail
}

/** erf(x) for |x| <= 0.46875. */
function erfSmall(x: number, y: number): number {
  const ysq = y > X_SMALL ? y * y : 0
  let num = A[4]! * ysq
  let den = ysq
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq
    den = (den + B[i]!) * ysq
  }
  return (x * (num + A[3]!)) / (den + B[3]!)
}

/** erfc(y) for 0.46875 < y <= 4. */
function erfcMiddle(y: number): number {
  let num = C[8]! * y
  let den = y
  for (let i = 0; i < 7; i++) {
    num = (num + C[i]!) * y
    den = (den + D[i]!) * y
  }
  return gaussianFactor(y) * ((num + C[7]!) / (den + D[7]!))
}

/** erfc(y) for y > 4. */
function erfcLarge(y: number): number {
  if (y >= X_BIG) return 0
  const ysq = 1 / (y * y)
  let num = P[5]! * ysq
  let den = ysq
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * ysq
    den = (den + Q[i]!) * ysq
  }
  const r = (ysq * (num + P[4]!)) / (den + Q[4]!)
  return gaussianFactor(y) * ((ONE_OVER_SQRT_PI - r) / y)
}

/** exp(-y²), split as Cody does so that rounding y² does not cost relative accuracy. */
function gaussianFactor(y: number): number {
  const head = Math.trunc(y * 16) / 16
  const rest = (y - head) * (y + head)
  return Math.exp(-head * head) * Math.exp(-rest)
}

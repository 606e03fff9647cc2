/**
 * GCJ-02 ⇄ WGS84 ("Mars coordinates") for points reported by Chinese map apps.
 *
 * Why this exists: map apps and SDKs in mainland China — AMap/Gaode, Tencent
 * Maps, and anything built on them (WeChat location sharing, many mini
 * programs) — report positions in GCJ-02, the obfuscated datum mandated by
 * the national surveying administration, which is offset from WGS84 by a
 * smooth, non-linear few hundred metres. Grid lookup works on WGS84 (the unit
 * geometries and PostGIS use SRID 4326), so such points must be converted
 * first or they land in the wrong grid near every boundary.
 *
 * This is the standard public algorithm (the leaked/reverse-engineered
 * formula used by eviltransform, coordtransform and many others), with the
 * Krasovsky 1940 ellipsoid a = 6378245.0, ee = 0.00669342162296594323. The
 * forward transform reproduces the published reference output bit for bit;
 * real AMap/Tencent positions still carry the apps' own GPS error.
 *
 * Bounding box: the offset is applied only strictly inside mainland China's
 * rough extreme-point box
 *     73.66 < lon < 135.05,  3.86 < lat < 53.55
 * (the box used by coordtransform: Pamirs to the Heilongjiang–Ussuri
 * confluence, Zengmu Reef to Mohe). Outside it — and for NaN input — points
 * are returned unchanged. The box is deliberately coarse: Hong Kong, Macau,
 * Taiwan and parts of neighbouring countries (e.g. Seoul) fall inside it and
 * are shifted, exactly as the common implementations do.
 *
 * Both functions write [lon, lat] into `out[0]`, `out[1]` and allocate
 * nothing, so they can run over millions of points with one reused buffer.
 * `out` may be any Float64Array of length ≥ 2.
 */

const A = 6378245.0
const EE = 0.00669342162296594323
const PI = Math.PI
/** Meridional radius-of-curvature numerator a(1 − e²). */
const A_1_MINUS_EE = A * (1 - EE)

const MIN_LON = 73.66
const MAX_LON = 135.05
const MIN_LAT = 3.86
const MAX_LAT = 53.55

/**
 * The inverse stops once the forward transform of its estimate reproduces the
 * GCJ-02 input to within this many degrees on both axes (≈ 0.1 µm; doubles
 * near lon 135 have an ulp of ≈ 3e-14°, so this is reachable but not noise).
 */
const INVERSE_TOLERANCE = 1e-12
/** Convergence normally takes 4–6 forward evaluations; this is only a guard. */
const INVERSE_MAX_ITERATIONS = 12

function insideBox(lon: number, lat: number): boolean {
  // Written as a conjunction so that NaN counts as outside.
  return lon > MIN_LON && lon < MAX_LON && lat > MIN_LAT && lat < MAX_LAT
}

/**
 * Writes the GCJ-02 offset (dLon, dLat in degrees) at WGS84 (lon, lat) into
 * out, ignoring the box. The expressions are the published ones term for term
 * (so results match other implementations bit for bit); only the x-harmonic
 * term that the latitude and longitude series share is evaluated once.
 */
function offset(lon: number, lat: number, out: Float64Array): void {
  const x = lon - 105.0
  const y = lat - 35.0
  const shared = ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0

  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  dLat += shared
  dLat += ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0
  dLat += ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0

  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  dLon += shared
  dLon += ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0
  dLon += ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0

  // Metres-like series → degrees on the Krasovsky ellipsoid.
  const radLat = (lat / 180.0) * PI
  const s = Math.sin(radLat)
  const magic = 1 - EE * s * s
  const sqrtMagic = Math.sqrt(magic)
  out[0] = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * PI)
  out[1] = (dLat * 180.0) / ((A_1_MINUS_EE / (magic * sqrtMagic)) * PI)
}

/**
 * WGS84 → GCJ-02: writes the GCJ-02 [lon, lat] of WGS84 (lon, lat) into
 * out[0], out[1]. Identity outside the box documented above.
 */
export function wgs84ToGcj02(lon: number, lat: number, out: Float64Array): void {
  if (!insideBox(lon, lat)) {
    out[0] = lon
    out[1] = lat
    return
  }
  offset(lon, lat, out)
  out[0] = lon + out[0]!
  out[1] = lat + out[1]!
}

/**
 * GCJ-02 → WGS84: writes the WGS84 [lon, lat] whose GCJ-02 image is
 * (lon, lat) into out[0], out[1]. Identity outside the box documented above.
 *
 * Solved by fixed-point iteration w ← w − (gcj(w) − g), starting from w = g.
 * The offset's derivatives are at most ~5e-3 per degree, so each step shrinks
 * the error by a factor of well over 100: from the ~5e-3° offset to below
 * 1e-12° in 3–5 corrections (4–6 forward evaluations, the last one confirming;
 * ~1 µs per point). The loop stops only when the forward transform of
 * the returned point reproduces the input to INVERSE_TOLERANCE (1e-12°); the
 * common one-step approximation (g − offset(g)) is only good to ~1e-5° (≈ 1 m).
 *
 * Within about 0.01° of the box edge GCJ-02 itself is discontinuous (the
 * offset switches off), so there a GCJ-02 point may have no exact preimage;
 * the result is then the preimage under the unboxed formula.
 */
export function gcj02ToWgs84(lon: number, lat: number, out: Float64Array): void {
  if (!insideBox(lon, lat)) {
    out[0] = lon
    out[1] = lat
    return
  }
  let wLon = lon
  let wLat = lat
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    offset(wLon, wLat, out)
    const rLon = wLon + out[0]! - lon
    const rLat = wLat + out[1]! - lat
    if (Math.abs(rLon) <= INVERSE_TOLERANCE && Math.abs(rLat) <= INVERSE_TOLERANCE) break
    wLon -= rLon
    wLat -= rLat
  }
  out[0] = wLon
  out[1] = wLat
}

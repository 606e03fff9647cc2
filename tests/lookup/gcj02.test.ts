import { describe, expect, it } from 'vitest'
import { gcj02ToWgs84, wgs84ToGcj02 } from '../../server/lookup/gcj02.ts'

/** Seeded PRNG (mulberry32) so every run checks the same points. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Box {
  minLon: number
  minLat: number
  maxLon: number
  maxLat: number
}

function randomPoints(seed: number, box: Box, n: number): [number, number][] {
  const next = rng(seed)
  const points: [number, number][] = []
  for (let i = 0; i < n; i++) {
    points.push([box.minLon + next() * (box.maxLon - box.minLon), box.minLat + next() * (box.maxLat - box.minLat)])
  }
  return points
}

const GUANGDONG: Box = { minLon: 109.6, minLat: 20.2, maxLon: 117.3, maxLat: 25.6 }
/** The module's box (73.66–135.05 E, 3.86–53.55 N), kept 0.05° clear of the edges where GCJ-02 is discontinuous. */
const CHINA: Box = { minLon: 73.71, minLat: 3.91, maxLon: 135.0, maxLat: 53.5 }

/** Great-circle distance in metres (spherical Earth, mean radius). */
function haversineMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const R = 6371008.8
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * R * Math.asin(Math.sqrt(h))
}

/** Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360). */
function bearingDegrees(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180
  const y = Math.sin((lon2 - lon1) * rad) * Math.cos(lat2 * rad)
  const x =
    Math.cos(lat1 * rad) * Math.sin(lat2 * rad) - Math.sin(lat1 * rad) * Math.cos(lat2 * rad) * Math.cos((lon2 - lon1) * rad)
  return ((Math.atan2(y, x) / rad) % 360 + 360) % 360
}

/**
 * Independent, deliberately plain reference of the public forward formula:
 * returns fresh arrays, separate lat/lon series, no shared subexpressions.
 */
const reference = {
  a: 6378245.0,
  ee: 0.00669342162296594323,

  outOfChina(lon: number, lat: number): boolean {
    return !(lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55)
  },

  transformLat(x: number, y: number): number {
    const terms = [
      -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)),
      ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0,
      ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0,
      ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0,
    ]
    return terms.reduce((sum, t) => sum + t, 0)
  },

  transformLon(x: number, y: number): number {
    const terms = [
      300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)),
      ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0,
      ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0,
      ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0,
    ]
    return terms.reduce((sum, t) => sum + t, 0)
  },

  wgs84ToGcj02(lon: number, lat: number): [number, number] {
    if (this.outOfChina(lon, lat)) return [lon, lat]
    const radLat = (lat / 180.0) * Math.PI
    const magic = 1 - this.ee * Math.sin(radLat) ** 2
    const sqrtMagic = Math.sqrt(magic)
    const metresPerDegreeLat = ((this.a * (1 - this.ee)) / (magic * sqrtMagic)) * (Math.PI / 180)
    const metresPerDegreeLon = (this.a / sqrtMagic) * Math.cos(radLat) * (Math.PI / 180)
    const dLat = this.transformLat(lon - 105.0, lat - 35.0) / metresPerDegreeLat
    const dLon = this.transformLon(lon - 105.0, lat - 35.0) / metresPerDegreeLon
    return [lon + dLon, lat + dLat]
  },
}

const out = new Float64Array(2)
const back = new Float64Array(2)

function forward(lon: number, lat: number): [number, number] {
  wgs84ToGcj02(lon, lat, out)
  return [out[0]!, out[1]!]
}

function inverse(lon: number, lat: number): [number, number] {
  gcj02ToWgs84(lon, lat, back)
  return [back[0]!, back[1]!]
}

/** Largest |wgs → gcj → wgs| and |gcj(wgs84(g)) − g| over the points, in degrees. */
function roundTripErrors(points: [number, number][]): { wgsError: number; gcjResidual: number } {
  let wgsError = 0
  let gcjResidual = 0
  for (const [lon, lat] of points) {
    wgs84ToGcj02(lon, lat, out)
    const gLon = out[0]!
    const gLat = out[1]!
    gcj02ToWgs84(gLon, gLat, back)
    wgsError = Math.max(wgsError, Math.abs(back[0]! - lon), Math.abs(back[1]! - lat))
    // The inverse's own contract: the forward image of its result is the input.
    wgs84ToGcj02(back[0]!, back[1]!, out)
    gcjResidual = Math.max(gcjResidual, Math.abs(out[0]! - gLon), Math.abs(out[1]! - gLat))
  }
  return { wgsError, gcjResidual }
}

describe('GCJ-02 forward transform', () => {
  it('reproduces the published coordtransform reference pair for Tiananmen', () => {
    // wandergis/coordtransform README: wgs84togcj02(116.404, 39.915) → [116.41024449916938, 39.91640428150164]
    const [lon, lat] = forward(116.404, 39.915)
    expect(Math.abs(lon - 116.41024449916938)).toBeLessThan(1e-12)
    expect(Math.abs(lat - 39.91640428150164)).toBeLessThan(1e-12)
  })

  it('agrees with an independent plain reference implementation on 10,000 random points to 1e-12°', () => {
    // Over a box wider than China's so that the in/out decision is compared too.
    const points = randomPoints(20240611, { minLon: 60, minLat: -5, maxLon: 145, maxLat: 60 }, 10_000)
    let worst = 0
    let inside = 0
    for (const [lon, lat] of points) {
      const [gLon, gLat] = forward(lon, lat)
      const [rLon, rLat] = reference.wgs84ToGcj02(lon, lat)
      worst = Math.max(worst, Math.abs(gLon - rLon), Math.abs(gLat - rLat))
      if (!reference.outOfChina(lon, lat)) inside++
    }
    expect(worst).toBeLessThan(1e-12)
    expect(inside).toBeGreaterThan(4000) // most points really exercised the offset
  })

  it('shifts Dongguan (113.75 E, 23.02 N) a few hundred metres east-south-east', () => {
    const [gLon, gLat] = forward(113.75, 23.02)
    const metres = haversineMetres(113.75, 23.02, gLon, gLat)
    expect(metres).toBeGreaterThan(300)
    expect(metres).toBeLessThan(700)
    // In Guangdong GCJ-02 lies east and a little south of WGS84 (≈ +0.0052° lon, −0.0027° lat).
    expect(gLon).toBeGreaterThan(113.75)
    expect(gLat).toBeLessThan(23.02)
    const bearing = bearingDegrees(113.75, 23.02, gLon, gLat)
    expect(bearing).toBeGreaterThan(90)
    expect(bearing).toBeLessThan(150)
  })

  it('leaves points clearly outside China unchanged, both ways', () => {
    const outside: [string, number, number][] = [
      ['Tokyo', 139.6917, 35.6895],
      ['London', -0.1276, 51.5072],
      ['New York', -74.006, 40.7128],
      ['Sydney', 151.2093, -33.8688],
      ['Moscow', 37.6173, 55.7558],
      ['Singapore', 103.8198, 1.3521],
      ['Yakutsk', 129.7331, 62.0355], // within the box's longitudes, north of it
      ['Tashkent', 69.2401, 41.2995], // within its latitudes, west of it
    ]
    for (const [name, lon, lat] of outside) {
      expect(forward(lon, lat), name).toEqual([lon, lat])
      expect(inverse(lon, lat), name).toEqual([lon, lat])
    }
  })

  it('passes NaN through instead of looping or inventing a position', () => {
    const [lon, lat] = inverse(Number.NaN, 23)
    expect(lon).toBeNaN()
    expect(lat).toBe(23)
  })

  it('writes only out[0] and out[1]', () => {
    const buffer = new Float64Array([9, 9, 7, 7])
    wgs84ToGcj02(113.75, 23.02, buffer)
    gcj02ToWgs84(buffer[0]!, buffer[1]!, buffer)
    expect(Math.abs(buffer[0]! - 113.75)).toBeLessThan(1e-9)
    expect(Math.abs(buffer[1]! - 23.02)).toBeLessThan(1e-9)
    expect([buffer[2], buffer[3]]).toEqual([7, 7])
  })
})

describe('GCJ-02 inverse', () => {
  it('round-trips 50,000 seeded points over Guangdong to better than 1e-9°', () => {
    const { wgsError, gcjResidual } = roundTripErrors(randomPoints(44, GUANGDONG, 50_000))
    expect(wgsError).toBeLessThan(1e-9)
    expect(gcjResidual).toBeLessThan(1e-9)
  })

  it('round-trips 100,000 seeded points over all of China to better than 1e-9°', () => {
    const { wgsError, gcjResidual } = roundTripErrors(randomPoints(86, CHINA, 100_000))
    expect(wgsError).toBeLessThan(1e-9)
    expect(gcjResidual).toBeLessThan(1e-9)
  })

  it('reproduces GCJ-02 inputs taken directly (not from a forward image) to better than 1e-9°', () => {
    let worst = 0
    for (const [gLon, gLat] of randomPoints(1949, CHINA, 20_000)) {
      const [wLon, wLat] = inverse(gLon, gLat)
      const [fLon, fLat] = reference.wgs84ToGcj02(wLon, wLat)
      worst = Math.max(worst, Math.abs(fLon - gLon), Math.abs(fLat - gLat))
    }
    expect(worst).toBeLessThan(1e-9)
  })

  it('inverts the reference pair and beats the one-step approximation by orders of magnitude', () => {
    const gLon = 116.41024449916938
    const gLat = 39.91640428150164
    const [wLon, wLat] = inverse(gLon, gLat)
    expect(Math.abs(wLon - 116.404)).toBeLessThan(1e-9)
    expect(Math.abs(wLat - 39.915)).toBeLessThan(1e-9)
    // The common shortcut g − (gcj(g) − g) is off by ~1e-5° (about a metre).
    const [fLon, fLat] = reference.wgs84ToGcj02(gLon, gLat)
    const oneStepError = Math.max(Math.abs(2 * gLon - fLon - 116.404), Math.abs(2 * gLat - fLat - 39.915))
    expect(oneStepError).toBeGreaterThan(1e-7)
  })
})

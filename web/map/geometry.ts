/** Small pure helpers on GeoJSON geometry. */

export type BBox = [number, number, number, number]

/** Bounding box of any GeoJSON geometry's coordinates; null when it has none. */
export function bboxOf(geometry: { coordinates: unknown } | null | undefined): BBox | null {
  const box: BBox = [Infinity, Infinity, -Infinity, -Infinity]
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      box[0] = Math.min(box[0], c[0])
      box[1] = Math.min(box[1], c[1])
      box[2] = Math.max(box[2], c[0])
      box[3] = Math.max(box[3], c[1])
      return
    }
    for (const x of c) walk(x)
  }
  walk(geometry?.coordinates)
  return Number.isFinite(box[0]) ? box : null
}

/** Mean of a ring's distinct vertices: the centre of an H3 hexagon (or pentagon). */
export function ringCentre(ring: number[][]): [number, number] {
  const n = ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1] ? ring.length - 1 : ring.length
  let x = 0
  let y = 0
  for (let i = 0; i < n; i++) (x += ring[i]![0]!), (y += ring[i]![1]!)
  return [x / n, y / n]
}

/** Quantile class breaks (k − 1 values) of positive numbers, rounded and strictly increasing. */
export function quantileBreaks(values: number[], k: number): number[] {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return []
  const out: number[] = []
  for (let i = 1; i < k; i++) {
    const q = nice(v[Math.min(v.length - 1, Math.floor((i / k) * v.length))]!)
    if (out.length === 0 ? q > v[0]! : q > out.at(-1)!) out.push(q)
  }
  return out
}

function nice(x: number): number {
  if (x <= 0) return x
  const p = 10 ** (Math.floor(Math.log10(x)) - 1)
  return Math.round(x / p) * p
}

/**
 * Reads (Multi)Polygon WKB as PostGIS's ST_AsBinary writes it, into GeoJSON-style
 * coordinate arrays. Binary keeps every double exactly as stored, which the
 * lookup needs to agree with ST_Covers on edge and vertex points.
 */
export function multiPolygonFromWkb(bytes: Uint8Array): number[][][][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const header = () => {
    const little = view.getUint8(at) === 1
    const type = view.getUint32(at + 1, little) & 0xffff
    at += 5
    return { little, type }
  }
  const polygon = (little: boolean) => {
    const rings: number[][][] = []
    const nRings = view.getUint32(at, little)
    at += 4
    for (let r = 0; r < nRings; r++) {
      const n = view.getUint32(at, little)
      at += 4
      const ring: number[][] = new Array(n)
      for (let k = 0; k < n; k++) {
        ring[k] = [view.getFloat64(at, little), view.getFloat64(at + 8, little)]
        at += 16
      }
      rings.push(ring)
    }
    return rings
  }
  const top = header()
  if (top.type === 3) return [polygon(top.little)]
  if (top.type !== 6) throw new Error(`Unexpected WKB geometry type: ${top.type}`)
  const n = view.getUint32(at, top.little)
  at += 4
  const out: number[][][][] = []
  for (let p = 0; p < n; p++) {
    const h = header()
    if (h.type !== 3) throw new Error(`Unexpected WKB geometry type in MultiPolygon: ${h.type}`)
    out.push(polygon(h.little))
  }
  return out
}

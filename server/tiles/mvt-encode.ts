/**
 * Writes Mapbox Vector Tiles (MVT 2.1) with `pbf`, the protocol-buffer writer
 * the MapLibre and Mapbox libraries themselves use. Geometry arrives already
 * as MVT command integers (./tile-geometry.ts), so this module only knows the
 * tile's message layout and its key/value dictionaries.
 *
 * Why not ST_AsMVT: the PostGIS inside PGlite is built without protobuf-c, so
 * ST_AsMVT and ST_AsMVTGeom fail there ("Compiled without protobuf-c
 * support"). Encoding here keeps one code path, tested on both backends; the
 * database still does the heavy part (index search, clipping, simplifying).
 */
import { PbfWriter } from 'pbf'
import { EXTENT } from './tile-math.ts'

export type PropertyValue = string | number | null | undefined

export interface MvtFeature {
  /** Written as the feature id when a non-negative integer (MapLibre feature-state keys on it). */
  id?: number
  type: typeof POINT | typeof POLYGON
  geometry: number[]
  /** null and undefined values are left out, as ST_AsMVT does. */
  properties: Record<string, PropertyValue>
}

export interface MvtLayer {
  name: string
  features: MvtFeature[]
}

export const POINT = 1
export const POLYGON = 3

/** An MVT geometry command integer: the command id and how many times it repeats. */
export const command = (id: 1 | 2 | 7, count: number) => (id & 0x7) | (count << 3)
/** Zigzag encoding of a signed parameter. */
export const zigzag = (n: number) => (n << 1) ^ (n >> 31)

/** The geometry of a single point feature at integer tile coordinates. */
export function pointGeometry(x: number, y: number): number[] {
  return [command(1, 1), zigzag(x), zigzag(y)]
}

/** The tile's bytes; layers without features are left out. */
export function encodeMvt(layers: readonly MvtLayer[]): Uint8Array {
  const pbf = new PbfWriter()
  for (const layer of layers) if (layer.features.length > 0) pbf.writeMessage(3, writeLayer, layer)
  return pbf.finish()
}

interface Dictionaries {
  keys: Map<string, number>
  values: Map<string, number>
  valueList: (string | number)[]
}

function writeLayer(layer: MvtLayer, pbf: PbfWriter) {
  pbf.writeVarintField(15, 2) // version
  pbf.writeStringField(1, layer.name)
  const dict: Dictionaries = { keys: new Map(), values: new Map(), valueList: [] }
  for (const feature of layer.features) pbf.writeMessage(2, writeFeature, { feature, dict })
  for (const key of dict.keys.keys()) pbf.writeStringField(3, key)
  for (const value of dict.valueList) pbf.writeMessage(4, writeValue, value)
  pbf.writeVarintField(5, EXTENT)
}

function writeFeature({ feature, dict }: { feature: MvtFeature; dict: Dictionaries }, pbf: PbfWriter) {
  if (feature.id !== undefined && Number.isSafeInteger(feature.id) && feature.id >= 0) pbf.writeVarintField(1, feature.id)
  const tags: number[] = []
  for (const key in feature.properties) {
    const value = feature.properties[key]
    if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) continue
    let k = dict.keys.get(key)
    if (k === undefined) dict.keys.set(key, (k = dict.keys.size))
    const valueKey = typeof value === 'string' ? `s${value}` : `n${value}`
    let v = dict.values.get(valueKey)
    if (v === undefined) {
      dict.values.set(valueKey, (v = dict.valueList.length))
      dict.valueList.push(value)
    }
    tags.push(k, v)
  }
  if (tags.length > 0) pbf.writePackedVarint(2, tags)
  pbf.writeVarintField(3, feature.type)
  pbf.writePackedVarint(4, feature.geometry)
}

function writeValue(value: string | number, pbf: PbfWriter) {
  if (typeof value === 'string') pbf.writeStringField(1, value)
  else if (Number.isSafeInteger(value)) value >= 0 ? pbf.writeVarintField(5, value) : pbf.writeSVarintField(6, value)
  else pbf.writeDoubleField(3, value)
}

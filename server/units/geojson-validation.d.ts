declare module 'geojson-validation' {
  /** With `trace` true these return the list of problems found (empty when valid). */
  export function isFeature(feature: unknown, trace: true): string[]
  export function isFeatureCollection(collection: unknown, trace: true): string[]
  export function isGeometryObject(geometry: unknown, trace: true): string[]
  export function valid(object: unknown, trace: true): string[]
}

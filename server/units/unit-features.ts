/** Turns unit rows into GeoJSON features; one shape for every read endpoint. */

export interface UnitRow {
  code: string
  level: string
  parent_code: string | null
  name_zh: string
  name_en: string | null
  area_m2: number
  centroid_lon: number
  centroid_lat: number
  population: number | null
  households: number | null
  buildings: number | null
  rented_rooms: number | null
  businesses: number | null
  extra: Record<string, unknown>
  geometry: unknown
}

export function unitFeature(row: UnitRow, more: Record<string, unknown> = {}) {
  return {
    type: 'Feature' as const,
    id: row.code,
    geometry: row.geometry,
    properties: {
      code: row.code,
      level: row.level,
      parent: row.parent_code,
      name: row.name_zh,
      name_en: row.name_en,
      area_m2: Math.round(row.area_m2 * 100) / 100,
      centroid: [round7(row.centroid_lon), round7(row.centroid_lat)],
      population: row.population,
      households: row.households,
      buildings: row.buildings,
      rented_rooms: row.rented_rooms,
      businesses: row.businesses,
      ...row.extra,
      ...more,
    },
  }
}

const round7 = (x: number) => Math.round(x * 1e7) / 1e7

/** Escapes LIKE wildcards so a search text matches literally. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c)
}

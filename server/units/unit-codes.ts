/**
 * Unit codes are hierarchical digit strings: a 6-digit region code, then three
 * digits per level (town 9, community 12, grid 15). A unit's parent code is its
 * own code without the last three digits, so the hierarchy can be read off the
 * code alone and codes stay stable across boundary generations.
 */
export const LEVELS = ['city', 'town', 'community', 'grid'] as const
export type Level = (typeof LEVELS)[number]

const LENGTH: Record<Level, number> = { city: 6, town: 9, community: 12, grid: 15 }

export function codeLength(level: Level): number {
  return LENGTH[level]
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value)
}

/** The level a well-formed code belongs to, or null for anything else. */
export function levelOfCode(code: string): Level | null {
  if (!/^[0-9]+$/.test(code)) return null
  return LEVELS.find((l) => LENGTH[l] === code.length) ?? null
}

export function parentCode(code: string): string | null {
  return code.length > LENGTH.city ? code.slice(0, -3) : null
}

/**
 * Numbers children west→east, north→south: children are cut into rows of
 * roughly equal height from north to south (as many rows as the square root of
 * their count) and read left to right inside each row, like text. Returns the
 * child indexes in numbering order.
 */
export function numberingOrder(centres: ReadonlyArray<readonly [number, number]>): number[] {
  const n = centres.length
  if (n === 0) return []
  let minLat = Infinity
  let maxLat = -Infinity
  for (const [, lat] of centres) {
    minLat = Math.min(minLat, lat)
    maxLat = Math.max(maxLat, lat)
  }
  const rows = Math.max(1, Math.round(Math.sqrt(n)))
  const rowHeight = (maxLat - minLat) / rows || 1
  const rowOf = (lat: number) => Math.min(rows - 1, Math.floor((maxLat - lat) / rowHeight))
  return centres
    .map((c, i) => ({ i, row: rowOf(c[1]), lon: c[0], lat: c[1] }))
    .sort((a, b) => a.row - b.row || a.lon - b.lon || b.lat - a.lat || a.i - b.i)
    .map((c) => c.i)
}

/** The code of the `ordinal`-th child (1-based) of `parent`. */
export function childCode(parent: string, ordinal: number): string {
  if (!Number.isInteger(ordinal) || ordinal < 1 || ordinal > 999) throw new Error(`Unexpected ordinal value: ${ordinal}`)
  return parent + String(ordinal).padStart(3, '0')
}

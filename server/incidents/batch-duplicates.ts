/**
 * Probable duplicates inside one intake batch. The batch's INSERT links each
 * row to an open incident stored before it, but a statement does not see its
 * own rows, so two near reports in the same batch would go unlinked. Rows
 * inserted one by one would have been linked; so this finds, in memory, the
 * rows that have an earlier row of the same batch nearby — same category,
 * at most 72 h apart, within 60 m by a local planar estimate — and
 * only those are looked at again by the database, which decides exactly
 * (50 m on the spheroid) against everything stored before them.
 */

export interface BatchRow {
  category: string
  lon: number
  lat: number
  /** Reported at, ms since the epoch. */
  at: number
}

const WINDOW_MS = 72 * 3600_000
/** 50 m and a 20 % margin: the planar estimate is off by under 1 % at this scale. */
const REACH_M = 60
const METRES_PER_DEGREE = 111_320
const REACH_LAT = REACH_M / 110_574 // a degree of latitude is never shorter than this

/**
 * Positions (in batch order) of the rows with an earlier row of the batch that
 * may be their probable original; only positions ≥ `from` (the rows before it
 * are context: earlier batches).
 */
export function rowsWithEarlierNeighbour(rows: readonly BatchRow[], from = 0): number[] {
  const byCategory = new Map<string, number[]>()
  for (let k = 0; k < rows.length; k++) {
    const list = byCategory.get(rows[k]!.category)
    if (list) list.push(k)
    else byCategory.set(rows[k]!.category, [k])
  }
  const flagged = new Set<number>()
  for (const list of byCategory.values()) {
    if (list.length < 2) continue
    list.sort((a, b) => rows[a]!.lat - rows[b]!.lat)
    for (let x = 0; x < list.length; x++) {
      const a = rows[list[x]!]!
      for (let y = x + 1; y < list.length; y++) {
        const b = rows[list[y]!]!
        if (b.lat - a.lat > REACH_LAT) break
        if (Math.abs(b.at - a.at) > WINDOW_MS || metres(a, b) > REACH_M) continue
        const later = Math.max(list[x]!, list[y]!) // the later row can link to the earlier one
        if (later >= from) flagged.add(later)
      }
    }
  }
  return [...flagged].sort((a, b) => a - b)
}

/** Local planar (equirectangular) distance in metres. */
function metres(a: BatchRow, b: BatchRow): number {
  const kx = Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180)
  return METRES_PER_DEGREE * Math.hypot((b.lon - a.lon) * kx, b.lat - a.lat)
}

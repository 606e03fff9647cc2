/**
 * H3 ids as the analytics store them: incidents carry their resolution-10
 * cell (bigint in SQL, hex in h3-js); coarser resolutions are parents. The
 * bit arithmetic mirrors SQL h3_parent() (migration 010) so a parent computed
 * in either place is the same id.
 */
export const INCIDENT_CELL_RES = 10
export const MIN_RES = 6
export const MAX_RES = 10

const RES_SHIFT = 52n

export function hexToBigint(h: string): bigint {
  return BigInt(`0x${h}`)
}

export function bigintToHex(cell: bigint): string {
  return cell.toString(16)
}

/** h3-js cellToParent, on bigint ids (no validity checks: the caller holds valid cells of resolution ≥ res). */
export function parentOf(cell: bigint, res: number): bigint {
  const r = BigInt(res)
  return (cell & ~(15n << RES_SHIFT)) | (r << RES_SHIFT) | ((1n << ((15n - r) * 3n)) - 1n)
}

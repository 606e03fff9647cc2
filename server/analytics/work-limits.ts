/**
 * How much work one analysis request may ask for. The statistics run in the
 * server's own thread: an analysis of every cell of the city against every
 * other (res 10, a 50 km band) would hold it, health checks included, for
 * minutes and grow it by gigabytes. Requests are sized before any work is
 * done, from what they name (cells, neighbours a cell has, permutations,
 * steps), and refused with what to change when over the limit; within the
 * limits an analysis takes about a second here.
 */
import { getHexagonAreaAvg } from 'h3-js'
import { AppError } from '../errors.ts'

/** Neighbour pairs of one analysis (≈ 12 bytes each while held). */
export const MAX_NEIGHBOUR_PAIRS = 10_000_000
/** Neighbour values drawn by local Moran's conditional permutations: pairs × permutations. */
export const MAX_PERMUTATION_DRAWS = 300_000_000
/** Terms of a space-time Gi*: cube cells × (neighbours + 1) × (time window + 1). */
export const MAX_SPACE_TIME_TERMS = 300_000_000

/** Neighbours a cell has at most among `cells`: the k-ring's 3k(k+1), or the cells of that size within a distance band. */
export function neighboursPerCell(cells: number, res: number, band: { k: number } | { distance: number }): number {
  const each = 'k' in band ? 3 * band.k * (band.k + 1) : Math.ceil((Math.PI * band.distance ** 2) / getHexagonAreaAvg(res, 'm2'))
  return Math.max(0, Math.min(cells - 1, each))
}

/** The neighbourhood's own words, for messages: "k = 3", "a 5,000 m band". */
function bandText(band: { k: number } | { distance: number }): string {
  return 'k' in band ? `k = ${band.k}` : `a ${band.distance.toLocaleString('en-US')} m band`
}

/** Refuses an analysis whose neighbour pairs or permutation draws exceed the limits, saying what to change. */
export function capNeighbourWork(what: string, cells: number, res: number, band: { k: number } | { distance: number }, permutations = 0): void {
  const per = neighboursPerCell(cells, res, band)
  const pairs = cells * per
  const parameter = 'k' in band ? 'k' : 'distance'
  const shrink = `choose ${'k' in band ? 'a smaller k' : 'a shorter distance'}, a coarser resolution or a parent unit`
  if (pairs > MAX_NEIGHBOUR_PAIRS) {
    throw new AppError('invalid-parameter', `${what}: ${cells.toLocaleString('en-US')} cells at resolution ${res} with ${bandText(band)} make about ${pairs.toLocaleString('en-US')} neighbour pairs, over the limit of ${MAX_NEIGHBOUR_PAIRS.toLocaleString('en-US')}; ${shrink}`, {
      parameter, cells, neighbourPairs: pairs, limit: MAX_NEIGHBOUR_PAIRS,
    })
  }
  if (pairs * permutations > MAX_PERMUTATION_DRAWS) {
    throw new AppError('invalid-parameter', `${what}: ${permutations.toLocaleString('en-US')} permutations of about ${pairs.toLocaleString('en-US')} neighbour pairs are over the limit of ${MAX_PERMUTATION_DRAWS.toLocaleString('en-US')} draws; choose fewer permutations, or ${shrink.replace(/^choose /, '')}`, {
      parameter: 'permutations', cells, neighbourPairs: pairs, limit: MAX_PERMUTATION_DRAWS,
    })
  }
}

/** Refuses a space-time analysis over the limit of terms. */
export function capSpaceTimeWork(what: string, cells: number, steps: number, res: number, k: number, timeWindow: number): void {
  const terms = cells * steps * (neighboursPerCell(cells, res, { k }) + 1) * (timeWindow + 1)
  if (terms > MAX_SPACE_TIME_TERMS) {
    throw new AppError('invalid-parameter', `${what}: ${cells.toLocaleString('en-US')} cells × ${steps} steps with k = ${k} and a time window of ${timeWindow} make about ${terms.toLocaleString('en-US')} terms, over the limit of ${MAX_SPACE_TIME_TERMS.toLocaleString('en-US')}; choose a smaller k or time window, a coarser resolution or step, a shorter period or a parent unit`, {
      parameter: 'k', cells, terms, limit: MAX_SPACE_TIME_TERMS,
    })
  }
}

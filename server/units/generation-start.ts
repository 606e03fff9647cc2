/** When a new boundary generation may start: the rule imports and plan publishes share. */

/** A start this far ahead of the server's clock is taken as now's (a client's clock running a little fast). */
const CLOCK_SKEW_MS = 60_000

/**
 * Why a generation cannot start at `validFrom`, or null: it must start after
 * the current one's start, and not in the future — the newest generation is
 * the one that answers from the moment it is stored (lookups without `at`,
 * tiles, analytics), so one stored ahead of its start would answer before it.
 */
export function validFromProblem(validFrom: Date, currentFrom: Date | undefined, now = new Date()): string | null {
  if (validFrom.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    return `validFrom ${validFrom.toISOString()} is in the future: a generation answers from the moment it is stored, so store it when it starts (validFrom now or earlier)`
  }
  return currentFrom && validFrom <= currentFrom ? `validFrom ${validFrom.toISOString()} must be later than the current generation's validFrom ${currentFrom.toISOString()}` : null
}

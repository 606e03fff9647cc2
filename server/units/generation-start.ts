/** When a new boundary generation may start: the rule imports and plan publishes share. */
import { AppError } from '../errors.ts'

/** A start this far ahead of the server's clock is taken as now's (a client's clock running a little fast). */
const CLOCK_SKEW_MS = 60_000

/**
 * Why a generation cannot start at `validFrom`, or null: it must start after
 * the current one's start, and not in the future — the newest generation is
 * the one that answers from the moment it is stored (lookups without `at`,
 * tiles, analytics), so one stored ahead of its start would answer before it.
 */
export function validFromProblem(validFrom: Date, currentFrom: Date | undefined, now = new Date()): string | null {
  return futureStart(validFrom, now) ?? (currentFrom && validFrom <= currentFrom ? `validFrom ${validFrom.toISOString()} must be later than the current generation's validFrom ${currentFrom.toISOString()}` : null)
}

/** Why `validFrom` is refused whatever is stored (it lies in the future), or null. */
export function futureStart(validFrom: Date, now = new Date()): string | null {
  return validFrom.getTime() > now.getTime() + CLOCK_SKEW_MS
    ? `validFrom ${validFrom.toISOString()} is in the future: a generation answers from the moment it is stored, so store it when it starts (validFrom now or earlier)`
    : null
}

/**
 * The error for a refused start: a start in the future is a bad parameter
 * (400, whatever is stored); one not after the current generation's start
 * conflicts with what is stored (409).
 */
export function validFromError(validFrom: Date, currentFrom: Date | undefined, where: string, extra: Record<string, unknown> = {}): AppError | null {
  const future = futureStart(validFrom)
  if (future) return new AppError('invalid-parameter', future, { ...extra, parameter: 'validFrom', errors: [{ where, message: 'is in the future' }] })
  const late = validFromProblem(validFrom, currentFrom)
  return late ? new AppError('conflict', late, extra) : null
}

/**
 * Long work on the request path (a batch of a million points) runs in slices
 * with `await nextTurn()` between them (lookup batches, rebalancing), so that
 * other requests are served in between and the event loop never looks stuck
 * to the load shedding (server/plugins/back-pressure.ts), which answers 503
 * while it lags.
 */

/** Resolves on a later turn of the event loop, after the I/O waiting now. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Points handled between two turns: some tens of milliseconds of work. */
export const SLICE = 1 << 16

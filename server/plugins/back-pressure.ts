/**
 * Load shedding: while the event loop lags (its mean delay over the last
 * sample beyond `maxEventLoopDelayMs`), requests are answered at once with 503
 * problem+json and `Retry-After`, before any key lookup or query, so that the
 * backlog drains instead of every request getting slower. Liveness is exempt:
 * a slow process is alive, and restarting it would only lose its work;
 * readiness (`/health`) answers 503 like the rest, which is what a load
 * balancer should see.
 *
 * The mean, not the worst delay: one large batch that holds the loop for a
 * few hundred ms is not overload, a loop that stays behind is.
 */
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors.ts'

export interface BackPressureOptions {
  /** Mean event loop delay (ms) beyond which requests are refused. */
  maxEventLoopDelayMs: number
  /** How often the delay is measured (default 1 s). */
  sampleIntervalMs?: number
  /** What `Retry-After` says, in seconds (default 5). */
  retryAfterS?: number
}

const EXEMPT = new Set(['/health/live'])

async function backPressure(app: FastifyInstance, opts: BackPressureOptions) {
  const retryAfter = opts.retryAfterS ?? 5
  const sampleInterval = opts.sampleIntervalMs ?? 1000
  // Start-up (migrations, the demo, index builds) holds the loop for seconds before
  // listen(); the samples taken then say nothing about load. Two intervals after
  // listening, every sample in use was taken while serving.
  let measuredFrom = 0
  app.addHook('onListen', (done) => {
    measuredFrom = Date.now() + 2 * sampleInterval
    done()
  })
  await app.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    sampleInterval,
    // Only called while under pressure; resolving lets the request through.
    pressureHandler: async (request, reply, _type, value) => {
      if (EXEMPT.has(request.routeOptions.url ?? '') || Date.now() < measuredFrom) return
      reply.header('retry-after', String(retryAfter))
      throw new AppError('service-unavailable', `The server is overloaded (event loop ${Math.round(value ?? 0)} ms behind, limit ${opts.maxEventLoopDelayMs} ms); retry in ${retryAfter} s`, {
        retryAfterSeconds: retryAfter,
      })
    },
  })
}

export default fp(backPressure, { name: 'back-pressure' })

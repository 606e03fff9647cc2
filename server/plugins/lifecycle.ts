/**
 * The server's drain state, for a graceful shutdown (server/main.ts): once
 * draining, readiness answers 503 (server/health/routes.ts) so load balancers
 * stop sending work, and every answer says `Connection: close`, so that
 * keep-alive clients let go of their sockets as soon as their request is done
 * instead of holding the shutdown until their idle timeout. `app.close()`
 * starts draining by itself; main.ts starts it earlier when a delay is set.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface Lifecycle {
  draining: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

async function lifecycle(app: FastifyInstance) {
  const state: Lifecycle = { draining: false }
  app.decorate('lifecycle', state)
  app.addHook('preClose', (done) => {
    state.draining = true
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(lifecycle, { name: 'lifecycle' })

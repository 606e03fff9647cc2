import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import sjson from 'secure-json-parse'
import { AppError } from '../errors.ts'
import { jsonErrorPosition } from './json-error-position.ts'

/**
 * Bodies are JSON (also sent as application/geo+json). A broken body is answered
 * with where it breaks; prototype-poisoning keys are refused as Fastify does.
 * Other media types get 415 unless a route registers its own parser.
 */
async function jsonBody(app: FastifyInstance) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/geo+json'], { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(new AppError('malformed-json', 'The body is empty; a JSON document was expected'), undefined)
    try {
      done(null, sjson.parse(body as string, { protoAction: 'error', constructorAction: 'error' }))
    } catch (err) {
      const at = err instanceof SyntaxError ? jsonErrorPosition(body as string) : null
      const where = at ? ` at line ${at.line}, column ${at.column} (position ${at.offset})` : ''
      done(new AppError('malformed-json', `The body is not valid JSON${where}: ${(err as Error).message}`, at ? { position: at } : {}), undefined)
    }
  })
}

export default fp(jsonBody, { name: 'json-body' })

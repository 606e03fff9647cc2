import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import sjson from 'secure-json-parse'
import { AppError } from '../errors.ts'
import { jsonErrorPosition } from './json-error-position.ts'

/**
 * A JSON body as Fastify would parse it, prototype-poisoning keys refused;
 * a broken body is answered with where it breaks. Throws an AppError.
 */
export function parseJsonBody(body: string): unknown {
  if (body === '') throw new AppError('malformed-json', 'The body is empty; a JSON document was expected')
  try {
    return sjson.parse(body, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    const at = err instanceof SyntaxError ? jsonErrorPosition(body) : null
    const where = at ? ` at line ${at.line}, column ${at.column} (position ${at.offset})` : ''
    throw new AppError('malformed-json', `The body is not valid JSON${where}: ${(err as Error).message}`, at ? { position: at } : {})
  }
}

export const JSON_TYPES = ['application/json', 'application/geo+json']

/**
 * Bodies are JSON (also sent as application/geo+json), read by parseJsonBody.
 * Other media types get 415 unless a route registers its own parser.
 */
async function jsonBody(app: FastifyInstance) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string))
    } catch (err) {
      done(err as AppError, undefined)
    }
  })
}

export default fp(jsonBody, { name: 'json-body' })

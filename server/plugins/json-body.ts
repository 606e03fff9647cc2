import { isUtf8 } from 'node:buffer'
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
  const deep = nestedTooDeep(body)
  if (deep >= 0) throw new AppError('malformed-json', `The body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels (at position ${deep}); nothing Zhiwang takes needs that`, { position: { offset: deep } })
  let value: unknown
  try {
    value = sjson.parse(body, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    const at = err instanceof SyntaxError ? jsonErrorPosition(body) : null
    const where = at ? ` at line ${at.line}, column ${at.column} (position ${at.offset})` : ''
    throw new AppError('malformed-json', `The body is not valid JSON${where}: ${(err as Error).message}`, at ? { position: at } : {})
  }
  // JSON.parse keeps the last of two equal names silently: {"lon": 113.7, …, "lon": 0} would store the second.
  const twice = duplicateName(body)
  if (twice) {
    throw new AppError('malformed-json', `The body names ${JSON.stringify(twice.name)} twice in one object (again at position ${twice.offset}); which one was meant is unclear, so neither is taken`, { position: { offset: twice.offset } })
  }
  // Cheap test on the text first: only bodies that spell a NUL or a surrogate escape are walked.
  if (SUSPECT.test(body)) {
    const at = unstorable(value, '')
    if (at !== null) {
      throw new AppError('malformed-json', `The string at ${at || '/'} holds a NUL character or an unpaired surrogate, which text cannot store`, { pointer: at })
    }
  }
  return value
}

/**
 * Arrays and objects nested deeper than this are refused before parsing: no
 * report, point list, boundary or plan needs more than a dozen levels, and
 * every walk of a document (checks, answers, JSON.stringify) would otherwise
 * risk the stack on a hostile one.
 */
export const MAX_JSON_DEPTH = 64

/** The offset where JSON text opens its (MAX_JSON_DEPTH + 1)th nested level, or −1; strings are skipped. */
export function nestedTooDeep(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // Skip the string: to the next quote not escaped.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c) i++
        else if (d === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return -1
}

/** The first name that appears twice in one object of valid JSON text, with the offset of its second appearance, or null. */
export function duplicateName(text: string): { name: string; offset: number } | null {
  // One entry per open array (null) or object (the names seen so far).
  const open: (Set<string> | null)[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      const start = i
      let escaped = false
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c) (escaped = true), i++
        else if (d === 0x22) break
      }
      const names = open[open.length - 1]
      if (!names) continue
      let j = i + 1
      while (j < text.length && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x0a || text.charCodeAt(j) === 0x0d || text.charCodeAt(j) === 0x09)) j++
      if (text.charCodeAt(j) !== 0x3a) continue // a value, not a name
      const raw = text.slice(start + 1, i)
      const name = escaped ? (JSON.parse(`"${raw}"`) as string) : raw
      if (names.has(name)) return { name, offset: start }
      names.add(name)
    } else if (c === 0x7b) open.push(new Set())
    else if (c === 0x5b) open.push(null)
    else if (c === 0x5d || c === 0x7d) open.pop()
  }
  return null
}

const SUSPECT = /\\u0000|\u0000|\\u[dD][89a-fA-F]/
// A NUL, or a surrogate half without its partner.
const BAD_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** JSON pointer of the first string (or key) PostgreSQL text cannot hold, or null. */
export function unstorable(value: unknown, path: string): string | null {
  if (typeof value === 'string') return BAD_CHAR.test(value) ? path : null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = unstorable(value[i], `${path}/${i}`)
      if (at !== null) return at
    }
    return null
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`
      if (BAD_CHAR.test(k)) return key
      const at = unstorable(v, key)
      if (at !== null) return at
    }
  }
  return null
}

export const JSON_TYPES = ['application/json', 'application/geo+json']

/**
 * The body as text. JSON is UTF-8 (RFC 8259); bytes that are not would be
 * stored as U+FFFD replacement characters, losing what was sent, so they are
 * refused, saying where.
 */
export function utf8Text(raw: Buffer): string {
  if (isUtf8(raw)) return raw.toString('utf8')
  const at = firstBadUtf8(raw)
  throw new AppError('malformed-json', `The body is not UTF-8: the bytes from position ${at} (0x${(raw[at] ?? 0).toString(16).padStart(2, '0')}…) are not a UTF-8 character; JSON is sent in UTF-8`, { position: { offset: at } })
}

/** Offset where the first sequence that is not UTF-8 starts (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
function firstBadUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1
    if (n < 0) return i
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i
    }
    i += n + 1
  }
  return b.length
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's JSON body is optional: an empty one (with a JSON content type) is taken as none. */
    optionalBody?: boolean
  }
}

/**
 * Bodies are JSON (also sent as application/geo+json), read by parseJsonBody.
 * Other media types get 415 unless a route registers its own parser.
 */
async function jsonBody(app: FastifyInstance) {
  // Path and query text the database cannot store (a NUL, half a surrogate pair) is
  // refused before validation, naming the parameter, as it is in bodies.
  app.addHook('preValidation', async (request) => {
    for (const [part, values] of [['params', request.params], ['querystring', request.query]] as const) {
      if (values === null || typeof values !== 'object') continue
      const at = unstorable(values, part)
      if (at !== null) {
        throw new AppError('invalid-parameter', `${at} holds a NUL character or half a surrogate pair, which text cannot store`, {
          errors: [{ where: at, message: 'holds a character text cannot store' }],
        })
      }
    }
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, raw, done) => {
    try {
      const body = utf8Text(raw as Buffer)
      // A route whose body is optional (config.optionalBody) takes an empty one as none: clients send the type regardless.
      if (body === '' && request.routeOptions.config?.optionalBody) return done(null, undefined)
      done(null, parseJsonBody(body))
    } catch (err) {
      done(err as AppError, undefined)
    }
  })
}

export default fp(jsonBody, { name: 'json-body' })

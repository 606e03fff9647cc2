/**
 * `application/x-www-form-urlencoded` bodies, as GeoReport v2 clients post
 * service requests. A key sent once maps to its string, a key sent several
 * times to the list of its values (`attribute[code][]=a&attribute[code][]=b`);
 * the bracketed attribute names are read by ./service-request-input.ts.
 */
import type { FastifyInstance } from 'fastify'

export type FormFields = Record<string, string | string[]>

export function parseForm(body: string): FormFields {
  const fields = new Map<string, string | string[]>()
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = fields.get(name)
    fields.set(name, seen === undefined ? value : [seen, value].flat())
  }
  // fromEntries defines own properties, so a field named __proto__ stays a field.
  return Object.fromEntries(fields)
}

/** Registers the parser in `app`'s encapsulation context only. */
export function registerFormBody(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    done(null, parseForm((body as string).replace(/^\uFEFF/, ''))) // a byte-order mark some clients put first is not part of the first name
  })
}

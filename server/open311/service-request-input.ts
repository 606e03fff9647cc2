/**
 * Reads a GeoReport v2 service request (form fields, or the same names in a
 * JSON object) into an incident report for intake. Every problem is
 * collected, so the client learns all of them from one 400. The reporter's
 * contact goes to the incident's private `reporter`, never to an answer.
 */
import { readIncident, type IncidentInput } from '../incidents/incident-input.ts'
import { checkAttributes, type AttributeDefinition } from './service-definitions.ts'

export interface ServiceForRequest {
  code: string
  attributes: readonly AttributeDefinition[]
}

const CONTACT = ['email', 'first_name', 'last_name', 'phone', 'device_id', 'account_id'] as const
const ATTRIBUTE = /^attribute\[([^\]]+)\](\[\])?$/

/**
 * `service` is the category `service_code` names, or null when it names none
 * (reported here together with the other problems).
 */
export function readServiceRequest(body: Record<string, unknown>, service: ServiceForRequest | null, utcOffsetMinutes: number):
  | { ok: true; input: IncidentInput; accountId: string | null }
  | { ok: false; errors: string[] } {
  const errors: string[] = []
  const one = (name: string): string | undefined => {
    const v = body[name]
    if (Array.isArray(v)) {
      errors.push(`${name} was sent ${v.length} times; send it once`)
      return undefined
    }
    return v === undefined || v === null || v === '' ? undefined : String(v)
  }

  const code = one('service_code')
  if (code === undefined) errors.push('service_code is required; the codes are listed at services.xml')
  else if (!service) errors.push(`service_code ${JSON.stringify(code)} is not a service here; the codes are listed at services.xml`)

  const lat = one('lat')
  const long = one('long')
  const located = lat !== undefined && long !== undefined
  const sent = (name: string) => Array.isArray(body[name]) || one(name) !== undefined
  // Both sent, one of them twice: that was said above, once.
  if (!located && !(sent('lat') && sent('long'))) {
    if (sent('lat') || sent('long')) errors.push('lat and long are both required')
    else if (one('address_string') !== undefined || one('address_id') !== undefined) errors.push('address not supported, send lat/long (WGS 84)')
    else errors.push('a location is required: send lat and long (WGS 84)')
  }

  const reporter: Record<string, string> = {}
  for (const field of CONTACT) {
    const v = one(field)
    if (v !== undefined) reporter[field] = v
  }
  if (reporter.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(reporter.email)) errors.push(`email ${JSON.stringify(reporter.email)} is not an e-mail address`)

  const attributes = attributesSent(body)
  const checked = service ? checkAttributes(service.attributes, attributes, utcOffsetMinutes) : { values: {}, errors: [] }
  errors.push(...checked.errors)

  const read = readIncident(
    {
      service_code: code,
      lat: located ? lat : 0,
      long: located ? long : 0,
      channel: 'citizen',
      description: one('description') ?? null,
      media_url: one('media_url') ?? [],
      reporter: Object.keys(reporter).length > 0 ? reporter : null,
      attributes: checked.values,
    },
    new Set(service ? [service.code] : []),
    { text: true },
  )
  if (!read.ok) {
    for (const p of read.problems) {
      if (p.field === 'category') continue // reported above, in Open311's words
      if (p.field === 'media_urls') errors.push('media_url must be an http(s) URL of at most 2000 characters')
      else if (p.field === 'reporter') errors.push(`${CONTACT.join(', ')} must each be at most 200 characters`)
      else errors.push(p.field ? `${p.field === 'lon' ? 'long' : p.field} ${p.message}` : p.message)
    }
  }
  if (errors.length > 0 || !read.ok) return { ok: false, errors }
  return { ok: true, input: read.value, accountId: reporter.account_id ?? null }
}

/** `attribute[code]=v` and `attribute[code][]=v` form fields, or an `attribute` object in JSON. */
function attributesSent(body: Record<string, unknown>): Map<string, string | string[]> {
  const sent = new Map<string, string | string[]>()
  const add = (code: string, value: unknown) => {
    const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined).map(String)
    const seen = sent.get(code)
    sent.set(code, seen === undefined && values.length === 1 && !Array.isArray(value) ? values[0]! : [seen ?? [], values].flat())
  }
  for (const [name, value] of Object.entries(body)) {
    const m = ATTRIBUTE.exec(name)
    if (m) add(m[1]!, m[2] ? [value].flat() : value)
  }
  const nested = body.attribute
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    for (const [code, value] of Object.entries(nested)) add(code, value)
  }
  return sent
}

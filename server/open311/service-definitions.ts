/**
 * Services are incident categories: the list record, the service definition
 * built from the category's `attributes` (jsonb, entered by hand, so read
 * defensively) and the check of the attribute values a request sends.
 */
import { parseW3c } from './w3c-datetime.ts'

export interface CategoryRow {
  code: string
  name_zh: string
  name_en: string | null
  class: string
  department: string
  sla_hours: number
  attributes: unknown
}

export const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] as const
export type Datatype = (typeof DATATYPES)[number]

export type AttributeDefinition = {
  variable: boolean
  code: string
  datatype: Datatype
  required: boolean
  datatype_description: string
  order: number
  description: string
  values: { key: string; name: string }[]
}

const MAX_VALUE_LENGTH = 4000

/** The spec's attribute list from a category's `attributes`; entries without a code are skipped. */
export function attributeDefinitions(raw: unknown): AttributeDefinition[] {
  if (!Array.isArray(raw)) return []
  const defs: AttributeDefinition[] = []
  for (const a of raw) {
    if (typeof a !== 'object' || a === null || typeof a.code !== 'string' || a.code === '') continue
    const datatype = (DATATYPES as readonly unknown[]).includes(a.datatype) ? (a.datatype as Datatype) : 'string'
    const values = Array.isArray(a.values) ? a.values.filter((v: unknown) => typeof v === 'object' && v !== null && 'key' in v) : []
    defs.push({
      variable: a.variable !== false,
      code: a.code,
      datatype,
      required: a.required === true,
      datatype_description: typeof a.datatype_description === 'string' ? a.datatype_description : '',
      order: Number.isInteger(a.order) ? a.order : defs.length + 1,
      description: typeof a.description === 'string' ? a.description : a.code,
      values: values.map((v: { key: unknown; name?: unknown }) => ({ key: String(v.key), name: String(v.name ?? v.key) })),
    })
  }
  return defs.sort((x, y) => x.order - y.order)
}

/** What a citizen is told about a service: who handles it and how soon. */
export const serviceNotice = (c: Pick<CategoryRow, 'department' | 'sla_hours'>) => `Handled by ${c.department} within ${c.sla_hours} h of dispatch.`

export function serviceRecord(c: CategoryRow) {
  return {
    service_code: c.code,
    service_name: c.name_zh,
    description: `${c.name_en ? `${c.name_en}. ` : ''}${serviceNotice(c)}`,
    metadata: attributeDefinitions(c.attributes).length > 0,
    type: 'realtime',
    keywords: [c.name_en, c.class].filter((k): k is string => !!k).map((k) => k.replace(/,/g, ' ')).join(','),
    group: c.class,
  }
}

export function definitionRecord(c: CategoryRow) {
  return { service_code: c.code, attributes: attributeDefinitions(c.attributes) }
}

/**
 * Checks the attribute values a request sends (`attribute[code]`, lists for
 * multivaluelist) against the definition. Blank values count as not sent.
 */
export function checkAttributes(defs: readonly AttributeDefinition[], sent: ReadonlyMap<string, string | string[]>, utcOffsetMinutes: number) {
  const errors: string[] = []
  const values: Record<string, unknown> = {}
  const byCode = new Map(defs.map((d) => [d.code, d]))
  for (const code of sent.keys()) {
    if (!byCode.get(code)?.variable) errors.push(`attribute[${code}] is not an attribute of this service; see its service definition`)
  }
  for (const d of defs) {
    if (!d.variable) continue
    const raw = sent.get(d.code)
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => v.trim()).filter((v) => v !== '')
    const name = `attribute[${d.code}]`
    if (list.length === 0) {
      if (d.required) errors.push(`${name} is required: ${d.description}`)
      continue
    }
    if (d.datatype !== 'multivaluelist' && list.length > 1) {
      errors.push(`${name} takes one value (${d.datatype}); got ${list.length}`)
      continue
    }
    const keys = new Set(d.values.map((v) => v.key))
    const v = list[0]!
    switch (d.datatype) {
      case 'number':
        if (!Number.isFinite(Number(v))) errors.push(`${name} must be a number; got ${JSON.stringify(v)}`)
        else values[d.code] = Number(v)
        break
      case 'datetime': {
        const at = parseW3c(v, utcOffsetMinutes)
        if (!at) errors.push(`${name} must be a W3C date-time such as 2024-05-01T09:30:00+08:00; got ${JSON.stringify(v)}`)
        else values[d.code] = at.toISOString()
        break
      }
      case 'singlevaluelist':
      case 'multivaluelist': {
        const unknown = list.filter((x) => !keys.has(x))
        if (unknown.length > 0) errors.push(`${name} must be one of ${[...keys].join(', ')}; got ${unknown.map((x) => JSON.stringify(x)).join(', ')}`)
        else values[d.code] = d.datatype === 'multivaluelist' ? list : v
        break
      }
      default:
        if (v.length > MAX_VALUE_LENGTH) errors.push(`${name} is ${v.length} characters; at most ${MAX_VALUE_LENGTH}`)
        else values[d.code] = v
    }
  }
  return { values, errors }
}

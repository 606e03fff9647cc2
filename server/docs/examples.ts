/**
 * Examples made from a schema, or, without one, a generic example per media
 * type: enough for a reader to see the shape, never invented data.
 */

const GENERIC: Record<string, unknown> = {
  'application/json': {},
  'application/geo+json': { type: 'FeatureCollection', features: [] },
  'application/problem+json': { type: '/problems/bad-request', title: 'Bad request', status: 400, detail: 'What was wrong, and how to fix it' },
  'text/csv': 'header,…\nvalue,…\n',
  'application/x-ndjson': '{…}\n{…}\n',
  'application/xml': '<?xml version="1.0" encoding="utf-8"?>\n<…/>',
  'text/html': '<!doctype html>…',
}

/** An example for `type`: from the schema when it says enough, else the generic one. */
export function exampleFor(type: string, schema?: object): unknown {
  const fromSchema = exampleFromSchema(schema)
  if (fromSchema !== undefined && !(isEmptyObject(fromSchema) && type !== 'application/json')) return fromSchema
  return GENERIC[type] ?? '(binary)'
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0

/** A value that satisfies a (simple) JSON schema: its example, default, const or first enum value, or one built from its type. */
export function exampleFromSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return undefined
  const s = schema as Record<string, unknown>
  if (s.example !== undefined) return s.example
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if (s.default !== undefined) return s.default
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[key]) && s[key].length > 0) return exampleFromSchema(s[key][0], depth + 1)
  }
  const types = [s.type].flat().filter((t) => t !== 'null')
  switch (types[0]) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, exampleFromSchema(v, depth + 1) ?? null]))
    }
    case 'array': {
      const item = exampleFromSchema(s.items, depth + 1)
      return item === undefined ? [] : [item]
    }
    case 'string':
      return s.format === 'date-time' ? '2025-01-01T08:00:00.000Z' : s.format === 'date' ? '2025-01-01' : s.contentMediaType ? undefined : 'string'
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0
    case 'boolean':
      return false
    default:
      return types.length === 0 && [s.type].flat().includes('null') ? null : undefined
  }
}

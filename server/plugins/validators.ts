/**
 * Request validation with two Ajv setups: query strings, path parameters and
 * headers are text, so their values are coerced to the schema's types
 * ("7" → 7); JSON bodies already carry types, so they are not — a body that
 * sends "113.7" or null where a number belongs is refused, never silently
 * turned into 113.7 or 0.
 *
 * Ajv's coercion takes whatever JavaScript's Number() takes: "0x71" became
 * 113, and "Infinity" or "1e400" became Infinity, which then skipped the
 * minimum/maximum checks altogether (Ajv checks ranges on finite numbers
 * only). So text meant as a number must first be a plain finite decimal.
 * And an integer without bounds of its own is kept within ±(2^53 − 1): an id
 * like 9223372036854775808 or 1e30 is refused here with a 400, instead of
 * reaching PostgreSQL's bigint as a number it cannot take (a 500).
 */
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyInstance } from 'fastify'

const SHARED = { useDefaults: true, removeAdditional: false, allErrors: true } as const
const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/

/** The number a text holds when it is a plain finite decimal ("113.7", "-1e-3"), else NaN: no hex, no Infinity. */
export function decimalOrNaN(text: string): number {
  if (!DECIMAL.test(text)) return NaN
  const n = Number(text)
  return Number.isFinite(n) ? n : NaN
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null }

export function installValidators(app: FastifyInstance): void {
  const factory = AjvCompiler()
  app.setValidatorCompiler((route) => {
    if (route.httpPart === 'querystring' && route.url.startsWith('/api/v1/')) refuseUnknown(route.schema)
    // The factory keeps one Ajv per (shared schemas, options): compiling a route reuses it.
    const compile = factory(app.getSchemas() as Parameters<typeof factory>[0], { customOptions: { ...SHARED, coerceTypes: route.httpPart !== 'body' }, onCreate: fourDigitYears } as Parameters<typeof factory>[1])
    boundIntegers(route.schema)
    const validate = compile(route) as unknown as Validate
    const numeric = route.httpPart === 'body' ? [] : numericProperties(route.schema)
    const once = route.httpPart === 'querystring' && route.url.startsWith('/api/v1/') ? singleValued(route.schema) : []
    if (numeric.length === 0 && once.length === 0) return validate as unknown as ReturnType<Parameters<FastifyInstance['setValidatorCompiler']>[0]>
    const screened: Validate = (data) => {
      // A plain loop: this runs on every request of the busiest routes (single lookups).
      let errors: unknown[] | null = null
      // A parameter given twice (?res=8&res=9) arrives as a list: said as such, not as "must be integer".
      for (let k = 0; k < once.length; k++) {
        const value = (data as Record<string, unknown> | null)?.[once[k]!]
        if (!Array.isArray(value)) continue
        ;(errors ??= []).push({ instancePath: `/${once[k]}`, schemaPath: `#/properties/${once[k]}`, keyword: 'once', params: { count: value.length }, message: `is given ${value.length} times; give it once (lists are comma-separated, ${once[k]}=a,b)` })
      }
      if (errors !== null) {
        screened.errors = errors
        return false
      }
      for (let k = 0; k < numeric.length; k++) {
        const { name, type } = numeric[k]!
        const value = (data as Record<string, unknown> | null)?.[name]
        if (typeof value !== 'string' || !Number.isNaN(decimalOrNaN(value))) continue
        ;(errors ??= []).push({ instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: { type }, message: `must be a finite decimal number, got ${JSON.stringify(value.slice(0, 40))}` })
      }
      if (errors !== null) {
        screened.errors = errors
        return false
      }
      const ok = validate(data)
      screened.errors = validate.errors
      return ok
    }
    return screened as unknown as ReturnType<Parameters<FastifyInstance['setValidatorCompiler']>[0]>
  })
}

/**
 * The native API's query strings take only the parameters their schema names:
 * a misspelt filter (`?statu=open`) or an option a route does not have
 * (`?at=` where only today is answered) is a 400 naming it, not an answer that
 * silently ignores it. A schema that says otherwise keeps its own rule. (The
 * Open311 and OGC routes follow their own standards.)
 */
function refuseUnknown(schema: unknown): void {
  const s = schema as { type?: unknown; properties?: unknown; additionalProperties?: unknown } | null
  if (s && s.type === 'object' && s.properties && s.additionalProperties === undefined) s.additionalProperties = false
}

/** Properties of an object schema that are not lists: each may be given once. */
function singleValued(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: string | string[] }> } | null)?.properties ?? {}
  return Object.entries(properties).flatMap(([name, p]) => ((Array.isArray(p?.type) ? p.type : [p?.type]).includes('array') ? [] : [name]))
}

/** Properties of an object schema whose type is number or integer (also as one of several types). */
function numericProperties(schema: unknown): { name: string; type: string }[] {
  const properties = (schema as { properties?: Record<string, { type?: string | string[] }> } | null)?.properties ?? {}
  return Object.entries(properties).flatMap(([name, p]) => {
    const types = Array.isArray(p?.type) ? p.type : [p?.type]
    const type = types.find((t) => t === 'number' || t === 'integer')
    return type ? [{ name, type }] : []
  })
}

/** Gives every integer schema without a maximum (minimum) the largest safe integer (its negative), in place. */
function boundIntegers(schema: unknown, seen = new Set<unknown>()): void {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return
  seen.add(schema)
  const s = schema as Record<string, unknown>
  const types = Array.isArray(s.type) ? s.type : [s.type]
  if (types.includes('integer')) {
    if (s.maximum === undefined && s.exclusiveMaximum === undefined) s.maximum = Number.MAX_SAFE_INTEGER
    if (s.minimum === undefined && s.exclusiveMinimum === undefined) s.minimum = -Number.MAX_SAFE_INTEGER
  }
  for (const value of Object.values(s)) if (typeof value === 'object') boundIntegers(value, seen)
}

/**
 * A date-time must name a year from 1000 on. Years before 100 come back from
 * the database drivers as 19xx (JavaScript's two-digit-year rule: a plan
 * period from 0050 was stored and shown as 1950), and the year 0 is not one
 * PostgreSQL takes; no governance record goes back that far.
 */
function fourDigitYears(ajv: { formats: Record<string, unknown>; addFormat(name: string, format: unknown): unknown }): void {
  const base = ajv.formats['date-time'] as { validate: (s: string) => boolean; compare?: unknown } | ((s: string) => boolean) | undefined
  const check = typeof base === 'function' ? base : base?.validate
  if (!check) return
  const compare = typeof base === 'object' ? base.compare : undefined
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => check(s) && Number(s.slice(0, 4)) >= 1000, ...(compare ? { compare } : {}) })
}

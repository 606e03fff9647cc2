/**
 * Request validation with two Ajv setups: query strings, path parameters and
 * headers are text, so their values are coerced to the schema's types
 * ("7" → 7); JSON bodies already carry types, so they are not — a body that
 * sends "113.7" or null where a number belongs is refused, never silently
 * turned into 113.7 or 0.
 */
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyInstance } from 'fastify'

const SHARED = { useDefaults: true, removeAdditional: false, allErrors: true } as const

export function installValidators(app: FastifyInstance): void {
  const factory = AjvCompiler()
  app.setValidatorCompiler((route) => {
    // The factory keeps one Ajv per (shared schemas, options): compiling a route reuses it.
    const compile = factory(app.getSchemas() as Parameters<typeof factory>[0], { customOptions: { ...SHARED, coerceTypes: route.httpPart !== 'body' } })
    return compile(route) as ReturnType<Parameters<FastifyInstance['setValidatorCompiler']>[0]>
  })
}

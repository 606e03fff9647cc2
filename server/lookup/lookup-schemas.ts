/**
 * JSON schemas shared by the lookup routes: query parameters, and the single
 * answer's shape, which lets Fastify serialise it with fast-json-stringify
 * instead of JSON.stringify (members left out by `fields` are simply absent).
 */
import { Type } from 'typebox'
import { MOMENT_PATTERN } from '../analytics/period-scope.ts'

export const Crs = Type.Unsafe<'wgs84' | 'gcj02'>({ type: 'string', enum: ['wgs84', 'gcj02'], default: 'wgs84', description: 'Input coordinates: WGS84 (default) or GCJ-02 from Chinese map apps' })
export const At = Type.String({ pattern: MOMENT_PATTERN, description: 'Answer from the generation valid at this moment: a date-time with offset, or a date (its midnight in the city, UTC+8)' })
export const fieldList = (names: readonly string[]) => Type.String({ pattern: `^(${names.join('|')})(,(${names.join('|')}))*$`, description: `Comma-separated: ${names.join(', ')}` })

const nullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] })
const unitRef = { type: 'object', nullable: true, properties: { code: { type: 'string' }, name: { type: 'string' }, name_en: nullableString } } as const

/** GET /api/v1/lookup's answer. */
export const SingleAnswer = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  properties: {
    point: { type: 'array', items: { type: 'number' } },
    generation: {
      type: 'object',
      properties: { id: { type: 'integer' }, label: { type: 'string' }, validFrom: { type: 'string' }, validTo: nullableString },
    },
    grid: unitRef,
    community: unitRef,
    town: unitRef,
    onBoundary: { type: 'boolean' },
    administrators: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, phone: nullableString, employeeNo: { type: 'string' } } },
    },
    nearest: { ...unitRef, properties: { ...unitRef.properties, distanceM: { type: 'number' } } },
  },
})

/**
 * The feature collections served at /ogc: an allow-list, so a collection id
 * from a URL only ever picks one of these entries. Each names the attribute
 * filters its items accept; the same schemas validate the query string and
 * describe it in the OpenAPI document.
 */
import { Type, type TSchema } from 'typebox'
import { STATUSES } from '../incidents/workflow.ts'

const unitCode = (description: string) => Type.String({ pattern: '^[0-9]{6}([0-9]{3}){0,3}$', description })

const UNIT_FILTERS = {
  code: unitCode('The unit with this code'),
  parent_code: unitCode('Units whose parent has this code'),
  name: Type.String({ minLength: 1, maxLength: 100, description: 'Units whose Chinese or English name contains this text (case-insensitive)' }),
} satisfies Record<string, TSchema>

const INCIDENT_FILTERS = {
  category: Type.String({ pattern: '^[A-Z][A-Z0-9_-]{0,31}$', description: 'Incidents of this category code (see /api/v1/incident-categories)' }),
  status: Type.Unsafe<string>({ type: 'string', enum: [...STATUSES], description: 'Incidents in this workflow state' }),
  grid_code: Type.String({ pattern: '^[0-9]{15}$', description: 'Incidents routed to this grid' }),
  town_code: Type.String({ pattern: '^[0-9]{9}$', description: 'Incidents routed to this town' }),
} satisfies Record<string, TSchema>

interface CollectionBase {
  id: string
  title: string
  description: string
  filters: Record<string, TSchema>
}

export interface UnitCollection extends CollectionBase {
  kind: 'unit'
  level: 'town' | 'community' | 'grid'
}

export interface IncidentCollection extends CollectionBase {
  kind: 'incident'
}

export type Collection = UnitCollection | IncidentCollection

const units = (id: string, level: UnitCollection['level'], title: string, digits: number): UnitCollection => ({
  id,
  kind: 'unit',
  level,
  title,
  description: `${title} (${digits}-digit codes) of the current boundary generation; \`datetime\` answers from the generation(s) valid then. Feature id: the unit code.`,
  filters: UNIT_FILTERS,
})

export const COLLECTIONS: readonly Collection[] = [
  units('towns', 'town', 'Towns and streets', 9),
  units('communities', 'community', 'Communities', 12),
  units('grids', 'grid', 'Grids', 15),
  {
    id: 'incidents',
    kind: 'incident',
    title: 'Incidents',
    description:
      'Reported incidents as points, with the fields Open311 makes public (never the reporter); categories about persons are not listed. `datetime` filters reported_at. Feature id: the incident id.',
    filters: INCIDENT_FILTERS,
  },
]

/** The collection with this id, or null. */
export function findCollection(id: string): Collection | null {
  return COLLECTIONS.find((c) => c.id === id) ?? null
}

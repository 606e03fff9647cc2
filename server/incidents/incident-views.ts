/** What an incident looks like to staff, to the public (its reporter by token), as GeoJSON and as CSV. */
import { csvText } from '../plugins/csv-line.ts'

export type IncidentRow = Record<string, unknown> & { id: number; lon: number; lat: number }

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v ?? null)

export function staffView(r: IncidentRow) {
  return {
    id: r.id,
    category: r.category_code,
    categoryName: r.category_name,
    point: [r.lon, r.lat],
    reportedAt: iso(r.reported_at),
    channel: r.channel,
    // A citizen report's external id is the reporting app's retry key: with the point, category and
    // description (which staff read) it would answer a key-less retry with the reporter's receipt token.
    externalId: r.channel === 'citizen' ? null : r.external_id,
    description: r.description,
    mediaUrls: r.media_urls,
    attributes: r.attributes,
    grid: r.grid_code,
    community: r.community_code,
    town: r.town_code,
    generation: r.generation_id,
    unrouted: r.grid_code === null,
    status: r.status,
    department: r.department,
    dispatchedAt: iso(r.dispatched_at),
    deadlineAt: iso(r.deadline_at),
    handledAt: iso(r.handled_at),
    closedAt: iso(r.closed_at),
    supervisionLevel: r.supervision_level,
    duplicateOf: r.duplicate_of,
    satisfaction: r.satisfaction,
    updatedAt: iso(r.updated_at),
  }
}

/** Without the reporter's contact, the external id or internal attributes. */
export function publicView(r: IncidentRow) {
  const v = staffView(r)
  return {
    id: v.id, category: v.category, categoryName: v.categoryName, point: v.point, reportedAt: v.reportedAt, description: v.description,
    grid: v.grid, status: v.status, deadlineAt: v.deadlineAt, closedAt: v.closedAt, satisfaction: v.satisfaction, updatedAt: v.updatedAt,
  }
}

export function incidentFeature(r: IncidentRow) {
  const { point, ...properties } = staffView(r)
  return { type: 'Feature', id: r.id, geometry: { type: 'Point', coordinates: point }, properties }
}

const CSV_COLUMNS = ['id', 'category', 'lon', 'lat', 'reportedAt', 'channel', 'grid', 'community', 'town', 'status', 'department', 'deadlineAt', 'supervisionLevel', 'duplicateOf', 'description'] as const

export function incidentsCsv(rows: IncidentRow[]): string {
  const cell = (v: unknown) => csvText(v === null || v === undefined ? '' : String(v))
  const lines = rows.map((r) => {
    const v = staffView(r) as Record<string, unknown>
    return CSV_COLUMNS.map((c) => cell(c === 'lon' ? r.lon : c === 'lat' ? r.lat : v[c])).join(',')
  })
  return [CSV_COLUMNS.join(','), ...lines].join('\n') + '\n'
}

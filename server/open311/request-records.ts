/** A service request as GeoReport v2 shows it: the public face of an incident, without its reporter. */
import { open311Status, type Status } from '../incidents/workflow.ts'
import { serviceNotice } from './service-definitions.ts'
import { formatW3c } from './w3c-datetime.ts'

export interface RequestRow {
  id: number
  status: Status
  category_code: string
  service_name: string
  sla_hours: number
  description: string | null
  agency: string
  reported_at: Date
  updated_at: Date
  expected_at: Date
  lon: number
  lat: number
  media_urls: string[]
  address: string | null
}

export function requestRecord(r: RequestRow, utcOffsetMinutes: number) {
  const date = (d: Date) => formatW3c(d, utcOffsetMinutes)
  return {
    service_request_id: r.id,
    status: open311Status(r.status),
    // Open311 knows open and closed only; the workflow state says where it stands. The staff's
    // notes stay internal: they may name people, and an old note would read as the current state.
    status_notes: r.status,
    service_name: r.service_name,
    service_code: r.category_code,
    description: r.description,
    agency_responsible: r.agency,
    service_notice: serviceNotice({ department: r.agency, sla_hours: r.sla_hours }),
    requested_datetime: date(r.reported_at),
    updated_datetime: date(r.updated_at),
    expected_datetime: date(r.expected_at),
    address: r.address,
    address_id: null,
    zipcode: null,
    lat: r.lat,
    long: r.lon,
    media_url: r.media_urls[0] ?? null,
  }
}

/**
 * The incident filter the Incidents, Hotspots and chart views share: a window
 * of local days [from, to) in the city's time zone (UTC+8) and optional
 * category, status and channel lists (empty = all).
 */
export const STATUSES = ['reported', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'rejected', 'reopened'] as const
export const CHANNELS = ['patrol', 'citizen', 'hotline', 'sensor', 'system'] as const

export interface IncidentFilter {
  from: string
  to: string
  categories: string[]
  status: string[]
  channels: string[]
}

const DAY_MS = 86_400_000
const CITY_OFFSET_MS = 8 * 3_600_000

export function localToday(now = Date.now()): string {
  return new Date(now + CITY_OFFSET_MS).toISOString().slice(0, 10)
}
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS)
}

type Listener = (f: IncidentFilter) => void

export class FilterState {
  #value: IncidentFilter
  readonly #listeners = new Set<Listener>()

  constructor(windowDays = 90) {
    const to = addDays(localToday(), 1)
    this.#value = { from: addDays(to, -windowDays), to, categories: [], status: [], channels: [] }
  }

  get value(): IncidentFilter {
    return this.#value
  }

  set(change: Partial<IncidentFilter>): void {
    this.#value = { ...this.#value, ...change }
    for (const l of this.#listeners) l(this.#value)
  }

  /** Calls `fn` on each change; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }
}

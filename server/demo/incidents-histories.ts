/**
 * Turns time-ordered demo reports into incident rows and their events: who
 * acts (the grid's administrators, the town's grid centre, the department),
 * how fast each department and town works, and where each incident stands at
 * the demo's "now". Columns are typed arrays; text columns are codes into
 * small lookup lists the loader passes once per batch.
 */
import { STATUSES } from '../incidents/workflow.ts'
import type { IncidentCity } from './incidents-generate.ts'
import { CHANNEL_NAMES } from './incidents-profiles.ts'
import { actionCode, EVENT_ACTIONS, NOTES, satisfaction, simulateHistory, statusCode, Steps, type Actors } from './incidents-workflow.ts'
import type { Rng } from './prng.ts'

/** Median time to handle as a share of the category's deadline, by department. */
const DEPARTMENT_PACE: Readonly<Record<string, number>> = {
  public_security_bureau: 0.32, justice_bureau: 0.45, fire_rescue: 0.3, emergency_management: 0.38, water_affairs: 0.3,
  urban_management_bureau: 0.5, ecology_environment_bureau: 0.48, transport_bureau: 0.5, housing_rental_office: 0.3,
  human_resources_bureau: 0.5, market_supervision_bureau: 0.42, town_grid_centre: 0.45,
}
const CALLER: Readonly<Record<(typeof CHANNEL_NAMES)[number], string | null>> = {
  patrol: null, citizen: null, hotline: 'hotline-12345', sensor: 'sensor-gateway', system: 'data-exchange',
}

export interface EventColumns {
  count: number
  /** Incident id (1-based position in the incident columns). */
  incident: Int32Array
  /** Unix seconds. */
  at: Float64Array
  action: Uint8Array
  from: Uint8Array
  to: Uint8Array
  /** Index into `actors`, −1 for none. */
  actor: Int32Array
  note: Uint8Array
  /** dispatch: 1-based department code; merge: the duplicated incident's id. */
  ref: Int32Array
}

export interface IncidentColumns {
  /** Incident i has id i + 1; ids follow reported_at. */
  count: number
  categories: string[]
  slaHours: number[]
  channels: readonly string[]
  statuses: readonly string[]
  actions: readonly string[]
  notes: readonly string[]
  departments: string[]
  descriptions: string[]
  actors: string[]
  gridCodes: string[]
  /** Index into `categories` (0-based), likewise `channel` into `channels`. */
  category: Uint8Array
  channel: Uint8Array
  lon: Float64Array
  lat: Float64Array
  /** Unix seconds; the other times too, NaN for NULL. */
  reportedAt: Float64Array
  /** Grid index, −1 when the point is outside every grid. */
  grid: Int32Array
  /** 1-based codes into `descriptions`, `statuses`, `departments` (0: NULL). */
  description: Uint16Array
  status: Uint8Array
  department: Uint8Array
  dispatchedAt: Float64Array
  deadlineAt: Float64Array
  handledAt: Float64Array
  closedAt: Float64Array
  updatedAt: Float64Array
  duplicateOf: Int32Array
  satisfaction: Uint8Array
  token: string[]
  events: EventColumns
}

export interface Report {
  category: number
  channel: number
  at: number
  lon: number
  lat: number
  grid: number
  description: number
  /** Id of the earlier incident this report repeats, or 0. */
  duplicateOf: number
}

const DISPATCH = actionCode('dispatch')
const HANDLE = actionCode('handle')
const CLOSE = actionCode('close')
const REOPEN = actionCode('reopen')
const CLOSED = statusCode('closed')
const REJECTED = statusCode('rejected')

/** Collects `capacity` reports, given in time order, into incident and event columns cut at `end` (Unix s). */
export function historyWriter(city: IncidentCity, descriptions: string[], capacity: number, end: number, rng: Rng) {
  const actors: string[] = []
  const actorIds = new Map<string, number>()
  const actor = (name: string | null) => {
    if (name === null) return -1
    let id = actorIds.get(name)
    if (id === undefined) actorIds.set(name, (id = actors.push(name) - 1))
    return id
  }
  const departments = [...new Set(city.categories.map((c) => c.department))]
  const departmentOf = city.categories.map((c) => departments.indexOf(c.department) + 1)
  const townPace = new Map<string, number>()
  for (const g of city.grids) {
    const town = g.code.slice(0, 9)
    if (!townPace.has(town)) townPace.set(town, Math.exp(0.22 * rng.normal()))
  }

  const n = capacity
  const cols: Omit<IncidentColumns, 'events'> = {
    count: 0,
    categories: city.categories.map((c) => c.code),
    slaHours: city.categories.map((c) => c.slaHours),
    channels: CHANNEL_NAMES,
    statuses: STATUSES,
    actions: EVENT_ACTIONS,
    notes: NOTES,
    departments,
    descriptions,
    actors,
    gridCodes: city.grids.map((g) => g.code),
    category: new Uint8Array(n), channel: new Uint8Array(n), lon: new Float64Array(n), lat: new Float64Array(n),
    reportedAt: new Float64Array(n), grid: new Int32Array(n), description: new Uint16Array(n), status: new Uint8Array(n),
    department: new Uint8Array(n), dispatchedAt: new Float64Array(n), deadlineAt: new Float64Array(n), handledAt: new Float64Array(n),
    closedAt: new Float64Array(n), updatedAt: new Float64Array(n), duplicateOf: new Int32Array(n), satisfaction: new Uint8Array(n),
    token: [],
  }
  let events = eventColumns(Math.ceil(n * 6.5))
  /** When each incident was first closed or rejected (Infinity: not before the end). */
  const doneAt = new Float64Array(n)
  const steps = new Steps()
  const tokenBytes = Buffer.alloc(12)

  return {
    add(report: Report) {
      const i = cols.count++
      const { category: c, channel, grid: g } = report
      const channelName = CHANNEL_NAMES[channel]!
      const admins = g >= 0 ? city.administrators[g]! : []
      const town = g >= 0 ? city.grids[g]!.code.slice(0, 9) : null
      const centre = actor(town ? `grid-centre-${town}` : 'city-grid-centre')
      const administrator = admins.length > 0 ? actor(admins[rng.int(admins.length)]!) : centre
      const category = city.categories[c]!
      const duplicateOf = report.duplicateOf > 0 && report.at < doneAt[report.duplicateOf - 1]! ? report.duplicateOf : 0
      const actors: Actors = {
        reporter: channel === 0 ? administrator : actor(CALLER[channelName]),
        administrator,
        centre,
        department: actor(category.department),
        citizen: actor(CALLER.hotline),
      }
      const pace = (DEPARTMENT_PACE[category.department] ?? 0.45) * (town ? townPace.get(town)! : 1.3)
      simulateHistory({ reportedAt: report.at, channel: channelName, slaHours: category.slaHours, pace, department: departmentOf[c]!, duplicateOf, actors, end }, rng, steps)

      let dispatched = NaN, handled = NaN, closed = NaN, done = Infinity, k = 0
      for (; k < steps.count && steps.at[k]! < end; k++) {
        const a = steps.action[k]!
        const at = steps.at[k]!
        if (a === DISPATCH) dispatched = at
        else if (a === HANDLE) handled = at
        else if (a === CLOSE) closed = at
        else if (a === REOPEN) closed = NaN
        if (done === Infinity && (steps.to[k] === CLOSED || steps.to[k] === REJECTED)) done = at
      }
      if (events.count + k > events.incident.length) events = grow(events)
      for (let j = 0; j < k; j++) {
        const e = events.count++
        events.incident[e] = i + 1
        events.at[e] = steps.at[j]!
        events.action[e] = steps.action[j]!
        events.from[e] = steps.from[j]!
        events.to[e] = steps.to[j]!
        events.actor[e] = steps.actor[j]!
        events.note[e] = steps.note[j]!
        events.ref[e] = steps.ref[j]!
      }

      doneAt[i] = done
      cols.category[i] = c
      cols.channel[i] = channel
      cols.lon[i] = report.lon
      cols.lat[i] = report.lat
      cols.reportedAt[i] = report.at
      cols.grid[i] = g
      cols.description[i] = report.description + 1
      cols.status[i] = steps.to[k - 1]!
      cols.department[i] = Number.isNaN(dispatched) ? 0 : departmentOf[c]!
      cols.dispatchedAt[i] = dispatched
      cols.deadlineAt[i] = dispatched + category.slaHours * 3600
      cols.handledAt[i] = handled
      cols.closedAt[i] = closed
      cols.updatedAt[i] = steps.at[k - 1]!
      cols.duplicateOf[i] = duplicateOf
      const late = handled - dispatched > category.slaHours * 3600
      cols.satisfaction[i] = cols.status[i] === CLOSED && (channel === 1 || channel === 2) && rng.next() < 0.55 ? satisfaction(late, rng) : 0
      for (let b = 0; b < 12; b += 4) tokenBytes.writeUInt32BE(rng.int(2 ** 32), b)
      cols.token.push(tokenBytes.toString('base64url'))
    },
    finish(): IncidentColumns {
      if (cols.count !== capacity) throw new Error(`Unexpected number of reports: ${cols.count} of ${capacity}`)
      return { ...cols, events }
    },
  }
}

function eventColumns(n: number): EventColumns {
  return {
    count: 0, incident: new Int32Array(n), at: new Float64Array(n), action: new Uint8Array(n), from: new Uint8Array(n),
    to: new Uint8Array(n), actor: new Int32Array(n), note: new Uint8Array(n), ref: new Int32Array(n),
  }
}

function grow(e: EventColumns): EventColumns {
  const next = eventColumns(e.incident.length * 2)
  next.count = e.count
  for (const key of ['incident', 'at', 'action', 'from', 'to', 'actor', 'note', 'ref'] as const) next[key].set(e[key] as never)
  return next
}

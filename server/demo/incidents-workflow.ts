/**
 * The workflow history of one demo incident, step by step as the server would
 * have recorded it (server/incidents/workflow.ts): accepted by the grid
 * administrator, dispatched by the town's grid centre, handled by the
 * department, verified on site, closed — or rejected, merged as a duplicate,
 * reopened when the check on site fails or the problem comes back. Durations
 * are log-normal around what such work takes; the department's pace is a share
 * of the category's deadline, so some incidents run late and a few are never
 * handled. Steps after the demo's "now" never happened: the incident stays
 * where the last earlier step left it.
 */
import { ACTIONS, STATUSES, type Action, type Status } from '../incidents/workflow.ts'
import type { Rng } from './prng.ts'

/** Actions of incident_event: 'report' (intake) and the workflow's actions; codes are 1-based positions. */
export const EVENT_ACTIONS = ['report', ...ACTIONS] as const
export type EventAction = (typeof EVENT_ACTIONS)[number]
export const actionCode = (a: EventAction) => EVENT_ACTIONS.indexOf(a) + 1
export const statusCode = (s: Status) => STATUSES.indexOf(s) + 1

/** Notes of reject, merge and reopen (the API requires one); codes are 1-based positions. */
export const NOTES = ['经核实不属实', '非本网格管辖事项', '信息不全，无法核实', '与已有事件重复，已合并', '现场核查未整改到位', '群众反映问题复发'] as const
const REJECT_NOTES = [1, 2, 3]
const MERGE_NOTE = 4
const FAILED_CHECK_NOTE = 5
const COMPLAINT_NOTE = 6

const HOUR = 3600
const MINUTE = 60

/** Who does what for one incident: indexes into the caller's actor table (−1: nobody named). */
export interface Actors {
  reporter: number
  administrator: number
  centre: number
  department: number
  citizen: number
}

export interface HistoryInput {
  reportedAt: number
  channel: 'patrol' | 'citizen' | 'hotline' | 'sensor' | 'system'
  slaHours: number
  /** Median time to handle, as a share of the deadline (department × town). */
  pace: number
  /** Department index for the dispatch detail. */
  department: number
  /** Id of the open incident this one duplicates, or 0. */
  duplicateOf: number
  actors: Actors
  /** The end of the demo's history (Unix s): a dispatch forgotten long before it has been chased up since. */
  end: number
}

/** A forgotten dispatch is still forgotten at the end with probability e^(-age/this); else it was escalated and handled late. */
const FORGOTTEN_MEAN_AGE = 45 * 24 * HOUR

/** Steps of one history, reused between incidents (no allocation per incident). */
export class Steps {
  count = 0
  readonly at = new Float64Array(16)
  readonly action = new Uint8Array(16)
  readonly from = new Uint8Array(16)
  readonly to = new Uint8Array(16)
  readonly actor = new Int32Array(16)
  readonly note = new Uint8Array(16)
  /** dispatch: department index; merge: the duplicated incident's id. */
  readonly ref = new Int32Array(16)

  push(at: number, action: Action | 'report', to: Status, actor: number, note = 0, ref = 0) {
    const k = this.count++
    this.at[k] = Math.round(at)
    this.action[k] = actionCode(action)
    this.from[k] = k === 0 ? 0 : this.to[k - 1]!
    this.to[k] = statusCode(to)
    this.actor[k] = actor
    this.note[k] = note
    this.ref[k] = ref
  }
}

/** Writes the whole history (also steps after the demo's end; the caller cuts them) into `steps`. */
export function simulateHistory(input: HistoryInput, rng: Rng, steps: Steps): void {
  const { actors, channel } = input
  const sla = input.slaHours * HOUR
  const lognormal = (median: number, sigma: number) => median * Math.exp(sigma * rng.normal())
  steps.count = 0
  let t = input.reportedAt
  steps.push(t, 'report', 'reported', actors.reporter)

  const human = channel !== 'patrol'
  t = human ? officeHours(t + lognormal(channel === 'sensor' || channel === 'system' ? 30 * MINUTE : 90 * MINUTE, 0.9), rng) : t + rng.range(2, 20) * MINUTE
  if (input.duplicateOf > 0) return steps.push(t, 'merge', 'rejected', actors.administrator, MERGE_NOTE, input.duplicateOf)
  const falseAlarm = channel === 'patrol' ? 0.01 : channel === 'sensor' ? 0.08 : 0.045
  if (rng.next() < falseAlarm) return steps.push(t, 'reject', 'rejected', actors.administrator, rng.pick(REJECT_NOTES))
  steps.push(t, 'accept', 'accepted', actors.administrator)

  t += input.slaHours <= 12 ? lognormal(10 * MINUTE, 0.6) : lognormal(45 * MINUTE, 1)
  steps.push(t, 'dispatch', 'dispatched', actors.centre, 0, input.department)
  const stuck = 0.003 * Math.sqrt(input.slaHours / 24)
  for (let round = 0; round < 2; round++) {
    if (rng.next() < stuck) {
      // Nobody handles it: overdue for good, mostly when recent; an older one was escalated and handled weeks late.
      if (rng.next() < Math.exp(-(input.end - t) / FORGOTTEN_MEAN_AGE)) return
      t += Math.max(sla, rng.range(7, 50) * 24 * HOUR)
    } else t += Math.max(10 * MINUTE, sla * lognormal(input.pace, 0.55) * (round === 0 ? 1 : 0.6))
    steps.push(t, 'handle', 'handled', actors.department)
    t = officeHours(t + lognormal(5 * HOUR, 0.8), rng)
    if (round === 0 && rng.next() < 0.04) {
      steps.push(t, 'reopen', 'reopened', actors.administrator, FAILED_CHECK_NOTE)
      t += lognormal(40 * MINUTE, 0.8)
      steps.push(t, 'dispatch', 'dispatched', actors.centre, 0, input.department)
      continue
    }
    steps.push(t, 'verify', 'verified', actors.administrator)
    t = officeHours(t + lognormal(90 * MINUTE, 0.8), rng)
    steps.push(t, 'close', 'closed', actors.centre)
    if (round === 0 && human && rng.next() < 0.012) {
      t = officeHours(t + rng.range(1, 12) * 24 * HOUR, rng)
      steps.push(t, 'reopen', 'reopened', actors.citizen, COMPLAINT_NOTE)
      t += lognormal(40 * MINUTE, 0.8)
      steps.push(t, 'dispatch', 'dispatched', actors.centre, 0, input.department)
      continue
    }
    return
  }
}

/** Moves a moment outside 07:30–22:00 local time to the next morning (people act on it then). */
function officeHours(t: number, rng: Rng): number {
  const local = (((t + 8 * HOUR) % 86_400) + 86_400) % 86_400
  if (local >= 7.5 * HOUR && local < 22 * HOUR) return t
  const toMorning = local < 7.5 * HOUR ? 7.5 * HOUR - local : 86_400 - local + 7.5 * HOUR
  return t + toMorning + rng.range(0, 90) * MINUTE
}

/** A rating 1–5 for a closed incident, lower when it ran late. */
export function satisfaction(late: boolean, rng: Rng): number {
  return late ? rng.pick([1, 2, 2, 3, 3, 4]) : rng.pick([3, 4, 4, 5, 5, 5, 5])
}

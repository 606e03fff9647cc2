/**
 * The demo's days: the window of incident history ending at the demo's fixed
 * "now", each day with what moves the rate of reports — weekday, season, the
 * Spring Festival (lunar, from a table), public holidays, typhoons (seeded)
 * and the slow growth of a system people learn to use. Days run from local
 * midnight in China (UTC+8, no daylight saving).
 */
import type { Rng } from './prng.ts'

/**
 * The demo's default "now": incident history ends here unless told otherwise,
 * so the same seed and end always give the same incidents (the tests rely on
 * this one). The server's demo ends its history at the local midnight of the
 * day its database is created (demoEnd in config.ts), so that a demo started
 * any day has its last two years. Incidents still open at the end stay open;
 * seen from the real clock, which is later, dispatched ones that nobody
 * handled become overdue.
 */
export const DEMO_INCIDENTS_END = '2026-11-01T00:00:00+08:00'
export const DEMO_INCIDENT_DAYS = 730

export const DAY_S = 86_400
const LOCAL_OFFSET_S = 8 * 3600

/** Lunar new year's day by Gregorian year. */
const SPRING_FESTIVAL: Readonly<Record<number, string>> = {
  2020: '2020-01-25', 2021: '2021-02-12', 2022: '2022-02-01', 2023: '2023-01-22', 2024: '2024-02-10', 2025: '2025-01-29',
  2026: '2026-02-17', 2027: '2027-02-06', 2028: '2028-01-26', 2029: '2029-02-13', 2030: '2030-02-03',
}

export interface Day {
  /** 0 for the first day of the window. */
  index: number
  /** Local midnight, in Unix seconds. */
  start: number
  /** 0 Monday … 6 Sunday. */
  weekday: number
  /** 0 … 365 */
  dayOfYear: number
  month: number
  /** Days until the next Spring Festival (0 on the day), Infinity past the table. */
  toSpringFestival: number
  /** Days since the last Spring Festival (0 on the day), Infinity before the table. */
  sinceSpringFestival: number
  /** Storm strength on this day, 0 … 1. */
  typhoon: number
  /** Fewer reports on public holidays (1 = ordinary day). */
  holiday: number
  /** Use of the system grows slowly over the window. */
  trend: number
}

export interface Typhoon {
  name: string
  /** Local date of landfall, YYYY-MM-DD. */
  landfall: string
}

/** The days ending just before `end` (Unix ms, a local midnight), and the typhoons that struck in them. */
export function demoCalendar(end: number, days: number, rng: Rng): { days: Day[]; typhoons: Typhoon[] } {
  if (!Number.isInteger(days) || days < 1) throw new Error(`Unexpected days value: ${days}`)
  const first = Math.round(end / 1000) - days * DAY_S
  const festivals = Object.values(SPRING_FESTIVAL).map(localMidnight)
  const typhoons: Typhoon[] = []
  const strength = new Map<number, number>()
  const firstYear = localDate(first).year
  const lastYear = localDate(first + (days - 1) * DAY_S).year
  for (let year = firstYear; year <= lastYear; year++) {
    // 2–4 storms a season, landing between early July and early October.
    const landfalls = Array.from({ length: 2 + rng.int(3) }, () => localMidnight(`${year}-01-01`) + (185 + rng.int(90)) * DAY_S).sort((a, b) => a - b)
    landfalls.forEach((landfall, k) => {
      if (landfall >= first && landfall < first + days * DAY_S) typhoons.push({ name: `DEMO-${year}-${k + 1}`, landfall: isoDate(landfall) })
      for (const [offset, s] of [[-1, 0.5], [0, 1], [1, 0.6], [2, 0.25]] as const) {
        const day = landfall + offset * DAY_S
        strength.set(day, Math.min(1, (strength.get(day) ?? 0) + s))
      }
    })
  }

  const out: Day[] = []
  for (let i = 0; i < days; i++) {
    const start = first + i * DAY_S
    const { month, day, dayOfYear } = localDate(start)
    const next = festivals.find((f) => f >= start)
    const last = festivals.filter((f) => f <= start).at(-1)
    const toSpringFestival = next === undefined ? Infinity : Math.round((next - start) / DAY_S)
    const sinceSpringFestival = last === undefined ? Infinity : Math.round((start - last) / DAY_S)
    const festive = sinceSpringFestival <= 6 || toSpringFestival <= 2
    const holiday = festive ? 0.45 : month === 10 && day <= 7 ? 0.75 : month === 5 && day <= 5 ? 0.85 : 1
    out.push({
      index: i,
      start,
      weekday: (Math.floor(start / DAY_S + LOCAL_OFFSET_S / DAY_S) + 3) % 7,
      dayOfYear,
      month,
      toSpringFestival,
      sinceSpringFestival,
      typhoon: strength.get(start) ?? 0,
      holiday,
      trend: 1 + (0.12 * i) / 365,
    })
  }
  return { days: out, typhoons }
}

/** Unix seconds of local midnight of YYYY-MM-DD. */
export function localMidnight(date: string): number {
  const t = Date.parse(`${date}T00:00:00+08:00`)
  if (Number.isNaN(t)) throw new Error(`Unexpected date value: ${date}`)
  return t / 1000
}

function localDate(seconds: number) {
  const d = new Date((seconds + LOCAL_OFFSET_S) * 1000)
  const year = d.getUTCFullYear()
  const dayOfYear = Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000)
  return { year, month: d.getUTCMonth() + 1, day: d.getUTCDate(), dayOfYear }
}

function isoDate(seconds: number): string {
  return new Date((seconds + LOCAL_OFFSET_S) * 1000).toISOString().slice(0, 10)
}

/**
 * Real clusters hidden in the demo incidents, on top of the background: places
 * where one kind of problem keeps coming back, growing or fading over months.
 * They are named and exported so that analytics (hotspots, trends) can be
 * tested against a known truth. Points fall around the centre with a normal
 * spread of half the radius, cut at the radius.
 */
export type ClusterTrend = 'growing' | 'fading' | 'steady'

export interface IncidentCluster {
  name: string
  description: string
  category: string
  /** WGS 84 lon, lat. */
  centre: readonly [number, number]
  radiusM: number
  /** First local day (YYYY-MM-DD), for a history ending at DEMO_INCIDENTS_END; moved with the history's end. */
  start: string
  /** Local day after the last one (YYYY-MM-DD), moved in the same way. */
  end: string
  trend: ClusterTrend
  /** Reports a day at the start and at the end, linear in between (before the weekly rhythm). */
  perDay: readonly [number, number]
}

export const DEMO_INCIDENT_CLUSTERS: readonly IncidentCluster[] = [
  {
    name: 'humen-ebike-charging',
    description: 'E-bikes charged in the stairwells of a block of rented rooms in Humen: more every month',
    category: 'FIRE-03',
    centre: [113.6745, 22.8172],
    radiusM: 350,
    start: '2025-03-01',
    end: '2026-11-01',
    trend: 'growing',
    perDay: [0.2, 2.5],
  },
  {
    name: 'changan-wage-arrears',
    description: "Wage disputes around a failing electronics factory in Chang'an, settled by spring 2026",
    category: 'LAB-01',
    centre: [113.8023, 22.8131],
    radiusM: 500,
    start: '2024-11-01',
    end: '2026-03-01',
    trend: 'fading',
    perDay: [2, 0.1],
  },
  {
    name: 'dongcheng-night-market-noise',
    description: 'A night market growing in Dongcheng: noise complaints every weekend, more each month',
    category: 'ENV-03',
    centre: [113.7852, 23.0104],
    radiusM: 300,
    start: '2025-09-01',
    end: '2026-11-01',
    trend: 'growing',
    perDay: [0.3, 3],
  },
  {
    name: 'machong-river-pollution',
    description: 'Dye-works discharge into a creek in Machong, fading after the works were closed down',
    category: 'ENV-02',
    centre: [113.5815, 23.0537],
    radiusM: 700,
    start: '2024-12-01',
    end: '2026-02-01',
    trend: 'fading',
    perDay: [2.5, 0.15],
  },
  {
    name: 'dalingshan-illegal-building',
    description: 'Villagers adding floors without permits in Dalingshan, steadily for two years',
    category: 'CONS-01',
    centre: [113.8395, 22.9018],
    radiusM: 600,
    start: '2024-11-01',
    end: '2026-11-01',
    trend: 'steady',
    perDay: [1.2, 1.2],
  },
  {
    name: 'tangxia-street-vending',
    description: 'Street vendors outside a new metro exit in Tangxia for one season, then cleared',
    category: 'CONS-02',
    centre: [114.1021, 22.8068],
    radiusM: 250,
    start: '2026-04-01',
    end: '2026-07-15',
    trend: 'steady',
    perDay: [4, 4],
  },
]

/** The cluster's rate on the day starting at `dayStart` (Unix s), given its start and end in Unix s; 0 outside. */
export function clusterRate(c: IncidentCluster, start: number, end: number, dayStart: number): number {
  if (dayStart < start || dayStart >= end) return 0
  const f = (dayStart - start) / (end - start)
  return c.perDay[0] + (c.perDay[1] - c.perDay[0]) * f
}

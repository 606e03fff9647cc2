/**
 * How each incident category behaves in the demo: its share of all reports,
 * its weekly rhythm, its season, who reports it (channel) and where it happens
 * (spatial driver). Loosely after the mix Chinese grid-governance systems
 * report: sanitation, street vending and facilities dominate; flood and typhoon
 * hazards peak in the summer rains, wage disputes before the Spring Festival,
 * rental and migrant registrations after it.
 */
import type { Day } from './incidents-calendar.ts'

export const CHANNEL_NAMES = ['patrol', 'citizen', 'hotline', 'sensor', 'system'] as const
export type ChannelMix = readonly [patrol: number, citizen: number, hotline: number, sensor: number, system: number]

/** What makes a grid more likely to see a category, beyond a grid's own lasting "hotness". */
export type SpatialDriver = 'population' | 'rented' | 'business' | 'industrial' | 'rural' | 'water'

export interface CategoryProfile {
  /** Relative share of all reports over the window. */
  share: number
  /** Relative rate Monday … Sunday. */
  week: readonly number[]
  /** Seasonal factor of a day (1 = ordinary). */
  season: (day: Day) => number
  channels: ChannelMix
  driver: SpatialDriver
  descriptions: readonly string[]
}

// Weekly rhythms, Monday first. Patrols and inspections follow office days;
// citizens report as much or more at weekends.
const OFFICE = [1.1, 1.1, 1.1, 1.1, 1.05, 0.5, 0.45]
const MIXED = [1.05, 1.05, 1.05, 1.05, 1, 0.8, 0.75]
const CITIZEN = [0.95, 0.95, 0.95, 1, 1.05, 1.15, 1.1]
const NIGHTLIFE = [0.85, 0.85, 0.9, 0.95, 1.15, 1.4, 1.2]
const MARKET = [0.9, 0.9, 0.9, 0.95, 1.05, 1.35, 1.3]

const PATROL: ChannelMix = [0.62, 0.14, 0.14, 0, 0.1]
const PUBLIC: ChannelMix = [0.3, 0.35, 0.33, 0, 0.02]

/** exp(−½ (d / width)²) for the distance d in days from `peak` (day of year), wrapping the year. */
export function bump(dayOfYear: number, peak: number, width: number): number {
  const d = Math.abs(dayOfYear - peak)
  const wrapped = Math.min(d, 365 - d)
  return Math.exp(-0.5 * (wrapped / width) ** 2)
}

const flat = () => 1
/** Dry season (November–February): more fires. */
const drySeason = (d: Day) => 1 + 0.35 * bump(d.dayOfYear, 15, 45)
/** Hot months: more smell, rubbish and open windows. */
const summer = (d: Day) => 1 + 0.3 * bump(d.dayOfYear, 200, 50)
/** The "dragon-boat rains" of late May and June, the typhoon months, and each typhoon. */
const floods = (d: Day) => 0.12 + 1.6 * bump(d.dayOfYear, 160, 18) + 2.2 * bump(d.dayOfYear, 215, 40) + 9 * d.typhoon
/** Wages are settled before the Spring Festival: disputes build up in the weeks before it. */
const wages = (d: Day) => 1 + 2.2 * (d.toSpringFestival > 0 && d.toSpringFestival <= 50 ? 1 - d.toSpringFestival / 60 : 0)
/** Migrant workers return after the festival and register, and rooms change hands. */
const returnees = (d: Day) => 1 + 1.6 * (d.sinceSpringFestival >= 7 && d.sinceSpringFestival <= 45 ? 1 - (d.sinceSpringFestival - 7) / 45 : 0)

export const DEFAULT_PROFILE: CategoryProfile = { share: 0.5, week: MIXED, season: flat, channels: PATROL, driver: 'population', descriptions: ['待核实事项'] }

export const CATEGORY_PROFILES: Readonly<Record<string, CategoryProfile>> = {
  'SEC-01': { share: 5, week: MIXED, season: flat, channels: PATROL, driver: 'rented', descriptions: ['楼道门禁损坏，外来人员随意进出', '夜间路段照明不足，存在治安隐患', '出租屋内疑似聚众赌博'] },
  'SEC-02': { share: 6, week: CITIZEN, season: flat, channels: PUBLIC, driver: 'population', descriptions: ['邻里因漏水问题发生纠纷', '租户与房东押金纠纷', '宅基地边界纠纷'] },
  'SEC-03': { share: 1, week: MIXED, season: flat, channels: [0.55, 0, 0.05, 0, 0.4], driver: 'population', descriptions: ['重点关注人员行为异常', '重点人员失联待核实'] },
  'FIRE-01': { share: 6, week: MIXED, season: drySeason, channels: [0.6, 0.12, 0.12, 0.1, 0.06], driver: 'population', descriptions: ['消防通道被杂物堵塞', '灭火器过期未更换', '电线私拉乱接'] },
  'FIRE-02': { share: 4, week: OFFICE, season: flat, channels: [0.9, 0.02, 0.03, 0, 0.05], driver: 'business', descriptions: ['小作坊未配备消防器材', '小商铺“三合一”住人', '小场所安全出口不足'] },
  'FIRE-03': { share: 5, week: MIXED, season: drySeason, channels: [0.55, 0.15, 0.12, 0.15, 0.03], driver: 'rented', descriptions: ['电动车在楼道内充电', '电动车入户充电', '飞线充电'] },
  'SAFE-01': { share: 4, week: OFFICE, season: flat, channels: [0.8, 0.05, 0.1, 0, 0.05], driver: 'industrial', descriptions: ['工厂车间安全防护缺失', '脚手架搭设不规范', '有限空间作业未审批'] },
  'SAFE-02': { share: 0.8, week: OFFICE, season: flat, channels: [0.75, 0.05, 0.1, 0.05, 0.05], driver: 'industrial', descriptions: ['危化品存放不规范', '疑似非法储存液化气瓶'] },
  'SAFE-03': { share: 2.5, week: [1, 1, 1, 1, 1, 0.95, 0.95], season: floods, channels: [0.6, 0.12, 0.13, 0.12, 0.03], driver: 'water', descriptions: ['低洼路段积水', '河堤渗水', '广告牌松动有坠落风险', '排水口堵塞'] },
  'CONS-01': { share: 3.5, week: OFFICE, season: flat, channels: [0.8, 0.06, 0.09, 0, 0.05], driver: 'rural', descriptions: ['村民违规加建楼层', '天台违建', '占用农田违法建设'] },
  'CONS-02': { share: 10, week: MARKET, season: summer, channels: [0.7, 0.12, 0.13, 0, 0.05], driver: 'business', descriptions: ['流动摊贩占道经营', '商铺出店经营', '夜市摊档占用人行道'] },
  'CONS-03': { share: 5, week: OFFICE, season: flat, channels: PATROL, driver: 'population', descriptions: ['电线杆乱张贴小广告', '墙面乱涂画'] },
  'ENV-01': { share: 14, week: MIXED, season: summer, channels: [0.58, 0.2, 0.15, 0.02, 0.05], driver: 'population', descriptions: ['垃圾桶满溢未清运', '路面卫生脏乱', '建筑垃圾乱堆放', '化粪池外溢'] },
  'ENV-02': { share: 2.5, week: MIXED, season: flat, channels: [0.45, 0.2, 0.2, 0.12, 0.03], driver: 'industrial', descriptions: ['工厂偷排污水', '河涌水体发黑发臭', '露天焚烧垃圾'] },
  'ENV-03': { share: 4, week: NIGHTLIFE, season: summer, channels: [0.15, 0.42, 0.4, 0.02, 0.01], driver: 'population', descriptions: ['夜间施工噪音扰民', '广场舞音响扰民', '商铺高音喇叭揽客'] },
  'FAC-01': { share: 6, week: MIXED, season: (d) => 1 + 1.5 * d.typhoon, channels: PATROL, driver: 'population', descriptions: ['井盖缺失', '路灯不亮', '公共座椅损坏'] },
  'FAC-02': { share: 4, week: MIXED, season: flat, channels: [0.55, 0.15, 0.2, 0.05, 0.05], driver: 'population', descriptions: ['交通信号灯故障', '路面坑洼', '护栏损坏'] },
  'FAC-03': { share: 2, week: OFFICE, season: (d) => 0.9 + 0.3 * bump(d.dayOfYear, 120, 40) + 5 * d.typhoon, channels: PATROL, driver: 'rural', descriptions: ['树木倒伏', '绿化带被毁', '树枝遮挡路灯'] },
  'HOUS-01': { share: 5, week: OFFICE, season: returnees, channels: [0.82, 0.03, 0.02, 0, 0.13], driver: 'rented', descriptions: ['出租屋租户变更', '出租屋新增房间', '出租屋停租'] },
  'HOUS-02': { share: 4, week: OFFICE, season: returnees, channels: [0.85, 0.02, 0.01, 0, 0.12], driver: 'rented', descriptions: ['新来莞人员登记', '流动人员信息更新'] },
  'LAB-01': { share: 1.5, week: MIXED, season: wages, channels: [0.2, 0.28, 0.5, 0, 0.02], driver: 'industrial', descriptions: ['工厂拖欠工资', '工地农民工讨薪', '企业停产欠薪'] },
  'FOOD-01': { share: 1.5, week: CITIZEN, season: summer, channels: PUBLIC, driver: 'business', descriptions: ['餐馆卫生条件差', '销售过期食品', '无证小食店'] },
  'MKT-01': { share: 2.5, week: OFFICE, season: flat, channels: PATROL, driver: 'business', descriptions: ['无营业执照经营', '证照过期仍在经营'] },
  'OTH-01': { share: 2, week: MIXED, season: flat, channels: [0.5, 0.2, 0.25, 0, 0.05], driver: 'population', descriptions: ['其他需协调事项', '群众咨询转办'] },
}

/** Relative rate of each local hour, per channel (patrols keep office hours, sensors do not sleep). */
export const HOURS: Readonly<Record<(typeof CHANNEL_NAMES)[number], readonly number[]>> = {
  //        0    1    2    3    4    5    6    7    8    9   10   11   12   13   14   15   16   17   18   19   20   21   22   23
  patrol: [0, 0, 0, 0, 0, 0, 0.1, 0.4, 1.6, 2.2, 2.3, 2.0, 0.6, 0.7, 1.8, 2.1, 2.1, 1.6, 0.6, 0.3, 0.3, 0.2, 0.05, 0],
  citizen: [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.7, 1.2, 1.4, 1.4, 1.3, 1.1, 1.0, 1.1, 1.2, 1.2, 1.2, 1.3, 1.5, 1.6, 1.5, 1.1, 0.6],
  hotline: [0.1, 0.05, 0.03, 0.02, 0.02, 0.05, 0.2, 0.6, 1.5, 1.8, 1.8, 1.6, 1.0, 1.1, 1.6, 1.6, 1.5, 1.3, 1.0, 0.9, 0.8, 0.6, 0.3, 0.2],
  sensor: Array.from({ length: 24 }, () => 1),
  system: [0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 0.8, 1.2, 1.4, 1.4, 1.3, 1.0, 1.0, 1.3, 1.4, 1.3, 1.2, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4],
}

// Towns by character, for the spatial drivers.
const INDUSTRIAL_TOWNS = new Set(['107', '110', '111', '113', '114', '115', '116', '117', '118', '119', '121', '122'])
const WATER_TOWNS = new Set(['005', '101', '102', '123', '124', '125', '126', '127', '128', '129'])
const CENTRAL = new Set(['003', '004', '005', '006'])

export interface GridFacts {
  code: string
  population: number
  rentedRooms: number
  businesses: number
  areaM2: number
}

/** How strongly a driver draws incidents to a grid (before the grid's own hotness). */
export function driverWeight(driver: SpatialDriver, g: GridFacts): number {
  const town = g.code.slice(6, 9)
  switch (driver) {
    case 'population':
      return g.population
    case 'rented':
      return g.rentedRooms * 2.5
    case 'business':
      return g.businesses * 20
    case 'industrial':
      return g.population * (INDUSTRIAL_TOWNS.has(town) ? 1.8 : CENTRAL.has(town) ? 0.3 : 0.8)
    case 'rural':
      return Math.sqrt(g.population * Math.max(g.areaM2, 1e4) / 100) * (CENTRAL.has(town) ? 0.3 : 1)
    case 'water':
      return (g.population + Math.sqrt(g.areaM2) * 5) * (WATER_TOWNS.has(town) ? 3 : 1)
  }
}

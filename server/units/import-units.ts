/**
 * A boundary import: checks a FeatureCollection of units and, when every check
 * passes, stores it as a new generation in one transaction. All problems are
 * collected and reported at once; on any of them nothing is stored.
 */
import { LOCK_ADMINISTRATORS } from '../administrators/queries.ts'
import { recordAudit } from '../audit/audit-log.ts'
import type { Db, Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { checkFeatureCollection, type ImportIssue, type UnitInput } from './feature-checks.ts'
import { validFromError, validFromProblem } from './generation-start.ts'
import * as q from './import-queries.ts'
import { LEVELS, type Level } from './unit-codes.ts'

export interface ImportOptions {
  /** Check and report only; store nothing. */
  dryRun?: boolean
  /** Repair invalid geometries with ST_MakeValid instead of rejecting them. */
  fix?: boolean
  /** Cut children to their parent instead of rejecting those that reach outside. */
  clip?: boolean
  /** `replace`: the import is the whole new generation. `merge`: it replaces or adds units of the current one. */
  mode?: 'replace' | 'merge'
  /** Overlaps and outside areas up to this many m² are tolerated (digitising noise). */
  toleranceM2?: number
  validFrom?: Date
  label?: string
  actor?: string
  source?: string
  note?: string
}

export interface ImportReport {
  dryRun: boolean
  valid: boolean
  counts: Record<Level, number>
  errors: ImportIssue[]
  fixed: ImportIssue[]
  clipped: ImportIssue[]
  generation: { id: number; label: string; validFrom: string } | null
  /**
   * What a merge leaves that the city probably did not mean, stored all the
   * same: parents its children no longer cover (lookups there answer no grid),
   * figures a replaced unit had and the import does not give.
   */
  warnings?: string[]
  /** Administrators whose grid the new generation no longer has: their assignment to it ended at validFrom. */
  administratorsUnassigned?: { employeeNo: string; grid: string }[]
}

const MAX_REPORTED = 1000
const BATCH = 2000

/** Thrown inside the transaction so that it rolls back; carries the report out. */
class Rollback extends Error {
  constructor(readonly report: ImportReport) {
    super('rollback')
  }
}

export async function importUnits(db: Db, body: unknown, options: ImportOptions = {}): Promise<ImportReport> {
  const tolerance = options.toleranceM2 ?? 1
  const structural = checkFeatureCollection(body)
  const empty = structural.units.length === 0 && structural.issues.length === 0
  const issues: ImportIssue[] = empty ? [{ index: null, code: null, check: 'empty', message: 'The FeatureCollection holds no features' }] : structural.issues
  if (issues.some((i) => i.index === null)) {
    // A dry run reports what is wrong as its answer (200, valid: false), the collection itself included.
    if (options.dryRun) return trim({ dryRun: true, valid: false, counts: { city: 0, town: 0, community: 0, grid: 0 }, errors: issues, fixed: [], clipped: [], generation: null })
    throw rejected(issues, options)
  }

  try {
    return await db.transaction(async (tx) => {
      await tx.query(q.LOCK_IMPORTS)
      const report: ImportReport = {
        dryRun: options.dryRun ?? false,
        valid: false,
        counts: { city: 0, town: 0, community: 0, grid: 0 },
        errors: [...structural.issues],
        fixed: [],
        clipped: [],
        generation: null,
      }
      await tx.query(q.CREATE_STAGING)
      await stage(tx, structural.units)
      if (options.mode === 'merge') await tx.query(q.CARRY_OVER_CURRENT)
      await tx.exec(q.INDEX_STAGING)
      await runGeometryChecks(tx, report, options, tolerance, structural.codes)
      if (options.mode === 'merge') {
        const warnings = await mergeWarnings(tx, tolerance)
        if (warnings.length > 0) report.warnings = warnings
      }

      // What the real run would refuse with a 409 (a start not after the current generation's), a dry run reports.
      if (report.dryRun) {
        const late = validFromProblem(options.validFrom ?? new Date(), (await tx.query<{ valid_from: Date }>(q.CURRENT_GENERATION)).rows[0]?.valid_from)
        if (late) report.errors.push({ index: null, code: null, check: 'valid-from', message: late })
      }
      report.errors.sort((a, b) => (a.index ?? Infinity) - (b.index ?? Infinity))
      for (const { level, n } of (await tx.query<{ level: Level; n: number }>(q.LEVEL_COUNTS)).rows) report.counts[level] = n
      report.valid = report.errors.length === 0
      if (!report.valid || report.dryRun) throw new Rollback(report)

      report.generation = await writeGeneration(tx, options, report)
      return report
    })
  } catch (err) {
    if (!(err instanceof Rollback)) throw err
    if (err.report.dryRun) return trim(err.report)
    throw rejected(err.report.errors, options, err.report)
  }
}

async function stage(tx: Queryable, units: UnitInput[]) {
  for (let start = 0; start < units.length; start += BATCH) {
    const batch = units.slice(start, start + BATCH)
    const col = <T>(f: (u: UnitInput) => T) => batch.map(f)
    await tx.query(q.STAGE_FEATURES, [
      col((u) => u.code),
      col((u) => u.index),
      col((u) => u.level),
      col((u) => u.parentCode),
      col((u) => u.nameZh),
      col((u) => u.nameEn),
      col((u) => JSON.stringify(u.geometry)),
      col((u) => u.attributes.population),
      col((u) => u.attributes.households),
      col((u) => u.attributes.buildings),
      col((u) => u.attributes.rented_rooms),
      col((u) => u.attributes.businesses),
      col((u) => JSON.stringify(u.extra)),
    ])
  }
}

async function mergeWarnings(tx: Queryable, tolerance: number): Promise<string[]> {
  const warnings: string[] = []
  for (const g of (await tx.query<{ code: string; level: string; gap_m2: number; area_m2: number }>(q.MERGE_GAPS, [tolerance])).rows) {
    const share = g.area_m2 > 0 ? ` (${((100 * g.gap_m2) / g.area_m2).toFixed(g.gap_m2 / g.area_m2 < 0.001 ? 3 : 1)} %)` : ''
    warnings.push(`${g.level} ${g.code}: ${Math.round(g.gap_m2).toLocaleString('en-US')} m²${share} is covered by none of its children; lookups there answer no grid (GET /api/v1/units/${g.code}/coverage shows where)`)
  }
  const lost = (await tx.query<{ code: string; lost: string[] }>(q.MERGE_LOST_FIGURES)).rows.filter((r) => r.lost.length > 0)
  if (lost.length > 0) {
    const shown = lost.slice(0, 20).map((r) => `${r.code} (${r.lost.join(', ')})`).join(', ')
    warnings.push(`${lost.length} unit(s) had figures the import does not give, now unknown: ${shown}${lost.length > 20 ? ', …' : ''}`)
  }
  return warnings
}

async function runGeometryChecks(tx: Queryable, report: ImportReport, options: ImportOptions, tolerance: number, codes: Map<string, number>) {
  for (const r of (await tx.query<{ idx: number | null; code: string; parent_code: string }>(q.UNKNOWN_PARENTS)).rows) {
    const failedParent = codes.get(r.parent_code)
    report.errors.push({
      index: r.idx,
      code: r.code,
      check: 'parent',
      message:
        failedParent !== undefined
          ? `Parent ${r.parent_code} (feature ${failedParent}) failed its own checks`
          : options.mode === 'merge'
            ? `Parent ${r.parent_code} is neither in the import nor in the current generation`
            : `Parent ${r.parent_code} is not in the import (mode=replace imports a whole hierarchy; mode=merge adds to the current generation)`,
      parentCode: r.parent_code,
    })
  }

  const invalid = (await tx.query<{ idx: number; code: string; reason: string; x: number | null; y: number | null }>(q.INVALID_GEOMETRIES)).rows
  const location = (x: number | null, y: number | null): [number, number] | undefined => (x === null || y === null ? undefined : [x, y])
  if (invalid.length > 0 && options.fix) {
    const fixed = await tx.query<{ code: string; points_before: number; points_after: number; area_after_m2: number; parts_after: number }>(
      q.FIX_GEOMETRIES,
      [invalid.map((r) => r.code)],
    )
    const byCode = new Map(fixed.rows.map((r) => [r.code, r]))
    for (const r of invalid) {
      const f = byCode.get(r.code)
      report.fixed.push({
        index: r.idx,
        code: r.code,
        check: 'validity',
        message: `${r.reason}${r.x !== null ? ` at ${r.x} ${r.y}` : ''}: repaired with ST_MakeValid into ${f?.parts_after} part(s), ${f?.points_before} → ${f?.points_after} points, ${Math.round(f?.area_after_m2 ?? 0)} m²`,
        location: location(r.x, r.y),
        reason: r.reason,
      })
    }
  } else if (invalid.length > 0) {
    for (const r of invalid) {
      report.errors.push({
        index: r.idx,
        code: r.code,
        check: 'validity',
        message: `Invalid geometry: ${r.reason}${r.x !== null ? ` at ${r.x} ${r.y}` : ''} (ST_IsValidReason); fix it or import with fix=true`,
        location: location(r.x, r.y),
        reason: r.reason,
      })
    }
    await tx.query(q.MARK_UNUSABLE, [invalid.map((r) => r.code)])
  }

  await checkEmpty(tx, report)
  await tx.query(q.TO_MULTI)

  // Level by level, so a child is compared with its parent as finally stored (after clipping).
  for (const level of LEVELS.slice(1)) {
    const outside = (await tx.query<{ idx: number | null; code: string; parent_code: string; outside_m2: number; x: number; y: number }>(
      q.OUTSIDE_PARENT,
      [level],
    )).rows
    // With clip, every child not covered is cut (so nesting is exact), but only
    // cuts beyond the tolerance are worth reporting; without clip, those are errors.
    if (options.clip && outside.length > 0) await tx.query(q.CLIP_TO_PARENT, [level, outside.map((r) => r.code)])
    for (const r of outside.filter((r) => r.outside_m2 > tolerance)) {
      const m2 = Math.round(r.outside_m2 * 100) / 100
      const issue: ImportIssue = {
        index: r.idx,
        code: r.code,
        check: 'outside-parent',
        message: options.clip
          ? `Clipped to parent ${r.parent_code}: ${m2} m² outside it removed`
          : `Reaches ${m2} m² outside its parent ${r.parent_code} (tolerance ${tolerance} m²); fix it or import with clip=true`,
        location: [r.x, r.y],
        parentCode: r.parent_code,
        outsideM2: m2,
      }
      ;(options.clip ? report.clipped : report.errors).push(issue)
    }
  }
  if (options.clip) await checkEmpty(tx, report)

  const overlaps = (await tx.query<{ a_idx: number | null; a_code: string; b_idx: number | null; b_code: string; overlap_m2: number; x: number; y: number }>(
    q.SIBLING_OVERLAPS,
  )).rows
  for (const r of overlaps) {
    if (r.overlap_m2 <= tolerance) continue
    const m2 = Math.round(r.overlap_m2 * 100) / 100
    const [index, code, otherIndex, otherCode] = r.a_idx !== null ? [r.a_idx, r.a_code, r.b_idx, r.b_code] : [r.b_idx, r.b_code, r.a_idx, r.a_code]
    report.errors.push({
      index,
      code,
      check: 'sibling-overlap',
      message: `Overlaps sibling ${otherCode}${otherIndex !== null ? ` (feature ${otherIndex})` : ' (current generation)'} by ${m2} m² (tolerance ${tolerance} m²)`,
      location: [r.x, r.y],
      otherIndex,
      otherCode,
      overlapM2: m2,
    })
  }
}

async function checkEmpty(tx: Queryable, report: ImportReport) {
  const empty = (await tx.query<{ idx: number; code: string }>(q.EMPTY_GEOMETRIES)).rows
  for (const r of empty) {
    report.errors.push({ index: r.idx, code: r.code, check: 'empty', message: 'Geometry has no area (empty after repair or clipping)' })
  }
  if (empty.length > 0) await tx.query(q.MARK_UNUSABLE, [empty.map((r) => r.code)])
}

async function writeGeneration(tx: Queryable, options: ImportOptions, report: ImportReport) {
  const validFrom = options.validFrom ?? new Date()
  const current = (await tx.query<{ id: number; valid_from: Date }>(q.CURRENT_GENERATION)).rows[0]
  const refused = validFromError(validFrom, current?.valid_from, 'querystring/validFrom')
  if (refused) throw refused
  if (current) {
    await tx.query(q.CLOSE_GENERATION, [current.id, validFrom])
  }
  const label = options.label ?? `Import ${validFrom.toISOString().slice(0, 10)}`
  const gen = (await tx.query<{ id: number; label: string; valid_from: Date }>(q.INSERT_GENERATION, [
    label,
    validFrom,
    options.actor ?? null,
    options.source ?? 'import',
    options.note ?? null,
  ])).rows[0]!
  await tx.query(q.WRITE_UNITS, [gen.id])
  // Administrators of grids the new generation no longer has stop serving them
  // when it starts (a plan publish hands them to an heir; an import knows none).
  if (current) {
    await tx.query(LOCK_ADMINISTRATORS) // after the imports' lock, as everywhere: administrator writes wait, never the other way round
    await tx.query(`SELECT set_config('zhiwang.assignment_from', $1, true)`, [validFrom.toISOString()])
    report.administratorsUnassigned = (await tx.query<{ employee_no: string; grid_code: string }>(q.UNASSIGN_REMOVED_GRIDS, [gen.id])).rows
      .map((r) => ({ employeeNo: r.employee_no, grid: r.grid_code }))
  }
  await recordAudit(tx, {
    actor: options.actor ?? null,
    action: 'units.import',
    subject: `generation:${gen.id}`,
    detail: {
      // The current generation before and after: the import closes one and opens the next.
      before: current ? { generation: current.id, validFrom: current.valid_from.toISOString() } : null,
      after: { generation: gen.id, label: gen.label, validFrom: gen.valid_from.toISOString() },
      source: options.source ?? 'import',
      mode: options.mode ?? 'replace',
      counts: report.counts,
      fixed: report.fixed.length,
      clipped: report.clipped.length,
      previous: current?.id ?? null,
      ...(report.administratorsUnassigned?.length ? { administratorsUnassigned: report.administratorsUnassigned } : {}),
    },
  })
  return { id: gen.id, label: gen.label, validFrom: gen.valid_from.toISOString() }
}

function trim(report: ImportReport): ImportReport {
  const errorCount = report.errors.length
  return errorCount > MAX_REPORTED ? { ...report, errors: report.errors.slice(0, MAX_REPORTED), errorCount, truncated: true } as ImportReport : report
}

function rejected(errors: ImportIssue[], options: ImportOptions, report?: ImportReport): AppError {
  const features = new Set(errors.map((e) => e.index)).size
  const shown = errors.slice(0, MAX_REPORTED)
  const first = errors[0]
  return new AppError(
    'import-rejected',
    `${errors.length} problem(s) in ${features} feature(s); nothing was stored. First: ${first ? `${first.index !== null ? `feature ${first.index}` : 'collection'}${first.code ? ` (${first.code})` : ''}: ${first.message}` : ''}`,
    {
      errors: shown,
      errorCount: errors.length,
      ...(errors.length > shown.length ? { truncated: true } : {}),
      ...(report ? { counts: report.counts, fixed: report.fixed, clipped: report.clipped } : {}),
      options: { mode: options.mode ?? 'replace', fix: !!options.fix, clip: !!options.clip, toleranceM2: options.toleranceM2 ?? 1 },
    },
  )
}

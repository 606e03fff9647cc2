/**
 * SQL of supervision scores: one grouped query per kind of entity, built from
 * an allow-list (the grouping key is never taken from the request). $1 from,
 * $2 to (incidents reported in [from, to)), $3 code prefix of the scope, $4 the
 * moment "overdue now" is judged at.
 */

export const BY = ['grid', 'administrator', 'town', 'department'] as const
export type By = (typeof BY)[number]

/** The workflow steps timed, as [from status, to status]: the time between entering one and the other. */
export const STEPS = [
  ['reported', 'accepted'],
  ['accepted', 'dispatched'],
  ['dispatched', 'handled'],
  ['handled', 'verified'],
  ['verified', 'closed'],
] as const

const KEYS: Record<By, { key: string; join: string }> = {
  grid: { key: 'i.grid_code', join: '' },
  town: { key: 'left(i.grid_code, 9)', join: '' },
  // Until it is dispatched an incident is no department's work yet.
  department: { key: 'i.department', join: '' },
  // An incident counts for every active administrator of its grid.
  administrator: { key: 'a.id::text', join: 'JOIN administrator_grid ag ON ag.grid_code = i.grid_code JOIN administrator a ON a.id = ag.administrator_id AND a.active' },
}

const stepMedians = STEPS.map(
  ([from, to]) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE from_status = '${from}' AND to_status = '${to}') AS ${from}_${to}`,
).join(',\n    ')

/**
 * Step times come from the incident's history: each event's time minus the
 * previous event's, so a reopened incident's second dispatch → handled counts
 * as a step of its own. The history is read in one pass, sorted once by
 * (key, incident, time), which also feeds the grouping by key.
 *
 * Cheap on purpose: the key is compared bytewise (COLLATE "C"; it is only
 * grouped and sorted on, never shown in that order), hours are date_part's
 * float8 rather than extract's numeric, and overdue is incident_overdue, which
 * the planner inlines (incident_supervision_level is not inlined: its interval
 * arithmetic is only stable). A year of the demo city by grid: 4.8 → 3.9 s.
 *
 * On time: handled by the deadline, among incidents whose deadline has passed
 * or which were handled (one still within its deadline is not judged yet).
 * Reopen rate: of the incidents ever handled (handled_at is never cleared),
 * those with a reopen event.
 */
const supervision = ({ key, join }: { key: string; join: string }) => `
WITH inc AS (
  SELECT ${key} COLLATE "C" AS key, i.id, i.status, i.dispatched_at, i.deadline_at, i.handled_at, i.satisfaction
  FROM countable_incident i ${join}
  WHERE i.reported_at >= $1 AND i.reported_at < $2 AND starts_with(i.grid_code, $3) AND ${key} IS NOT NULL
), step AS (
  SELECT inc.key, inc.id, inc.handled_at IS NOT NULL AS was_handled, e.action, e.from_status, e.to_status,
         date_part('epoch', e.at - lag(e.at) OVER (PARTITION BY inc.key, inc.id ORDER BY e.at, e.id)) / 3600 AS hours
  FROM inc JOIN incident_event e ON e.incident_id = inc.id
), step_median AS (
  SELECT key,
    ${stepMedians},
    count(DISTINCT id) FILTER (WHERE action = 'reopen' AND was_handled)::int AS reopened
  FROM step GROUP BY key
), total AS (
  SELECT key,
    count(*)::int AS incidents,
    count(*) FILTER (WHERE status = 'closed')::int AS closed,
    count(*) FILTER (WHERE deadline_at IS NOT NULL AND (status IN ('handled', 'verified', 'closed') OR deadline_at <= $4))::int AS due,
    count(*) FILTER (WHERE status IN ('handled', 'verified', 'closed') AND handled_at <= deadline_at)::int AS on_time,
    count(*) FILTER (WHERE incident_overdue(status, deadline_at, $4))::int AS overdue,
    count(*) FILTER (WHERE handled_at IS NOT NULL)::int AS handled,
    avg(satisfaction)::float8 AS satisfaction,
    count(satisfaction)::int AS ratings
  FROM inc GROUP BY key
)
SELECT t.*, ${STEPS.map(([f, s]) => `m.${f}_${s}`).join(', ')}, coalesce(m.reopened, 0) AS reopened
FROM total t LEFT JOIN step_median m USING (key)`

export const SUPERVISION: Record<By, string> = {
  grid: supervision(KEYS.grid),
  town: supervision(KEYS.town),
  department: supervision(KEYS.department),
  administrator: supervision(KEYS.administrator),
}

/** Active administrators serving grids under $1, with those grids. */
export const ADMINISTRATORS_IN_SCOPE = `
SELECT a.id::text AS key, a.employee_no, a.name, array_agg(ag.grid_code ORDER BY ag.grid_code) AS grids
FROM administrator a JOIN administrator_grid ag ON ag.administrator_id = a.id
WHERE a.active AND starts_with(ag.grid_code, $1)
GROUP BY a.id ORDER BY a.employee_no`

/** The departments of the category catalogue (an incident may also be dispatched elsewhere; those come with its scores). */
export const DEPARTMENTS = `SELECT DISTINCT department AS key FROM incident_category ORDER BY key`

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

interface Keying {
  /** The grouping key, an expression over the incident i and the joined tables. */
  key: string
  join: string
  /** CTEs the join reads. */
  with?: string
  /** Turns the rows per key into rows per entity: joins `t` (the rows) and names the entity's key. */
  fanout?: { key: string; join: string }
}

const KEYS: Record<By, Keying> = {
  grid: { key: 'i.grid_code', join: '' },
  town: { key: 'left(i.grid_code, 9)', join: '' },
  // Until it is dispatched an incident is no department's work yet.
  department: { key: 'i.department', join: '' },
  // An incident counts for every administrator who served its grid when it
  // was reported (administrator_assignment: periods served while active, from
  // null = since before records), within the period and the scope. Most
  // administrators share everything they served with two or three others, so
  // each administrator's periods, clipped to the window, make a signature;
  // an incident is grouped once per distinct signature among those who served
  // its grid then (usually one), and each administrator takes the row of their
  // signature: scores exact for administrators who moved or left, at about the
  // cost of one row per incident.
  administrator: {
    with: `served AS (
  SELECT aa.administrator_id, aa.grid_code,
         greatest(coalesce(aa.valid_from, '-infinity'), $1::timestamptz) AS f,
         least(coalesce(aa.valid_to, 'infinity'), $2::timestamptz) AS t
  FROM administrator_assignment aa
  WHERE starts_with(aa.grid_code, $3) AND (aa.valid_from IS NULL OR aa.valid_from < $2) AND (aa.valid_to IS NULL OR aa.valid_to > $1)
), signed AS (
  SELECT administrator_id AS id, string_agg(grid_code || ' ' || f::text || ' ' || t::text, ',' ORDER BY grid_code, f) COLLATE "C" AS sig
  FROM served GROUP BY administrator_id
), admin AS (
  SELECT id, dense_rank() OVER (ORDER BY sig)::text AS sig FROM signed
), grid_sig AS (
  SELECT DISTINCT s.grid_code, s.f, s.t, a.sig FROM served s JOIN admin a ON a.id = s.administrator_id
),`,
    key: 'gs.sig',
    join: 'JOIN grid_sig gs ON gs.grid_code = i.grid_code AND i.reported_at >= gs.f AND i.reported_at < gs.t',
    fanout: { key: 'a.id::text', join: 'JOIN admin a ON a.sig = t.key' },
  },
}

const stepMedians = STEPS.map(
  ([from, to]) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE from_status = '${from}' AND to_status = '${to}') AS ${from}_${to}`,
).join(',\n    ')

/**
 * Step times come from the incident's history: each event's time minus the
 * previous event's (from_at, stored with the event, migration 016), so a
 * reopened incident's second dispatch → handled counts as a step of its own.
 * Every event after the report is joined to its key (from_at set: a filter
 * the planner estimates well, so it hashes the incidents, the smaller side),
 * and the aggregates pick the timed steps and the reopens.
 *
 * Cheap on purpose: the key is compared bytewise (COLLATE "C"; it is only
 * grouped and sorted on, never shown in that order), hours are date_part's
 * float8 rather than extract's numeric, and overdue is incident_overdue, which
 * the planner inlines. A year of the demo city (160 k incidents, 1 M events),
 * against ordering each incident's history in a window on every request, and
 * grouping by administrator directly: by grid 3.2–4.8 → 2.3–3.0 s, by
 * administrator 8–10 → 3.1–3.7 s, with identical scores (on the embedded
 * PGlite: 8.0 → 4.5–5.6 s and 21.6 → 6–7 s).
 *
 * On time: handled by the deadline, among incidents whose deadline has passed
 * or which were handled (one still within its deadline is not judged yet).
 * Reopen rate: of the incidents ever handled (handled_at is never cleared),
 * those with a reopen event.
 */
const supervision = ({ key, join, with: before = '', fanout = { key: 't.key', join: '' } }: Keying) => `
WITH ${before} inc AS (
  SELECT ${key} COLLATE "C" AS key, i.id, i.status, i.deadline_at, i.handled_at, i.satisfaction
  FROM countable_incident i ${join}
  WHERE i.reported_at >= $1 AND i.reported_at < $2 AND starts_with(i.grid_code, $3) AND ${key} IS NOT NULL
), step_median AS MATERIALIZED (
  SELECT inc.key,
    ${stepMedians},
    count(DISTINCT inc.id) FILTER (WHERE e.action = 'reopen' AND inc.handled_at IS NOT NULL)::int AS reopened
  FROM inc JOIN (
    SELECT e.incident_id, e.action, e.from_status, e.to_status, date_part('epoch', e.at - e.from_at) / 3600 AS hours
    FROM incident_event e
    WHERE e.from_at IS NOT NULL
  ) e ON e.incident_id = inc.id
  GROUP BY inc.key
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
SELECT ${fanout.key} AS key, t.incidents, t.closed, t.due, t.on_time, t.overdue, t.handled, t.satisfaction, t.ratings,
       ${STEPS.map(([f, s]) => `m.${f}_${s}`).join(', ')}, coalesce(m.reopened, 0) AS reopened
FROM total t LEFT JOIN step_median m USING (key) ${fanout.join}`

export const SUPERVISION: Record<By, string> = {
  grid: supervision(KEYS.grid),
  town: supervision(KEYS.town),
  department: supervision(KEYS.department),
  administrator: supervision(KEYS.administrator),
}

/**
 * The administrators who served grids under $3 at some time in [$1, $2)
 * (active or not today), with the grids they served then.
 */
export const ADMINISTRATORS_IN_SCOPE = `
SELECT a.id::text AS key, a.employee_no, a.name, a.active, array_agg(DISTINCT aa.grid_code ORDER BY aa.grid_code) AS grids
FROM administrator a JOIN administrator_assignment aa ON aa.administrator_id = a.id
WHERE starts_with(aa.grid_code, $3) AND (aa.valid_from IS NULL OR aa.valid_from < $2) AND (aa.valid_to IS NULL OR aa.valid_to > $1)
GROUP BY a.id ORDER BY a.employee_no`

/** The departments of the category catalogue (an incident may also be dispatched elsewhere; those come with its scores). */
export const DEPARTMENTS = `SELECT DISTINCT department AS key FROM incident_category ORDER BY key`

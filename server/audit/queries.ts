/** SQL of the audit log (table audit_log, migration 002). */

export const INSERT_AUDIT = `INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4::jsonb)`

const FILTER = `
FROM audit_log
WHERE ($1::text IS NULL OR action = $1)
  AND ($2::text IS NULL OR actor = $2)
  AND ($3::text IS NULL OR subject = $3)
  AND ($4::timestamptz IS NULL OR at >= $4)
  AND ($5::timestamptz IS NULL OR at < $5)`

/** $1 action, $2 actor, $3 subject, $4 from (inclusive), $5 to (exclusive). */
export const COUNT_AUDIT = `SELECT count(*)::int AS n ${FILTER}`

/** The filter of COUNT_AUDIT, then $6 limit, $7 offset; newest first. */
export const LIST_AUDIT = `
SELECT id, at, actor, action, subject, detail
${FILTER}
ORDER BY at DESC, id DESC
LIMIT $6 OFFSET $7`

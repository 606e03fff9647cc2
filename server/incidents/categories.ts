/** Editing the category catalogue: an upsert by code, audited with before and after. */
import { Type, type Static } from 'typebox'
import { recordAudit } from '../audit/audit-log.ts'
import type { Db, Queryable } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { DisplayName } from '../plugins/display-name.ts'

const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist']

export const CategoryBody = Type.Object(
  {
    name: DisplayName(100),
    name_en: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    class: Type.String({ pattern: '^[a-z][a-z_]{0,49}$' }),
    department: Type.String({ pattern: '^[a-z][a-z_]{0,79}$' }),
    slaHours: Type.Integer({ minimum: 1, maximum: 8760 }),
    effortWeight: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    active: Type.Boolean({ default: true }),
    // Open311 service-definition attributes.
    attributes: Type.Array(
      Type.Object(
        {
          code: Type.String({ pattern: '^[A-Za-z0-9_]{1,50}$' }),
          datatype: Type.Unsafe<string>({ type: 'string', enum: DATATYPES }),
          required: Type.Boolean(),
          description: Type.String({ maxLength: 500 }),
          datatype_description: Type.Optional(Type.String({ maxLength: 500 })),
          order: Type.Optional(Type.Integer({ minimum: 1 })),
          values: Type.Optional(Type.Array(Type.Object({ key: Type.String({ maxLength: 100 }), name: Type.String({ maxLength: 200 }) }, { additionalProperties: false }), { maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50, default: [] },
    ),
  },
  { additionalProperties: false },
)
export type CategoryInput = Static<typeof CategoryBody>

const CURRENT = `SELECT code, name_zh, name_en, class, department, sla_hours, effort_weight, attributes, active FROM incident_category WHERE code = $1`
const UPSERT = `
INSERT INTO incident_category (code, name_zh, name_en, class, department, sla_hours, effort_weight, attributes, active)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, class = EXCLUDED.class,
  department = EXCLUDED.department, sla_hours = EXCLUDED.sla_hours, effort_weight = EXCLUDED.effort_weight,
  attributes = EXCLUDED.attributes, active = EXCLUDED.active
RETURNING code, name_zh, name_en, class, department, sla_hours, effort_weight, attributes, active`

export async function upsertCategory(db: Db, code: string, input: CategoryInput, actor: string | null) {
  const singleValued = input.attributes.find((a) => (a.datatype === 'singlevaluelist' || a.datatype === 'multivaluelist') && !a.values?.length)
  if (singleValued) throw new AppError('bad-request', `Attribute ${singleValued.code} is a ${singleValued.datatype} and needs values`)
  return db.transaction(async (tx) => {
    const before = (await tx.query(CURRENT, [code])).rows[0] ?? null
    const after = (await tx.query(UPSERT, [code, input.name, input.name_en ?? null, input.class, input.department, input.slaHours, input.effortWeight, JSON.stringify(input.attributes), input.active])).rows[0]!
    await recordAudit(tx, { actor, action: before ? 'category.update' : 'category.create', subject: `incident_category:${code}`, detail: { before, after } })
    return { created: before === null, category: after }
  })
}

/**
 * Refuses category codes the catalogue does not hold (retired ones included
 * are fine): a filter naming a misspelt code would otherwise answer "nothing
 * happened" — an empty list, a map of zeros.
 */
export async function assertKnownCategories(db: Queryable, codes: readonly string[] | null, parameter: string): Promise<void> {
  if (!codes || codes.length === 0) return
  const known = new Set((await db.query<{ code: string }>(`SELECT code FROM incident_category WHERE code = ANY($1::text[])`, [codes])).rows.map((r) => r.code))
  const unknown = codes.filter((c) => !known.has(c))
  if (unknown.length === 0) return
  throw new AppError('invalid-parameter', `${parameter}: unknown category ${unknown.join(', ')}; GET /api/v1/incident-categories lists the codes`, {
    parameter, errors: unknown.map((c) => ({ where: `querystring/${parameter}`, message: `${c} is not a category of the catalogue` })),
  })
}

/** Request schemas of the planning API (./routes.ts): who may call, and the bodies and ids it takes. */
import { Type, type Static } from 'typebox'
import type { KeyRole } from '../auth/roles.ts'
import { MOMENT_PATTERN } from '../analytics/period-scope.ts'
import { DisplayName } from '../plugins/display-name.ts'

export const READERS: KeyRole[] = ['admin', 'planner', 'analyst', 'supervisor']
export const WRITERS: KeyRole[] = ['admin', 'planner']

export const Lon = Type.Number({ minimum: -180, maximum: 180 })
export const Lat = Type.Number({ minimum: -90, maximum: 90 })
export const Position = Type.Tuple([Lon, Lat])
export const ScopeCode = Type.String({ pattern: '^[0-9]{9}([0-9]{3})?$', description: 'A town (9 digits) or community (12 digits) code' })
export const GridCode = Type.String({ pattern: '^[0-9]{15}$' })
export const Cell = Type.String({ pattern: '^[0-9a-fA-F]{15}$', description: 'H3 cell id (hex)' })
export const Constraints = Type.Object(
  {
    minAreaM2: Type.Optional(Type.Number({ minimum: 0 })),
    maxAreaM2: Type.Optional(Type.Number({ minimum: 0 })),
    minPopulation: Type.Optional(Type.Number({ minimum: 0 })),
    maxPopulation: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)
export const Measure = Type.Object(
  {
    measure: Type.Unsafe<'workload' | 'population' | 'households' | 'area'>({ type: 'string', enum: ['workload', 'population', 'households', 'area'] }),
    weight: Type.Number({ minimum: 0, maximum: 100, default: 1 }),
    tolerance: Type.Number({ minimum: 0.001, maximum: 10 }),
  },
  { additionalProperties: false },
)
export const Id = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) })

export const NewPlanBody = Type.Object(
  {
    scope: ScopeCode,
    name: Type.Optional(DisplayName(200)),
    res: Type.Integer({ minimum: 7, maximum: 10, default: 10, description: 'H3 resolution of the building blocks' }),
    from: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'Start of the workload period: a date (its midnight in the city, UTC+8) or a date-time with offset (default: a year before `to`)' })),
    to: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'End of the workload period, exclusive: a date or a date-time with offset (default: now)' })),
    constraints: Type.Optional(Constraints),
  },
  { additionalProperties: false },
)

export const OPS = ['paint', 'split', 'merge', 'add-grid', 'remove-grid', 'lock', 'rename', 'constraints', 'rebalance', 'undo', 'redo'] as const
export const EditBody = Type.Object(
  {
    op: Type.Unsafe<(typeof OPS)[number]>({ type: 'string', enum: [...OPS] }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'The plan version this edit was made on (or send If-Match)' })),
    grid: Type.Optional(GridCode),
    grids: Type.Optional(Type.Array(GridCode, { minItems: 1, maxItems: 1000 })),
    into: Type.Optional(GridCode),
    community: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    cells: Type.Optional(Type.Array(Cell, { maxItems: 50000 })),
    at: Type.Optional(Position),
    radiusM: Type.Optional(Type.Number({ minimum: 0, maximum: 20000 })),
    polygon: Type.Optional(
      Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Position, { minItems: 4, maxItems: 10000 }), { minItems: 1, maxItems: 100 }) }),
    ),
    line: Type.Optional(Type.Array(Position, { minItems: 2, maxItems: 10000 })),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
    targetLoadPerAdministrator: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    measures: Type.Optional(Type.Array(Measure, { minItems: 1, maxItems: 4 })),
    movePenalty: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    compactnessWeight: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
    timeLimitMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60000 })),
    locked: Type.Optional(Type.Boolean()),
    name: Type.Optional(DisplayName(200)),
    constraints: Type.Optional(Constraints),
  },
  { additionalProperties: false },
)
export type EditBody = Static<typeof EditBody>

/** What each op needs besides `op`. */
export const REQUIRED: Record<(typeof OPS)[number], Exclude<keyof EditBody, 'version' | 'op'>[]> = {
  paint: ['grid'],
  split: ['grid'],
  merge: ['grids'],
  'add-grid': ['community'],
  'remove-grid': ['grid'],
  lock: ['grid', 'locked'],
  rename: ['grid', 'name'],
  constraints: ['constraints'],
  rebalance: [],
  undo: [],
  redo: [],
}

export const PublishBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    validFrom: Type.Optional(Type.String({ pattern: MOMENT_PATTERN, description: 'When the new generation starts (default: now): a date-time with offset, or a date (its midnight in the city, UTC+8)' })),
    label: Type.Optional(DisplayName(200)),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)

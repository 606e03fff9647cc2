/**
 * Imports a GeoJSON FeatureCollection of units as a new boundary generation,
 * with the same checks as POST /api/v1/units/import.
 *
 *   npm run units:import -- FILE [--dry-run] [--fix] [--clip] [--merge]
 *                                [--tolerance M2] [--valid-from ISO] [--label TEXT]
 *
 * Uses DATABASE_URL when set, else the embedded database in ZHIWANG_DATA_DIR
 * (default .zhiwang/pgdata). Exit code 0 on success, 2 when the import was
 * rejected (problems printed as JSON on stderr), 1 on any other failure.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../server/config.ts'
import { openDbOrExit } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { AppError } from '../server/errors.ts'
import { importUnits } from '../server/units/import-units.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'dry-run': { type: 'boolean', default: false },
    fix: { type: 'boolean', default: false },
    clip: { type: 'boolean', default: false },
    merge: { type: 'boolean', default: false },
    tolerance: { type: 'string' },
    'valid-from': { type: 'string' },
    label: { type: 'string' },
  },
})
const file = positionals[0]
if (!file) {
  console.error('Usage: npm run units:import -- FILE [--dry-run] [--fix] [--clip] [--merge] [--tolerance M2] [--valid-from ISO] [--label TEXT]')
  process.exit(1)
}

let body: unknown
try {
  body = JSON.parse(readFileSync(file, 'utf8'))
} catch (err) {
  console.error(`Cannot read ${file} as JSON: ${(err as Error).message}`)
  process.exit(1)
}
const validFrom = values['valid-from'] ? new Date(values['valid-from']) : undefined
if (validFrom && Number.isNaN(validFrom.getTime())) {
  console.error(`Unexpected --valid-from value: ${values['valid-from']}`)
  process.exit(1)
}

const config = loadConfig()
const db = await openDbOrExit({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
let code = 0
try {
  await migrate(db)
  const report = await importUnits(db, body, {
    dryRun: values['dry-run'],
    fix: values.fix,
    clip: values.clip,
    mode: values.merge ? 'merge' : 'replace',
    toleranceM2: values.tolerance !== undefined ? Number(values.tolerance) : undefined,
    validFrom,
    label: values.label,
    actor: process.env.USER ?? 'cli',
    source: `cli:${file}`,
  })
  console.log(JSON.stringify(report, null, 2))
  if (report.dryRun && !report.valid) code = 2
} catch (err) {
  if (err instanceof AppError) {
    console.error(JSON.stringify(err.toProblem(), null, 2))
    code = 2
  } else {
    console.error(err)
    code = 1
  }
} finally {
  await db.close()
}
process.exit(code)

/**
 * Makes, lists and revokes API keys, through the same code as the admin API
 * (server/auth/api-keys.ts), every change audited.
 *
 *   npm run keys -- create --name NAME --role ROLE [--employee-no E] [--department D] [--json]
 *   npm run keys -- list [--json]
 *   npm run keys -- revoke ID
 *
 * Roles: admin, planner, analyst, supervisor, grid_admin (needs --employee-no),
 * department (needs --department), system. `create` prints the secret once.
 * Uses DATABASE_URL when set, else the embedded database in ZHIWANG_DATA_DIR
 * (default .zhiwang/pgdata); the embedded one can be opened by one process at a
 * time, so stop the server first. A server that has already seen a key revoked
 * here stops accepting it within 30 s (its key cache); revoking through
 * DELETE /api/v1/keys/{id} takes effect at once.
 * Exit code 0 on success, 2 on a refused request (problem printed as JSON on
 * stderr), 1 on any other failure.
 */
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { createApiKey, listApiKeys, revokeApiKey } from '../server/auth/api-keys.ts'
import { KEY_ROLES } from '../server/auth/roles.ts'
import { loadConfig } from '../server/config.ts'
import { openDbOrExit } from '../server/db/client.ts'
import { migrate } from '../server/db/migrate.ts'
import { AppError } from '../server/errors.ts'

const USAGE = `Usage:
  npm run keys -- create --name NAME --role ROLE [--employee-no E] [--department D] [--json]
  npm run keys -- list [--json]
  npm run keys -- revoke ID
Roles: ${KEY_ROLES.join(', ')}`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    role: { type: 'string' },
    'employee-no': { type: 'string' },
    department: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
const [command, arg] = positionals
if (values.help || !command || !['create', 'list', 'revoke'].includes(command)) {
  console.error(USAGE)
  process.exit(values.help ? 0 : 1)
}
if (command === 'create' && (!values.name || !values.role)) {
  console.error(`create needs --name and --role\n${USAGE}`)
  process.exit(1)
}
const id = Number(arg)
if (command === 'revoke' && !(Number.isInteger(id) && id > 0)) {
  console.error(`Unexpected key id: ${arg === undefined ? '(none)' : JSON.stringify(arg)}; revoke takes the numeric id that list shows`)
  process.exit(1)
}

/** Who ran the command, for created_by and the audit log. */
const actor = `cli:${process.env.USER || safeUserName()}`
const config = loadConfig()
const db = await openDbOrExit({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
let code = 0
try {
  await migrate(db)
  if (command === 'create') {
    const { key, secret } = await createApiKey(
      db,
      { name: values.name!, role: values.role!, administratorEmployeeNo: values['employee-no'], department: values.department },
      actor,
    )
    if (values.json) console.log(JSON.stringify({ ...key, secret }, null, 2))
    else {
      console.log(`Created key ${key.id} ${JSON.stringify(key.name)} with role ${key.role} (prefix ${key.prefix}).`)
      console.log('Its secret, shown only this once (only a hash is stored):')
      console.log(secret)
    }
  } else if (command === 'list') {
    const keys = await listApiKeys(db)
    if (values.json) console.log(JSON.stringify(keys, null, 2))
    else if (keys.length === 0) console.log('No keys yet.')
    else {
      console.table(keys.map((k) => ({
        id: k.id,
        name: k.name,
        role: k.role,
        prefix: k.prefix,
        scope: k.administratorEmployeeNo ?? k.department ?? '',
        created: k.createdAt,
        revoked: k.revokedAt ?? '',
      })))
    }
  } else {
    const result = await revokeApiKey(db, id, actor)
    if (!result) throw new AppError('not-found', `No API key with id ${id}`)
    console.log(result.revoked
      ? `Revoked key ${id} ${JSON.stringify(result.key.name)}.`
      : `Key ${id} ${JSON.stringify(result.key.name)} was already revoked at ${result.key.revokedAt}.`)
  }
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

function safeUserName(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

/**
 * The key the demo console hands to every visitor (GET /console/config.json),
 * so that a new user sees incidents and analytics without asking for a key.
 * Secrets are stored only as hashes, so the previous run's secret cannot be
 * handed out again: each start revokes it and issues a fresh one. A browser
 * that still holds the old secret gets 401 and fetches the new one.
 */
import type { Db } from '../db/client.ts'
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.ts'
import type { KeyRole } from './roles.ts'

export const CONSOLE_DEMO_KEY_NAME = 'console-demo'
/**
 * The planning studio's demo key (role planner), handed to anyone who opens the
 * console: it plans and publishes plans, but may not import boundaries (an
 * import may replace the whole city). Each start revokes any live key of this
 * name, so no key of one's own can keep it.
 */
export const CONSOLE_DEMO_PLANNER_KEY_NAME = 'console-demo-planner'
const ACTOR = 'server:console-demo'

/** Revokes any live key of that name (default `console-demo`) and returns the secret of a new one. */
export async function ensureConsoleDemoKey(db: Db, role: KeyRole = 'admin', name = CONSOLE_DEMO_KEY_NAME): Promise<string> {
  for (const key of await listApiKeys(db)) {
    if (key.name === name && key.revokedAt === null) await revokeApiKey(db, key.id, ACTOR)
  }
  return (await createApiKey(db, { name, role }, ACTOR)).secret
}

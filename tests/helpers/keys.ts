import { createApiKey, type NewApiKey } from '../../server/auth/api-keys.ts'
import type { Db } from '../../server/db/client.ts'

/** Creates an API key the way the CLI does and returns request headers carrying it. */
export async function keyHeaders(db: Db, key: NewApiKey): Promise<Record<string, string>> {
  const { secret } = await createApiKey(db, key, 'tests')
  return { authorization: `Bearer ${secret}` }
}

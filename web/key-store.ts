/**
 * The API key the console sends, kept in localStorage. A key the server
 * handed out as the demo key is marked as such: when the server has rotated
 * it (each start does), the console quietly takes the new one; a key the user
 * typed is never replaced behind their back.
 */
const STORAGE = 'zhiwang.apiKey'
/** Set when the user cleared the key: the console then stays keyless (the public's view) instead of taking the demo key again. */
const CLEARED = 'zhiwang.apiKeyCleared'

export interface StoredKey {
  secret: string
  source: 'demo' | 'user'
}

let current: StoredKey | null = read()

function read(): StoredKey | null {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE) ?? 'null') as StoredKey | null
    return v && typeof v.secret === 'string' && (v.source === 'demo' || v.source === 'user') ? v : null
  } catch {
    return null
  }
}

export function storedKey(): StoredKey | null {
  return current
}

export function currentSecret(): string | null {
  return current?.secret ?? null
}

export function setKey(key: StoredKey | null): void {
  current = key
  if (key) localStorage.setItem(STORAGE, JSON.stringify(key))
  else localStorage.removeItem(STORAGE)
  if (key) localStorage.removeItem(CLEARED)
}

/** The user's "no key": kept until they set one again. */
export function clearKey(): void {
  setKey(null)
  localStorage.setItem(CLEARED, '1')
}

export function keyCleared(): boolean {
  return localStorage.getItem(CLEARED) === '1'
}
